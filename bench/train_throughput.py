"""Training throughput: env steps per second of the in-process env (random policy, one thread).

    python bench/train_throughput.py [--steps 5000] [--rounds 3] [--anchor-python /tmp/anchor/bin/python]
                                     [--section all|single|batched] [--seconds 2] [--repeats 3]

The single env is the venue's own env class built with ``.replay()`` (the engine in-process, the
bundled 1-minute candles, a random start per episode of 1,000 steps: Bitget and Binance standard and
SLTP, Alpaca standard on SPY and on BTC/USD), stepped through TorchRL's
``step_and_maybe_reset`` with ``env.rand_action``: what a collector does. Beside it, the same loop
over a trivial TorchRL ``EnvBase`` with the same specs (no work at all in its step): TorchRL's own
per-step cost on this machine, the ceiling any single env reaches here. The batched section is
``bench/batched_throughput.py``'s measurement (imported, not copied): ``BatchedFuturesEnv`` at 1 / 16 /
64 / 256 / 1,024 accounts, standard and SLTP, beside the single env and the anchor figures of issue 12.
With ``--anchor-python``, TorchTrade 0.1.0 itself (the anchor, in its own venv) is measured in the same
rounds as the single envs.

Writes bench/results/train_throughput.md (and .json). Steps/s are measured on wall time and on the
process's CPU time (the latter is steadier on a shared machine). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import batched_throughput  # bench/ is the script's directory: the batched section lives there
import torch
from tensordict import TensorDict
from torchrl.data import Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

from torchtrade.envs import (
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)

RESULTS = Path(__file__).parent / "results"
KW = {"time_frames": ["1min"], "window_sizes": [10], "quantity_per_trade": 0.01, "leverage": 5}
SLTP = {"stoploss_levels": [-0.002, -0.005], "takeprofit_levels": [0.002, 0.005]}
ALPACA = {"time_frames": ["1min"], "window_sizes": [10]}
SINGLE: list[tuple[str, Callable[[], EnvBase]]] = [
    ("bitget", lambda: BitgetFuturesTorchTradingEnv.replay(BitgetFuturesTradingEnvConfig(**KW), **EPISODES)),
    (
        "bitget sltp",
        lambda: BitgetFuturesSLTPTorchTradingEnv.replay(
            BitgetFuturesSLTPTradingEnvConfig(**KW, **SLTP), **EPISODES
        ),
    ),
    (
        "binance",
        lambda: BinanceFuturesTorchTradingEnv.replay(BinanceFuturesTradingEnvConfig(**KW), **EPISODES),
    ),
    (
        "binance sltp",
        lambda: BinanceFuturesSLTPTorchTradingEnv.replay(
            BinanceFuturesSLTPTradingEnvConfig(**KW, **SLTP), **EPISODES
        ),
    ),
    # Alpaca runs alpaca-py's models in-process (the live trader over an engine-backed client).
    (
        "alpaca SPY",
        lambda: AlpacaTorchTradingEnv.replay(AlpacaTradingEnvConfig(symbol="SPY", **ALPACA), **EPISODES),
    ),
    (
        "alpaca BTC/USD",
        lambda: AlpacaTorchTradingEnv.replay(AlpacaTradingEnvConfig(symbol="BTC/USD", **ALPACA), **EPISODES),
    ),
]
EPISODES: dict[str, Any] = {"episode_length": 1000, "random_start": True, "seed": 0}


class TrivialEnv(EnvBase):
    """TorchRL's own cost: the specs of a 1-timeframe env, a step that does nothing."""

    def __init__(self) -> None:
        super().__init__(device="cpu", batch_size=torch.Size([]))
        self.observation_spec = Composite(
            market_data_1min_10=Unbounded(shape=(10, 5)), account_state=Unbounded(shape=(10,)), shape=()
        )
        self.action_spec = Categorical(n=3, shape=())
        self.reward_spec = Unbounded(shape=(1,))
        self.state_spec = Composite(shape=())
        self.set_spec_lock_(True)

    def _reset(self, tensordict: Any = None, **kwargs: Any) -> TensorDict:
        false = torch.tensor([False])
        return TensorDict(
            {
                "market_data_1min_10": torch.zeros(10, 5),
                "account_state": torch.zeros(10),
                "done": false,
                "terminated": false,
                "truncated": false,
            },
            batch_size=[],
        )

    def _step(self, tensordict: Any) -> TensorDict:
        out = self._reset()
        out.set("reward", torch.zeros(1))
        return out

    def _set_seed(self, seed: int | None) -> None:
        return None


class LeanTrivialEnv(TrivialEnv):
    """The trivial env with LiveTradingEnv's own shortcuts: TensorDicts built unchecked on the env's
    device, TorchRL's post-step completion skipped. The floor of TorchRL's per-step cost here."""

    def _reset(self, tensordict: Any = None, **kwargs: Any) -> TensorDict:
        false = torch.zeros(1, dtype=torch.bool)
        data = {
            "market_data_1min_10": torch.zeros(10, 5),
            "account_state": torch.zeros(10),
            "done": false,
            "terminated": false.clone(),
            "truncated": false.clone(),
        }
        return TensorDict._new_unsafe(data, batch_size=self.batch_size, device=self.device)

    def _step(self, tensordict: Any) -> TensorDict:
        out = self._reset()
        out._set_str("reward", torch.zeros(1), validated=True, inplace=False)
        return out

    def _step_proc_data(self, next_tensordict_out: Any) -> Any:
        return next_tensordict_out


