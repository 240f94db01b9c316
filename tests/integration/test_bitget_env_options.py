"""Env options end to end against the emulator: episode ends, reset behaviour, sizing, features,
reward, keys from a .env file."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tests.conftest import bundled_frame
from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig, TradeMode


def make(emulator, *, fn=None, reward_fn=None, **kw):
    kw.setdefault("quantity_per_trade", 0.01)
    return BitgetFuturesTorchTradingEnv(
        BitgetFuturesTradingEnvConfig(base_url=emulator.url, **kw),
        clock=EmulatorClock(emulator.control),
        feature_preprocessing_fn=fn,
        reward_fn=reward_fn,
    )


def test_bankruptcy_terminates_the_episode(emulator):
    # 1 BTC at 5x pays ~10 USDT of fee on entry: below 99.99 % of the start value.
    env = make(emulator, quantity_per_trade=1.0, leverage=5, bankrupt_threshold=0.9999)
    env.reset()
    _, _, done, info = env.step(2)
    assert done
    assert info["terminated"]
    assert not info["truncated"]


def test_no_bankruptcy_when_disabled(emulator):
    env = make(
        emulator, quantity_per_trade=1.0, leverage=5, bankrupt_threshold=0.9999, done_on_bankruptcy=False
    )
    env.reset()
    _, _, done, _ = env.step(2)
    assert not done


def test_max_steps_truncates(emulator):
    env = make(emulator, max_steps=3)
    env.reset()
    dones = [env.step(1)[2] for _ in range(3)]
    assert dones == [False, False, True]
    assert env.last_info["truncated"]
    env.reset()
    assert env.step(1)[2] is False  # a new episode counts again


def test_the_end_of_the_replay_truncates(emulator, caplog):
    emulator.control.reset(history_bars=1400)  # 40 bars left in the bundled file
    env = make(emulator, time_frames=["1min"], window_sizes=[10])
    env.reset()
    steps = 0
    with caplog.at_level(logging.WARNING, logger="torchtrade"):
        for steps in range(1, 61):  # noqa: B007 - the count is what we check
            _, _, done, info = env.step(1)
            if done:
                break
    assert info["truncated"]
    assert info["data_exhausted"]
    assert "stale_market_data" not in info  # the data ended: not a stale feed
    assert not [r for r in caplog.records if "no new" in r.getMessage()]
    assert steps == 41  # every remaining bar was a step; the next one found the data exhausted


def test_close_position_on_reset(emulator):
    env = make(emulator, close_position_on_reset=True)
    env.reset()
    env.step(2)
    assert emulator.control.positions()
    env.reset()
    assert emulator.control.positions() == []
    assert env.position.side is None


def test_reset_keeps_the_position_by_default(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    env.reset()
    assert env.position.side == "long"
    assert env.reset()["account_state"][1] == pytest.approx(0.01)


def test_cash_trade_mode_sizes_by_position_value(emulator):
    env = make(emulator, trade_mode=TradeMode.CASH, quantity_per_trade=500, leverage=5)
    env.reset()
    price = float(env.feed.candles(env.execute_on)["close"].iloc[-1])
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["amount"] == pytest.approx(
        np.floor(500 / price / 0.0001) * 0.0001
    )  # rounded down to the lot


def test_custom_feature_function_per_timeframe(emulator):
    seen: list[int] = []

    def features(df: pd.DataFrame) -> pd.DataFrame:
        seen.append(len(df))
        df["features_return"] = np.log(df["close"]).diff().fillna(0.0)
        df["features_range"] = (df["high"] - df["low"]) / df["close"]
        df["not_a_feature"] = 1.0
        return df

    env = make(
        emulator, fn=features, time_frames=["1min", "5min"], window_sizes=[10, 4], include_base_features=True
    )
    td = env.reset()
    assert td["market_data_1min_10"].shape == (10, 2 + 5)
    assert td["market_data_5min_4"].shape == (4, 2 + 5)
    assert max(seen) >= 20  # the function got warm-up bars before the window (2 x window by default)
    candles = env.feed.candles(env.execute_on)
    expected = np.log(candles["close"]).diff().iloc[-10:].to_numpy()
    np.testing.assert_allclose(td["market_data_1min_10"][:, 0].numpy(), expected, rtol=1e-5)


def test_custom_reward(emulator):
    calls = []

    def reward(previous: float, current: float, info: dict) -> float:
        calls.append((previous, current, dict(info)))
        return current - previous

    env = make(emulator, reward_fn=reward)
    env.reset()
    _, r, _, _ = env.step(2)
    previous, current, info = calls[-1]
    assert r == pytest.approx(current - previous, abs=1e-3)
    assert info["orders"][0]["action"] == "open_long"


def test_a_gap_in_the_market_data_still_moves_one_bar_per_step(emulator, caplog):
    # The bundled ETH file has no bar from 2018-04-04 16:53 to 23:59 (a hole in the source data), and a
    # few missing minutes just before it. Start 1009 minutes into the file: the hole begins 4 minutes on.
    emulator.control.reset(history_bars=1009)
    env = make(
        emulator, symbol="ETH/USDT:USDT", time_frames=["1min"], window_sizes=[10], quantity_per_trade=0.1
    )
    env.reset()
    start = emulator.control.status()["now"]
    shift = start - pd.Timestamp("2018-04-04T00:00:00Z").value // 1_000_000 - 1009 * 60_000
    frame = bundled_frame("ETH/USDT:USDT")
    bar_opens = {t.value // 1_000_000 + shift for t in frame.index}
    stale = []
    with caplog.at_level(logging.INFO, logger="torchtrade"):
        for _ in range(12):
            _, _, done, info = env.step(1)
            stale.append(info.get("stale_market_data", False))
            assert not done  # a hole is not the end of the data
    assert emulator.control.status()["now"] == start + 12 * 60_000  # one bar of time per step
    expected = [start + k * 60_000 not in bar_opens for k in range(12)]  # the bar closing at step k+1
    assert stale == expected
    assert expected[-8:] == [True] * 8  # the steps really went into the hole
    # A missing minute is INFO; a feed stale 3 steps in a row warns, once per such run (here: the
    # 3 missing minutes before the hole, then the hole).
    assert expected[:4] == [True, True, True, False]
    missing = [r for r in caplog.records if r.getMessage().startswith("no new 1min bar")]
    assert [i for i, r in enumerate(missing) if r.levelno == logging.WARNING] == [2, 5]
    assert len(missing) == sum(expected)
    assert "for 3 steps in a row" in next(r for r in missing if r.levelno == logging.WARNING).getMessage()
