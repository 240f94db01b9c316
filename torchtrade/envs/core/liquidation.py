"""Flatten one symbol on a venue: cancel every order and trigger, close every leg, check it worked.

Shared by :meth:`LiveTradingEnv.kill() <torchtrade.envs.core.env.LiveTradingEnv.kill>`, the
``max_drawdown`` stop and ``torchtrade flatten`` (which has no env, only a trader). The order of the
phases is deliberate:

1. cancel first: a bracket leg must not fire during the close (it would open the other way where legs
   are separate orders), and on Alpaca the legs hold the shares the close has to sell;
2. close every leg the venue reports, whatever its size (the trader's ``close``: a reduce-only order
   per leg, or the venue's close-position call);
3. cancel again (an order that landed meanwhile), then read the position and the open orders back.

A round that does not end flat and without orders is tried once more. A failing phase (the venue down
after its retries, a refusal) is recorded and the next phase still runs: a kill does what it can.
Nothing but torchtrade errors is caught, and none escapes: the result says what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import TorchTradeError
from .account import OrderOutcome, PositionState

logger = logging.getLogger(__name__)

ROUNDS = 2


@dataclass
class Liquidation:
    """What flattening a symbol did.

    Attributes:
        symbol: the market.
        cancelled: the orders and triggers that were open, as the venue listed them (id, type, book).
        closes: the close orders sent (one outcome per close call; legs inside it).
        flat: the venue's position read back was flat.
        orders_left: open orders and triggers the venue still listed at the end.
        errors: what failed, one line each (no secrets: torchtrade errors never carry them).
    """

    symbol: str
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    closes: list[OrderOutcome] = field(default_factory=list)
    flat: bool = False
    orders_left: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Flat, and no order or trigger left."""
        return self.flat and not self.orders_left

    def summary(self) -> str:
        closed = [o for o in self.closes if o.accepted]
        state = "flat, no open orders" if self.complete else "NOT flat" if not self.flat else "orders left"
        text = (
            f"{self.symbol}: {state}; cancelled {len(self.cancelled)} order(s), sent {len(closed)} close(s)"
        )
        if self.errors:
            text += f"; {len(self.errors)} error(s)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "complete": self.complete,
            "flat": self.flat,
            "cancelled": len(self.cancelled),
            "closes": [o.as_dict() for o in self.closes],
            "orders_left": len(self.orders_left),
            "errors": list(self.errors),
        }


def _attempt(result: Liquidation, what: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except TorchTradeError as e:
        line = f"{what}: {type(e).__name__}: {e}"
        logger.error("flattening %s: %s", result.symbol, line)
        result.errors.append(line)
        return None


def _describe_close(outcome: OrderOutcome, position: PositionState) -> str:
    legs = ", ".join(f"{leg.side} {leg.size:g}" for leg in position.legs if leg.size > 0)
    text = f"close {legs}: {outcome.status}"
    if outcome.order_id:
        text += f" (order {outcome.order_id})"
    if outcome.reason:
        text += f" ({outcome.reason})"
    return text


def liquidate(
    trader: Any,
    *,
    client_oid: Callable[[int], str],
    report: Callable[[str], None] | None = None,
) -> Liquidation:
    """Cancel every order and trigger of ``trader.symbol`` and close every leg (see the module's doc).

    Args:
        trader: a venue trader with ``cancel_all()``, ``open_orders()``, ``position()`` and
            ``close(position, client_oid=...)``.
        client_oid: the client order id of round ``n``'s close (1, 2...).
        report: called with one line per action (the CLI prints them; default: log at INFO).
    """
    say = report or (lambda line: logger.info("flattening %s: %s", trader.symbol, line))
    result = Liquidation(symbol=trader.symbol)
    for round_ in range(1, ROUNDS + 1):
        cancelled = _attempt(result, "cancel open orders", trader.cancel_all) or []
        result.cancelled.extend(cancelled)
        if cancelled:
            say(f"cancelled {len(cancelled)} open order(s): {', '.join(_order_names(cancelled))}")
        position = _attempt(result, "read the position", trader.position)
        if position is not None and position.is_open:
            oid = client_oid(round_)
            outcome = _attempt(result, "close", lambda p=position, o=oid: trader.close(p, client_oid=o))
            if outcome is not None:
                result.closes.append(outcome)
                say(_describe_close(outcome, position))
            more = _attempt(result, "cancel open orders", trader.cancel_all) or []
            result.cancelled.extend(more)
            if more:
                say(f"cancelled {len(more)} order(s) left after the close: {', '.join(_order_names(more))}")
        after = _attempt(result, "read the position", trader.position)
        left = _attempt(result, "list open orders", trader.open_orders)
        result.flat = after is not None and not after.is_open
        result.orders_left = list(left) if left is not None else [{"id": "?", "why": "could not list"}]
        if result.complete:
            break
        if round_ < ROUNDS:
            say("not flat yet: trying once more")
    say(result.summary())
    return result


def _order_names(orders: list[dict[str, Any]]) -> list[str]:
    return [f"{o.get('type') or 'order'} {o.get('id')}" for o in orders]
