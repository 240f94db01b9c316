"""The emulator's matching and margin engine: pure, deterministic, no I/O.

Layout (one concern per module): :mod:`.core` the ``Engine`` facade; :mod:`.state` the shared books;
:mod:`.matching` + :mod:`.intrabar` orders along the bar path; :mod:`.futures` and
:mod:`.futures_orders` the futures margin account; :mod:`.funding`; :mod:`.liquidation` (+ :mod:`.margin`);
:mod:`.ledger`; :mod:`.pricing`; :mod:`.views` the config and read-only views; :mod:`.hours` the
market-hours protocol; :mod:`.spot` spot accounts (Alpaca: cash and margin, stocks and crypto).
"""

from .core import Engine
from .errors import EngineError, OrderRejected, Reason
from .hours import ALWAYS_OPEN, MarketHours
from .instruments import Instrument
from .ledger import Ledger
from .models import Account, Bill, Fill, Order, Position, TriggerOrder
from .pricing import PriceModel
from .spot.instruments import SpotInstrument
from .spot.models import Holding, SpotAccount, SpotOrder
from .spot.types import (
    AccountKind,
    AssetClass,
    LegRole,
    OrderClass,
    OrderQueryStatus,
    SpotConfig,
    SpotOrderQuery,
    SpotOrderRequest,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
    StopLoss,
    TakeProfit,
)
from .spot.views import SpotBalanceView, SpotPositionView
from .state import PriceSource
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
from .views import BalanceView, EngineConfig, PositionView

__all__ = [
    "ALWAYS_OPEN",
    "Account",
    "AccountKind",
    "AssetClass",
    "BalanceView",
    "Bill",
    "Direction",
    "Engine",
    "EngineConfig",
    "EngineError",
    "Fill",
    "Holding",
    "Instrument",
    "Ledger",
    "LegRole",
    "MarginMode",
    "MarketHours",
    "Order",
    "OrderClass",
    "OrderQueryStatus",
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
    "SpotAccount",
    "SpotBalanceView",
    "SpotConfig",
    "SpotInstrument",
    "SpotOrder",
    "SpotOrderQuery",
    "SpotOrderRequest",
    "SpotOrderStatus",
    "SpotOrderType",
    "SpotPositionView",
    "SpotTimeInForce",
    "StopLoss",
    "TakeProfit",
    "TimeInForce",
    "TriggerKind",
    "TriggerOrder",
    "TriggerRequest",
    "TriggerStatus",
]
