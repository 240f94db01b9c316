"""``torchtrade demo`` runs as the README promises: no keys, no network, metrics, a plot, exit 0."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_writes_its_plot(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "torchtrade.cli", "demo", "--steps", "120", "--out", str(tmp_path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for line in ("steps            120", "return", "max drawdown", "trades (closed)", "win rate", "fees"):
        assert line in proc.stdout
    plot = tmp_path / "equity_drawdown.png"
    assert plot.exists()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(plot) in proc.stdout
