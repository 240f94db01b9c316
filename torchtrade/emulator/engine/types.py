"""Venue-neutral enums and request objects of the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    """Direction of a trade, as the market sees it."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class PositionSide(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is PositionSide.LONG else -1

    @property
    def opening_side(self) -> Side:
        return Side.BUY if self is PositionSide.LONG else Side.SELL

    @property
    def closing_side(self) -> Side:
        return Side.SELL if self is PositionSide.LONG else Side.BUY

    @staticmethod
    def of(side: Side) -> PositionSide:
        """The position a trade of ``side`` opens."""
        return PositionSide.LONG if side is Side.BUY else PositionSide.SHORT


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSSED = "crossed"


class PositionMode(StrEnum):
    ONE_WAY = "one_way"
    HEDGE = "hedge"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    POST_ONLY = "post_only"


class OrderStatus(StrEnum):
    LIVE = "live"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.LIVE, OrderStatus.PARTIALLY_FILLED)


class OrderSource(StrEnum):
    """What created an order; venues report this (Bitget's ``orderSource``/``enterPointSource``)."""

    API = "api"
    PLAN = "plan"  # a standalone trigger order fired
    TAKE_PROFIT = "take_profit"  # a position TP fired
    STOP_LOSS = "stop_loss"  # a position SL fired
    CLOSE = "close"  # the close-positions verb
    LIQUIDATION = "liquidation"


class TriggerKind(StrEnum):
    """Kinds of trigger (conditional) orders.

    ``PLAN`` is a standalone conditional order that places a normal order when triggered. The four
    position kinds are attached to a position and close (part of) it: ``POS_*`` close the whole
    position whatever its size, ``PARTIAL_*`` close a fixed quantity.
    """

    PLAN = "plan"
    POS_PROFIT = "pos_profit"
    POS_LOSS = "pos_loss"
    PARTIAL_PROFIT = "profit_plan"
    PARTIAL_LOSS = "loss_plan"

    @property
    def closes_position(self) -> bool:
        return self is not TriggerKind.PLAN

    @property
    def is_loss(self) -> bool:
        return self in (TriggerKind.POS_LOSS, TriggerKind.PARTIAL_LOSS)

    @property
    def is_profit(self) -> bool:
        return self in (TriggerKind.POS_PROFIT, TriggerKind.PARTIAL_PROFIT)


class TriggerStatus(StrEnum):
    LIVE = "live"
    TRIGGERED = "triggered"  # fired and placed its order
    CANCELED = "canceled"
    FAILED = "failed"  # fired but its order was rejected


class Direction(StrEnum):
    """Which way the price must cross a trigger price for it to fire."""

    RISE = "rise"  # fires when price >= trigger
    FALL = "fall"  # fires when price <= trigger


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """A normal (non-trigger) order, in venue-neutral terms.

    Attributes:
        side: direction of the trade as the market sees it (closing a long is a SELL).
        pos_side: the position the order acts on in hedge mode; ``None`` in one-way mode.
        reduce_only: the order may only shrink the position (in hedge mode: a "close" order).
        margin_mode: the margin mode the order asks for; ``None`` = the symbol's current setting.
        take_profit / stop_loss: preset position TP/SL, created when the order fills.
        take_profit_limit / stop_loss_limit: limit price of those TP/SL orders (None: market).
        fill_ratio: fault injection only: fill this fraction now, the rest on the next bar.
        meta: venue-specific labels the engine keeps but never reads (e.g. a trigger-price type).
    """

    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    pos_side: PositionSide | None = None
    reduce_only: bool = False
    margin_mode: MarginMode | None = None
    client_oid: str | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    meta: Mapping[str, str] | None = None
    take_profit_limit: Decimal | None = None
    stop_loss_limit: Decimal | None = None
    source: OrderSource = OrderSource.API
    fill_ratio: Decimal | None = None
    meta: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerRequest:
    """A trigger order: standalone plan order or a TP/SL attached to a position.

    For ``PLAN``: when the price crosses ``trigger_price`` an order with ``side``/``qty`` is placed,
    market if ``execute_price`` is None else limit at ``execute_price``. For position kinds, ``side``
    is the side of the *position* being protected is given by ``pos_side``; ``qty`` is required for
    the PARTIAL kinds and ignored for the POS kinds (which always close the whole position).

    Attributes:
        direction: ``PLAN`` only: which way the price must cross ``trigger_price``. None: inferred
            from where the trigger sits relative to the market (above: a rise). Given: the venue
            derived it from the order type (a stop sell fires on a fall), and a trigger whose
            condition already holds at placement is refused (``TRIGGER_PRICE_INVALID``: it would
            fire at once).
        close_all: ``PLAN`` only, without ``qty``: when it fires, a reduce-only market order closes
            whatever the position in its direction holds *at that moment* (a "close position"
            conditional order). It is independent of any position: it stays live when the position
            closes or was never opened, and one that fires while there is nothing to close fails
            without trading.
    """

    symbol: str
    kind: TriggerKind
    trigger_price: Decimal
    side: Side | None = None
    qty: Decimal | None = None
    execute_price: Decimal | None = None
    pos_side: PositionSide | None = None
    reduce_only: bool = False
    margin_mode: MarginMode | None = None
    client_oid: str | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    meta: Mapping[str, str] | None = None
    direction: Direction | None = None
    close_all: bool = False
