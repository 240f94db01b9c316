"""Alpaca envs: US stocks and crypto spot through alpaca-py."""

from .config import AlpacaSLTPTradingEnvConfig, AlpacaTradingEnvConfig
from .env import AlpacaSLTPTorchTradingEnv, AlpacaTorchTradingEnv
from .trader import AlpacaTrader

__all__ = [
    "AlpacaSLTPTorchTradingEnv",
    "AlpacaSLTPTradingEnvConfig",
    "AlpacaTorchTradingEnv",
    "AlpacaTrader",
    "AlpacaTradingEnvConfig",
]
