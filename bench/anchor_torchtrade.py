"""Anchor: throughput of the third-party PyPI package ``torchtrade==0.1.0`` on this machine.

That package is a different project which happens to share our import name ``torchtrade``, so it
lives in its own venv and this script never imports our code. It measures env-steps/s of the
package's offline envs under a random policy, the same way our benchmarks measure ours:

- ``single``: ``SequentialTradingEnv`` (one env, one step per call).
- ``vectorized``: ``VectorizedSequentialTradingEnv`` at 1 / 16 / 64 / 256 / 1,024 envs (N env-steps
  per call).

Both are built over the bundled 1,440 one-minute BTC/BUSD bars
(``torchtrade/data/binance_btcbusd_1m_2022-12-13.csv``), one timeframe (1 minute, which is also the
execution timeframe), a 10-bar window, default features (raw OHLCV) and the package's defaults for
everything else (fees 0, slippage 0, leverage 1, action levels [-1, 0, 1], seed 42, random starts,
episodes running to the end of the data).

The loop, on one thread (``torch.set_num_threads(1)``): ``td = env.reset()``, 50 warm-up iterations,
then ``td = env.rand_action(td); _, td = env.step_and_maybe_reset(td)`` timed with
``time.perf_counter()`` and ``time.process_time()``; the best of ``--repeats`` runs is kept. The
single env runs ``--steps`` calls; each vectorized size runs as many calls as take about
``--seconds`` (sized from a short calibration run).

Setup (a separate venv; install exactly the local CPU torch 2.13.0 first, and keep it pinned):

    python -m venv /tmp/anchor
    /tmp/anchor/bin/pip install torch==2.13.0
    echo torch==2.13.0 > /tmp/anchor_pin.txt
    /tmp/anchor/bin/pip install -c /tmp/anchor_pin.txt torchtrade==0.1.0

Run (from the repository root; prints one JSON object to stdout, warnings go to stderr):

    /tmp/anchor/bin/python bench/anchor_torchtrade.py --steps 5000 --repeats 3 [--section all]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "torchtrade" / "data" / "binance_btcbusd_1m_2022-12-13.csv"
SIZES = (1, 16, 64, 256, 1024)
WARMUP = 50
# Constructor arguments shared by both envs; everything not named here is the package's default.
ENV_ARGS: dict[str, Any] = {"time_frames": "1Min", "execute_on": "1Min", "window_sizes": 10}


def import_anchor() -> tuple[str, Any]:
    """(version, ``torchtrade.envs.offline``) of the PyPI package; refuses our own package of that name."""
    import torchtrade

    where = Path(torchtrade.__file__).resolve()
    version = getattr(torchtrade, "__version__", None)
    if REPO in where.parents or version != "0.1.0":
        raise SystemExit(f"expected PyPI torchtrade 0.1.0, got {where}: run with the anchor venv's python")
    import torchtrade.envs.offline as offline

    return version, offline


def load_bars() -> pd.DataFrame:
    """The bundled minutes in the package's expected shape: timestamp, open, high, low, close, volume."""
    df = pd.read_csv(DATA)
    # The file's ISO timestamps end in "Z"; the package's sampler assumes a tz-naive index.
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.tz_localize(None)
    return df[["timestamp", "open", "high", "low", "close", "volume"]]


def run_loop(env: Any, calls: int) -> tuple[float, float]:
    """Reset, warm up, then time ``calls`` random-policy steps; returns (wall, cpu) seconds."""
    td = env.reset()
    for _ in range(WARMUP):
        td = env.rand_action(td)
        _, td = env.step_and_maybe_reset(td)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        td = env.rand_action(td)
        _, td = env.step_and_maybe_reset(td)
    return time.perf_counter() - wall, time.process_time() - cpu


def best_of(env: Any, calls: int, per_call: int, repeats: int) -> dict[str, float | int]:
    """Best wall and best CPU env-steps/s over ``repeats`` runs of ``calls`` calls."""
    runs = [run_loop(env, calls) for _ in range(repeats)]
    steps = calls * per_call
    return {
        "steps": steps,
        "calls": calls,
        "steps_per_s_wall": steps / min(wall for wall, _ in runs),
        "steps_per_s_cpu": steps / min(cpu for _, cpu in runs),
    }


def measure_single(offline: Any, bars: pd.DataFrame, steps: int, repeats: int) -> dict[str, float | int]:
    env = offline.SequentialTradingEnv(bars, offline.SequentialTradingEnvConfig(**ENV_ARGS))
    return best_of(env, steps, 1, repeats)


def calls_for(env: Any, seconds: float) -> int:
    """How many calls take about ``seconds``, from a short timed run."""
    probe = 20
    while True:
        wall, _ = run_loop(env, probe)
        if wall >= 0.2:
            return max(1, round(probe * seconds / wall))
        probe *= 4


def measure_vectorized(
    offline: Any, bars: pd.DataFrame, seconds: float, repeats: int
) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for n in SIZES:
        config = offline.VectorizedSequentialTradingEnvConfig(num_envs=n, **ENV_ARGS)
        env = offline.VectorizedSequentialTradingEnv(bars, config)
        out[str(n)] = {"num_envs": n, **best_of(env, calls_for(env, seconds), n, repeats)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="timed calls of the single env")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--seconds", type=float, default=2.0, help="about how long each vectorized run takes")
    parser.add_argument("--section", choices=("single", "vectorized", "all"), default="all")
    args = parser.parse_args()

    torch.set_num_threads(1)
    version, offline = import_anchor()
    bars = load_bars()
    result: dict[str, Any] = {"package": f"torchtrade {version}"}
    if args.section in ("single", "all"):
        result["single"] = measure_single(offline, bars, args.steps, args.repeats)
    if args.section in ("vectorized", "all"):
        result["vectorized"] = measure_vectorized(offline, bars, args.seconds, args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
