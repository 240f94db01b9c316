"""The emulator's matching and margin engine: pure, deterministic, no I/O."""

from .core import BalanceView, Engine, EngineConfig, PositionView, PriceSource
from .errors import EngineError, OrderRejected, Reason
from .instruments import Instrument
from .ledger import Ledger
from .models import Account, Bill, Fill, Order, Position, TriggerOrder
from .pricing import PriceModel
from .types import (
    Direction,
    MarginMode,
    OrderRequest,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    TriggerKind,
    TriggerRequest,
    TriggerStatus,
)

__all__ = [
    "Account",
    "BalanceView",
    "Bill",
    "Direction",
    "Engine",
    "EngineConfig",
    "EngineError",
    "Fill",
    "Instrument",
    "Ledger",
    "MarginMode",
    "Order",
    "OrderRejected",
    "OrderRequest",
    "OrderSource",
    "OrderStatus",
    "OrderType",
    "Position",
    "PositionMode",
    "PositionSide",
    "PositionView",
    "PriceModel",
    "PriceSource",
    "Reason",
    "Side",
    "TimeInForce",
    "TriggerKind",
    "TriggerOrder",
    "TriggerRequest",
    "TriggerStatus",
]
