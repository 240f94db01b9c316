"""``torchtrade.envs.alpaca``: the documented import path (re-exports)."""

from ..live.alpaca import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
)

__all__ = [
    "AlpacaSLTPTorchTradingEnv",
    "AlpacaSLTPTradingEnvConfig",
    "AlpacaTorchTradingEnv",
    "AlpacaTradingEnvConfig",
]
