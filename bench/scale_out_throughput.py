"""Scale-out throughput: env-steps/s of N in-process envs stepped serially vs in TorchRL's ParallelEnv.

    python bench/scale_out_throughput.py [--envs 2] [--steps 2000]

The same N Bitget envs (``.replay()``, bundled 1-minute candles, random starts, episodes of 1,000
steps), a random policy through ``step_and_maybe_reset``: once in a ``SerialEnv`` (one process), once
in a ``ParallelEnv`` (one worker process each, TorchRL's default start method). Start-up (the
workers' imports) is timed apart and not counted in the steps/s. On a machine shared with other work
the figures are indicative only. Writes bench/results/scale_out.md. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from pathlib import Path

from torchrl.envs import ParallelEnv, SerialEnv

from torchtrade.envs import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig

RESULTS = Path(__file__).parent / "results"
KW = {"time_frames": ["1min"], "window_sizes": [10], "quantity_per_trade": 0.01, "leverage": 5}


def measure(kind: type, n: int, steps: int) -> tuple[float, float]:
    """(start-up s, env-steps/s) of ``kind(n, make)`` stepped ``steps`` times."""
    make = functools.partial(
        BitgetFuturesTorchTradingEnv.replay,
        BitgetFuturesTradingEnvConfig(**KW),
        episode_length=1_000,
        random_start=True,
    )
    t0 = time.perf_counter()
    env = kind(n, make)
    env.set_seed(0)
    td = env.reset()
    startup = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        for _ in range(steps):
            _, td = env.step_and_maybe_reset(env.rand_action(td))
        rate = n * steps / (time.perf_counter() - t1)
    finally:
        env.close()
    return startup, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    for kind in (SerialEnv, ParallelEnv):
        startup, rate = measure(kind, args.envs, args.steps)
        rows.append((kind.__name__, startup, rate))
        print(f"{kind.__name__:12s} N={args.envs}  start-up {startup:6.1f} s  {rate:9.0f} env-steps/s")
    lines = [
        "# Scale-out throughput (bench/scale_out_throughput.py)",
        "",
        f"{args.envs} Bitget in-process envs, {args.steps} batch steps, random policy, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (shared with other "
        "work: indicative only).",
        "",
        "| env | start-up (s) | env-steps/s |",
        "|---|---:|---:|",
        *[f"| {name}({args.envs}) | {s:.1f} | {r:,.0f} |" for name, s, r in rows],
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale_out.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
