"""The run recorder on real env runs against the emulator (Bitget's attached brackets, Binance's separate
legs), its record agreeing with ``env.get_metrics()``, and ``torchtrade report`` on the file it saves."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from torchtrade.cli import main
from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.reports import RunRecorder, load_record, periods_per_year

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
