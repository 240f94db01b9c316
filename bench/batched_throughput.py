"""Batched env throughput: env-steps/s of ``BatchedFuturesEnv`` at 1 / 16 / 64 / 256 / 1,024 accounts.

    python bench/batched_throughput.py [--seconds 2] [--repeats 3]

A random policy (TorchRL's ``RandomPolicy`` over the action spec) through ``step_and_maybe_reset``, one
thread (``torch.set_num_threads(1)``), standard and SLTP actions, on the bundled BTC/USD minutes, with
everything the env does each step: sizing, precision and minimums, fees, brackets (SL/TP along the bar's
path, adverse first), liquidation, funding, per-account resets. 10x isolated leverage, 1,000-step
episodes from random starts.

Targets (issue 12): >= 230,000 env-steps/s at 256 accounts and >= 455,000 at 1,024. A benchmark, not a
test: each figure is the best of ``--repeats`` runs (the median beside it), and the machine's load
average is printed with them, since other processes share its cores.

Writes bench/results/batched_throughput.md (and .json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
import torchrl
from torchrl.envs.utils import RandomPolicy

from torchtrade.envs.batched import BatchedFuturesEnv

RESULTS = Path(__file__).parent / "results"
SIZES = (1, 16, 64, 256, 1024)
TARGETS = {256: 230_000, 1024: 455_000}


def rate(env: BatchedFuturesEnv, seconds: float) -> tuple[float, float]:
    """Env-steps per second of a random policy through ``step_and_maybe_reset``: per wall-clock second,
    and per second of CPU time this process got (the same on an idle machine; on a shared one the
    second is what the env costs, the first what it got)."""
    policy = RandomPolicy(env.action_spec)
    td = env.reset()
    for _ in range(50):
        _, td = env.step_and_maybe_reset(policy(td))
    steps = 0
    start, cpu = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds or steps < 20:
        _, td = env.step_and_maybe_reset(policy(td))
        steps += 1
    cpu_elapsed = time.process_time() - cpu
    n = steps * env.batch_size[0]
    return n / elapsed, n / cpu_elapsed


def measure(kind: str, n: int, seconds: float, repeats: int) -> dict[str, float]:
    env = BatchedFuturesEnv(num_envs=n, action_kind=kind, leverage=10, episode_length=1_000, seed=0)
    runs = [rate(env, seconds) for _ in range(repeats)]
    wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
    m = env.get_metrics()
    return {
        "best": max(wall),
        "median": statistics.median(wall),
        "cpu_best": max(cpu),
        "cpu_median": statistics.median(cpu),
        "liquidations": int(m["liquidations"].sum()),
        "brackets_fired": int(m["stop_losses"].sum() + m["take_profits"].sum()),
    }


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; the best is reported")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load_before = os.getloadavg()
    results: dict[str, dict[int, dict[str, float]]] = {}
    for kind in ("standard", "sltp"):
        results[kind] = {}
        for n in SIZES:
            r = results[kind][n] = measure(kind, n, args.seconds, args.repeats)
            print(
                f"{kind:8s} {n:5d} accounts: {r['best']:>11,.0f} env-steps/s (median {r['median']:,.0f}); "
                f"per CPU second {r['cpu_best']:,.0f} (median {r['cpu_median']:,.0f})"
            )
    load_after = os.getloadavg()

    lines = [
        "# Batched env throughput (`BatchedFuturesEnv`)",
        "",
        f"`python bench/batched_throughput.py --seconds {args.seconds:g} --repeats {args.repeats}` on "
        f"{_commit()}, {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"torch {torch.__version__}, torchrl {torchrl.__version__}, numpy {np.__version__}; one thread. "
        f"Load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after: the machine's "
        "cores are shared with other sessions, so figures move from run to run.",
        "",
        "Random policy (`RandomPolicy`) through `step_and_maybe_reset`; 10x isolated leverage; "
        "1,000-step episodes from random starts on the bundled BTC/USD minutes; sizing, precision, "
        "minimums, fees, brackets, liquidation and funding evaluated on every step. Best of "
        f"{args.repeats} runs of {args.seconds:g} s (median in brackets). Bold: below its target. "
        "Per wall-clock second (what the run got on this machine) and per second of CPU time of the "
        "process (what a step costs: equal on an idle machine).",
        "",
        "| accounts | standard, wall | standard, CPU | SLTP, wall | SLTP, CPU | target |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in SIZES:
        target = TARGETS.get(n)
        cells = []
        for kind in ("standard", "sltp"):
            r = results[kind][n]
            for best, median in ((r["best"], r["median"]), (r["cpu_best"], r["cpu_median"])):
                text = f"{best:,.0f} ({median:,.0f})"
                cells.append(f"**{text}**" if target and best < target else text)
        lines.append(f"| {n:,} | {' | '.join(cells)} | {f'>= {target:,}' if target else ''} |")
    lines += [
        "",
        "Anchor (issue 12, same machine): TorchTrade 0.1.0's `VectorizedSequentialTradingEnv`, without "
        "liquidation, funding, precision, minimums or venue-side brackets: 1.5k / 22k / 75k / 230k / 455k.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batched_throughput.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "batched_throughput.json").write_text(
        json.dumps({"load_average": [load_before, load_after], "results": results}, indent=2) + "\n"
    )
    print(f"wrote {RESULTS / 'batched_throughput.md'}")


if __name__ == "__main__":
    main()
