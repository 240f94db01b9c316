"""The run recorder on real env runs against the emulator (Bitget's attached brackets, Binance's separate
legs), its record agreeing with ``env.get_metrics()``, and ``torchtrade report`` on the file it saves."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from torchtrade.cli import main
from torchtrade.data import bundled
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.reports import RunRecorder, load_record, periods_per_year, write_report

ENVS = {
    "bitget": ("emulator", BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig),
    "binance": ("binance_emulator", BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesSLTPTradingEnvConfig),
}


def sltp_env(request, venue: str):
    fixture, env_cls, cfg_cls = ENVS[venue]
    emulator = request.getfixturevalue(fixture)
    config = cfg_cls(
        base_url=emulator.url,
        quantity_per_trade=0.01,
        leverage=5,
        time_frames=["1min"],
        window_sizes=[10],
        stoploss_levels=(-0.002,),
        takeprofit_levels=(0.002,),
        include_short_positions=False,
    )
    return env_cls(config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None)


def run(env, rec: RunRecorder, actions: list[int], until_flat: int = 0) -> None:
    env.reset()
    rec.record(env)
    for a in actions:
        _, reward, _, info = env.step(a)
        rec.record(env, info, reward=reward)
    for _ in range(until_flat):  # hold until a bracket closes the position on the venue
        if not env.position.is_open:
            break
        _, reward, _, info = env.step(0)
        rec.record(env, info, reward=reward)


@pytest.mark.parametrize("venue", list(ENVS))
def test_the_recorder_follows_an_env_through_an_entry_and_its_bracket(request, venue):
    env = sltp_env(request, venue)
    rec = RunRecorder()
    run(env, rec, [0, 1, 0], until_flat=300)  # hold, long with SL/TP -0.2 %/+0.2 %, hold, ...
    assert not env.position.is_open, "a 0.2 % bracket closes within 300 one-minute bars of this day"
    env.step(1)  # a second entry, left open
    rec.record(env)
    env.close_all_positions()
    rec.record(env)  # its fill and the flat value after it
    record = rec.to_record()
    steps, fills = record.steps, record.fills

    assert str(steps["time"].dtype) == "datetime64[ms, UTC]"
    assert steps["time"].is_monotonic_increasing
    assert steps["step"].iloc[0] == 0
    assert pd.isna(steps["side"].iloc[0])
    entered = steps[steps["step"] == 2].iloc[0]
    assert entered["side"] == "long"
    assert entered["position"] == pytest.approx(0.01)
    assert entered["stop_loss"] == pytest.approx(entered["entry_price"] * 0.998, rel=1e-3)
    assert entered["take_profit"] == pytest.approx(entered["entry_price"] * 1.002, rel=1e-3)
    flat = steps[steps["side"].isna()]
    assert flat["stop_loss"].isna().all()
    assert flat["take_profit"].isna().all()
    assert steps["reward"].iloc[1:-2].notna().all()

    assert list(fills["kind"]) == ["entry", "exit", "entry", "exit"]
    first_exit = fills.iloc[1]
    assert first_exit["action"] in ("stop_loss", "take_profit")
    assert fills.iloc[0]["action"] == "open_long"
    assert fills.iloc[0]["client_oid"]
    assert fills.iloc[3]["action"] == "close"
    assert fills["fee"].gt(0).all()
    assert steps["fees"].sum() == pytest.approx(fills["fee"].sum())
    assert steps["fills"].sum() == len(fills)

    # printed, plotted and env numbers are one computation
    m, env_m = record.metrics(), env.get_metrics()
    assert m.portfolio_value == pytest.approx(env_m["portfolio_value"]) == pytest.approx(env.portfolio_value)
    for key in ("total_return", "max_drawdown", "fees", "trades", "fills", "win_rate", "realized_pnl"):
        assert getattr(m, key) == pytest.approx(env_m[key]), key
    for key in ("sharpe", "sortino", "calmar"):
        assert math.isnan(env_m[key]) or getattr(m, key) == pytest.approx(env_m[key]), key
    assert m.total_return == pytest.approx(m.portfolio_value / m.initial_value - 1)
    assert m.trades == 2
    assert m.periods_per_year == periods_per_year(60_000) == 525_600
    env.close()


def test_a_saved_run_is_read_back_and_reported(request, tmp_path, capsys):
    env = sltp_env(request, "bitget")
    rec = RunRecorder()
    run(env, rec, [1, 0, 0, 0])
    env.close_all_positions()
    rec.record(env)
    env.close()
    path = rec.save(tmp_path / "run.sqlite")
    back = load_record(path)
    original = rec.to_record()
    pd.testing.assert_frame_equal(back.steps, original.steps)
    pd.testing.assert_frame_equal(back.fills, original.fills)
    assert back.meta["symbol"] == "BTC/USDT:USDT"
    assert back.meta["currency"] == "USDT"
    assert back.metrics() == original.metrics()

    out = tmp_path / "out"
    assert main(["report", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    png, html = out / "run.png", out / "run.html"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = html.read_text()
    assert 'id="metrics"' in page
    assert "data:image/png;base64," in page
    final = f"{original.metrics().portfolio_value:,.2f} USDT"
    assert final in printed
    assert final in page
    assert str(png.resolve()) in printed
    assert str(html.resolve()) in printed


# ------------------------------------------------------------------ Alpaca: sessions, client-side levels

SPY_FILE = bundled("nyse_spy_1m_2013-10-04_11.csv.gz")


@pytest.fixture
def alpaca(alpaca_emulator):
    """SPY and BTC/USD from Friday 2013-10-04 12:46 ET (as tests/integration/test_alpaca_env.py has them)."""
    alpaca_emulator.control.reset(
        history_bars=400,
        weight_limit=10**9,
        data=[f"SPY={SPY_FILE}", f"BTC/USD={bundled('binance_btcbusd_1m_2022-12-13.csv')}"],
    )
    return alpaca_emulator


def alpaca_env(emulator, symbol: str, sl: float, tp: float):
    config = AlpacaSLTPTradingEnvConfig(
        base_url=emulator.url,
        symbol=symbol,
        time_frames=["1min"],
        window_sizes=[10],
        sl_percent=sl,
        tp_percent=tp,
        include_short_positions=False,
    )
    return AlpacaSLTPTorchTradingEnv(
        config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None
    )


def test_a_stock_run_across_the_close_is_annualised_by_sessions(alpaca, tmp_path):
    env = alpaca_env(alpaca, "SPY", 0.02, 0.02)  # wide: the bracket stays on over the night
    rec = RunRecorder()
    run(env, rec, [1] + [0] * 220)  # Friday's last 194 session bars, then Monday's
    record = rec.to_record()
    steps = record.steps
    assert record.meta["periods_per_year"] == 252 * 390
    assert record.currency == "USD"
    held = steps[steps["side"] == "long"]
    assert len(held) > 200
    assert held["stop_loss"].notna().all()
    assert held["take_profit"].notna().all()
    entry = held["entry_price"].iloc[0]
    assert held["stop_loss"].iloc[0] == pytest.approx(entry * 0.98, rel=2e-3)
    gap = steps["time"].diff().max()
    assert gap > pd.Timedelta(hours=60)  # the weekend is in the record, not bridged by bars
    png, _ = write_report(record, tmp_path, stem="spy")
    assert png.read_bytes()[:4] == b"\x89PNG"
    m, env_m = record.metrics(), env.get_metrics()
    assert m.sharpe == pytest.approx(env_m["sharpe"])
    assert m.total_return == pytest.approx(env_m["total_return"])
    env.close()


def test_a_client_side_stop_loss_is_an_exit_at_its_level(alpaca):
    env = alpaca_env(alpaca, "BTC/USD", 0.0005, 0.5)  # the env enforces them itself on crypto
    rec = RunRecorder()
    run(env, rec, [1], until_flat=300)
    assert not env.position.is_open
    record = rec.to_record()
    held = record.steps[record.steps["side"] == "long"]
    assert held["stop_loss"].notna().all()
    (exit_,) = record.fills[record.fills["kind"] == "exit"].itertuples()
    assert exit_.action == "stop_loss"
    assert record.meta["periods_per_year"] == 525_600  # crypto trades around the clock
    env.close()
