"""The Alpaca envs through alpaca-py over HTTP against the emulator (no mocks): stocks and crypto.

The stock market is SPY's real minutes of 2013-10-04 (a Friday) to 2013-10-11, pre- and post-market
included; the crypto market is the bundled BTC/USD minutes, replayed on the same dates.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import MarketOrderRequest
from torchrl.collectors import Collector
from torchrl.data import LazyTensorStorage, TensorDictReplayBuffer
from torchrl.envs.utils import check_env_specs

from torchtrade.data import bundled
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.envs.core.account import PositionState
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit
from torchtrade.errors import AuthError, ConfigError
from torchtrade.markets import us_equity_hours

SPY_FILE = bundled("nyse_spy_1m_2013-10-04_11.csv.gz")
#: SPY hours around 2019-07-04 (an early close, a holiday, weekends): a slice kept with the tests.
SPY_HOURLY_2019 = Path(__file__).resolve().parents[1] / "data" / "nyse_spy_1h_2019-06-24_07-12.csv"
BTC_FILE = bundled("binance_btcbusd_1m_2022-12-13.csv")
MINUTE_MS = 60_000


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp() * 1000)


def at(t_ms: int) -> str:
    return dt.datetime.fromtimestamp(t_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def alpaca(alpaca_emulator) -> Any:
    """The emulator replaying SPY (also as GME, which it does not lend) and BTC/USD, from Friday
    2013-10-04 12:46 ET (400 bars of history: the first ones pre-market), 3 h 14 min before the close."""
    reset(alpaca_emulator)
    return alpaca_emulator


def reset(emulator: Any, *, history_bars: int = 400, **overrides: Any) -> None:
    # Alpaca meters 200 requests per wall-clock minute; a test replays an hour of bars in seconds,
    # so the budget is lifted (the env under a 429 is tested apart).
    overrides.setdefault("weight_limit", 10**9)
    overrides.setdefault("data", [f"SPY={SPY_FILE}", f"GME={SPY_FILE}", f"BTC/USD={BTC_FILE}"])
    emulator.control.reset(history_bars=history_bars, **overrides)


def make(emulator: Any, *, sltp: bool = False, **kw: Any) -> Any:
    kw.setdefault("symbol", "SPY")
    kw.setdefault("time_frames", ["1min"])
    kw.setdefault("window_sizes", [10])
    env_cls, cfg_cls = (
        (AlpacaSLTPTorchTradingEnv, AlpacaSLTPTradingEnvConfig)
        if sltp
        else (AlpacaTorchTradingEnv, AlpacaTradingEnvConfig)
    )
    return env_cls(
        cfg_cls(base_url=emulator.url, **kw),
        clock=EmulatorClock(emulator.control),
        retry_sleep=lambda s: None,
    )


def held(emulator: Any, symbol: str = "SPY") -> float:
    """The venue's signed quantity in ``symbol`` (the control API's own view, not the env's)."""
    for p in emulator.control.positions():
        if p["symbol"] in (symbol, symbol.replace("/", "")):
            qty = abs(float(p["qty"]))
            return -qty if p.get("side") == "short" else qty
    return 0.0


