"""What every venue's wire fuzz checks after each request, whatever the venue: the state a refusal
must leave untouched, and the accounting identity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def snapshot(control) -> tuple:
    """Orders, positions, balances and fills of the main account, through the control routes."""
    return control.orders(), control.positions(), control.balances(), control.fills()


def assert_books_balance(state: tuple, events: list[dict]) -> None:
    """wallet − deposits == realized PnL − fees − funding, from the engine's own records."""
    _, _, (balance,), fills = state
    total = {kind: Decimal(0) for kind in ("deposit", "liquidation", "funding")}
    for e in events:
        total[e["kind"]] += Decimal(e.get("amount") or e.get("liquidation_fee") or e.get("payment") or 0)
    realized = sum((Decimal(f["realized_pnl"]) for f in fills), Decimal(0))
    fees = sum((Decimal(f["fee"]) for f in fills), Decimal(0)) + total["liquidation"]
    assert Decimal(balance["wallet"]) - total["deposit"] == realized - fees - total["funding"]


def fill_in(params: Any, ids: dict[str, str]) -> Any:
    """``params`` with the scene's id stand-ins (``"<order>"``...) replaced by the real ids."""
    if isinstance(params, dict):
        return {k: fill_in(v, ids) for k, v in params.items()}
    if isinstance(params, list):
        return [fill_in(v, ids) for v in params]
    return ids.get(params, params) if isinstance(params, str) else params
