"""``torchtrade.envs.binance``: the documented import path (re-exports)."""

from ..live.binance import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
)
from ..live.shared.venue import MarginMode, PositionMode, TradeMode

__all__ = [
    "BinanceFuturesSLTPTorchTradingEnv",
    "BinanceFuturesSLTPTradingEnvConfig",
    "BinanceFuturesTorchTradingEnv",
    "BinanceFuturesTradingEnvConfig",
    "MarginMode",
    "PositionMode",
    "TradeMode",
]
