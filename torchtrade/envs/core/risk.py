"""Risk limits of a live env: a drawdown stop, an order-rate limit, and the halt they share with the kill.

State only, no venue calls: the env asks before an entry (:meth:`RiskGuard.entry_refusal`), tells it
every order it sent (:meth:`RiskGuard.record_order`) and its portfolio value after every observed step
(:meth:`RiskGuard.check_drawdown`); what is done about a breach (flatten the symbol) is
:mod:`torchtrade.envs.core.kill`'s.

* ``max_drawdown``: a fraction of the *starting value*, the env's portfolio value when it was built.
  A value at or below ``start × (1 - max_drawdown)`` trips it, once: the env flattens the symbol and
  from then on refuses every entry (closes still go through). It stays tripped across resets, for the
  life of the env: a loss limit that re-armed itself at every episode would not limit the loss.
  With a journal, the starting value and a tripped stop survive a restart too (a process that crashes
  and restarts does not re-arm its own limit). :meth:`RiskGuard.rearm` re-arms it from a new starting
  value, on purpose.
* ``max_orders_per_minute``: orders the env itself sends (entries, bracket legs, closes, a partial
  fill's resend; never a cancel) in any 60 s of the *venue's* clock (a rolling window, so that a
  replay at 60× counts venue minutes, not wall ones). An entry that would go past it is refused
  client-side, with the whole entry counted: on a venue whose brackets are separate orders (Binance)
  an SLTP entry is three orders, and it is refused unless all three fit, so that an accepted entry is
  never left without its stop-loss. A close is never refused, and a partial fill's resend is not
  either (the entry it completes was let through): the count may pass the limit by those.
* ``kill()``: the same halt as a tripped drawdown, for good (see :mod:`torchtrade.envs.core.kill`).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from .account import OrderOutcome

logger = logging.getLogger(__name__)

WINDOW_MS = 60_000


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an entry was not sent (``info["risk"]``)."""

    reason: str  # "max_drawdown", "killed" or "max_orders_per_minute"
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"status": "entry_refused", "reason": self.reason, "detail": self.detail}


class RiskGuard:
    """The risk state of one env (see the module's docstring).

    Args:
        max_drawdown: fraction of the starting value (0 < x < 1), or None for no limit.
        max_orders_per_minute: orders per 60 s of venue time (>= 1), or None for no limit.
        start_value: the starting value (None: set by the first :meth:`rearm`).
        symbol: for log lines.
    """

    def __init__(
        self,
        max_drawdown: float | None = None,
        max_orders_per_minute: int | None = None,
        *,
        start_value: float | None = None,
        symbol: str = "",
    ) -> None:
        self.max_drawdown = max_drawdown
        self.max_orders_per_minute = max_orders_per_minute
        self.symbol = symbol
        self.start_value = start_value
        self.halted: str | None = None  # "max_drawdown" or "killed": entries are refused
        self.tripped_at: dict[str, Any] | None = None  # the drawdown breach, once it happened
        self.kill_complete = False  # a kill ended flat with no order left (a second one does nothing)
        self._sent: deque[int] = deque()  # venue ms of the orders sent in the last window

    # ------------------------------------------------------------------ drawdown

    def rearm(self, start_value: float) -> None:
        """Re-arm the drawdown stop from ``start_value`` (a kill is never undone)."""
        self.start_value = float(start_value)
        if self.halted == "max_drawdown":
            self.halted = None
        self.tripped_at = None

    @property
    def floor(self) -> float | None:
        """The portfolio value at or below which the drawdown stop trips (None: no limit)."""
        if self.max_drawdown is None or self.start_value is None:
            return None
        return self.start_value * (1.0 - self.max_drawdown)

    def check_drawdown(self, value: float) -> dict[str, Any] | None:
        """The breach, the first time ``value`` reaches the floor (logged at WARNING then); else None."""
        floor = self.floor
        if floor is None or self.tripped_at is not None or value > floor:
            return None
        drawdown = 1.0 - value / self.start_value if self.start_value else 0.0  # type: ignore[operator]
        self.tripped_at = {
            "status": "max_drawdown",
            "start_value": self.start_value,
            "value": value,
            "drawdown": drawdown,
            "max_drawdown": self.max_drawdown,
        }
        if self.halted is None:
            self.halted = "max_drawdown"
        logger.warning(
            "max_drawdown reached on %s: portfolio value %.2f is %.2f%% below the starting %.2f "
            "(limit %.2f%%): flattening, and no new entry from now on",
            self.symbol,
            value,
            100 * drawdown,
            self.start_value,
            100 * self.max_drawdown,  # type: ignore[operator]
        )
        return dict(self.tripped_at)

    def status(self) -> dict[str, Any]:
        """What ``info["risk"]`` says on every step of a halted env."""
        out: dict[str, Any] = {"status": "halted", "reason": self.halted}
        if self.tripped_at is not None:
            out["drawdown"] = dict(self.tripped_at)
        return out

    # ------------------------------------------------------------------ order rate

    def record_order(self, outcome: OrderOutcome, now_ms: int) -> None:
        """Count an order the env sent (not one a pre-send check refused, nor one with nothing to do)."""
        if outcome.status == "skipped" or outcome.code == "precheck":
            return
        self._sent.append(int(now_ms))

    def orders_in_window(self, now_ms: int) -> int:
        """Orders sent in the 60 s of venue time up to ``now_ms``."""
        while self._sent and self._sent[0] <= now_ms - WINDOW_MS:
            self._sent.popleft()
        return len(self._sent)

    # ------------------------------------------------------------------ entries

    def entry_refusal(self, now_ms: int, orders: int = 1) -> Refusal | None:
        """Why an entry of ``orders`` orders must not be sent now, or None when it may."""
        if self.halted == "killed":
            return Refusal("killed", "the env was killed: it opens nothing any more")
        if self.halted == "max_drawdown":
            return Refusal(
                "max_drawdown",
                f"max_drawdown={self.max_drawdown:g} was reached: the env opens nothing any more",
            )
        limit = self.max_orders_per_minute
        if limit is not None:
            sent = self.orders_in_window(now_ms)
            if sent + orders > limit:
                logger.info(
                    "entry on %s refused: %d order(s) sent in the last minute, %d more would pass "
                    "max_orders_per_minute=%d",
                    self.symbol,
                    sent,
                    orders,
                    limit,
                )
                return Refusal(
                    "max_orders_per_minute",
                    f"{sent} order(s) in the last minute of venue time; this entry needs {orders} "
                    f"and max_orders_per_minute={limit}",
                )
        return None


def orders_for_entry(trader: Any, bracketed: bool) -> int:
    """Orders an entry sends: one, plus a stop-loss and a take-profit where the venue holds them as
    separate orders (Binance) and the env's actions are bracketed."""
    separate = not getattr(trader, "attached_brackets", True) and not getattr(
        trader, "client_brackets", False
    )
    return 3 if bracketed and separate else 1
