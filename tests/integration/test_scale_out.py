"""Scale-out on TorchRL's own machinery: ``ParallelEnv`` and the multi-process collectors over
in-process envs (each worker its own session and seed, results identical to the same envs stepped
serially), and many HTTP envs in a ``ParallelEnv`` against one emulator, each on its own account.

Workers start by ``forkserver`` with torch, TorchRL and torchtrade preloaded once (the fixture below):
the constructors are pickled exactly as under TorchRL's default ``spawn``, and four workers start in
~20 s here instead of ~70 s (each spawned worker imports everything again).
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import pickle

import pytest
import torch
from tensordict import TensorDict
from torchrl.collectors import MultiAsyncCollector, MultiSyncCollector
from torchrl.envs import ParallelEnv

from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.envs import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig
from torchtrade.envs.scale_out import EmulatorEnvFactory, open_accounts
from torchtrade.errors import ConfigError

BTC = "BTC/USDT:USDT"
KW = {"time_frames": ["1min", "5min"], "window_sizes": [10, 4], "quantity_per_trade": 0.01, "leverage": 5}
EPISODE = 12
STEPS = 30  # crosses two episode boundaries: the restarts' random starts come from the worker's seed
WORKERS = 2
SEED = 11


@pytest.fixture(scope="module", autouse=True)
def forkserver():
    """TorchRL's workers take the global start method: forkserver for this module, then the previous."""
    previous = mp.get_start_method(allow_none=True)
    mp.set_forkserver_preload(["torchtrade.envs", "torchrl.envs", "torchrl.collectors"])
    mp.set_start_method("forkserver", force=True)
    yield
    mp.set_start_method(previous, force=True)


def replay_factory(**kw):
    """What a user writes: the classmethod, partially applied (picklable, top-level)."""
    return functools.partial(
        BitgetFuturesTorchTradingEnv.replay,
        BitgetFuturesTradingEnvConfig(**KW),
        episode_length=EPISODE,
        random_start=True,
        **kw,
    )


def actions(steps: int, n: int) -> torch.Tensor:
    return torch.randint(3, (steps, n), generator=torch.Generator().manual_seed(5))


def run(env, acts: torch.Tensor) -> list[TensorDict]:
    """Step ``env`` on ``acts`` through ``step_and_maybe_reset`` (auto-reset at episode ends)."""
    td = env.reset()
    out = [td.exclude("next").clone()]
    for a in acts:
        td.set("action", a)
        result, td = env.step_and_maybe_reset(td)
        out.append(result.get("next").clone())
    return out


def worker_seeds(n: int) -> list[int]:
    """The seeds ``ParallelEnv.set_seed(SEED)`` hands its workers (an env's ``set_seed`` returns the next)."""
    probe = replay_factory()()
    seeds, seed = [], SEED
    for _ in range(n):
        seeds.append(seed)
        seed = probe.set_seed(seed)
    return seeds


def test_constructors_pickle():
    assert pickle.loads(pickle.dumps(replay_factory()))().batch_size == ()


def test_set_seed_draws_the_starts_of_an_env_built_with_that_seed():
    """``env.set_seed(s)`` (how ParallelEnv and the collectors seed a worker) == ``replay(seed=s)``."""
    acts = actions(STEPS, 1)[:, 0]
    built = run(replay_factory(seed=3)(), acts)
    seeded = replay_factory(seed=99)()
    seeded.set_seed(3)
    for a, b in zip(built, run(seeded, acts), strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a.keys(include_nested=True, leaves_only=True))
    other = replay_factory()()
    other.set_seed(4)
    assert not torch.equal(run(other, acts[:1])[0]["market_data_1min_10"], built[0]["market_data_1min_10"])


