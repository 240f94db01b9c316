"""What every venue's wire fuzz shares, whatever the venue: how a request is mutated, the state a
refusal must leave untouched, and the accounting identity."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

DELETE = object()  # a mutation that removes the parameter


def mutations(
    reads: list[str], names: list[str], values: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Changes to a request: mostly to the parameters the route reads, sometimes to another of the
    venue's parameter ``names`` or to any name; a change sets one of ``values`` or :data:`DELETE`."""
    chosen = st.one_of(
        st.sampled_from(reads), st.sampled_from(reads), st.sampled_from(names), st.text(max_size=8)
    )
    return st.dictionaries(chosen, st.one_of(values, st.just(DELETE)), min_size=1, max_size=3)


def mutate(params: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``params`` with ``changes`` made (a :data:`DELETE` removes the name)."""
    out = dict(params)
    for key, value in changes.items():
        if value is DELETE:
            out.pop(key, None)
        else:
            out[key] = value
    return out


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


def values_named(data: Any, names: Iterable[str]) -> list[Any]:
    """Every value of an answer held under one of ``names``, at any depth (e.g. its client ids)."""
    wanted = set(names)
    if isinstance(data, dict):
        return [v for k, v in data.items() if k in wanted] + [
            x for v in data.values() for x in values_named(v, wanted)
        ]
    if isinstance(data, list):
        return [x for v in data for x in values_named(v, wanted)]
    return []
