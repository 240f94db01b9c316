"""Ray through TorchRL's own ``RayCollector``: two local workers collect frames from in-process envs
(the optional ``ray`` extra, in dev: CI runs this; a user's clone without it skips). A small local cluster:
2 CPUs, no dashboard."""

from __future__ import annotations

import functools
import os

import pytest

if os.environ.get("CI") == "true":
    import ray  # CI installs dev, which has ray: a missing ray there is a failure, not a skip
else:
    ray = pytest.importorskip("ray", reason="the optional ray extra is not installed (pip install -e .[ray])")

from torchrl.collectors.distributed import RayCollector

from torchtrade.envs import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig

KW = {"time_frames": ["1min", "5min"], "window_sizes": [10, 4], "quantity_per_trade": 0.01, "leverage": 5}


# A random policy has no weights to sync: TorchRL's reminders about weight updates do not apply.
@pytest.mark.filterwarnings("ignore:The policy is not an nn.Module")
@pytest.mark.filterwarnings("ignore:RayCollector iteration started before weight synchronization")
def test_ray_collector_two_local_workers():
    make = functools.partial(
        BitgetFuturesTorchTradingEnv.replay,
        BitgetFuturesTradingEnvConfig(**KW),
        episode_length=20,
        random_start=True,
    )
    frames_per_batch, total = 30, 120
    collector = RayCollector(
        [make, make],
        policy=None,  # a random policy over the env's action spec
        frames_per_batch=frames_per_batch,
        total_frames=total,
        sync=False,
        ray_init_config={
            "num_cpus": 2,
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        },
        remote_configs={"num_cpus": 1, "memory": 512 * 1024**2},
    )
    got = 0
    try:
        for batch in collector:
            assert batch["next", "market_data_1min_10"].shape[-2:] == (10, 5)
            assert batch["next", "account_state"].shape[-1] == 10
            assert batch["next", "reward"].isfinite().all()
            got += batch.numel()
    finally:
        collector.shutdown()
        ray.shutdown()
    assert got >= total
    assert not ray.is_initialized()
