"""``torchtrade.envs.bitget.futures_order_executor``: the documented import path of the trading enums
and of the order executor (the Bitget futures trader)."""

from ..live.bitget.venue import BitgetFuturesTrader
from ..live.shared.venue import MarginMode, PositionMode, TradeMode

__all__ = ["BitgetFuturesTrader", "MarginMode", "PositionMode", "TradeMode"]
