"""An entry, placed and confirmed: the market order, what of it filled, and what happens to the rest.

After the venue accepts an entry, its fills are read at once (the same read the env needs anyway to
report them). When less than the order's amount filled, the order itself is asked for (fills can lag
behind the order on a real venue); if part of it is still unfilled, the rest is cancelled and then,
by :class:`PartialFillPolicy`:

* ``resend`` (default): sent once more as a new market order for exactly the missing amount (rounded
  down to the market's precision; dropped if that is below the market's minimum), with its own client
  id (the original id plus ``r``), without brackets: the first order's position TP/SL cover the whole
  position on the venue;
* ``drop``: left unfilled; the position is what filled.

Either way ``info["partial_fills"]`` holds one entry per partial fill, and the env's position is what
the venue filled.

A close is completed, never dropped: a close order that filled in part has its rest cancelled and sent
again at once for exactly that amount (:func:`complete_close`; its note says ``"kind": "close"``), so
that the env never believes flat while the venue still holds what a working order has yet to sell.

Brackets: where the venue attaches them to the entry (Bitget's preset TP/SL, Alpaca's stock bracket
orders), they go with it. Where it does not (Binance), the stop-loss and the take-profit are placed as
separate closing conditional orders once the entry has filled (client ids: the entry's plus ``sl`` /
``tp``). If one cannot be placed, an unprotected position is never left: the legs that landed are
cancelled and the position is closed at once (client id plus ``x``); ``info["bracket_failure"]`` says
why. Where the venue has no conditional orders at all (Alpaca crypto: ``trader.client_brackets``),
the entry's levels are returned (from its average fill price) and the env enforces them itself on
every bar (see :class:`~torchtrade.envs.core.env.LiveTradingEnv`).

An order the venue holds for the next open (a stock market order sent while the market is closed,
``outcome.extra["queued"]``) is not a partial fill: it is left working, nothing is taken as filled,
and its fills and the position read after the open tell what it bought.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from ...errors import TransientVenueError
from .account import FillInfo, OrderOutcome, PositionState, exact_sum
from .actions import Intent
from .protocols import Trader

logger = logging.getLogger(__name__)


class PartialFillPolicy(StrEnum):
    RESEND = "resend"
    DROP = "drop"


@dataclass(slots=True)
class Entry:
    """The orders of one entry (the first, and a resend if any), what filled, at what average price."""

    outcomes: list[OrderOutcome]
    filled: float = 0.0
    average: float | None = None
    partial_fills: list[dict[str, Any]] = field(default_factory=list)
    brackets: bool = False  # separate bracket legs are live on the venue
    # (stop-loss, take-profit) prices the env itself enforces (a venue without brackets)
    client_levels: tuple[float | None, float | None] | None = None
    bracket_failure: dict[str, Any] | None = None
    unprotected: bool = False  # a leg failed and so did the close: the env must flatten next step


def bracket_prices(intent: Intent, price: float) -> tuple[float | None, float | None]:
    """Absolute stop-loss and take-profit prices of an SLTP entry at ``price`` (None: no bracket)."""
    if intent.stop_loss is None or intent.take_profit is None:
        return None, None
    sign = 1.0 if intent.side == "long" else -1.0
    return price * (1.0 + sign * intent.stop_loss), price * (1.0 + sign * intent.take_profit)


def execute_entry(
    trader: Trader,
    intent: Intent,
    *,
    price: float,
    free_balance: float | None,
    client_oid: str,
    policy: PartialFillPolicy,
    read_fills: Callable[[], list[FillInfo]],
    max_value: float | None = None,
) -> Entry:
    """Place an entry and make sure of what filled (see the module's docstring).

    ``max_value`` caps the position's value (``max_position_size`` × portfolio value).
    """
    assert intent.side is not None
    stop_loss, take_profit = bracket_prices(intent, price)
    client = bool(getattr(trader, "client_brackets", False))
    attached = getattr(trader, "attached_brackets", True) and not client
    first = trader.open(
        intent.side,
        price,
        client_oid=client_oid,
        free_balance=free_balance,
        stop_loss=stop_loss if attached else None,
        take_profit=take_profit if attached else None,
        max_value=max_value,
    )
    entry = Entry([first])
    if not first.accepted:
        return entry
    _fill_entry(trader, intent, entry, price, client_oid, policy, read_fills)
    if (stop_loss is None and take_profit is None) or entry.filled <= 0:
        return entry
    if client:
        # Levels from the fill's own price when known (the entry may fill away from the last close).
        entry.client_levels = bracket_prices(intent, entry.average or price)
    elif not attached:
        _place_brackets(trader, intent, entry, stop_loss, take_profit, client_oid)
    return entry


def _fill_entry(
    trader: Trader,
    intent: Intent,
    entry: Entry,
    price: float,
    client_oid: str,
    policy: PartialFillPolicy,
    read_fills: Callable[[], list[FillInfo]],
) -> None:
    """What filled of the entry, and what happens to the rest (see the module's docstring)."""
    assert intent.side is not None
    first = entry.outcomes[0]
    filled, average, rest = _confirm(trader, first, read_fills)
    entry.filled, entry.average = filled, average
    if rest <= 0:
        return
    note: dict[str, Any] = {
        "client_oid": first.client_oid,
        "order_id": first.order_id,
        "amount": first.amount,
        "filled": filled,
        "remainder": rest,
        "policy": policy.value,
    }
    entry.partial_fills.append(note)
    if policy is PartialFillPolicy.DROP:
        note["action"] = "dropped"
        logger.warning(
            "%s %s filled %g of %g; the rest (%g) is dropped",
            first.action,
            client_oid,
            filled,
            first.amount,
            rest,
        )
        return entry
    again = trader.open(intent.side, price, client_oid=f"{client_oid}r", amount=rest)
    entry.outcomes.append(again)
    note["resend_client_oid"] = again.client_oid
    note["action"] = "resent" if again.accepted else f"resend {again.status}"
    logger.warning(
        "%s %s filled %g of %g; the rest (%g) sent again as %s: %s",
        first.action,
        client_oid,
        filled,
        first.amount,
        rest,
        again.client_oid,
        again.status,
    )
    if again.accepted:
        more, more_avg, _ = _confirm(trader, again, read_fills)
        if more > 0:
            total = exact_sum((filled, more))
            entry.average = ((average or price) * filled + (more_avg or price) * more) / total
            entry.filled = total


def complete_close(
    trader: Trader,
    before: PositionState,
    first: OrderOutcome,
    read_fills: Callable[[], list[FillInfo]],
) -> tuple[OrderOutcome | None, dict[str, Any] | None]:
    """Make sure an accepted close of one leg closed all of it: ``(resend or None, partial-fill note)``.

    A close order that filled only in part (a thin book, or a venue that fills the rest later) is
    confirmed as an entry is: its rest is cancelled, then sent once more as a new close for exactly
    the unfilled amount (client id plus ``r``), never re-read from a position read that may be stale
    (selling what a stale read shows could open a short). Only a close that is one order of one leg is
    checked: a venue's close-position call, a close of several legs, or an order held for the next
    open is taken as it is (their fills and the next position read tell the rest).
    """
    leg = before.main
    if (
        not first.accepted
        or leg is None
        or before.hedged
        or not first.order_id
        or "," in first.order_id
        or first.extra.get("legs")
        or first.extra.get("via") == "close_position"
        or first.extra.get("queued")
    ):
        return None, None
    filled, _, rest = _confirm(trader, first, read_fills)
    if rest <= 0:
        return None, None
    note: dict[str, Any] = {
        "client_oid": first.client_oid,
        "order_id": first.order_id,
        "amount": first.amount,
        "filled": filled,
        "remainder": rest,
        "policy": "resend",
        "kind": "close",
    }
    left = PositionState(legs=(replace(leg, size=rest),))
    again = trader.close(left, client_oid=f"{first.client_oid}r")
    note["resend_client_oid"] = again.client_oid
    note["action"] = "resent" if again.accepted else f"resend {again.status}"
    logger.warning(
        "close %s filled %g of %g; the rest (%g) sent again as %s: %s",
        first.client_oid,
        filled,
        first.amount,
        rest,
        again.client_oid,
        again.status,
    )
    return again, note


def _place_brackets(
    trader: Trader,
    intent: Intent,
    entry: Entry,
    stop_loss: float | None,
    take_profit: float | None,
    client_oid: str,
) -> None:
    """Separate closing conditional orders for the filled entry; on a refusal, close the position."""
    assert intent.side is not None
    for kind, level, suffix in (("stop_loss", stop_loss, "sl"), ("take_profit", take_profit, "tp")):
        if level is None:
            continue
        leg = trader.place_bracket(kind, intent.side, level, client_oid=f"{client_oid}{suffix}")
        entry.outcomes.append(leg)
        if leg.accepted:
            entry.brackets = True
            continue
        logger.error(
            "the %s of %s could not be placed (%s, code %s): closing the position at once",
            kind,
            client_oid,
            leg.status,
            leg.code,
        )
        failure: dict[str, Any] = {"leg": kind, "status": leg.status, "code": leg.code, "reason": leg.reason}
        try:
            trader.cancel_brackets()
        except TransientVenueError as e:
            failure["cancel"] = f"failed: {e}"
        close = trader.close(PositionState.single(intent.side, entry.filled), client_oid=f"{client_oid}x")
        entry.outcomes.append(close)
        failure["closed"] = close.status
        entry.bracket_failure = failure
        entry.brackets = False
        if close.accepted:
            entry.filled = 0.0
        else:
            entry.unprotected = True
            logger.error("%s: the unprotected position could not be closed (%s)", client_oid, close.status)
        return


def _confirm(
    trader: Trader, outcome: OrderOutcome, read_fills: Callable[[], list[FillInfo]]
) -> tuple[float, float | None, float]:
    """``(filled, average price, unfilled rest cancelled)`` of an accepted market order.

    When the venue cannot be read now, the order is taken as filled (a market order fills; the
    position read after the bar will say otherwise if it did not).
    """
    amount = outcome.amount
    if outcome.order_id is None:  # found by client id without an id: nothing to match fills with
        return amount, None, 0.0
    if outcome.extra.get("queued"):
        # The market is closed and the venue holds the order for the next open (stocks): nothing has
        # filled yet, and what will (a dollar amount buys what the open price gives) is the fills'
        # and the position's business after the wait. It is never cancelled as a rest.
        return 0.0, None, 0.0
    try:
        fills = [f for f in read_fills() if f.order_id == outcome.order_id]
        filled = exact_sum(f.amount for f in fills)
        average = sum(f.price * f.amount for f in fills) / filled if filled > 0 else None
        if filled >= amount:
            outcome.filled = filled
            return filled, average, 0.0
        state = trader.order_state(outcome.order_id)
        if state.filled > filled:  # the fills lag behind the order
            filled, average = state.filled, state.average or average
        if filled < amount and state.working and not trader.cancel_order(outcome.order_id):
            state = trader.order_state(outcome.order_id)  # it finished meanwhile
            filled, average = max(filled, state.filled), state.average or average
    except TransientVenueError as e:
        logger.warning("could not confirm the fill of %s (%s): taking it as filled", outcome.client_oid, e)
        return amount, None, 0.0
    outcome.filled = filled
    if state.status == "closed":
        # Filled in full: nothing is missing, whatever the estimate (a notional order's amount is
        # its value over the last price; what a dollar amount buys is known only once it fills).
        return filled, average, 0.0
    rest = exact_sum((amount, -filled))
    return filled, average, max(rest, 0.0)
