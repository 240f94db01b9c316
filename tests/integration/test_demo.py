"""``torchtrade demo`` runs as the README promises: no keys, no network, metrics, a run file, a plot and
an HTML report that say the same, exit 0; and it says so when its data runs out."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import torchtrade
from torchtrade.cli import main
from torchtrade.demo import run_demo, summary_lines
from torchtrade.train import load_policy

PNG = b"\x89PNG\r\n\x1a\n"


def value(lines: str, label: str) -> str:
    return re.search(rf"^{label} +(.+)$", lines, re.M).group(1)


def test_demo_runs_and_writes_its_report(tmp_path, capsys):
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "torchtrade.cli", "demo", "--no-train"),
            *("--steps", "120", "--out", str(tmp_path), "--quiet"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(torchtrade.__file__).parents[1])},  # this checkout's
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for line in (
        "steps            120",
        "return",
        "max drawdown",
        "Sharpe",
        "trades (closed)",
        "win rate",
        "fees",
    ):
        assert line in out
    assert "ran out" not in out
    # the printed final value and the printed return are one computation
    start = float(value(out, "start value").split()[0].replace(",", ""))
    final = float(value(out, "final value").split()[0].replace(",", ""))
    printed_return = float(value(out, "return").split()[0])
    assert printed_return == pytest.approx((final / start - 1) * 100, abs=0.0015)
    png, html, run = tmp_path / "run.png", tmp_path / "run.html", tmp_path / "run.sqlite"
    assert png.read_bytes()[:8] == PNG
    for path in (png, html, run):
        assert str(path) in out
    page = html.read_text()
    assert f"<td>final value</td><td class='num'>{value(out, 'final value')}</td>" in page

    # `torchtrade report` on the demo's run file prints (and draws) the very same numbers
    assert main(["report", str(run), "--out", str(tmp_path / "again")]) == 0
    again = capsys.readouterr().out
    for label in (
        "steps",
        "final value",
        "return",
        "max drawdown",
        "Sharpe",
        "Sortino",
        "Calmar",
        "win rate",
    ):
        assert value(again, label) == value(out, label), label
    assert (tmp_path / "again" / "run.png").read_bytes()[:8] == PNG


def test_the_demo_says_when_its_data_ran_out():
    # 1,400 of the bundled day's 1,440 bars as history: 40 left to play, fewer than the 60 steps asked for
    result = run_demo(steps=60, history_bars=1400, plot=False, progress=False)
    assert result.data_ran_out
    assert result.steps < 60
    first = summary_lines(result)[0]
    assert first == (
        f"the replayed candles ran out: step {result.steps} found no new bar, so the demo stopped there "
        "(60 steps asked for)"
    )
    assert result.metrics.portfolio_value == pytest.approx(result.env_metrics["portfolio_value"])
    assert result.metrics.total_return == pytest.approx(result.env_metrics["total_return"])
    assert (result.run_file, result.png, result.html) == (None, None, None)


def test_demo_train_trains_then_trades_the_saved_policy_on_held_out_bars(tmp_path, capsys):
    # the CLI in-process (torch is imported already): a tiny training budget, a short held-out run
    args = ["demo", "--train-frames", "256", "--steps", "40", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "trained 256 frames in" in out
    assert "on the first 960 bars" in out  # 2/3 of the bundled 1,440
    held_out = re.search(
        r"^held-out bars \((\d+) steps\): policy ([-+.\d]+) %, buy and hold ([-+.\d]+) %$", out, re.M
    )
    assert held_out is not None, out
    assert int(held_out.group(1)) == 40
    # the report's metrics table says the same returns
    assert float(value(out, "return").split()[0]) == pytest.approx(float(held_out.group(2)), abs=0.0015)
    assert float(value(out, "buy and hold").split()[0]) == pytest.approx(float(held_out.group(3)), abs=0.0015)
    with sqlite3.connect(tmp_path / "run.sqlite") as db:
        first_bar = db.execute("SELECT MIN(time_ms) FROM steps").fetchone()[0]
    assert first_bar == 1_670_947_200_000  # 2022-12-13 16:00 UTC: the 961st bar, the first not trained on
    for name in ("policy.pt", "run.sqlite", "run.html"):
        assert (tmp_path / name).exists()
    _, saved = load_policy(tmp_path / "policy.pt")  # what rebuilds the env it was trained for
    assert saved.env["window_sizes"] == [32, 12, 8]
    assert saved.n_actions == 3
    assert (tmp_path / "run.png").read_bytes()[:8] == PNG


def test_the_trained_policy_runs_on_the_http_env_as_on_the_in_process_one(emulator, tmp_path):
    from dataclasses import replace as with_fields

    from torchtrade.envs import EmulatorClock
    from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv
    from torchtrade.train import PolicyFile
    from torchtrade.train.pipeline import env_config

    config = env_config()
    http = BitgetFuturesTorchTradingEnv(
        with_fields(config, base_url=emulator.url), clock=EmulatorClock(emulator.control)
    )
    try:
        assert PolicyFile.for_env(http) == PolicyFile.for_env(BitgetFuturesTorchTradingEnv.replay(config))
    finally:
        http.close()
