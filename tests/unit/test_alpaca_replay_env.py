"""The Alpaca in-process mode (``AlpacaTorchTradingEnv.replay``): specs, sessions, episodes, refusals."""

from __future__ import annotations

import itertools

import pytest
import torch
from torchrl.envs.utils import check_env_specs

from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
)
from torchtrade.envs.replay import ReplayClock
from torchtrade.envs.replay.alpaca_client import EngineTradingClient
from torchtrade.errors import ConfigError
from torchtrade.markets import us_equity_hours

KW = {"time_frames": ["1min", "5min"], "window_sizes": [10, 4]}


def stock(**kw):
    return AlpacaTorchTradingEnv.replay(AlpacaTradingEnvConfig(symbol="SPY", **KW), **kw)


@pytest.mark.parametrize("symbol", ["SPY", "BTC/USD"])
def test_same_classes_and_specs(symbol):
    env = AlpacaTorchTradingEnv.replay(AlpacaTradingEnvConfig(symbol=symbol, **KW))
    assert type(env) is AlpacaTorchTradingEnv
    assert isinstance(env.clock, ReplayClock)
    assert isinstance(env.trader.trading, EngineTradingClient)
    check_env_specs(env)
    assert env.action_map == (
        {0: "close", 1: "hold", 2: "long"} if "/" in symbol else {0: "short", 1: "hold", 2: "long"}
    )
    sltp = AlpacaSLTPTorchTradingEnv.replay(
        AlpacaSLTPTradingEnvConfig(symbol=symbol, sl_percent=0.02, tp_percent=0.05, **KW)
    )
    assert type(sltp) is AlpacaSLTPTorchTradingEnv
    check_env_specs(sltp)
    assert sltp.action_spec.n == (2 if "/" in symbol else 3)


def test_a_stock_steps_on_session_bars_only_across_the_weekend():
    env = stock(start=400)  # Friday 2013-10-04 12:46 ET
    env.reset()
    hours = us_equity_hours()
    now = env.replay_session.emulator.clock.now_ms
    seen = []
    for _ in range(200):  # past Friday's close (194 bars left) into Monday's session
        env.step(1)
        seen.append(now())
    assert all(hours.is_open(t - 60_000) for t in seen)  # every step closes a regular-session bar
    gap = max(b - a for a, b in itertools.pairwise(seen))
    assert gap > 2 * 86_400_000  # Friday 16:00 ET to Monday 09:31 ET in one step


def test_a_market_order_after_the_close_waits_for_the_open():
    env = stock(start=400)
    env.reset()
    for _ in range(194):  # the present is Friday 16:00 ET, the close
        env.step(1)
    _, _, _, info = env.step(2)  # acts at the close: the order waits, the step ends Monday 09:31 ET
    (order,) = info["orders"]
    assert order["status"] == "accepted"
    assert order["extra"].get("queued")
    (fill,) = info["fills"]
    monday_open = 1381152600000  # 2013-10-07 09:30 ET
    assert monday_open <= fill["timestamp"] <= monday_open + 60_000  # in the session's first bar
    assert env.position.is_open


def test_episode_length_truncates_and_a_reset_starts_a_fresh_account():
    env = stock(start=400, episode_length=5)
    env.reset()
    wallet = env.balance.total
    env.step(2)
    for _ in range(3):
        env.step(1)
    _, _, done, _ = env.step(1)
    assert done
    assert env.position.is_open
    env.reset()
    assert not env.position.is_open
    assert env.trader.fills.since(0) == []
    assert env.balance.total == wallet
    _, _, _, info = env.step(2)  # trades again on the fresh account
    assert info["orders"][0]["status"] == "accepted"


def test_random_starts_differ_per_episode_and_are_seeded():
    def starts(seed):
        env = AlpacaTorchTradingEnv.replay(
            AlpacaTradingEnvConfig(symbol="BTC/USD", **KW), episode_length=3, random_start=True, seed=seed
        )
        out = []
        for _ in range(3):
            env.reset()
            out.append(env.replay_session.start)
            env.step(1)
        return out

    a = starts(1)
    assert a == starts(1)
    assert len(set(a)) > 1


