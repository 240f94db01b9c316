"""One log line per event of a live run that a person watching it wants to read.

Read from a step's ``info`` when the env finishes it (and after a reset or ``close_all_positions``), at
INFO: an order the venue accepted (``order submitted``), each fill, a change of position, and the
venue answering again after an outage. The other events already have their line where they happen,
and are not repeated here: a refused order (WARNING with the venue's code, where it is placed:
:mod:`torchtrade.envs.live.shared.placement` and the traders), a reconciliation (WARNING or INFO in
:mod:`.reconcile`), an outage (WARNING per retry round and ERROR when it lasts, in :mod:`.outage`).

Nothing here can hold a secret: an ``info`` carries ids, prices and sizes, never keys.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .account import PositionState

logger = logging.getLogger(__name__)

#: reconciliation notes whose own line already says how the position changed (see :mod:`.reconcile`)
EXPLAINED_CHANGES = frozenset({"unexplained_change", "external_fill", "vanished", "gave_up"})


class EventLog:
    """Turns each finished ``info`` into its event lines; remembers the position and the venue's state
    across steps, to tell a change."""

    def __init__(self) -> None:
        self._position: str | None = None  # the last position seen, described; None before the first
        self._down = False  # the last info said the venue was unavailable

    def record(self, info: Mapping[str, Any], position: PositionState, symbol: str) -> None:
        for order in info.get("orders", ()):
            if order.get("status") == "accepted":
                logger.info(
                    "order submitted: %s %g %s (client id %s, order id %s)",
                    order.get("action"),
                    float(order.get("amount") or 0.0),
                    symbol,
                    order.get("client_oid"),
                    order.get("order_id", "-"),
                )
        for fill in info.get("fills", ()):
            logger.info(
                "filled: %s %g %s at %g, fee %g (order id %s)",
                fill["side"],
                fill["amount"],
                symbol,
                fill["price"],
                fill["fee"],
                fill["order_id"],
            )
        now = position.describe()
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
