"""Risk limits through the real SDK against the emulator: ``max_drawdown`` on a scripted loss,
``max_orders_per_minute`` on the venue's clock, and ``env.kill()`` (once, idempotent, then holds)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import BTC
from torchtrade.envs import EmulatorClock
from torchtrade.envs.binance import BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesSLTPTradingEnvConfig
from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.envs.core.account import OrderOutcome
from torchtrade.errors import ConfigError

START_S = 1_700_006_400  # 2023-11-15T00:00:00Z, a minute boundary
FLAT_BARS, FALL_BARS = 300, 30


def scripted_loss(path: Path) -> Path:
    """BTC at 20,000 for 300 minutes, then 0.5 % lower every minute for 30 minutes, then flat."""
    lines = ["timestamp,open,high,low,close,volume"]
    price = 20_000.0
    for i in range(FLAT_BARS + FALL_BARS + 200):
        stamp = f"{_iso(START_S + 60 * i)}"
        new = price * 0.995 if FLAT_BARS <= i < FLAT_BARS + FALL_BARS else price
        lines.append(f"{stamp},{price:.1f},{max(price, new) + 1:.1f},{min(price, new) - 1:.1f},{new:.1f},5")
        price = new
    path.write_text("\n".join(lines) + "\n")
    return path


def _iso(t: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def bitget(emulator, sltp: bool = False, **kw):
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    kw.setdefault("time_frames", ["1min"])
    kw.setdefault("window_sizes", [10])
    env_cls, cfg = (
        (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig)
        if sltp
        else (BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig)
    )
    return env_cls(
        cfg(base_url=emulator.url, **kw), clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None
    )


#: order statuses that are over (the futures engine's and Alpaca's)
DONE = {"filled", "canceled", "cancelled", "expired", "rejected", "replaced"}


def open_orders(emulator) -> list[dict]:
    book = emulator.control.orders()
    return [o for o in book["orders"] if o["status"] not in DONE] + [
        t for t in book["triggers"] if t["status"] == "live"
    ]


# ------------------------------------------------------------------ config


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_drawdown", 0),
        ("max_drawdown", 1),
        ("max_drawdown", -0.1),
        ("max_drawdown", float("nan")),
        ("max_drawdown", True),
        ("max_drawdown", "0.2"),
        ("max_orders_per_minute", 0),
        ("max_orders_per_minute", 2.5),
        ("max_orders_per_minute", True),
    ],
)
def test_bad_limits_name_the_field(field, value):
    with pytest.raises(ConfigError, match=rf"BitgetFuturesTradingEnvConfig\.{field}="):
        BitgetFuturesTradingEnvConfig(**{field: value})


def test_limits_reach_the_env(emulator):
    env = bitget(emulator, max_drawdown=0.2, max_orders_per_minute=7)
    assert (env.risk.max_drawdown, env.risk.max_orders_per_minute) == (0.2, 7)
    assert env.risk.start_value == pytest.approx(10_000)
    assert env.risk.floor == pytest.approx(8_000)


# ------------------------------------------------------------------ max_drawdown


def test_max_drawdown_trips_once_on_a_scripted_loss(emulator, tmp_path, caplog):
    emulator.control.reset(data=[f"{BTC}={scripted_loss(tmp_path / 'fall.csv')}"], history_bars=FLAT_BARS - 5)
    # 0.25 BTC at 20,000 is 5,000 of exposure: a 4 % loss of 10,000 is an 8 % fall of the price.
    env = bitget(emulator, quantity_per_trade=0.25, max_drawdown=0.04, initial_cash=10_000)
    caplog.set_level(logging.WARNING, logger="torchtrade")
    env.reset()
    _, _, _, info = env.step(2)
    assert info["position"] == pytest.approx(0.25)
    tripped = []
    for _ in range(FALL_BARS + 5):
        _, _, _, info = env.step(1)
        if "tripped" in info.get("risk", {}):
            tripped.append(info)
    assert len(tripped) == 1  # once, on the step the value reached the floor
    (trip,) = tripped
    breach = trip["risk"]["tripped"]
    assert breach["drawdown"] >= 0.04
    assert breach["start_value"] == pytest.approx(10_000)
    assert breach["flatten"]["complete"] is True
    assert breach["value"] <= 10_000 * 0.96
    assert [o["action"] for o in trip["orders"]] == ["close"]
    assert "-risk1" in trip["orders"][0]["client_oid"]
    assert trip["position"] == 0
    assert emulator.control.positions() == []
    assert open_orders(emulator) == []
    # the loss stopped there: the value after the flatten is what the env reports from then on
    assert env.portfolio_value < 10_000 * 0.96 + 50
    # further entries are refused client-side, every step says the env is halted
    before = len(emulator.control.orders()["orders"])
    for action in (2, 0, 2):
        _, _, _, info = env.step(action)
        assert info["risk"]["status"] == "entry_refused"
        assert info["risk"]["reason"] == "max_drawdown"
        assert info["orders"] == []
    _, _, _, info = env.step(1)
    assert info["risk"]["status"] == "halted"
    env.reset()  # it does not re-arm at reset
    _, _, _, info = env.step(2)
    assert info["risk"]["reason"] == "max_drawdown"
    assert len(emulator.control.orders()["orders"]) == before
    warnings = [r for r in caplog.records if "max_drawdown reached" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    # re-armed on purpose, it lets entries through again
    env.risk.rearm(env.portfolio_value)
    _, _, _, info = env.step(2)
    assert "risk" not in info
    assert info["position"] == pytest.approx(0.25)
    env.close_all_positions()


def test_a_tripped_drawdown_stays_tripped_across_a_restart_with_its_journal(emulator, tmp_path):
    emulator.control.reset(data=[f"{BTC}={scripted_loss(tmp_path / 'fall.csv')}"], history_bars=FLAT_BARS - 5)
    journal = tmp_path / "run.sqlite"
    env = bitget(emulator, quantity_per_trade=0.25, max_drawdown=0.04, initial_cash=10_000, journal=journal)
    env.reset()
    env.step(2)
    for _ in range(FALL_BARS + 5):
        env.step(1)
    assert env.risk.halted == "max_drawdown"
    env.close()  # the process restarts
    again = bitget(emulator, quantity_per_trade=0.25, max_drawdown=0.04, initial_cash=10_000, journal=journal)
    assert again.risk.start_value == pytest.approx(10_000)  # the run's start, not the value now
    assert again.risk.halted == "max_drawdown"
    again.reset()
    before = len(emulator.control.orders()["orders"])
    _, _, _, info = again.step(2)
    assert info["risk"]["reason"] == "max_drawdown"
    assert len(emulator.control.orders()["orders"]) == before
    again.close()


def test_no_limit_no_trip(emulator, tmp_path):
    emulator.control.reset(data=[f"{BTC}={scripted_loss(tmp_path / 'fall.csv')}"], history_bars=FLAT_BARS - 5)
    env = bitget(emulator, quantity_per_trade=0.25)
    env.reset()
    env.step(2)
    for _ in range(FALL_BARS):
        _, _, _, info = env.step(1)
        assert "risk" not in info
    assert info["position"] == pytest.approx(0.25)
    env.close_all_positions()


# ------------------------------------------------------------------ max_orders_per_minute


def test_max_orders_per_minute_refuses_entries_never_closes(emulator):
    env = bitget(emulator, max_orders_per_minute=1)
    env.reset()
    _, _, _, info = env.step(2)  # 1 order at T0
    assert info["position"] > 0
    env.close_all_positions()  # a close at T0 + 1 min: never refused, and it counts
    assert emulator.control.positions() == []
    sent = len(emulator.control.orders()["orders"])
    _, _, _, info = env.step(2)  # same minute: the entry would be the 2nd order
    assert info["risk"]["reason"] == "max_orders_per_minute"
    assert info["orders"] == []
    assert info["position"] == 0
    assert len(emulator.control.orders()["orders"]) == sent
    _, _, _, info = env.step(2)  # a minute of venue time later: allowed again
    assert "risk" not in info
    assert info["position"] > 0
    # A window already full (as after a kill or a close-all in this minute) never holds a close back.
    now = env.clock.now_ms()
    for _ in range(3):
        env.risk.record_order(OrderOutcome("x", "close", "accepted"), now)
    _, _, _, info = env.step(0)
    assert info["orders"][0]["action"] == "close"
    assert info["orders"][0]["status"] == "accepted"
    assert emulator.control.positions() == []


def test_a_separate_bracket_entry_counts_three_orders(binance_emulator):
    def make(limit):
        return BinanceFuturesSLTPTorchTradingEnv(
            BinanceFuturesSLTPTradingEnvConfig(
                base_url=binance_emulator.url,
                quantity_per_trade=0.01,
                leverage=5,
                time_frames=["1min"],
                window_sizes=[10],
                max_orders_per_minute=limit,
            ),
            clock=EmulatorClock(binance_emulator.control),
            retry_sleep=lambda s: None,
        )

    env = make(2)
    env.reset()
    _, _, _, info = env.step(1)  # entry + stop-loss + take-profit: 3 > 2, refused whole
    assert info["risk"]["reason"] == "max_orders_per_minute"
    assert "needs 3" in info["risk"]["detail"]
    assert binance_emulator.control.positions() == []
    env = make(3)
    env.reset()
    _, _, _, info = env.step(1)
    assert "risk" not in info
    assert [o["action"] for o in info["orders"]] == ["open_long", "stop_loss", "take_profit"]
    summary = env.kill()
    assert summary["complete"]
    assert binance_emulator.control.positions() == []
    assert open_orders(binance_emulator) == []


# ------------------------------------------------------------------ kill()


def test_kill_cancels_closes_once_then_holds(emulator, caplog):
    env = bitget(emulator, sltp=True)
    env.reset()
    env.step(1)
    assert len(emulator.control.positions()) == 1
    assert len(open_orders(emulator)) == 2
    caplog.set_level(logging.INFO, logger="torchtrade")
    summary = env.kill()
    assert summary["status"] == "killed"
    assert summary["complete"] is True
    assert summary["cancelled"] == 2
    assert [c["status"] for c in summary["closes"]] == ["accepted"]
    assert env.last_info["kill"] == summary
    assert env.last_info["position"] == 0
    assert env.last_info["fills"]  # the close's fill is the env's: metrics and value include it
    assert emulator.control.positions() == []
    assert open_orders(emulator) == []
    orders = len(emulator.control.orders()["orders"])
    again = env.kill()
    assert again["status"] == "already_killed"
    assert len(emulator.control.orders()["orders"]) == orders
    assert any("already done" in r.getMessage() for r in caplog.records)
    for action in (1, 10, 0):
        _, _, _, info = env.step(action)
        if action:
            assert info["risk"] == {
                "status": "entry_refused",
                "reason": "killed",
                "detail": "the env was killed: it opens nothing any more",
            }
        assert info["orders"] == []
        assert info["position"] == 0
    assert len(emulator.control.orders()["orders"]) == orders


def test_kill_of_a_flat_env_sends_nothing(emulator):
    env = bitget(emulator)
    env.reset()
    summary = env.kill()
    assert summary["complete"]
    assert summary["cancelled"] == 0
    assert summary["closes"] == []
    assert emulator.control.orders()["orders"] == []


def test_kill_with_the_venue_down_is_incomplete_then_retried(emulator):
    env = bitget(emulator, retry_attempts=1)
    env.reset()
    env.step(2)
    emulator.control.add_fault("server_error", route="*", times=None)
    summary = env.kill()
    assert summary["status"] == "incomplete"
    assert summary["errors"]
    assert all("***" not in e for e in summary["errors"])
    emulator.control.clear_faults()
    _, _, _, info = env.step(2)  # halted anyway: nothing opens while the kill is unfinished
    assert info["risk"]["reason"] == "killed"
    summary = env.kill()
    assert summary["status"] == "killed"
    assert summary["complete"]
    assert emulator.control.positions() == []
    assert open_orders(emulator) == []


def test_kill_an_alpaca_stock_bracket(alpaca_emulator):
    from torchtrade.envs import AlpacaSLTPTorchTradingEnv, AlpacaSLTPTradingEnvConfig

    alpaca_emulator.control.reset(history_bars=400, weight_limit=10**9)  # Friday 12:46 ET: open
    env = AlpacaSLTPTorchTradingEnv(
        AlpacaSLTPTradingEnvConfig(
            symbol="SPY",
            base_url=alpaca_emulator.url,
            time_frames=["1min"],
            window_sizes=[10],
            stoploss_levels=(-0.5,),
            takeprofit_levels=(1.0,),
            include_short_positions=False,
            max_orders_per_minute=5,
        ),
        clock=EmulatorClock(alpaca_emulator.control),
        retry_sleep=lambda s: None,
    )
    env.reset()
    _, _, _, info = env.step(1)
    assert info["position"] > 0
    assert len(open_orders(alpaca_emulator)) == 2  # the bracket's take-profit and stop-loss legs
    summary = env.kill()
    assert summary["complete"]
    assert summary["cancelled"] == 2
    assert alpaca_emulator.control.positions() == []
    assert open_orders(alpaca_emulator) == []
    _, _, _, info = env.step(1)
    assert info["risk"]["reason"] == "killed"
    assert env.kill()["status"] == "already_killed"
