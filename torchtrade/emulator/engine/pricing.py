"""Fill-price model: the synthetic top of book and slippage.

Simulation choices:

* The *last price* (and mark price) of a symbol is the close of its last closed base bar.
* The synthetic top of book sits around it: ``bid = floor_tick(last × (1 - spread/2))`` and
  ``ask = ceil_tick(last × (1 + spread/2))``; with ``spread_bps = 0`` both round to the last price.
* A taker buy fills at ``ceil_tick(ref × (1 + slippage))``, a taker sell at
  ``floor_tick(ref × (1 - slippage))``; ``ref`` is the ask/bid for orders placed now, and the trigger
  price (or the bar's open when the bar gapped through it) for trigger orders firing inside a bar.
* A resting limit order fills as maker at exactly its limit price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .instruments import Instrument
from .types import Side

_BPS = Decimal(10_000)
_TWO = Decimal(2)


@dataclass(frozen=True, slots=True)
class PriceModel:
    spread_bps: Decimal = Decimal(1)
    slippage_bps: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.spread_bps < 0:
            raise ValueError(f"spread_bps must be >= 0, got {self.spread_bps}")
        if self.slippage_bps < 0:
            raise ValueError(f"slippage_bps must be >= 0, got {self.slippage_bps}")

    def book(self, inst: Instrument, last: Decimal) -> tuple[Decimal, Decimal]:
        half = last * self.spread_bps / _BPS / _TWO
        return inst.floor_price(last - half), inst.ceil_price(last + half)

    def taker_price(
        self, inst: Instrument, side: Side, ref: Decimal, limit: Decimal | None = None
    ) -> Decimal:
        """A taker fill around ``ref``; with ``limit`` (a marketable limit order) never past it."""
        slip = ref * self.slippage_bps / _BPS
        if side is Side.BUY:
            price = inst.ceil_price(ref + slip)
            return price if limit is None else min(price, limit)
        price = inst.floor_price(ref - slip)
        return price if limit is None else max(price, limit)
