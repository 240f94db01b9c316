"""TorchRL live-trading environments: every env and config of torchtrade."""

from .bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from .core.clock import EmulatorClock, VenueClock
from .core.env import LiveTradingEnv
from .utils import TimeFrame, TimeFrameUnit

__all__ = [
    "BitgetFuturesSLTPTorchTradingEnv",
    "BitgetFuturesSLTPTradingEnvConfig",
    "BitgetFuturesTorchTradingEnv",
    "BitgetFuturesTradingEnvConfig",
    "EmulatorClock",
    "LiveTradingEnv",
    "TimeFrame",
    "TimeFrameUnit",
    "VenueClock",
]
