"""``LeanStepAndReset``: the env's own ``_step_and_maybe_reset`` gives what TorchRL's generic one gives."""

from __future__ import annotations

import pytest
import torch
from tensordict import NonTensorData, TensorDict
from torchrl.collectors import Collector
from torchrl.envs import EnvBase

from torchtrade.envs import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)

KW = {"time_frames": ["1min", "5min"], "window_sizes": [10, 4], "quantity_per_trade": 0.01, "leverage": 5}
SLTP = {"stoploss_levels": [-0.002], "takeprofit_levels": [0.003]}


def make(kind: str):
    episodes = {"episode_length": 7, "random_start": True, "seed": 3}
    if kind == "sltp":
        return BitgetFuturesSLTPTorchTradingEnv.replay(
            BitgetFuturesSLTPTradingEnvConfig(**KW, **SLTP), **episodes
        )
    return BitgetFuturesTorchTradingEnv.replay(BitgetFuturesTradingEnvConfig(**KW), **episodes)


def generic(env):
    """The same env, always through TorchRL's own path."""
    env._lean_keys = lambda td: None
    return env


def with_extras(td: TensorDict, i: int) -> TensorDict:
    """What a collector and a policy add to the root: a nested TensorDict, non-tensor data, logits."""
    td.set(("collector", "traj_ids"), torch.tensor(i))
    td.set("logits", torch.full((3,), float(i)))
    td.set("note", NonTensorData(f"step {i}"))
    return td


def assert_same(a: TensorDict, b: TensorDict) -> None:
    keys = sorted(a.keys(True, True), key=str)
    assert keys == sorted(b.keys(True, True), key=str)
    for key in keys:
        x, y = a.get(key), b.get(key)
        if isinstance(x, torch.Tensor):
            assert (x.dtype, x.shape) == (y.dtype, y.shape), key
            assert torch.equal(x, y), key
        else:
            assert x == y, key
    assert (a.batch_size, a.device) == (b.batch_size, b.device)


@pytest.mark.parametrize("kind", ["standard", "sltp"])
def test_the_lean_path_gives_torchrls_tensordicts_through_episode_ends(kind):
    lean, ref = make(kind), generic(make(kind))
    actions = torch.randint(lean.action_spec.n, (40,), generator=torch.Generator().manual_seed(1))
    td_lean, td_ref = lean.reset(), ref.reset()
    ends = 0
    for i, a in enumerate(actions):
        td_lean = with_extras(td_lean, i).set("action", a.clone())
        td_ref = with_extras(td_ref, i).set("action", a.clone())
        out_lean, td_lean = lean.step_and_maybe_reset(td_lean)
        out_ref, td_ref = ref.step_and_maybe_reset(td_ref)
        assert_same(out_lean, out_ref)
        assert_same(td_lean, td_ref)
        ends += bool(out_ref["next", "done"])
        # the root carried on is a new TensorDict: writing into it leaves the step's record alone
        td_lean.set("logits", torch.zeros(3))
        assert out_lean["logits"][0] == float(i)
    assert ends >= 4  # episodes of 7 steps: resets inside the run were compared too


def test_any_other_call_takes_torchrls_path():
    env = make("standard")
    td = env.reset()
    plain = env.rand_action(td.clone())
    assert env._lean_keys(plain) is not None
    assert env._lean_keys(env.rand_action(td.clone()).set("_step", torch.tensor(True))) is None
    assert env._lean_keys(env.rand_action(td.clone()).set("next", td.clone())) is None
    assert env._lean_keys(env.rand_action(td.clone()).to("meta")) is None
    env.run_type_checks = True
    assert env._lean_keys(plain) is None


def test_a_collector_gets_the_same_frames_either_way():
    def frames(env: EnvBase) -> TensorDict:
        env.set_seed(0)
        torch.manual_seed(0)  # the collector's random policy draws from torch's global generator
        collector = Collector(env, None, frames_per_batch=30, total_frames=30)
        batch = next(iter(collector))
        collector.shutdown()
        return batch

    assert_same(frames(make("standard")), frames(generic(make("standard"))))
