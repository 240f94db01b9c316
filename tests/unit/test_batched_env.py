"""The batched env as a TorchRL env (specs, collector, per-account resets, seeding), its observations,
its configuration errors, and the intrabar rules of its account math on hand-made bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torchrl.collectors import Collector
from torchrl.data import LazyTensorStorage, TensorDictReplayBuffer
from torchrl.envs import Compose, DoubleToFloat, InitTracker, RewardSum, StepCounter, TransformedEnv
from torchrl.envs.utils import check_env_specs

from torchtrade.data import bundled
from torchtrade.envs.batched import Accounts, BatchedFuturesEnv, Market
from torchtrade.envs.core.observation import default_features
from torchtrade.errors import ConfigError

MARKET = Market(
    tick=0.1,
    lot=0.0001,
    min_qty=0.0001,
    min_notional=5.0,
    taker_fee=0.0006,
    mmr=0.004,
    spread=0.0,
    slippage=0.0,
    funding_rate=0.0001,
)


@pytest.mark.parametrize("kind", ["standard", "sltp"])
def test_specs_pass_and_shapes_follow_the_batch(kind: str) -> None:
    env = BatchedFuturesEnv(num_envs=5, action_kind=kind, window_size=12, leverage=10, episode_length=20)
    check_env_specs(env)
    td = env.reset()
    assert td["market_data_1min_12"].shape == (5, 12, 5)
    assert td["account_state"].shape == (5, 10)
    assert env.action_spec.n == (3 if kind == "standard" else 1 + 2 * 2 * 2)


def test_sltp_table_without_hold_or_shorts() -> None:
    env = BatchedFuturesEnv(
        num_envs=3, action_kind="sltp", include_hold_action=False, include_short_positions=False
    )
    check_env_specs(env)
    assert env.action_spec.n == 4
    assert all(side == "long" for side, _, _ in env.action_map.values())
    td = env.reset()
    env.step(td.set("action", torch.zeros(3, dtype=torch.int64)))
    assert (env.accounts.side == 1).all()  # action 0 is an entry when there is no hold action


def test_collector_gathers_frames_with_a_random_policy() -> None:
    env = BatchedFuturesEnv(num_envs=8, episode_length=15, leverage=5)
    collector = Collector(env, policy=None, frames_per_batch=8 * 20, total_frames=8 * 40)
    batches = list(collector)
    collector.shutdown()
    assert len(batches) == 2
    assert batches[0].batch_size == torch.Size([8, 20])
    # Every account hit its episode length inside a batch and was reset on its own.
    assert batches[0]["next", "truncated"].sum(dim=1).min() >= 1


def test_only_done_accounts_reset() -> None:
    env = BatchedFuturesEnv(num_envs=3, episode_length=4, leverage=5, seed=1)
    td = env.reset()
    env.steps[:] = [3, 0, 0]  # account 0 ends its episode on the next step, the others go on
    td["action"] = torch.ones(3, dtype=torch.int64)
    ptr = env.ptr.copy()
    out, td = env.step_and_maybe_reset(td)
    assert out["next", "truncated"].reshape(-1).tolist() == [True, False, False]
    assert env.steps.tolist() == [0, 1, 1]
    assert env.ptr[1:].tolist() == (ptr[1:] + 1).tolist()


def test_seeded_runs_are_identical() -> None:
    def run() -> torch.Tensor:
        env = BatchedFuturesEnv(num_envs=4, episode_length=30, leverage=20, seed=5)
        torch.manual_seed(0)
        return env.rollout(60, break_when_any_done=False)["next", "reward"]

    assert torch.equal(run(), run())


def test_market_observation_is_the_default_features_of_the_window() -> None:
    env = BatchedFuturesEnv(num_envs=2, window_size=7, random_start=False)
    env.reset()
    got = env.market_features()[0]
    p = int(env.ptr[0])
    frame = pd.DataFrame(env.candles.ohlcv[p - 6 : p + 1], columns=["open", "high", "low", "close", "volume"])
    want = default_features(frame).to_numpy(dtype=np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_account_state_of_an_open_long() -> None:
    env = BatchedFuturesEnv(num_envs=1, random_start=False, leverage=10, margin_mode="isolated")
    td = env.reset()
    out = env.step(td.set("action", torch.tensor([2])))
    state = out["next", "account_state"][0]
    acc = env.accounts
    mark = env.candles.ohlcv[env.ptr[0], 3]
    assert state[1] == pytest.approx(acc.qty[0])
    assert acc.qty[0] > 0
    assert state[3] == pytest.approx(acc.entry[0])
    assert state[4] == pytest.approx(mark)
    assert state[6] == 10
    assert state[9] == 1
    assert state[0] == pytest.approx(acc.wallet[0] - acc.margin[0], rel=1e-6)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"leverage": 126}, "leverage"),
        ({"margin_mode": "cross"}, "margin_mode"),
        ({"window_size": 100_000}, "window_size"),
        ({"stoploss_levels": (0.01,)}, "stoploss_levels"),
        ({"num_envs": 0}, "num_envs"),
        ({"initial_cash": -1.0}, "initial_cash"),
    ],
)
def test_bad_config_names_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        BatchedFuturesEnv(**overrides)


def test_dataframe_data_is_accepted() -> None:
    t = pd.date_range("2024-01-01", periods=50, freq="1min", tz="UTC")
    df = pd.DataFrame(
        {"timestamp": t, "open": 100.0, "high": 101.0, "low": 99.0, "close": 100.5, "volume": 1.0}
    )
    env = BatchedFuturesEnv(num_envs=2, window_size=5, episode_length=10, data=df)
    check_env_specs(env)


# ---------------------------------------------------------------- intrabar rules on hand-made bars


def _long(sl: float, tp: float, leverage: int = 10) -> Accounts:
    acc = Accounts(1, MARKET, leverage=leverage, isolated=True)
    acc.reset(np.arange(1), 10_000.0)
    acc.open(
        np.array([0]), np.array([1.0]), np.array([100.0]), np.array([10.0]), np.array([sl]), np.array([tp])
    )
    assert acc.side[0] == 1
    assert acc.entry[0] == pytest.approx(100.0)
    return acc


def _bar(acc: Accounts, o: float, h: float, lo: float, c: float) -> None:
    a = lambda x: np.array([x])  # noqa: E731
    acc.bar(a(o), a(h), a(lo), np.array([False]), a(c))


def test_stop_loss_wins_when_both_brackets_are_inside_one_bar() -> None:
    acc = _long(-0.02, 0.02)
    _bar(acc, 100.0, 103.0, 97.0, 102.0)
    assert (acc.stops[0], acc.takes[0], acc.side[0]) == (1, 0, 0)
    assert acc.realized[0] == pytest.approx((98.0 - 100.0) * 10)


def test_gap_through_the_stop_fills_at_the_open() -> None:
    acc = _long(-0.02, 0.02)
    _bar(acc, 95.05, 96.0, 94.0, 95.5)
    assert acc.stops[0] == 1
    assert acc.realized[0] == pytest.approx((95.0 - 100.0) * 10)  # the open, floored to the tick


def test_liquidation_comes_before_a_stop_below_it() -> None:
    acc = _long(-0.2, 0.5, leverage=10)  # liquidation near 90.4, stop at 80
    liq = acc.liq[0]
    assert 90.0 < liq < 91.0
    wallet = acc.wallet[0]
    _bar(acc, 99.0, 99.5, 79.0, 85.0)
    assert (acc.liquidations[0], acc.stops[0]) == (1, 0)
    # An isolated liquidation costs exactly the position's margin (100) and its entry fee is already paid.
    assert acc.wallet[0] == pytest.approx(wallet - 100.0)


def test_transforms_and_a_replay_buffer() -> None:
    env = TransformedEnv(
        BatchedFuturesEnv(num_envs=4, episode_length=10, leverage=5),
        Compose(InitTracker(), StepCounter(), DoubleToFloat(), RewardSum()),
    )
    check_env_specs(env)
    data = env.rollout(25, break_when_any_done=False)
    buffer = TensorDictReplayBuffer(storage=LazyTensorStorage(200))
    buffer.extend(data.reshape(-1))
    assert len(buffer) == 100
    assert data["next", "step_count"].max() == 10


def test_bankruptcy_terminates_and_resets_the_account() -> None:
    # 100x with 90 % of the wallet as margin: a liquidation leaves less than half of the start.
    env = BatchedFuturesEnv(
        num_envs=8,
        symbol="ETHUSDT",
        leverage=100,
        quantity_per_trade=900_000.0,
        episode_length=2_000,
        bankrupt_threshold=0.5,
        data=bundled("coinbase_ethusd_1m_2018-04-04_05.csv"),
        seed=2,
    )
    td = env.reset()
    gen = torch.Generator().manual_seed(0)
    for _ in range(2_000):
        hold = torch.rand(8, generator=gen) < 0.9
        td["action"] = torch.where(hold, 1, 2 * torch.randint(0, 2, (8,), generator=gen))
        out, td = env.step_and_maybe_reset(td)
        terminated = out["next", "terminated"].reshape(-1)
        if terminated.any():
            k = int(terminated.nonzero()[0])
            assert out["next", "account_state"][k, 1] == 0  # liquidated: flat
            assert torch.isfinite(out["next", "reward"]).all()
            assert env.steps[k] == 0
            assert env.accounts.wallet[k] == env.config.initial_cash
            return
    pytest.fail("no account went bankrupt")


def test_partial_steps_leave_the_others_standing() -> None:
    # rollout(break_when_any_done=False) steps only the accounts not done yet ("_step").
    env = BatchedFuturesEnv(num_envs=3, episode_length=6, leverage=5, seed=3)
    td = env.reset()
    env.steps[:] = [4, 0, 2]  # account 0 is done after 2 steps, account 2 after 4, account 1 after 6
    data = env.rollout(
        20, auto_reset=False, tensordict=td, break_when_any_done=False, break_when_all_done=True
    )
    assert data.batch_size == torch.Size([3, 6])
    assert env.steps.tolist() == [6, 6, 6]
    first_done = data["next", "done"].squeeze(-1).int().argmax(dim=1)
    assert first_done.tolist() == [1, 5, 3]


def test_windows_computed_per_step_when_the_table_would_be_too_big(monkeypatch: pytest.MonkeyPatch) -> None:
    table = BatchedFuturesEnv(num_envs=6, window_size=9, seed=4)
    monkeypatch.setattr("torchtrade.envs.batched.env.PRECOMPUTE_BYTES", 0)
    live = BatchedFuturesEnv(num_envs=6, window_size=9, seed=4)
    assert live._features is None
    table.reset()
    live.reset()
    np.testing.assert_array_equal(table.market_features(), live.market_features())