def regular(frame: pd.DataFrame) -> pd.DataFrame:
    hours = us_equity_hours()
    keep = [hours.is_open(int(t.value // 1_000_000)) for t in frame.index]
    return frame[keep]


def data_frame(path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df.set_index("timestamp")


# ------------------------------------------------------------------ specs, TorchRL


@pytest.mark.parametrize("symbol", ["SPY", "BTC/USD"])
@pytest.mark.parametrize(
    "frames",
    [
        {"time_frames": ["1min"], "window_sizes": [10]},
        {"time_frames": ["1min", "5min", "15min"], "window_sizes": [12, 6, 4]},
    ],
    ids=["1tf", "3tf"],
)
def test_specs(alpaca, symbol, frames):
    env = make(alpaca, symbol=symbol, **frames)
    check_env_specs(env)
    assert env.reset()["account_state"].shape == (10,)
    assert env.action_map == (
        {0: "close", 1: "hold", 2: "long"} if "/" in symbol else {0: "short", 1: "hold", 2: "long"}
    )
    pair = make(alpaca, sltp=True, symbol=symbol, sl_percent=0.02, tp_percent=0.05, **frames)
    check_env_specs(pair)
    shorts = "/" not in symbol
    assert pair.action_spec.n == (3 if shorts else 2)
    grid = make(
        alpaca,
        sltp=True,
        symbol=symbol,
        stoploss_levels=[-0.01, -0.02],
        takeprofit_levels=[0.02, 0.04, 0.08],
        **frames,
    )
    check_env_specs(grid)
    assert grid.action_spec.n == 1 + 6 * (2 if shorts else 1)


def test_collector_and_replay_buffer(alpaca):
    env = make(alpaca)
    buffer = TensorDictReplayBuffer(storage=LazyTensorStorage(64))
    collector = Collector(env, policy=None, frames_per_batch=16, total_frames=32)
    for batch in collector:
        buffer.extend(batch)
    collector.shutdown()
    assert len(buffer) == 32


def test_the_docs_loop_runs_as_written(alpaca):
    # The user serves the emulator with the keys the snippet names.
    alpaca.control.add_account("YOUR_API_KEY", "YOUR_SECRET_KEY", account="docs")
    config = AlpacaTradingEnvConfig(
        api_key="YOUR_API_KEY",
        api_secret="YOUR_SECRET_KEY",
        paper=True,
        symbol="SPY",
        timeframe=TimeFrame(1, TimeFrameUnit.MINUTE),
        initial_cash=10000.0,
        max_position_size=0.1,  # at most 10% of the portfolio in the position
        base_url=alpaca.url,
        max_steps=30,
    )
    env = AlpacaTorchTradingEnv(config=config, clock=EmulatorClock(alpaca.control))
    obs = env.reset()
    assert obs["market_data_1min_50"].shape[0] == 50
    steps = 0
    while True:
        action = env.action_spec.rand()
        obs, reward, done, info = env.step(action)
        steps += 1
        assert isinstance(reward, float)
        assert "rejections" in info
        if done:
            break
    assert steps == 30
    sltp = AlpacaSLTPTorchTradingEnv(
        config=AlpacaSLTPTradingEnvConfig(
            api_key="YOUR_API_KEY",
            api_secret="YOUR_SECRET_KEY",
            symbol="SPY",
            base_url=alpaca.url,
            sl_percent=0.02,
            tp_percent=0.05,
        ),
        clock=EmulatorClock(alpaca.control),
    )
    assert sltp.action_map == {0: (None, None, None), 1: ("long", -0.02, 0.05), 2: ("short", -0.02, 0.05)}


# ------------------------------------------------------------------ stocks


def test_buy_hold_close(alpaca):
    env = make(alpaca)
    env.reset()
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["action"] == "open_long"
    assert order["status"] == "accepted"
    assert "notional" in order["extra"]  # SPY is fractionable: bought in dollars
    bought = held(alpaca)
    assert bought > 0
    assert env.position.size == pytest.approx(bought)
    _, _, _, info = env.step(1)
    assert info["orders"] == []
    assert held(alpaca) == pytest.approx(bought)
    _, _, _, info = env.step(0)
    assert [o["action"] for o in info["orders"]] == ["close"]
    assert [f["side"] for f in info["fills"]] == ["sell"]
    assert held(alpaca) == 0
    assert not env.position.is_open


def test_short_of_a_shortable_stock(alpaca):
    env = make(alpaca)
    env.reset()
    _, _, _, info = env.step(0)
    (order,) = info["orders"]
    assert order["action"] == "open_short"
    assert order["status"] == "accepted"
    shares = held(alpaca)
    assert shares < 0
    assert shares == int(shares)  # Alpaca sells short in whole shares
    env.step(2)  # against the short: buys it back
    assert held(alpaca) == 0


def test_a_short_of_a_stock_alpaca_does_not_lend_is_refused_and_the_env_goes_on(alpaca):
    env = make(alpaca, symbol="GME")
    env.reset()
    _, _, done, info = env.step(0)
    (rejection,) = info["rejections"]
    assert rejection["code"] == "not_shortable"
    assert "cannot be sold short" in rejection["reason"]
    assert held(alpaca, "GME") == 0
    assert not done
    _, _, _, info = env.step(2)  # a long is fine
    assert info["orders"][0]["status"] == "accepted"
    assert held(alpaca, "GME") > 0


def test_a_partial_sell_reduces_the_position(alpaca):
    env = make(alpaca, quantity_per_trade=4)
    env.reset()
    env.step(2)
    assert held(alpaca) == 4
    part = PositionState.single("long", 1.5)
    outcome = env.trader.close(part, client_oid="manual-partial-1")
    assert outcome.accepted
    env.step(1)
    assert held(alpaca) == pytest.approx(2.5)
    assert env.position.size == pytest.approx(2.5)


def test_a_sell_that_fills_in_part_is_completed_in_the_same_step(alpaca):
    env = make(alpaca, quantity_per_trade=4)
    env.reset()
    env.step(2)
    alpaca.control.add_fault("partial_fill", "place_order", fill_ratio=0.5, times=1)
    _, _, _, info = env.step(0)
    (partial,) = info["partial_fills"]
    assert (partial["kind"], partial["filled"], partial["remainder"], partial["action"]) == (
        "close",
        2,
        2,
        "resent",
    )
    assert held(alpaca) == 0
    assert not env.position.is_open
    assert "reconciliation" not in info
    env.step(1)  # the next open: the first order's rest was cancelled, nothing more sells (no short)
    assert held(alpaca) == 0


@pytest.mark.parametrize(("kind", "levels"), [("take_profit", (0.5, 0.0005)), ("stop_loss", (0.0005, 0.5))])
def test_bracket_legs_fill_on_the_venue_and_the_other_is_cancelled(alpaca, kind, levels):
    sl, tp = levels
    env = make(alpaca, sltp=True, sl_percent=sl, tp_percent=tp, include_short_positions=False)
    env.reset()
    _, _, _, info = env.step(1)
    (entry,) = info["orders"]
    assert entry["status"] == "accepted"
    assert {"stopLoss", "takeProfit"} <= set(entry["extra"])
    shares = held(alpaca)
    assert shares > 0
    assert shares == int(shares)  # a bracket trades whole shares
    for _ in range(300):
        _, _, _, info = env.step(0)
        if held(alpaca) == 0:
            break
    assert held(alpaca) == 0
    assert not env.position.is_open
    orders = alpaca.control.orders()
    legs = [
        o for o in [*orders["orders"], *orders["triggers"]] if o.get("status") in ("live", "new", "accepted")
    ]
    assert legs == []  # the other leg was cancelled by the venue
    sell = [f for f in info["fills"] if f["side"] == "sell"]
    assert sell
    price = sell[0]["price"]
    expected = float(entry["extra"]["takeProfit" if kind == "take_profit" else "stopLoss"])
    assert price >= expected if kind == "take_profit" else price <= expected


# ------------------------------------------------------------------ market hours


def test_the_env_steps_on_session_bars_only_across_the_weekend(alpaca):
    env = make(alpaca)
    env.reset()  # Friday 2013-10-04, 12:46 ET
    closes = []
    while not closes or closes[-1] < ms("2013-10-07T14:00"):
        env.step(1)
        closes.append(int(env.feed.last_closed_ms))
    hours = us_equity_hours()
    assert all(hours.is_open(c - MINUTE_MS) for c in closes)  # every bar stepped on is a session bar
    friday_last, monday_first = ms("2013-10-04T20:00"), ms("2013-10-07T13:31")
    assert friday_last in closes
    assert closes[closes.index(friday_last) + 1] == monday_first  # the weekend is one jump


def test_a_market_order_after_the_close_fills_at_the_next_open(alpaca):
    env = make(alpaca, quantity_per_trade=3)
    env.reset()
    while env.feed.last_closed_ms < ms("2013-10-04T20:00"):
        env.step(1)
    assert env.clock.now_ms() == ms("2013-10-04T20:00")  # Friday's close: the market is closed now
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["status"] == "accepted"
    assert order["extra"]["queued"] is True
    assert env.clock.now_ms() == ms("2013-10-07T13:31")
    (fill,) = info["fills"]
    monday = data_frame(SPY_FILE).loc["2013-10-07T13:30"]
    assert fill["price"] == pytest.approx(float(monday["open"]), abs=0.02)
    assert fill["timestamp"] >= ms("2013-10-07T13:30")
    assert held(alpaca) == 3
    assert env.position.size == 3


def test_an_early_close_a_holiday_and_a_weekend(alpaca):
    # SPY's regular-session hours of 2019: Wednesday July 3rd closes at 13:00 ET, the 4th is a
    # holiday, the 6th and 7th a weekend.
    hourly = SPY_HOURLY_2019
    frame = data_frame(hourly)
    reset(alpaca, data=[f"SPY={hourly}"], history_bars=int((frame.index < "2019-07-03T14:00Z").sum()))
    env = make(alpaca, time_frames=["1h"], window_sizes=[4], quantity_per_trade=2)
    env.reset()
    closes, queued, fills = [], None, []
    while not closes or closes[-1] < ms("2019-07-08T15:00"):
        action = 2 if closes and closes[-1] == ms("2019-07-03T17:00") else 1
        _, _, _, info = env.step(action)
        closes.append(int(env.feed.last_closed_ms))
        fills += info["fills"]
        if action == 2:
            queued = info
    assert [at(c) for c in closes] == [
        "2019-07-03 15:00",
        "2019-07-03 16:00",
        "2019-07-03 17:00",  # the early close: 13:00 ET
        "2019-07-05 14:00",  # the 4th is skipped
        "2019-07-05 15:00",
        "2019-07-05 16:00",
        "2019-07-05 17:00",
        "2019-07-05 18:00",
        "2019-07-05 19:00",
        "2019-07-05 20:00",
        "2019-07-08 14:00",  # the weekend is one jump
        "2019-07-08 15:00",
    ]
    # The order sent at the early close waited for the next session: it filled at the open of the
    # first bar that starts in it (the 09:00 ET bar starts before the 09:30 open; the emulator's
    # engine fills a queued order on a bar that starts while the market is open).
    assert queued is not None
    assert queued["orders"][0]["extra"]["queued"] is True
    (fill,) = fills
    assert fill["price"] == pytest.approx(float(frame.loc["2019-07-05T14:00Z", "open"]), abs=0.02)
    assert fill["timestamp"] >= ms("2019-07-05T14:00")
    assert held(alpaca) == 2
    assert env.position.size == 2


def test_the_observation_is_the_data_file_without_look_ahead_across_the_weekend(alpaca):
    env = make(alpaca, time_frames=["1min"], window_sizes=[5], include_base_features=True)
    env.reset()
    while env.feed.last_closed_ms < ms("2013-10-07T13:33"):
        obs, _, _, _ = env.step(1)
    expected = regular(data_frame(SPY_FILE)).loc[:"2013-10-07T13:32"].tail(5)
    assert [t.strftime("%m-%d %H:%M") for t in expected.index] == [
        "10-04 19:58",
        "10-04 19:59",
        "10-07 13:30",
        "10-07 13:31",
        "10-07 13:32",
    ]  # no pre-market bar of Monday morning
    got = obs["market_data_1min_5"][:, -5:].double()
    assert torch.allclose(got[:, 3], torch.tensor(expected["close"].to_numpy()), rtol=1e-6)
    assert torch.allclose(
        got[:, 4], torch.tensor(expected["volume"].to_numpy(), dtype=torch.float64), rtol=1e-6
    )


def test_extended_hours_trade_pre_market_with_marketable_limits(alpaca):
    env = make(alpaca, extended_hours=True, quantity_per_trade=2)
    env.reset()
    while env.feed.last_closed_ms < ms("2013-10-04T20:30"):  # 16:30 ET: after hours
        env.step(1)
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["status"] == "accepted"
    assert "queued" not in order.get("extra", {})
    assert held(alpaca) == 2
    (venue_order,) = [
        o for o in alpaca.control.orders()["orders"] if o["client_order_id"] == order["client_oid"]
    ]
    assert venue_order["type"] == "limit"


def test_pdt_protection_refuses_the_fourth_day_trade_and_the_env_goes_on(alpaca):
    reset(alpaca, balances={"USD": 20_000})  # a small margin account
    env = make(alpaca, quantity_per_trade=1)
    env.reset()
    codes = []
    for _ in range(4):
        env.step(2)
        _, _, done, info = env.step(0)
        codes += [r["code"] for r in info["rejections"]]
        assert not done
    assert codes == ["40310100"]  # the fourth round trip of the day
    assert held(alpaca) == 1  # its close was refused: the position stands
    _, _, _, info = env.step(1)
    assert info["orders"] == []


# ------------------------------------------------------------------ crypto


def test_crypto_buys_by_notional_a_fraction_of_a_coin(alpaca):
    env = make(alpaca, symbol="BTC/USD", max_position_size=0.1)
    env.reset()
    value = env.portfolio_value
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["status"] == "accepted"
    assert order["extra"]["notional"] == pytest.approx(0.1 * value, abs=0.01)
    coins = held(alpaca, "BTC/USD")
    assert 0 < coins < 1
    _, _, _, info = env.step(0)  # 0 closes on crypto (never a short)
    assert held(alpaca, "BTC/USD") == 0
    env.step(0)
    assert held(alpaca, "BTC/USD") == 0


def test_the_client_side_stop_loss_fires_on_the_bar_that_crosses_it(alpaca):
    env = make(alpaca, sltp=True, symbol="BTC/USD", sl_percent=0.0005, tp_percent=0.5)
    env.reset()
    _, _, _, info = env.step(1)
    entry_price = info["fills"][0]["price"]
    entered = info["fills"][0]["timestamp"]
    stop = entry_price * (1 - 0.0005)
    for _ in range(300):
        _, _, _, info = env.step(0)
        if "client_bracket" in info:
            break
    fired = info["client_bracket"]
    assert fired["kind"] == "stop_loss"
    assert fired["level"] == pytest.approx(stop)
    bars = env.feed.candles("1min")
    crossing = bars.loc[pd.Timestamp(fired["bar"], unit="ms", tz="UTC")]
    assert crossing["low"] <= stop
    since_entry = bars.loc[pd.Timestamp(entered, unit="ms", tz="UTC").floor("1min") : crossing.name]
    assert (since_entry["low"].iloc[:-1] > stop).all()  # no earlier bar reached it
    (close,) = [o for o in info["orders"] if o["action"] == "close"]
    assert close["status"] == "accepted"
    assert held(alpaca, "BTC/USD") == 0
    assert not env.position.is_open


def test_a_client_side_stop_loss_that_fills_in_part_is_completed_at_once(alpaca):
    env = make(alpaca, sltp=True, symbol="BTC/USD", sl_percent=0.0005, tp_percent=0.5)
    env.reset()
    env.step(1)
    alpaca.control.add_fault("partial_fill", "place_order", fill_ratio=0.5, times=1)
    for _ in range(300):
        _, _, _, info = env.step(0)
        if "client_bracket" in info:
            break
    (partial,) = info["partial_fills"]
    assert partial["kind"] == "close"
    assert partial["action"] == "resent"
    assert held(alpaca, "BTC/USD") == 0
    assert not env.position.is_open
    assert "reconciliation" not in info  # the env knew what the venue holds at every read


# ------------------------------------------------------------------ money, truth, requests


def test_max_position_size_caps_the_entry_and_initial_cash_is_the_portfolio(alpaca):
    env = make(alpaca, max_position_size=0.25)  # the emulator's account holds $100,000
    env.reset()
    assert env.portfolio_value == pytest.approx(10_000.0)
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["extra"]["capped"]["by"] == "max_position_size"
    assert order["extra"]["notional"] == pytest.approx(2_500.0, abs=0.01)
    value = held(alpaca) * env.position.mark_price
    assert value == pytest.approx(2_500.0, rel=0.01)


def test_account_state_against_the_ledger(alpaca):
    env = make(alpaca, quantity_per_trade=5)
    env.reset()
    obs, _, _, _ = env.step(2)
    (pos,) = alpaca.control.positions()
    state = obs["account_state"]
    assert float(state[1]) == pytest.approx(float(pos["qty"])) == 5
    assert float(state[2]) == pytest.approx(float(pos["market_value"]), rel=1e-6)
    assert float(state[3]) == pytest.approx(float(pos["avg_entry_price"]), rel=1e-6)
    assert float(state[4]) == pytest.approx(float(env.feed.candles("1min")["close"].iloc[-1]))
    assert float(state[6]) == 1.0  # leverage: a spot position
    assert float(state[8]) == 0.0  # no liquidation price
    (account,) = alpaca.control.balances()
    assert float(state[0]) == pytest.approx(
        min(float(account["cash"]), float(account["buying_power"])), rel=1e-6
    )
    assert float(state[7]) == pytest.approx(float(pos["market_value"]) / float(account["equity"]), rel=1e-5)


@pytest.mark.parametrize("symbol", ["SPY", "BTC/USD"])
@pytest.mark.parametrize("frames", [["1min"], ["1min", "5min", "15min"]], ids=["1tf", "3tf"])
def test_a_hold_step_costs_at_most_three_requests(alpaca, symbol, frames):
    env = make(alpaca, symbol=symbol, time_frames=frames, window_sizes=[8] * len(frames))
    env.reset()
    counts = [env.step(1)[3]["requests"] for _ in range(30)]
    assert max(counts) <= 3
    env.step(2)
    counts = [env.step(1)[3]["requests"] for _ in range(5)]
    assert max(counts) <= 3


# ------------------------------------------------------------------ errors


def test_insufficient_buying_power_is_a_rejection_in_info(alpaca):
    env = make(alpaca, symbol="BTC/USD", quantity_per_trade=90_000, trade_mode="cash", initial_cash=None)
    env.reset()  # reads $100,000 of cash
    # Someone else spends most of it before the env's next order (crypto is never bought on margin).
    other = TradingClient("emulator-key", "emulator-secret", paper=True, url_override=alpaca.url)
    other.submit_order(MarketOrderRequest(symbol="BTC/USD", notional=95_000, side="buy", time_in_force="gtc"))
    _, _, done, info = env.step(2)
    (rejection,) = info["rejections"]
    assert rejection["code"] == "40310000"
    assert not done


def test_wrong_keys_and_unknown_symbols_fail_at_construction(alpaca, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError):
        make(alpaca, api_key="nobody", api_secret="WRONG-secret-123")
    assert "WRONG-secret-123" not in caplog.text
    with pytest.raises(ConfigError, match=r"symbol='ZZZZ'"):
        make(alpaca, symbol="ZZZZ")
