"""One log line per event of a live run that a person watching it wants to read.

Here, at INFO, each when the env learns of it: each new fill (when the env reads it), a change of
position (when a step, a reset or ``close_all_positions`` settles it), and the venue answering again
after an outage. The other events have their line where they happen: an order the venue accepted
(``order submitted``, INFO) or refused (WARNING, with the venue's code) where it is placed
(:mod:`torchtrade.envs.live.shared.placement`, and the futures trader's close-position call), a
reconciliation (WARNING or INFO in :mod:`.reconcile`), an outage (WARNING per retry round and ERROR
when it lasts, in :mod:`.outage`).

Nothing here can hold a secret: orders, fills and positions carry ids, prices and sizes, never keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .account import FillInfo, PositionState

logger = logging.getLogger(__name__)

#: reconciliation notes whose own line already says how the position changed (see :mod:`.reconcile`)
EXPLAINED_CHANGES = frozenset({"unexplained_change", "external_fill", "vanished", "gave_up"})


class EventLog:
    """Writes the event lines; remembers the position and the venue's state across steps, to tell a
    change."""

    def __init__(self) -> None:
        self._position: str | None = None  # the last position seen, described; None before the first
        self._shape: tuple[tuple[str, float], ...] = ()  # its legs (side, size): what describe() shows
        self._down = False  # the last info said the venue was unavailable

    def fills(self, fills: Iterable[FillInfo], symbol: str) -> None:
        for f in fills:
            logger.info(
                "filled: %s %g %s at %g, fee %g (order id %s)",
                f.side,
                f.amount,
                symbol,
                f.price,
                f.fee,
                f.order_id,
            )

    def finished(self, info: Mapping[str, Any], position: PositionState, symbol: str) -> None:
        """A step's (reset's, ``close_all_positions``') end: the position it settled, the venue's state."""
        shape = tuple((leg.side, leg.size) for leg in position.legs) if position.is_open else ()
        # The same legs describe the same way: describe again only what changed (once per step).
        now = self._position if shape == self._shape and self._position is not None else position.describe()
        self._shape = shape
        note = info.get("reconciliation") or {}
        if (
            self._position is not None
            and now != self._position
            and note.get("status") not in EXPLAINED_CHANGES
        ):
            at = f" at {position.entry_price:g}" if position.is_open and position.entry_price else ""
            logger.info("position changed: %s %s -> %s%s", symbol, self._position, now, at)
        self._position = now
        down = bool(info.get("venue_unavailable"))
        if self._down and not down:
            logger.info("the venue answers again: %s is observed and traded as usual", symbol)
        self._down = down
