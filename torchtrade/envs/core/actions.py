"""Action schemes: what an action index means, given the position held.

Standard: ``{0: short, 1: hold, 2: long}``. From flat, short/long opens; against an open position it
closes it (it does not flip); the same side as held is a hold.

Long only (a spot market without shorts): ``{0: close, 1: hold, 2: long}``.

SLTP: ``HOLD`` (if included) + long × (SL, TP) [+ short × (SL, TP)]. From flat, an entry action opens a
position whose stop-loss and take-profit are placed on the venue with the order; while a position is
open every action is a hold: the brackets decide the exit (the venue closes the position).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from .account import PositionState


@dataclass(frozen=True, slots=True)
class Intent:
    """What to do at this step. ``kind``: hold, open (with ``side`` and optional bracket), or close."""

    kind: Literal["hold", "open", "close"]
    side: Literal["long", "short"] | None = None
    stop_loss: float | None = None  # relative level, e.g. -0.025 (2.5 % against the position)
    take_profit: float | None = None  # relative level, e.g. 0.05


HOLD = Intent("hold")


class StandardActions:
    """Three actions: short, hold, long."""

    n = 3
    action_map: ClassVar[dict[int, str]] = {0: "short", 1: "hold", 2: "long"}

    def decide(self, action: int, position: PositionState) -> Intent:
        wanted = {0: "short", 1: None, 2: "long"}[action]
        if wanted is None:
            return HOLD
        if not position.is_open:
            return Intent("open", side=wanted)  # type: ignore[arg-type]
        if position.side == wanted:
            return HOLD
        return Intent("close")


class LongOnlyActions:
    """Three actions for a market without shorts (crypto spot): close, hold, long.

    Same indices as :class:`StandardActions`, so a policy's outputs keep their meaning: 2 buys from
    flat, 0 sells what is held (from flat there is nothing to sell: a hold), 1 holds. The action map
    says ``"close"`` where the standard one says ``"short"``.
    """

    n = 3
    action_map: ClassVar[dict[int, str]] = {0: "close", 1: "hold", 2: "long"}

    def decide(self, action: int, position: PositionState) -> Intent:
        if action == 2:
            return HOLD if position.is_open else Intent("open", side="long")
        if action == 0 and position.is_open:
            return Intent("close")
        return HOLD


class SLTPActions:
    """HOLD + one action per (side, stop-loss, take-profit) combination."""

    def __init__(
        self,
        stoploss_levels: Sequence[float],
        takeprofit_levels: Sequence[float],
        *,
        include_short_positions: bool = True,
        include_hold_action: bool = True,
    ) -> None:
        sides = ["long", "short"] if include_short_positions else ["long"]
        entries = [
            (side, sl, tp)
            for side in sides
            for sl, tp in itertools.product(stoploss_levels, takeprofit_levels)
        ]
        table: list[tuple[str | None, float | None, float | None]] = (
            [(None, None, None)] if include_hold_action else []
        )
        table += entries
        self._table = table
        self.n = len(table)
        #: {index: (side, sl, tp)}; the hold action is ``(None, None, None)``
        self.action_map: dict[int, tuple[str | None, float | None, float | None]] = dict(enumerate(table))

    def decide(self, action: int, position: PositionState) -> Intent:
        side, sl, tp = self._table[action]
        if side is None or position.is_open:
            return HOLD
        return Intent("open", side=side, stop_loss=sl, take_profit=tp)  # type: ignore[arg-type]
