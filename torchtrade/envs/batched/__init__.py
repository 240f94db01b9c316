"""The batched env: N futures accounts in lockstep over replayed candles, for training."""

from .accounts import Accounts, Market
from .config import BatchedEnvConfig
from .env import BatchedFuturesEnv
from .from_live import batched_config

__all__ = ["Accounts", "BatchedEnvConfig", "BatchedFuturesEnv", "Market", "batched_config"]
