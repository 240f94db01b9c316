"""TorchRL transforms on a live env: episode bookkeeping without touching the env.

``TransformedEnv`` takes one transform; several go in a ``Compose``, applied in order:

- ``InitTracker``: an ``is_init`` flag, True on the first step of an episode (for recurrent policies);
- ``StepCounter``: ``step_count``, the steps taken in the episode (``max_steps=`` truncates);
- ``DoubleToFloat``: float64 entries as float32 (a no-op here: the env already emits float32);
- ``RewardSum``: ``episode_reward``, the running sum of rewards (the episode's log return).

Run it::

    python examples/transforms.py --emulator                # embedded emulator, no keys, instant
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/transforms.py
    python examples/transforms.py                           # Bitget demo trading, keys in .env
"""

from __future__ import annotations

import logging

from _common import parse_args, venue
from torchrl.envs import Compose, DoubleToFloat, InitTracker, RewardSum, StepCounter, TransformedEnv

from torchtrade.envs.bitget import BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=20)
    with venue(args) as (base_url, clock):
        config = BitgetFuturesSLTPTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["1min", "5min"],
            window_sizes=[16, 8],
            quantity_per_trade=0.002,
            stoploss_levels=(-0.005, -0.01),
            takeprofit_levels=(0.005, 0.01),
            base_url=base_url,
        )
        base = BitgetFuturesSLTPTorchTradingEnv(config, clock=clock)
        env = TransformedEnv(base, Compose(InitTracker(), StepCounter(), DoubleToFloat(), RewardSum()))

        # A rollout with random actions; it stops early only if the episode ends (bankruptcy).
        rollout = env.rollout(args.steps)
        print("rollout:", rollout.batch_size)
        print("is_init:", rollout["is_init"].flatten().tolist())
        print("step_count:", rollout["next", "step_count"].flatten().tolist())
        print("reward:", rollout["next", "reward"].flatten())
        print(f"episode_reward: {rollout['next', 'episode_reward'][-1].item():+.6f}")
        print("metrics:", base.get_metrics())

        base.close_all_positions()  # leave the account flat (and its brackets cancelled)
        env.close()


if __name__ == "__main__":
    main()
