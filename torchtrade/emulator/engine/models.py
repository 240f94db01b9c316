"""Mutable engine state: accounts, positions, orders, trigger orders and fills.

These objects belong to the engine. Readers outside it (the venue wire, the control routes) treat
them as read-only snapshots; every change goes through an :class:`~.core.Engine` verb, which also
writes it to the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .types import (
    Direction,
    MarginMode,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    TriggerKind,
    TriggerStatus,
)

ZERO = Decimal(0)


@dataclass(slots=True, kw_only=True)
class Order:
    id: str
    client_oid: str
    account: str
    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    price: Decimal | None
    tif: TimeInForce
    pos_side: PositionSide | None  # hedge mode; None in one-way mode
    reduce_only: bool
    margin_mode: MarginMode
    leverage: int
    source: OrderSource
    created_ms: int
    updated_ms: int
    status: OrderStatus = OrderStatus.LIVE
    filled_qty: Decimal = ZERO
    filled_value: Decimal = ZERO  # sum(price × qty) over fills, for the average price
    fee: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit_limit: Decimal | None = None
    stop_loss_limit: Decimal | None = None
    frozen_margin: Decimal = ZERO  # margin reserved while the order rests
    trigger_id: str | None = None  # the trigger order that placed it
    # What the fill did to the position, for venues that report it ("open"/"close" legs).
    opened_qty: Decimal = ZERO
    closed_qty: Decimal = ZERO
    cancel_reason: str = ""  # why a canceled order was canceled ("user", "ioc_not_marketable", ...)
    meta: dict[str, str] = field(default_factory=dict)  # venue labels, never read by the engine

    @property
    def remaining_qty(self) -> Decimal:
        return self.qty - self.filled_qty

    @property
    def avg_price(self) -> Decimal | None:
        if self.filled_qty == 0:
            return None
        return self.filled_value / self.filled_qty


@dataclass(slots=True, kw_only=True)
class TriggerOrder:
    id: str
    client_oid: str
    account: str
    symbol: str
    kind: TriggerKind
    trigger_price: Decimal
    direction: Direction
    side: Side  # side of the order placed when it fires
    qty: Decimal | None  # None: the whole position (POS_* kinds)
    execute_price: Decimal | None  # None: market on trigger
    pos_side: PositionSide | None  # the position it protects (or opens, for PLAN in hedge mode)
    reduce_only: bool
    margin_mode: MarginMode
    created_ms: int
    updated_ms: int
    status: TriggerStatus = TriggerStatus.LIVE
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    order_id: str | None = None  # the order it placed when fired
    fail_reason: str | None = None
    parent_order_id: str | None = None  # the order whose preset TP/SL created it
    hedge: bool = False  # placed while the account was in hedge mode
    close_all: bool = False  # PLAN: closes the whole position in its direction when it fires
    meta: dict[str, str] = field(default_factory=dict)  # venue labels, never read by the engine


@dataclass(slots=True, kw_only=True)
class Fill:
    id: str
    order_id: str
    client_oid: str
    account: str
    symbol: str
    side: Side
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_coin: str
    maker: bool
    realized_pnl: Decimal
    pos_side: PositionSide
    opened_qty: Decimal  # part of the fill that opened or increased a position
    closed_qty: Decimal  # part of the fill that reduced a position
    source: OrderSource
    t_ms: int


@dataclass(slots=True, kw_only=True)
class Bill:
    """One change of an account's wallet: ``amount`` (PnL, funding, deposit) plus ``-fee``.

    ``kind`` is one of ``deposit``, ``open``, ``close``, ``funding``, ``liquidation``; the wallet after
    the change is ``balance``. Summing ``amount - fee`` over an account's bills gives its wallet.
    """

    id: str
    account: str
    coin: str
    kind: str
    amount: Decimal
    fee: Decimal
    balance: Decimal
    t_ms: int
    symbol: str = ""
    pos_side: PositionSide | None = None
    fill_id: str = ""  # the fill whose PnL and fee this bill books ("" for deposits and funding)


@dataclass(slots=True, kw_only=True)
class Position:
    account: str
    symbol: str
    side: PositionSide
    margin_mode: MarginMode
    leverage: int
    qty: Decimal = ZERO
    entry_price: Decimal = ZERO
    isolated_margin: Decimal = ZERO  # margin locked in the position (isolated mode only)
    realized_pnl: Decimal = ZERO  # since the position opened, before fees
    fees: Decimal = ZERO
    funding: Decimal = ZERO  # paid (+) or received (-) since the position opened
    opened_ms: int = 0
    updated_ms: int = 0
    liq_price: Decimal = ZERO  # 0: cannot be liquidated (e.g. isolated 1x long)
    liq_direction: Direction = Direction.FALL  # which way the price must move to liquidate
    id: str = ""

    @property
    def is_open(self) -> bool:
        return self.qty > 0

    @property
    def entry_value(self) -> Decimal:
        return self.entry_price * self.qty

    def upnl(self, mark: Decimal) -> Decimal:
        return (mark - self.entry_price) * self.qty * self.side.sign

    def initial_margin(self) -> Decimal:
        """Margin the position uses: locked margin when isolated, entry value / leverage when crossed."""
        if self.margin_mode is MarginMode.ISOLATED:
            return self.isolated_margin
        return self.entry_value / self.leverage


@dataclass(slots=True, kw_only=True)
class SymbolSettings:
    margin_mode: MarginMode
    long_leverage: int
    short_leverage: int

    def leverage(self, side: PositionSide) -> int:
        return self.long_leverage if side is PositionSide.LONG else self.short_leverage


@dataclass(slots=True, kw_only=True)
class Account:
    id: str
    position_mode: PositionMode = PositionMode.ONE_WAY
    wallet: dict[str, Decimal] = field(default_factory=dict)  # cash balance per settle coin
    settings: dict[str, SymbolSettings] = field(default_factory=dict)
    positions: dict[tuple[str, PositionSide], Position] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)  # every order ever placed, by id
    triggers: dict[str, TriggerOrder] = field(default_factory=dict)  # every trigger order ever placed
    # Indexes of what is still working, so that a bar never scans the whole order history.
    working: dict[str, Order] = field(default_factory=dict)  # open (resting or partially filled) orders
    live: dict[str, TriggerOrder] = field(default_factory=dict)  # live trigger orders
    client_oids: dict[str, str] = field(default_factory=dict)  # client oid -> order or trigger id
    fills: list[Fill] = field(default_factory=list)
    bills: list[Bill] = field(default_factory=list)
    closed_positions: list[Position] = field(default_factory=list)
    # Running totals for the accounting identity
    #   wallet - initial wallet == realized_pnl - fees - funding   (per coin)
    deposits: dict[str, Decimal] = field(default_factory=dict)
    realized_pnl: dict[str, Decimal] = field(default_factory=dict)
    fees: dict[str, Decimal] = field(default_factory=dict)
    funding: dict[str, Decimal] = field(default_factory=dict)

    def open_positions(self, symbol: str | None = None) -> list[Position]:
        return [
            p for (sym, _), p in self.positions.items() if p.is_open and (symbol is None or sym == symbol)
        ]
