"""Mutable state of spot accounts: holdings, orders and what the account remembers of past days.

Owned by the engine; the wire and the control routes read them, every change goes through an
:class:`~..core.Engine` verb and is written to the ledger.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from ..models import Fill
from ..types import OrderSource, PositionSide, Side
from .types import (
    AccountKind,
    AssetClass,
    LegRole,
    OrderClass,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
)

ZERO = Decimal(0)


@dataclass(slots=True, kw_only=True)
class SpotOrder:
    """An Alpaca order. Timestamps are epoch ms (None: not happened).

    ``active_ms`` is the first instant the order may execute (a market order sent while the market is
    closed waits for the next open); ``expires_ms`` the instant a day/opg/cls order stops (None: gtc).
    ``reserved`` is the buying power the open order holds (an opening buy or short sale).
    """

    id: str
    client_order_id: str
    account: str
    symbol: str
    asset_class: AssetClass
    side: Side
    type: SpotOrderType
    tif: SpotTimeInForce
    order_class: OrderClass
    qty: Decimal | None  # None for a notional order until it fills
    notional: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None
    extended_hours: bool
    status: SpotOrderStatus
    created_ms: int
    updated_ms: int
    active_ms: int
    expires_ms: int | None
    source: OrderSource = OrderSource.API
    filled_qty: Decimal = ZERO
    filled_value: Decimal = ZERO
    fee: Decimal = ZERO  # in fee_coin of its fills (crypto buys: the base asset)
    filled_ms: int | None = None
    canceled_ms: int | None = None
    expired_ms: int | None = None
    replaced_ms: int | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    parent_id: str | None = None
    legs: list[str] = field(default_factory=list)
    role: LegRole | None = None
    stop_triggered: bool = False  # a stop-limit whose stop fired: it now works as a limit order
    reserved: Decimal = ZERO
    cancel_reason: str = ""
    day_trade: bool = False  # its fill closed shares opened the same session
    fill_ratio: Decimal | None = None  # fault injection: its first fill takes only this part
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def remaining_qty(self) -> Decimal | None:
        return None if self.qty is None else self.qty - self.filled_qty

    @property
    def avg_price(self) -> Decimal | None:
        return None if self.filled_qty == 0 else self.filled_value / self.filled_qty

    @property
    def works_as_limit(self) -> bool:
        return self.type is SpotOrderType.LIMIT or (
            self.type is SpotOrderType.STOP_LIMIT and self.stop_triggered
        )


@dataclass(slots=True, kw_only=True)
class Holding:
    """A position: ``qty`` signed (negative: short), at ``avg_entry_price``."""

    account: str
    symbol: str
    asset_class: AssetClass
    qty: Decimal = ZERO
    avg_entry_price: Decimal = ZERO
    realized_pl: Decimal = ZERO
    opened_ms: int = 0
    updated_ms: int = 0
    id: str = ""

    @property
    def side(self) -> PositionSide:
        return PositionSide.LONG if self.qty >= 0 else PositionSide.SHORT

    @property
    def cost_basis(self) -> Decimal:
        return self.qty * self.avg_entry_price


@dataclass(slots=True, kw_only=True)
class SpotAccount:
    """A cash or margin account in dollars.

    Accounting identity (exact): ``cash == deposits + Σ sells - Σ buys - fees paid in cash``; equity
    is ``cash + Σ qty × price`` (short holdings count negative).
    """

    id: str
    kind: AccountKind
    max_multiplier: int
    shorting_enabled: bool
    created_ms: int
    orders_suspended: bool = False  # every new order refused (Alpaca's ``suspend_trade``)
    cash: Decimal = ZERO
    deposits: Decimal = ZERO
    fees_cash: Decimal = ZERO  # fees paid in dollars
    realized_pl: Decimal = ZERO
    positions: dict[str, Holding] = field(default_factory=dict)
    orders: dict[str, SpotOrder] = field(default_factory=dict)  # every order ever placed, by id
    working: dict[str, SpotOrder] = field(default_factory=dict)  # open orders (held legs included)
    client_oids: dict[str, str] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    closed_positions: list[Holding] = field(default_factory=list)
    # Yesterday, as Alpaca reports it: equity and maintenance margin at the last session close.
    last_equity: Decimal = ZERO
    last_maintenance_margin: Decimal = ZERO
    # Pattern-day-trader bookkeeping: the session each day trade happened in, and per symbol the
    # quantity opened in the current session (what a closing trade today would make a day trade).
    day_trades: list[datetime.date] = field(default_factory=list)
    opened_today: dict[str, Decimal] = field(default_factory=dict)
    today: datetime.date | None = None

    def holding(self, symbol: str) -> Holding | None:
        pos = self.positions.get(symbol)
        return pos if pos is not None and pos.qty != 0 else None

    def position_qty(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.qty if pos is not None else ZERO

    def busy_in(self, symbol: str) -> bool:
        return any(o.symbol == symbol for o in self.working.values())
