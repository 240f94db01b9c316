"""Alpaca's facts, as data: what differs between its stocks and its crypto, and from the futures venues.

Sources: Alpaca's trading API docs (orders, fractional trading, crypto spot trading, extended hours,
user protections) at https://docs.alpaca.markets/docs/.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

KEY_ENV = ("ALPACA_API_KEY", "ALPACA_SECRET_KEY", None)

#: bars per data request (the v2 stock and v1beta3 crypto bars endpoints answer at most 10,000)
BARS_PAGE_LIMIT = 10_000

#: Order statuses in ccxt's three words (what :class:`~torchtrade.envs.core.account.OrderState` says).
#: ``done_for_day``, ``stopped`` and ``suspended`` are final for the env: nothing more fills today.
_WORKING = {
    "new",
    "accepted",
    "pending_new",
    "partially_filled",
    "accepted_for_bidding",
    "pending_replace",
    "pending_cancel",
    "calculated",
    "held",
}
_FILLED = {"filled"}

#: statuses of an order Alpaca has taken but not routed yet: outside a session, a market order
#: waits in them for the next open
QUEUED = {"new", "accepted", "pending_new", "accepted_for_bidding"}


def ccxt_status(status: Any) -> str:
    """An Alpaca order status (enum or string) as ``open``, ``closed`` (filled) or ``canceled``."""
    value = str(getattr(status, "value", status)).lower()
    if value in _WORKING:
        return "open"
    if value in _FILLED:
        return "closed"
    return "canceled"


@dataclass(frozen=True, slots=True)
class AssetFacts:
    """What the env needs to know of the traded asset (``GET /v2/assets/{symbol}``, once).

    Attributes:
        symbol: as the data API and orders spell it (``"AAPL"``, ``"BTC/USD"``).
        crypto: a crypto pair (24/7, long only, TIF gtc/ioc, no brackets, fees).
        fractionable: fractional quantities and notional orders are accepted.
        shortable / easy_to_borrow: Alpaca sells it short (only easy-to-borrow stocks).
        min_order_size: the smallest quantity (crypto), in coins.
        qty_increment: the quantity step: whole shares, 1e-9 for fractional shares, the pair's
            ``min_trade_increment`` for crypto.
        price_increment: the price step of limit and stop prices (None: by price, see :meth:`tick`).
    """

    symbol: str
    crypto: bool
    fractionable: bool
    shortable: bool
    easy_to_borrow: bool
    min_order_size: Decimal | None
    qty_increment: Decimal
    price_increment: Decimal | None

    @classmethod
    def of(cls, asset: Any) -> AssetFacts:
        crypto = str(getattr(asset.asset_class, "value", asset.asset_class)).lower() == "crypto"
        fractionable = bool(asset.fractionable) or crypto
        increment = _decimal(asset.min_trade_increment)
        if increment is None:
            increment = FRACTIONAL_QTY_STEP if fractionable else Decimal(1)
        return cls(
            symbol=str(asset.symbol),
            crypto=crypto,
            fractionable=fractionable,
            shortable=bool(asset.shortable) and not crypto,
            easy_to_borrow=bool(asset.easy_to_borrow) and not crypto,
            min_order_size=_decimal(asset.min_order_size),
            qty_increment=increment,
            price_increment=_decimal(asset.price_increment),
        )

    @property
    def position_symbol(self) -> str:
        """How the positions endpoint names it: crypto without its slash (``BTCUSD``), in a URL path."""
        return self.symbol.replace("/", "")

    def tick(self, price: float) -> Decimal:
        """The price step: the asset's, else a cent at $1 and above and $0.0001 below (Reg NMS 612)."""
        if self.price_increment is not None:
            return self.price_increment
        return Decimal("0.01") if price >= 1 else Decimal("0.0001")

    def round_qty(self, qty: float | Decimal, *, whole: bool = False) -> Decimal:
        """``qty`` rounded down to the quantity step (whole shares when ``whole``)."""
        step = Decimal(1) if whole else self.qty_increment
        return (Decimal(repr(float(qty))) / step).to_integral_value(ROUND_DOWN) * step

    def round_price(self, price: float) -> Decimal:
        step = self.tick(price)
        return (Decimal(repr(float(price))) / step).to_integral_value() * step


#: fractional shares: quantities to 9 decimals
FRACTIONAL_QTY_STEP = Decimal("0.000000001")
#: notional orders: whole cents
NOTIONAL_STEP = Decimal("0.01")
#: the smallest notional (and fractional) stock order Alpaca takes, in USD
MIN_STOCK_NOTIONAL = Decimal("1")
#: room left when sizing against the free balance: the price may move between the last close and
#: the fill (Alpaca checks buying power at the quote), and crypto pays its fee (up to 0.25 % taker)
STOCK_BUFFER = 0.002
CRYPTO_BUFFER = 0.005
#: Alpaca's crypto taker fee at its first volume tier: a market order pays it on the fill's value
#: (a buy in the coin bought, a sell in dollars). Orders do not report it; the env's own ledger
#: counts it at this rate (stocks pay no commission).
CRYPTO_TAKER_FEE = Decimal("0.0025")
#: how far a crypto position read may be below what the env's fills say (the fee taken in kind)
CRYPTO_SIZE_SLACK = 0.01


def round_notional(value: float) -> Decimal:
    return (Decimal(repr(float(value))) / NOTIONAL_STEP).to_integral_value(ROUND_DOWN) * NOTIONAL_STEP


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return None
    return d if d > 0 else None
