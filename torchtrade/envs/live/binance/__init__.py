"""Binance USD-M futures envs."""

from .config import BinanceFuturesSLTPTradingEnvConfig, BinanceFuturesTradingEnvConfig
from .env import BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesTorchTradingEnv
from .venue import BINANCE, BinanceFuturesTrader

__all__ = [
    "BINANCE",
    "BinanceFuturesSLTPTorchTradingEnv",
    "BinanceFuturesSLTPTradingEnvConfig",
    "BinanceFuturesTorchTradingEnv",
    "BinanceFuturesTrader",
    "BinanceFuturesTradingEnvConfig",
]
