"""Train where you trade: a small PPO policy on an env class in-process, then the same class over HTTP.

:mod:`.policy` is the network and its file (weights plus what rebuilds it), :mod:`.ppo` the TorchRL
training loop, :mod:`.split` the train / held-out split of a candle series, :mod:`.trade` a policy's
greedy run on any env with a :class:`~torchtrade.reports.RunRecorder`.
"""

from .policy import GreedyPolicy, PolicyFile, build_actor, build_critic, load_policy, save_policy
from .ppo import PPOSettings, TrainResult, mean_episode_return, train_ppo
from .split import bundled_candles, split_bars
from .trade import TradeRun, trade

__all__ = [
    "GreedyPolicy",
    "PPOSettings",
    "PolicyFile",
    "TradeRun",
    "TrainResult",
    "build_actor",
    "build_critic",
    "bundled_candles",
    "load_policy",
    "mean_episode_return",
    "save_policy",
    "split_bars",
    "trade",
    "train_ppo",
]
