"""``torchtrade.envs.alpaca``: the documented import path (re-exports)."""

from ..live.alpaca import AlpacaSLTPTradingEnvConfig, AlpacaTradingEnvConfig

__all__ = ["AlpacaSLTPTradingEnvConfig", "AlpacaTradingEnvConfig"]