def measure(env: EnvBase, steps: int, hold: int | None = None) -> dict[str, float]:
    """Steps/s of a random policy (``hold``: the action index of a policy that always holds)."""
    env.set_seed(0)
    td = env.reset()

    def act(td: Any) -> Any:
        td = env.rand_action(td)
        if hold is not None:
            td.set("action", torch.tensor(hold))
        return td

    for _ in range(50):  # warm-up
        _, td = env.step_and_maybe_reset(act(td))
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        _, td = env.step_and_maybe_reset(act(td))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"steps": steps, "steps_per_s_wall": steps / wall, "steps_per_s_cpu": steps / cpu}


def anchor(python: str, args: list[str]) -> dict[str, Any]:
    """TorchTrade 0.1.0 measured now, in its own venv (``bench/anchor_torchtrade.py``'s JSON)."""
    script = Path(__file__).parent / "anchor_torchtrade.py"
    out = subprocess.run([python, str(script), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def single(steps: int, rounds: int, anchor_python: str | None = None) -> list[dict[str, Any]]:
    """Every env ``rounds`` times, interleaved (a shared machine's speed drifts within minutes): the
    best and the median CPU rate of each, and its median ratio to the ceiling of the same round."""
    envs: list[tuple[str, EnvBase, int | None]] = [
        ("TorchRL trivial EnvBase (ceiling)", TrivialEnv(), None),
        ("TorchRL trivial EnvBase, lean (floor of TorchRL's cost)", LeanTrivialEnv(), None),
        *[(f"{name} .replay()", make(), None) for name, make in SINGLE],
        # For scale: a policy that holds (no orders) pays only the bar, the reads and the observation.
        ("bitget .replay(), always hold", SINGLE[0][1](), 1),
    ]
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in envs}
    anchors: list[dict[str, float]] = []
    for _ in range(rounds):
        for label, env, hold in envs:
            runs[label].append(measure(env, steps, hold))
        if anchor_python:
            anchors.append(
                anchor(anchor_python, ["--section", "single", "--steps", str(steps), "--repeats", "1"])[
                    "single"
                ]
            )
    ceilings = [r["steps_per_s_cpu"] for r in runs[envs[0][0]]]
    if anchors:
        runs[ANCHOR_LABEL] = anchors
    return [
        {
            "env": label,
            "steps": steps,
            "rounds": rounds,
            "steps_per_s_wall": max(r["steps_per_s_wall"] for r in rs),
            "steps_per_s_cpu": max(r["steps_per_s_cpu"] for r in rs),
            "steps_per_s_cpu_median": statistics.median(r["steps_per_s_cpu"] for r in rs),
            "ratio_to_ceiling": statistics.median(
                r["steps_per_s_cpu"] / c for r, c in zip(rs, ceilings, strict=True)
            ),
        }
        for label, rs in runs.items()
    ]


ANCHOR_LABEL = "anchor: TorchTrade 0.1.0 SequentialTradingEnv (measured now)"


def write(rows: list[dict[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "threads": torch.get_num_threads(),
    }
    (RESULTS / "train_throughput.json").write_text(json.dumps({"meta": meta, "single": rows}, indent=2))
    rounds = rows[0]["rounds"]
    lines = [
        "# Training throughput: single in-process env",
        "",
        f"`python bench/train_throughput.py` on {meta['machine']}, {meta['cpus']} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in meta['load'])}, torch {meta['torch']}, 1 thread; random policy "
        f"through `step_and_maybe_reset`, {rows[0]['steps']:,} steps per run, {rounds} rounds of every "
        "env in turn.",
        "",
        "| env | best steps/s (CPU) | median (CPU) | best (wall) | ratio to the ceiling (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['env']} | {r['steps_per_s_cpu']:,.0f} | {r['steps_per_s_cpu_median']:,.0f} "
            f"| {r['steps_per_s_wall']:,.0f} | {r['ratio_to_ceiling']:.2f} |"
        )
    lines += [
        "",
        "The ceiling is a do-nothing TorchRL env with the same specs; its lean twin takes LiveTradingEnv's "
        "own shortcuts (TensorDicts built unchecked on the env's device, no post-step completion): what "
        "`step_and_maybe_reset` itself costs at least. The ratio is each round's rate over the same "
        "round's ceiling: steadier than the rates on a shared machine, whose speed drifts by a third "
        "within the hour. The anchor row (with `--anchor-python`) runs TorchTrade 0.1.0 in its own venv "
        "(`bench/anchor_torchtrade.py`: no fees, leverage 1, no liquidation, funding, precision or "
        "brackets) in the same rounds.",
    ]
    (RESULTS / "train_throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


#: TorchTrade 0.1.0 on this machine (issue 12): SequentialTradingEnv, VectorizedSequentialTradingEnv by envs.
ANCHOR_SINGLE = 4_796
ANCHOR_BATCHED = {1: 1_500, 16: 22_000, 64: 75_000, 256: 230_000, 1024: 455_000}
TARGET_SINGLE = 5_000


def batched(seconds: float, repeats: int) -> dict[str, dict[int, dict[str, float]]]:
    """The batched env's env-steps/s per action kind and number of accounts (bench/batched_throughput)."""
    return {
        kind: {n: batched_throughput.measure(kind, n, seconds, repeats) for n in batched_throughput.SIZES}
        for kind in ("standard", "sltp")
    }


def append_batched(
    single_rows: list[dict[str, Any]],
    results: dict[str, dict[int, dict[str, float]]],
    anchor_now: dict[str, Any] | None = None,
) -> None:
    """Add the side-by-side table (single and batched against the anchor) to the results files;
    ``anchor_now``: the anchor's vectorized env measured in this run (``--anchor-python``)."""
    lines = [
        "",
        "## Single and batched, beside the anchor",
        "",
        "Env-steps/s, random policy through `step_and_maybe_reset`, one thread. Batched: "
        "`BatchedFuturesEnv`, 10x isolated, 1,000-step episodes from random starts, best of the runs "
        "(median in brackets), as `bench/batched_throughput.py` measures it. Anchor: TorchTrade 0.1.0 "
        "(`SequentialTradingEnv`, `VectorizedSequentialTradingEnv`), without liquidation, funding, "
        "precision, minimums or venue-side brackets: issue 12's figures, and with `--anchor-python` "
        "the CPU rates measured in this run.",
        "",
        "| env | accounts | standard (wall) | standard (CPU) | SLTP (wall) | SLTP (CPU) | anchor (issue) "
        "| anchor (now) | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_size = (anchor_now or {}).get("vectorized", {})
    now_single = next((r for r in single_rows if r["env"] == ANCHOR_LABEL), None)
    by_name = {r["env"]: r for r in single_rows}
    std, sltp = by_name.get("bitget .replay()"), by_name.get("bitget sltp .replay()")
    if std is not None and sltp is not None:
        cells = [f"{r[k]:,.0f}" for r in (std, sltp) for k in ("steps_per_s_wall", "steps_per_s_cpu")]
        now = f"{now_single['steps_per_s_cpu']:,.0f}" if now_single else ""
        anchor = f"{ANCHOR_SINGLE:,} | {now} | >= {TARGET_SINGLE:,}"
        lines.append(f"| single `.replay()` (Bitget) | 1 | {' | '.join(cells)} | {anchor} |")
    for n in batched_throughput.SIZES:
        cells = []
        for kind in ("standard", "sltp"):
            r = results[kind][n]
            cells += [
                f"{r['best']:,.0f} ({r['median']:,.0f})",
                f"{r['cpu_best']:,.0f} ({r['cpu_median']:,.0f})",
            ]
        target = batched_throughput.TARGETS.get(n)
        now = f"{by_size[str(n)]['steps_per_s_cpu']:,.0f}" if str(n) in by_size else ""
        lines.append(
            f"| batched | {n:,} | {' | '.join(cells)} | {ANCHOR_BATCHED[n]:,} | {now} | "
            f"{f'>= {target:,}' if target else ''} |"
        )
    path = RESULTS / "train_throughput.md"
    # After this run's single section, or on its own (``--section batched``): never a stale file's.
    text = path.read_text() if single_rows and path.exists() else "# Training throughput\n"
    path.write_text(text + "\n".join(lines) + "\n")
    data_path = RESULTS / "train_throughput.json"
    data = json.loads(data_path.read_text()) if single_rows and data_path.exists() else {}
    data["batched"] = {kind: {str(n): r for n, r in rows.items()} for kind, rows in results.items()}
    data["anchor"] = {"single": ANCHOR_SINGLE, "batched": {str(n): v for n, v in ANCHOR_BATCHED.items()}}
    if by_size:
        data["anchor_now"] = anchor_now
    data_path.write_text(json.dumps(data, indent=2))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=5000, help="single: steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="single: runs of every env, interleaved")
    parser.add_argument(
        "--anchor-python",
        help="the python of a venv with TorchTrade 0.1.0, to measure it beside ours: in the single "
        "rounds, and its vectorized env for the batched table (see bench/anchor_torchtrade.py)",
    )
    parser.add_argument("--section", choices=["all", "single", "batched"], default="all")
    parser.add_argument("--seconds", type=float, default=2.0, help="batched: seconds per run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="batched: runs per size (the best is reported)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows: list[dict[str, Any]] = []
    if args.section in ("all", "single"):
        rows = single(args.steps, args.rounds, args.anchor_python)
        write(rows)
    if args.section in ("all", "batched"):
        now = None
        if args.anchor_python:
            seconds = ["--seconds", str(args.seconds), "--repeats", str(args.repeats)]
            now = anchor(args.anchor_python, ["--section", "vectorized", *seconds])
        append_batched(rows, batched(args.seconds, args.repeats), now)


if __name__ == "__main__":
    main()
