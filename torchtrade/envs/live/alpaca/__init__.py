"""Alpaca envs: US stocks and crypto spot through alpaca-py."""

from .config import AlpacaSLTPTradingEnvConfig, AlpacaTradingEnvConfig

__all__ = ["AlpacaSLTPTradingEnvConfig", "AlpacaTradingEnvConfig"]
