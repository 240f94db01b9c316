"""``torchtrade demo`` runs as the README promises: no keys, no network, metrics, a run file, a plot and
an HTML report that say the same, exit 0; and it says so when its data runs out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import torchtrade
from torchtrade.cli import main
from torchtrade.demo import run_demo, summary_lines

PNG = b"\x89PNG\r\n\x1a\n"


def value(lines: str, label: str) -> str:
    return re.search(rf"^{label} +(.+)$", lines, re.M).group(1)


def test_demo_runs_and_writes_its_report(tmp_path, capsys):
    proc = subprocess.run(
        [sys.executable, "-m", "torchtrade.cli", "demo", "--steps", "120", "--out", str(tmp_path), "--quiet"],
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
