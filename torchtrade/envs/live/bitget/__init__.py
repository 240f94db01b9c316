"""Bitget USDT-M futures envs."""

from .config import BitgetFuturesSLTPTradingEnvConfig, BitgetFuturesTradingEnvConfig
from .env import BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesTorchTradingEnv
from .venue import BITGET, BitgetFuturesTrader

__all__ = [
    "BITGET",
    "BitgetFuturesSLTPTorchTradingEnv",
    "BitgetFuturesSLTPTradingEnvConfig",
    "BitgetFuturesTorchTradingEnv",
    "BitgetFuturesTrader",
    "BitgetFuturesTradingEnvConfig",
]
