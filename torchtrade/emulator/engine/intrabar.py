"""Which resting orders and triggers a replayed bar fires, and in which order.

A bar only tells us open, high, low and close; the path between them is unknown. The engine assumes
the path ``open → low → high → close`` or ``open → high → low → close`` and orders the events of a
bar along it:

* Anything the bar's *open* already crossed (a gap) fires first, at the open.
* Then the events on the first leg, nearest the open first, then those on the second leg.
* The path is chosen *against the trader*: when the account's book in the symbol is net long, the low
  comes first; net short, the high first. With no exposure (or a hedged one) the bar's own direction
  decides: a rising bar (close >= open) is taken as ``open → low → high → close``.
* On top of the path, for each position: when its stop-loss and its take-profit both fall inside one
  bar, the stop-loss fills and the take-profit does not (the adverse one first). We cannot know which
  came first, and assuming the worst keeps backtests honest.
* Triggers and orders created while a bar is processed (a position opened mid-bar and its preset
  TP/SL, a plan order's child order) are only evaluated from the next bar on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

from .types import Direction


class EventType(IntEnum):
    """Tie-break at the same price: the trader's own orders before the venue's liquidation."""

    PENDING = 0  # remainder of a partially filled market order: fills at the bar's open
    LIMIT = 1
    TRIGGER = 2
    LIQUIDATION = 3


@dataclass(slots=True)
class BarEvent:
    key: tuple[int, Decimal, int, int]
    type: EventType
    target: Any
    price: Decimal  # reference price of the fill (trigger/limit/liquidation price, or the open on a gap)


class BarPath:
    """Positions along one bar's assumed path, to sort events."""

    __slots__ = ("fall_leg", "high", "low", "open", "rise_leg")

    def __init__(self, open_: Decimal, high: Decimal, low: Decimal, low_first: bool) -> None:
        self.open = open_
        self.high = high
        self.low = low
        self.fall_leg = 1 if low_first else 2
        self.rise_leg = 2 if low_first else 1

    def crossing(
        self, direction: Direction, level: Decimal, *, strict: bool = False
    ) -> tuple[tuple[int, Decimal], Decimal] | None:
        """Where the path first reaches ``level`` moving in ``direction``.

        Returns ``(sort key, reference price)`` or None if the bar never gets there. ``strict`` asks for
        trading *through* the level (limit orders), not just touching it (triggers).
        """
        if direction is Direction.RISE:
            at_open = self.open > level if strict else self.open >= level
            if at_open:
                return (0, Decimal(0)), self.open
            reached = self.high > level if strict else self.high >= level
            if reached:
                return (self.rise_leg, level), level
            return None
        at_open = self.open < level if strict else self.open <= level
        if at_open:
            return (0, Decimal(0)), self.open
        reached = self.low < level if strict else self.low <= level
        if reached:
            return (self.fall_leg, -level), level
        return None