def test_parallel_env_equals_the_same_envs_stepped_serially():
    acts = actions(STEPS, WORKERS)
    penv = ParallelEnv(WORKERS, replay_factory())
    try:
        penv.set_seed(SEED)
        parallel = run(penv, acts)
    finally:
        penv.close()
    assert penv.is_closed
    # The same envs, one by one, each built with the seed its worker got (set_seed == seed=).
    serial = []
    for i, seed in enumerate(worker_seeds(WORKERS)):
        serial.append(run(replay_factory(seed=seed)(), acts[:, i]))
    for t, p in enumerate(parallel):
        for i in range(WORKERS):
            s = serial[i][t]
            for key in s.keys(include_nested=True, leaves_only=True):
                assert torch.equal(p[i][key], s[key]), (t, i, key)
    # Each worker its own session: different random starts, so different bars.
    first = parallel[0]["market_data_1min_10"]
    assert not torch.equal(first[0], first[1])
    dones = torch.stack([p["done"] for p in parallel[1:]])
    assert dones.sum() >= 2 * WORKERS  # every worker ended (and restarted) episodes


@pytest.mark.parametrize("collector_cls", [MultiSyncCollector, MultiAsyncCollector])
def test_multi_process_collectors(collector_cls):
    frames_per_batch, total = 40, 120
    collector = collector_cls(
        [replay_factory(), replay_factory()],
        policy=None,  # a random policy over the env's action spec
        frames_per_batch=frames_per_batch,
        total_frames=total,
    )
    collector.set_seed(SEED)
    got = 0
    try:
        for batch in collector:
            if collector_cls is MultiSyncCollector:  # one batch gathers every worker's share
                assert batch.numel() == frames_per_batch
            assert batch["next", "market_data_1min_10"].shape[-2:] == (10, 5)
            assert batch["next", "account_state"].shape[-1] == 10
            assert batch["next", "reward"].isfinite().all()
            got += batch.numel()
    finally:
        collector.shutdown()
    assert got >= total
    assert all(not p.is_alive() for p in collector.procs)


# ---------------------------------------------------------------- many HTTP envs, one emulator

K = 4
HTTP_STEPS = 8
HISTORY = 100


def test_k_http_envs_on_one_emulator_each_on_its_own_account(emulator):
    """K HTTP envs in a ParallelEnv drive one emulator's manual clock in lockstep: the clock moves one
    bar per batch step, every env sees the same bars, and each trades only its own account."""
    emulator.control.reset(data=[f"{BTC}={bundled(DEFAULT_DATA[BTC])}"], history_bars=HISTORY)
    names = [f"worker{i}" for i in range(K)]
    keys = open_accounts(emulator.url, names)
    config = BitgetFuturesTradingEnvConfig(base_url=emulator.url, **KW)
    factories = [EmulatorEnvFactory(BitgetFuturesTorchTradingEnv, config, k) for k in keys]
    assert keys[0].api_secret.reveal() not in repr(factories[0])  # secrets stay out of reprs
    start = emulator.control.status()["now"]
    # Env i opens a long (i even) or a short (i odd) at step i, then holds: every account differs.
    acts = torch.ones(HTTP_STEPS, K, dtype=torch.int64)
    for i in range(K):
        acts[i, i] = 2 if i % 2 == 0 else 0
    penv = ParallelEnv(K, factories)
    try:
        out = run(penv, acts)
    finally:
        penv.close()
    assert emulator.control.status()["now"] == start + HTTP_STEPS * 60_000
    for td in out:  # one bar per step for all: the same market data in every worker
        bars = td["market_data_1min_10"]
        assert all(torch.equal(bars[0], bars[i]) for i in range(1, K))
    final = out[-1]["account_state"]
    for i, name in enumerate(names):
        positions = [p for p in emulator.control.positions(name) if float(p["qty"]) != 0]
        assert len(positions) == 1, (name, positions)
        assert positions[0]["side"] == ("long" if i % 2 == 0 else "short")
        fills = emulator.control.fills(name)
        assert len(fills) == 1
        assert float(final[i, 1]) == pytest.approx(0.01 if i % 2 == 0 else -0.01)  # position_size
    assert not [p for p in emulator.control.positions("main") if float(p["qty"]) != 0]


def test_open_accounts_refuses_an_account_twice(emulator):
    with pytest.raises(ConfigError, match="main"):
        open_accounts(emulator.url, ["w0", "main"])
    with pytest.raises(ConfigError, match="w1"):
        open_accounts(emulator.url, ["w1", "w1"])
    assert emulator.control.status()["accounts"] == ["main"]  # nothing opened
    with pytest.raises(ConfigError, match="base_url"):
        EmulatorEnvFactory(BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig(**KW))
