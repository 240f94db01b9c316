"""Enums, requests and knobs of spot accounts (Alpaca's US stocks and crypto), in Alpaca's terms.

Values are Alpaca's own wire strings (``alpaca.trading.enums``), so a wire maps them one to one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ..types import OrderSource, Side


class AssetClass(StrEnum):
    US_EQUITY = "us_equity"
    CRYPTO = "crypto"


class AccountKind(StrEnum):
    """A cash account trades its cash only; a margin account (Alpaca's default) borrows (Reg T)."""

    CASH = "cash"
    MARGIN = "margin"


class SpotOrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class SpotTimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    OPG = "opg"  # market/limit on open: executes at the next session's opening
    CLS = "cls"  # market/limit on close: executes at the session's close
    IOC = "ioc"
    FOK = "fok"


class OrderClass(StrEnum):
    SIMPLE = "simple"
    BRACKET = "bracket"  # entry + take-profit limit + stop-loss stop (or stop-limit)
    OTO = "oto"  # entry + one exit leg
    OCO = "oco"  # two exits of an existing position: take-profit limit (the parent) + stop-loss leg


class SpotOrderStatus(StrEnum):
    NEW = "new"  # working
    ACCEPTED = "accepted"  # received while its market is closed: waits for the session
    HELD = "held"  # an exit leg waiting for its entry to fill
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"  # a day (opg, cls) order its session ended before it filled
    REPLACED = "replaced"  # replaced by a new order (``replaced_by``)

    @property
    def is_open(self) -> bool:
        return self in _OPEN


_OPEN = frozenset(
    {SpotOrderStatus.NEW, SpotOrderStatus.ACCEPTED, SpotOrderStatus.HELD, SpotOrderStatus.PARTIALLY_FILLED}
)


class LegRole(StrEnum):
    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"


class OrderQueryStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotOrderQuery:
    """The filters of Alpaca's ``GET /v2/orders``.

    ``after_ms``/``until_ms`` bound the submission time (both exclusive); newest first unless
    ``ascending``; at most ``limit`` (None: all); ``nested`` leaves legs out (the wire shows them under
    their parent order).
    """

    status: OrderQueryStatus = OrderQueryStatus.OPEN
    limit: int | None = 50
    after_ms: int | None = None
    until_ms: int | None = None
    ascending: bool = False
    symbols: Iterable[str] | None = None
    side: Side | None = None
    nested: bool = False

    def __post_init__(self) -> None:
        if self.symbols is not None:
            object.__setattr__(self, "symbols", frozenset(self.symbols))


@dataclass(frozen=True, slots=True)
class TakeProfit:
    limit_price: Decimal


@dataclass(frozen=True, slots=True)
class StopLoss:
    stop_price: Decimal
    limit_price: Decimal | None = None  # None: a stop (market) leg; else a stop-limit leg


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotOrderRequest:
    """An order as Alpaca's ``POST /v2/orders`` takes it.

    Exactly one of ``qty`` and ``notional`` (a dollar amount: bought or sold as a fractional quantity
    computed at the fill, floored to the instrument's increment). ``limit_price`` for limit and
    stop-limit orders, ``stop_price`` for stop and stop-limit orders. ``take_profit``/``stop_loss``
    for the bracket, OTO and OCO classes (for OCO the order itself is the take-profit limit: its
    ``limit_price`` is ``take_profit.limit_price``). ``source`` says who sent it (``CLOSE``: the
    close-position verb). ``fill_ratio`` (fault injection, qty orders only): what executes at once
    fills this fraction (floored to the increment, at least one step), the rest at the open of the next
    bar (a market order) or when the price comes back (a limit).
    """

    symbol: str
    side: Side
    type: SpotOrderType = SpotOrderType.MARKET
    qty: Decimal | None = None
    notional: Decimal | None = None
    tif: SpotTimeInForce = SpotTimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    extended_hours: bool = False
    client_order_id: str | None = None
    order_class: OrderClass = OrderClass.SIMPLE
    take_profit: TakeProfit | None = None
    stop_loss: StopLoss | None = None
    source: OrderSource = OrderSource.API
    meta: Mapping[str, str] | None = None
    fill_ratio: Decimal | None = None  # fault injection only: fill this part now, the rest on a later bar


@dataclass(frozen=True, slots=True, kw_only=True)
class SpotConfig:
    """Knobs of spot accounts (defaults: Alpaca's documented rules).

    Attributes:
        account_kind: kind of a new account (Alpaca's default: margin).
        max_margin_multiplier: the account's ceiling (1, 2 or 4); the effective multiplier also
            depends on equity (below ``margin_min_equity``: 1; from ``pdt_min_equity``: 4).
        shorting_enabled: whether a margin account may sell short.
        market_buy_buffer: a market buy is checked against buying power at this much above the ask
            (Alpaca: "2.5% to 4% above the current market price").
        short_buffer: a short sale is valued at max(limit, this much above the ask) (Alpaca: 3%).
        margin_min_equity: a margin account below this equity has multiplier 1 and cannot short.
        pdt_min_equity: pattern-day-trader threshold: below it a margin account may make at most
            ``pdt_max_day_trades`` day trades in ``pdt_window`` sessions (Alpaca's PDT protection).
        initial_margin_rate: Reg T initial margin of marginable holdings (long and short).
        short_maintenance_rate: floor of a short holding's maintenance rate.
        client_oid_max_len: Alpaca's limit on client_order_id.
        quote: the cash currency.
    """

    account_kind: AccountKind = AccountKind.MARGIN
    max_margin_multiplier: int = 4
    shorting_enabled: bool = True
    market_buy_buffer: Decimal = Decimal("0.025")
    short_buffer: Decimal = Decimal("0.03")
    margin_min_equity: Decimal = Decimal(2000)
    pdt_min_equity: Decimal = Decimal(25000)
    pdt_max_day_trades: int = 3
    pdt_window: int = 5
    initial_margin_rate: Decimal = Decimal("0.5")
    short_maintenance_rate: Decimal = Decimal("0.3")
    client_oid_max_len: int = 128
    quote: str = "USD"

    def __post_init__(self) -> None:
        if self.max_margin_multiplier not in (1, 2, 4):
            raise ValueError(f"max_margin_multiplier must be 1, 2 or 4, got {self.max_margin_multiplier}")
        for name in ("market_buy_buffer", "short_buffer", "initial_margin_rate", "short_maintenance_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"SpotConfig.{name} must be in [0, 1], got {getattr(self, name)}")
