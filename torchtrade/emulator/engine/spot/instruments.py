"""Spot instruments: a US stock or a crypto pair, with the sizes and flags Alpaca's assets carry.

Simulation choices (Alpaca's documented rules):

* Stock prices: $0.01 increments at or above $1, $0.0001 below ("sub-penny" prices are refused).
* Stock quantities: whole shares, or up to 9 decimals when the asset is fractionable; fractional and
  notional orders must be worth at least ``min_notional`` ($1).
* Crypto: quantities in steps of ``min_trade_increment`` with at least ``min_order_size``, prices in
  steps of ``price_increment``; no margin, no shorting; maker/taker fees (tier 1: 0.15% / 0.25%).
* Each instrument trades when its :class:`~..hours.MarketHours` says so (crypto: always).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..hours import ALWAYS_OPEN, MarketHours
from .types import AssetClass

CENT = Decimal("0.01")
SUB_PENNY = Decimal("0.0001")
NANO = Decimal("1e-9")  # Alpaca: quantities and notionals "can take up to 9 decimal points"
ONE = Decimal(1)
CRYPTO_MAKER_FEE = Decimal("0.0015")
CRYPTO_TAKER_FEE = Decimal("0.0025")


def _quantize(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return (value / step).to_integral_value(rounding=rounding) * step


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotInstrument:
    """A spot market as Alpaca lists it (``GET /v2/assets``).

    Attributes:
        symbol: Alpaca's symbol (``"AAPL"``, ``"BTC/USD"``).
        asset_class: ``us_equity`` or ``crypto``.
        fractionable / shortable / easy_to_borrow / marginable: the asset's flags. Alpaca only
            shorts easy-to-borrow assets.
        min_order_size / min_trade_increment / price_increment: crypto sizes (None for stocks,
            whose increments follow the rules above).
        min_notional: the smallest fractional or notional stock order, in dollars.
        maker_fee / taker_fee: fee rates on the fill value (stocks: Alpaca charges no commission).
        maintenance_margin_requirement: maintenance rate of a long holding (Alpaca's asset field,
            as a fraction: 0.3 for 30%); non-marginable holdings need 100%.
        hours: when it trades (inject the exchange's calendar for stocks).
    """

    symbol: str
    asset_class: AssetClass
    base: str
    quote: str = "USD"
    fractionable: bool = True
    shortable: bool = True
    easy_to_borrow: bool = True
    marginable: bool = True
    min_order_size: Decimal | None = None
    min_trade_increment: Decimal | None = None
    price_increment: Decimal | None = None
    min_notional: Decimal = ONE
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    maintenance_margin_requirement: Decimal = Decimal("0.3")
    max_qty: Decimal = Decimal(10) ** 9
    hours: MarketHours = field(default=ALWAYS_OPEN, compare=False)

    def __post_init__(self) -> None:
        for name in ("min_order_size", "min_trade_increment", "price_increment"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"SpotInstrument.{name} must be > 0, got {value}")
        if not 0 <= self.maintenance_margin_requirement <= 1:
            raise ValueError("SpotInstrument.maintenance_margin_requirement must be in [0, 1]")

    @classmethod
    def stock(cls, symbol: str, *, hours: MarketHours, **flags: object) -> SpotInstrument:
        """A US stock with Alpaca's defaults (fractionable, shortable, easy to borrow, marginable)."""
        return cls(symbol=symbol, asset_class=AssetClass.US_EQUITY, base=symbol, hours=hours, **flags)  # type: ignore[arg-type]

    @classmethod
    def crypto(
        cls,
        symbol: str,
        *,
        min_order_size: Decimal,
        min_trade_increment: Decimal,
        price_increment: Decimal,
        **flags: object,
    ) -> SpotInstrument:
        """A crypto pair ``BASE/QUOTE``: not shortable, not marginable, tier-1 fees, always open."""
        base, _, quote = symbol.partition("/")
        spec: dict[str, object] = {
            "shortable": False,
            "easy_to_borrow": False,
            "marginable": False,
            "maker_fee": CRYPTO_MAKER_FEE,
            "taker_fee": CRYPTO_TAKER_FEE,
            "maintenance_margin_requirement": ONE,
            "min_notional": Decimal(0),
        }
        spec.update(flags)
        return cls(
            symbol=symbol,
            asset_class=AssetClass.CRYPTO,
            base=base,
            quote=quote or "USD",
            min_order_size=min_order_size,
            min_trade_increment=min_trade_increment,
            price_increment=price_increment,
            **spec,  # type: ignore[arg-type]
        )

    @property
    def is_crypto(self) -> bool:
        return self.asset_class is AssetClass.CRYPTO

    @property
    def max_leverage(self) -> int:
        """1: a spot order has no leverage setting (a margin account's multiplier is the account's)."""
        return 1

    @property
    def settle(self) -> str:
        """The cash coin (``quote``), under the name the futures instruments use."""
        return self.quote

    @property
    def qty_increment(self) -> Decimal:
        if self.is_crypto:
            return self.min_trade_increment or NANO
        return NANO if self.fractionable else ONE

    def tick(self, price: Decimal) -> Decimal:
        """The price increment at ``price``."""
        if self.is_crypto:
            return self.price_increment or CENT
        return CENT if price >= 1 else SUB_PENNY

    def floor_price(self, price: Decimal) -> Decimal:
        return _quantize(price, self.tick(price), ROUND_FLOOR)

    def ceil_price(self, price: Decimal) -> Decimal:
        return _quantize(price, self.tick(price), ROUND_CEILING)

    def is_price_on_tick(self, price: Decimal) -> bool:
        return price % self.tick(price) == 0

    def floor_qty(self, qty: Decimal) -> Decimal:
        return _quantize(qty, self.qty_increment, ROUND_FLOOR)

    def is_qty_on_step(self, qty: Decimal) -> bool:
        return qty % self.qty_increment == 0
