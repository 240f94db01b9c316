"""TorchRL live-trading environments: every env and config of torchtrade."""

from .alpaca import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
)
from .batched import BatchedEnvConfig, BatchedFuturesEnv
from .binance import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
)
from .bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from .core.clock import EmulatorClock, VenueClock
from .core.config import LiveEnvConfig, SLTPConfig
from .core.env import LiveTradingEnv
from .core.kill_switch import KillSwitch, kill_switch
from .live.shared.config import FuturesEnvConfig
from .utils import TimeFrame, TimeFrameUnit

__all__ = [
    "AlpacaSLTPTorchTradingEnv",
    "AlpacaSLTPTradingEnvConfig",
    "AlpacaTorchTradingEnv",
    "AlpacaTradingEnvConfig",
    "BatchedEnvConfig",
    "BatchedFuturesEnv",
    "BinanceFuturesSLTPTorchTradingEnv",
    "BinanceFuturesSLTPTradingEnvConfig",
    "BinanceFuturesTorchTradingEnv",
    "BinanceFuturesTradingEnvConfig",
    "BitgetFuturesSLTPTorchTradingEnv",
    "BitgetFuturesSLTPTradingEnvConfig",
    "BitgetFuturesTorchTradingEnv",
    "BitgetFuturesTradingEnvConfig",
    "EmulatorClock",
    "FuturesEnvConfig",
    "KillSwitch",
    "LiveEnvConfig",
    "LiveTradingEnv",
    "SLTPConfig",
    "TimeFrame",
    "TimeFrameUnit",
    "VenueClock",
    "kill_switch",
]
