"""Collect live transitions with a TorchRL ``Collector`` into a replay buffer, save it, load it back.

A live env is one account on one market, so the collector steps it one transition at a time
(``frames_per_batch=1``); with ``policy=None`` it takes random actions. Each batch goes into a
``TensorDictReplayBuffer`` that is dumped to disk, loaded into a fresh buffer and sampled: the
offline half of an off-policy loop (train from what the live env has seen so far).

Run it::

    python examples/collector_replay_buffer.py --emulator   # embedded emulator, no keys, instant
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/collector_replay_buffer.py
    python examples/collector_replay_buffer.py              # Bitget demo trading, keys in .env
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from _common import parse_args, venue
from torchrl.collectors import Collector  # torchrl >= 0.13 (formerly SyncDataCollector)
from torchrl.data import LazyTensorStorage, TensorDictReplayBuffer

from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("torchrl").setLevel(logging.WARNING)  # torchrl announces each storage at INFO
    args = parse_args(__doc__, steps=50)
    with venue(args) as (base_url, clock):
        config = BitgetFuturesTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["1min", "5min"],
            window_sizes=[8, 4],
            quantity_per_trade=0.002,
            base_url=base_url,
        )
        env = BitgetFuturesTorchTradingEnv(config, clock=clock)
        collector = Collector(env, policy=None, frames_per_batch=1, total_frames=args.steps)
        buffer = TensorDictReplayBuffer(storage=LazyTensorStorage(args.steps))
        for batch in collector:  # one (obs, action, reward, next obs) transition per bar
            buffer.extend(batch)
        collector.shutdown()
        print(f"collected {len(buffer)} transitions")

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "buffer"
            buffer.dumps(path)
            restored = TensorDictReplayBuffer(storage=LazyTensorStorage(args.steps))
            restored.loads(path)
        print(f"restored {len(restored)} transitions")
        sample = restored.sample(min(8, len(restored)))
        # A batch of transitions, ready for a loss: obs, action, next obs, reward, done.
        print("sampled market_data_1min_8:", tuple(sample["market_data_1min_8"].shape))
        print("sampled actions:", sample["action"].tolist())
        print("sampled rewards:", sample["next", "reward"].flatten())

        env.close_all_positions()  # leave the account flat
        env.close()


if __name__ == "__main__":
    main()
