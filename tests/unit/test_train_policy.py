"""The training parts on the real in-process env: a saved policy reloads to the same actions and the
same seed trains the same weights (the HTTP half: tests/integration/test_demo.py)."""

from __future__ import annotations

import pytest
import torch
from torchrl.envs.utils import ExplorationType, set_exploration_type

from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv
from torchtrade.train import (
    GreedyPolicy,
    PolicyFile,
    PPOSettings,
    build_actor,
    bundled_candles,
    load_policy,
    save_policy,
    split_bars,
    train_ppo,
)
from torchtrade.train.pipeline import env_config

TINY = PPOSettings(frames=128, frames_per_batch=64, epochs=1, minibatch=32, hidden=(16,))


def train_env(seed: int = 0) -> BitgetFuturesTorchTradingEnv:
    bars, _ = split_bars(bundled_candles(), 2 / 3)
    return BitgetFuturesTorchTradingEnv.replay(
        env_config(), data=bars, episode_length=40, random_start=True, seed=seed
    )


def test_a_saved_policy_reloads_to_the_same_actions(tmp_path):
    env = train_env()
    torch.manual_seed(3)
    spec = PolicyFile.for_env(env, hidden=(32, 32), env_fields={"note": "test"})
    actor = build_actor(spec, env.action_spec)
    path = save_policy(tmp_path / "p" / "policy.pt", actor, spec)
    again, spec_again = load_policy(path)
    assert spec_again == spec
    with torch.no_grad(), set_exploration_type(ExplorationType.DETERMINISTIC):
        rollout = env.rollout(30, actor, break_when_any_done=False)
        observations = rollout.exclude("action", "logits", "action_log_prob", "next")
        before, after = actor(observations.clone()), again(observations.clone())
    assert torch.equal(after["logits"], before["logits"])
    assert torch.equal(after["action"], before["action"])
    obs = env.reset()
    assert GreedyPolicy(again)(obs) == GreedyPolicy(actor)(obs)


def test_the_same_seed_trains_the_same_weights():
    first = train_ppo(train_env(), TINY)
    second = train_ppo(train_env(), TINY)
    assert first.frames == second.frames == 128
    a, b = first.actor.state_dict(), second.actor.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], build_actor(first.spec).state_dict()[k]) for k in a)  # it learned


def test_a_file_that_is_not_a_policy_is_refused(tmp_path):
    path = tmp_path / "x.pt"
    torch.save({"format": 99}, path)
    with pytest.raises(ValueError, match="not a torchtrade policy file"):
        load_policy(path)
