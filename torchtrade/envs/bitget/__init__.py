"""``torchtrade.envs.bitget``: the documented import path (re-exports)."""

from ..live.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from ..live.shared.venue import MarginMode, PositionMode, TradeMode

__all__ = [
    "BitgetFuturesSLTPTorchTradingEnv",
    "BitgetFuturesSLTPTradingEnvConfig",
    "BitgetFuturesTorchTradingEnv",
    "BitgetFuturesTradingEnvConfig",
    "MarginMode",
    "PositionMode",
    "TradeMode",
]
