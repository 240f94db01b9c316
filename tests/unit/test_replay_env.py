"""The in-process mode (``EnvClass.replay``): data inputs, episodes, specs, venue rules, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
import torch
from torchrl.envs.utils import check_env_specs

from tests.conftest import bundled_frame
from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.emulator.engine import OrderRequest, OrderType, Side
from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.envs.replay import ReplayClock
from torchtrade.errors import ConfigError

BTC = "BTC/USDT:USDT"
KW = {"time_frames": ["1min", "5min"], "window_sizes": [10, 4], "quantity_per_trade": 0.01, "leverage": 5}


def bitget(**kw):
    return BitgetFuturesTorchTradingEnv.replay(BitgetFuturesTradingEnvConfig(**KW), **kw)


def test_same_class_specs_and_obvious_spelling():
    env = bitget()
    assert type(env) is BitgetFuturesTorchTradingEnv
    assert isinstance(env.clock, ReplayClock)
    check_env_specs(env)
    td = env.reset()
    assert td["market_data_1min_10"].shape == (10, 5)
    assert td["market_data_5min_4"].shape == (4, 5)
    _, _, _, info = env.step(2)
    assert info["position"] == 0.01
    assert info["requests"] == 0
    assert {"orders", "fills", "rejections", "partial_fills", "funding", "unrealized_pnl"} <= set(info)
    assert env.get_metrics()["num_positions"] == 1


@pytest.mark.parametrize("kind", ["csv", "frame", "bundled"])
def test_data_inputs_give_the_same_replay(kind):
    data = {
        "csv": bundled(DEFAULT_DATA[BTC]),
        "frame": bundled_frame(),
        "bundled": None,
    }[kind]
    env = bitget(data=data, start=200)
    obs = [env.reset()["market_data_1min_10"]]
    for a in (2, 1, 0, 1):
        obs.append(env.step(a)[0]["market_data_1min_10"])
    ref = bitget(start=200)
    ref_obs = [ref.reset()["market_data_1min_10"]] + [
        ref.step(a)[0]["market_data_1min_10"] for a in (2, 1, 0, 1)
    ]
    assert all(torch.equal(x, y) for x, y in zip(obs, ref_obs, strict=True))


def test_a_frame_slice_replays_only_its_bars():
    env = bitget(data=bundled_frame().iloc[:120])
    env.reset()
    done, steps = False, 0
    while not done:
        _, _, done, info = env.step(1)
        steps += 1
    assert info.get("data_exhausted")
    assert steps < 120


def test_episode_length_truncates_and_a_reset_starts_a_fresh_account():
    env = bitget(episode_length=5)
    env.reset()
    first = env.feed.last_closed_ms
    env.step(2)
    for _ in range(4):
        _, _, done, info = env.step(1)
    assert done
    assert info["truncated"]
    assert env.position.is_open
    env.reset()  # not random: the same start again, on a fresh account
    assert env.feed.last_closed_ms == first
    assert not env.position.is_open
    assert env.balance.total == 10_000
    assert env.step(1)[3]["fills"] == []


def test_every_episode_counts_its_own_fills_and_the_env_forgets_the_old_ones():
    # A training run resets thousands of times: each fresh account's fills are counted, and the ids of
    # the old accounts' fills are not kept (memory stays flat over a long run).
    env = bitget(episode_length=4, random_start=True, seed=5)
    for _ in range(6):
        env.reset()
        reported = []
        for action in (2, 1, 0, 1):  # open long, hold, close (short side), hold
            reported += env.step(action)[3]["fills"]
        assert reported, "the episode traded"
        assert env.metrics.seen_fill_ids == {f["id"] for f in reported}


def test_random_starts_differ_per_episode_and_are_seeded():
    def starts(seed):
        env = bitget(episode_length=3, random_start=True, seed=seed)
        out = []
        for _ in range(4):
            env.reset()
            out.append(env.feed.last_closed_ms)
            env.step(1)
        return out

    a = starts(1)
    assert len(set(a)) > 1
    assert a == starts(1)


def test_a_reset_without_steps_keeps_the_episode():
    env = bitget(random_start=True, seed=3)
    env.reset()
    t = env.feed.last_closed_ms
    env.reset()
    assert env.feed.last_closed_ms == t


def test_rejections_carry_the_venues_codes():
    """An order beyond the margin: Bitget's 40762, Binance's -2019, as the HTTP wires answer."""
    for env, code in (
        (bitget(), "40762"),
        (BinanceFuturesTorchTradingEnv.replay(BinanceFuturesTradingEnvConfig(**KW)), "-2019"),
    ):
        trader = env.trader
        req = OrderRequest(
            symbol=trader.market_id, side=Side.BUY, type=OrderType.MARKET, qty=Decimal(100), client_oid="big"
        )
        outcome = trader.place("open_long", req, 100.0)
        assert (outcome.status, outcome.code) == ("rejected", code)


def test_below_the_minimum_is_refused_before_sending():
    env = BitgetFuturesTorchTradingEnv.replay(
        BitgetFuturesTradingEnvConfig(**{**KW, "quantity_per_trade": 1e-6})
    )
    env.reset()
    _, _, _, info = env.step(2)
    assert info["rejections"][0]["code"] == "precheck"


def test_binance_brackets_are_separate_orders_cancelled_with_the_position():
    env = BinanceFuturesSLTPTorchTradingEnv.replay(
        BinanceFuturesSLTPTradingEnvConfig(**KW, stoploss_levels=[-0.01], takeprofit_levels=[0.01])
    )
    env.reset()
    _, _, _, info = env.step(1)  # long with SL -1 %, TP +1 %
    assert [o["action"] for o in info["orders"]] == ["open_long", "stop_loss", "take_profit"]
    assert len(env.trader.open_brackets()) == 2
    env.close_all_positions()
    assert env.trader.open_brackets() == []


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"data": "/nonexistent.csv"}, "data"),
        ({"data": 3}, "data"),
        ({"start": 10**7}, "start"),
        ({"episode_length": 0}, "episode_length"),
    ],
)
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(ConfigError, match=field):
        bitget(**kw)


def test_leverage_beyond_the_instrument_is_refused():
    with pytest.raises(ConfigError, match="leverage"):
        BitgetFuturesTorchTradingEnv.replay(BitgetFuturesTradingEnvConfig(**{**KW, "leverage": 1000}))


def test_a_collector_trains_over_many_random_episodes():
    """What training does: a TorchRL collector over episodes of 20 steps from random starts."""
    from torchrl.collectors import Collector

    env = bitget(episode_length=20, random_start=True, seed=0)
    collector = Collector(env, policy=None, frames_per_batch=50, total_frames=100)
    batches = list(collector)
    collector.shutdown()
    frames = torch.cat([b["next", "truncated"].reshape(-1) for b in batches])
    assert frames.numel() == 100
    assert int(frames.sum()) == 5  # every 20th step ends an episode
    assert env.balance.total > 0
