"""Instrument specifications: what a venue's market-info endpoint describes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache


@lru_cache(maxsize=1024)
def _places(step: Decimal) -> int:
    """Decimals of a tick or lot size (cached: read for every number a position view writes)."""
    return max(0, -step.normalize().as_tuple().exponent)


def _quantize(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return (value / step).to_integral_value(rounding=rounding) * step


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """A linear perpetual contract (quantities in base coin, margin and PnL in the settle coin).

    Attributes:
        symbol: the venue-neutral id, e.g. ``"BTCUSDT"``.
        tick_size: price step; prices of orders must be a multiple of it.
        lot_size: quantity step; quantities must be a multiple of it.
        min_qty: smallest order quantity.
        min_notional: smallest order value (qty × price) in the quote coin.
        max_leverage: leverage accepted by set-leverage is 1..max_leverage.
        maker_fee / taker_fee: fee rates on the fill value.
        mmr: maintenance margin rate (one tier: real venues use tiers by position size).
        funding_interval_h: hours between funding settlements, aligned to 00:00 UTC.
    """

    symbol: str
    base: str
    quote: str
    settle: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    min_notional: Decimal
    max_leverage: int
    maker_fee: Decimal
    taker_fee: Decimal
    mmr: Decimal
    funding_interval_h: int = 8
    max_qty: Decimal = Decimal("1000000")

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size", "min_qty", "max_qty"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Instrument.{name} must be > 0, got {getattr(self, name)}")
        if self.max_leverage < 1:
            raise ValueError(f"Instrument.max_leverage must be >= 1, got {self.max_leverage}")
        if not 0 <= self.mmr < 1:
            raise ValueError(f"Instrument.mmr must be in [0, 1), got {self.mmr}")

    @property
    def price_decimals(self) -> int:
        return _places(self.tick_size)

    @property
    def qty_decimals(self) -> int:
        return _places(self.lot_size)

    def floor_price(self, price: Decimal) -> Decimal:
        return _quantize(price, self.tick_size, ROUND_FLOOR)

    def ceil_price(self, price: Decimal) -> Decimal:
        return _quantize(price, self.tick_size, ROUND_CEILING)

    def floor_qty(self, qty: Decimal) -> Decimal:
        return _quantize(qty, self.lot_size, ROUND_FLOOR)

    def is_price_on_tick(self, price: Decimal) -> bool:
        return (price % self.tick_size) == 0

    def is_qty_on_lot(self, qty: Decimal) -> bool:
        return (qty % self.lot_size) == 0