def test_set_seed_draws_the_starts_of_an_env_built_with_that_seed():
    """``env.set_seed(s)`` (how ParallelEnv and the collectors seed a worker) == ``replay(seed=s)``."""

    def starts(env):
        out = []
        for _ in range(3):
            env.reset()
            out.append(env.replay_session.start)
            env.step(1)
        return out

    def build(seed):
        config = AlpacaTradingEnvConfig(symbol="BTC/USD", **KW)
        return AlpacaTorchTradingEnv.replay(config, episode_length=3, random_start=True, seed=seed)

    seeded = build(99)
    seeded.set_seed(1)
    assert starts(seeded) == starts(build(1))


def test_shorting_a_stock_it_does_not_lend_is_refused_with_the_reason():
    env = stock(start=400)
    env.reset()
    env.trader.asset = type(env.trader.asset)(  # the listing says: not easy to borrow
        **{**{f: getattr(env.trader.asset, f) for f in env.trader.asset.__slots__}, "easy_to_borrow": False}
    )
    _, _, _, info = env.step(0)
    assert info["rejections"]
    assert info["rejections"][0]["code"] == "not_shortable"


def test_crypto_is_long_only_and_pays_the_taker_fee():
    env = AlpacaTorchTradingEnv.replay(AlpacaTradingEnvConfig(symbol="BTC/USD", **KW), start=100)
    env.reset()
    _, _, _, info = env.step(2)
    (fill,) = info["fills"]
    assert fill["fee"] == pytest.approx(fill["price"] * fill["amount"] * 0.0025)
    _, _, _, info = env.step(0)  # 0 closes on crypto
    assert info["fills"]
    assert not env.position.is_open


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"start": -1}, "start"), ({"start": 10**9}, "start"), ({"episode_length": 0}, "episode_length")],
)
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(ConfigError, match=field):
        stock(**kw)


def test_a_symbol_without_bundled_data_names_the_field():
    with pytest.raises(ConfigError, match="symbol"):
        AlpacaTorchTradingEnv.replay(AlpacaTradingEnvConfig(symbol="AAPL", **KW))


def test_the_array_feed_observes_what_the_live_candle_feed_observes():
    """The fast feed (session bars as arrays) and the live CandleFeed over the same session-filtered
    bars give the same windows, across the weekend's close."""
    from torchtrade.envs.replay.alpaca import build_alpaca_replay

    def make(fast):
        return build_alpaca_replay(
            AlpacaTorchTradingEnv, AlpacaTradingEnvConfig(symbol="SPY", **KW), start=400, fast_feed=fast
        )

    fast, live = make(True), make(False)
    a, b = fast.reset(), live.reset()
    for i in range(260):
        for key in ("market_data_1min_10", "market_data_5min_4", "account_state"):
            assert torch.equal(a[key], b[key]), (i, key)
        action = (1, 1, 2, 1, 0)[i % 5]
        a, b = fast.step(action)[0], live.step(action)[0]


def test_crypto_sltp_levels_are_the_envs_own_and_close_the_position():
    env = AlpacaSLTPTorchTradingEnv.replay(
        AlpacaSLTPTradingEnvConfig(
            symbol="BTC/USD", stoploss_levels=[-0.0005], takeprofit_levels=[0.0005], **KW
        ),
        start=100,
    )
    env.reset()
    _, _, _, info = env.step(1)  # long with SL/TP 0.05 % away: held by the env, not the venue
    assert env.position.is_open
    assert env.trader.open_brackets() == []
    for _ in range(200):
        _, _, _, info = env.step(0)
        if "client_bracket" in info:
            break
    assert info["client_bracket"]["kind"] in ("stop_loss", "take_profit")
    assert info["client_bracket"]["status"] == "accepted"
    assert not env.position.is_open
