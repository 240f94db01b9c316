"""Every example runs, as a user runs it: ``python examples/<name>.py --emulator --steps N``.

The scripts run a few at a time (most of each run is importing torch and torchrl) and each test
checks one script's exit code and a few lines of its output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# script: (extra arguments, lines its output must contain); "{out}" in an argument is a temporary folder
CASES: dict[str, tuple[list[str], list[str]]] = {
    "alpaca_stocks.py": (
        ["--steps", "5"],
        ["AlpacaTorchTradingEnv(symbol='SPY'", "metrics: {", "action_map:", "closed by the venue:"],
    ),
    "alpaca_crypto.py": (
        ["--steps", "3"],
        ["action_map: {0: 'close', 1: 'hold', 2: 'long'}", "BTC", "fired:", "position after the bracket: 0"],
    ),
    "binance_futures.py": (
        ["--steps", "5"],
        ["BinanceFuturesTorchTradingEnv(symbol='BTC/USDT:USDT'", "metrics: {", "closed by the venue:"],
    ),
    "random_actions.py": (
        ["--steps", "4"],
        ["account_state: tensor(", "market_data_15min_32: (32, 5)", "  requests ", "metrics: {"],
    ),
    "custom_preprocessing.py": (
        ["--steps", "3"],
        [
            "feature_preprocessing_fn called on 32 bars of 0 days 00:01:00",
            "feature_preprocessing_fn called on 28 bars of 0 days 00:05:00",
            "feature_preprocessing_fn called on 24 bars of 0 days 00:15:00",
            "market_data_1min_12: shape (12, 3)",
            "market_data_15min_4: shape (4, 3)",
        ],
    ),
    "collector_replay_buffer.py": (
        ["--steps", "6"],
        ["collected 6 transitions", "restored 6 transitions", "sampled market_data_1min_8: (6, 8, 5)"],
    ),
    "sltp_action_map.py": (
        ["--steps", "60"],
        [
            "action_spec.n = 19",
            "   1: long  sl -0.025 tp +0.050",
            "  18: short sl -0.100 tp +0.200",
            "fired after",
            "position after the bracket: 0.0",
        ],
    ),
    "train_ppo.py": (
        ["--quick", "--out", "{out}/train_ppo"],
        [
            "trained 1,024 frames in",
            "on the first 960 bars",
            "held-out bars (120 steps): policy",
            "buy and hold",
            "/train_ppo/policy.pt",
        ],
    ),
    "transforms.py": (
        ["--steps", "5"],
        [
            "rollout: torch.Size([5])",
            "is_init: [True, False",
            "step_count: [1, 2, 3, 4, 5]",
            "episode_reward",
        ],
    ),
}


def test_every_example_is_covered():
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(CASES)


#: Scripts running at once: most of a run is importing torch and torchrl, CPU-bound; more than the
#: machine's cores only makes each slower (and a loaded machine then hits the timeout).
PARALLEL = max(2, os.cpu_count() or 2)
#: Seconds one script may take from its own start (a run takes ~10 s on an idle 2-core machine).
TIMEOUT_S = 240


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[int, str, str]]:
    """Run every example, ``PARALLEL`` at a time; ``{script: (exit code, stdout, stderr)}``."""
    out_dir = tmp_path_factory.mktemp("examples")
    env = {k: v for k, v in os.environ.items() if k != "TORCHTRADE_EMULATOR_URL"}
    queue = list(CASES.items())
    running: dict[str, tuple[subprocess.Popen, Any, Any, float]] = {}
    results: dict[str, tuple[int, str, str]] = {}
    while queue or running:
        while queue and len(running) < PARALLEL:
            script, (args, _) = queue.pop(0)
            # Files, not pipes: a script blocked on a full pipe would never finish.
            stdout = open(out_dir / f"{script}.out", "w+")  # noqa: SIM115 - closed below
            stderr = open(out_dir / f"{script}.err", "w+")  # noqa: SIM115
            proc = subprocess.Popen(
                [
                    sys.executable,
                    str(EXAMPLES / script),
                    "--emulator",
                    *(a.format(out=out_dir) for a in args),
                ],
                cwd=ROOT,
                env=env,
                stdout=stdout,
                stderr=stderr,
                text=True,
            )
            running[script] = (proc, stdout, stderr, time.monotonic())
        for script, (proc, stdout, stderr, started) in list(running.items()):
            code = proc.poll()
            if code is None and time.monotonic() - started > TIMEOUT_S:
                proc.kill()
                code = proc.wait()
            if code is None:
                continue
            for f in (stdout, stderr):
                f.seek(0)
            results[script] = (code, stdout.read(), stderr.read())
            stdout.close()
            stderr.close()
            del running[script]
        time.sleep(0.05)  # polling child processes, not waiting on the code under test
    return results


@pytest.mark.parametrize("script", list(CASES))
def test_example_runs(outputs, script):
    code, stdout, stderr = outputs[script]
    assert code == 0, f"{script} exited with {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    for line in CASES[script][1]:
        assert line in stdout, f"{script}: {line!r} not in its output\n{stdout}"
    assert "Traceback" not in stderr
