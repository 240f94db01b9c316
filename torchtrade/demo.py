"""``torchtrade demo --no-train``: the Bitget SLTP env on an embedded emulator, with a simple policy.

No keys, no network, no files outside the package: the emulator replays the bundled candles on
127.0.0.1, and the env talks to it through ccxt over HTTP exactly as it would to Bitget demo trading.
The env's clock jumps the emulator to each next bar, so a few hundred 1-minute steps take seconds.
A :class:`~torchtrade.reports.RunRecorder` records every step; at the end the demo prints the run's
metrics and writes the run file, its PNG and its HTML report from that one record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import torch
from tensordict import TensorDictBase

from .emulator.server import EmulatorServer
from .envs import EmulatorClock
from .envs.bitget import BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig, TradeMode
from .reports import Metrics, RunRecord, metrics_lines, save_record, write_report
from .train.trade import trade

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: ``metrics`` from its run record (what it prints and plots), ``env_metrics``
    the env's own ``get_metrics()`` (the same numbers), and the files it wrote."""

    metrics: Metrics
    env_metrics: dict[str, Any]
    record: RunRecord
    steps: int
    requested: int
    data_ran_out: bool
    run_file: Path | None = None
    png: Path | None = None
    html: Path | None = None

    @property
    def plot(self) -> Path | None:
        return self.png


class MomentumPolicy:
    """Enters with the 15-minute trend: long above, short below, hold when it is flat.

    It reads the default features of the ``market_data_15min_8`` window (prices relative to the last
    close): the window's first close below the last one by more than ``threshold`` is an uptrend.
    """

    def __init__(self, env: BitgetFuturesSLTPTorchTradingEnv, key: str, threshold: float = 0.001) -> None:
        self.key = key
        self.threshold = threshold
        longs = [i for i, (side, *_) in env.action_map.items() if side == "long"]
        shorts = [i for i, (side, *_) in env.action_map.items() if side == "short"]
        # The tightest stop with the middle target: small, frequent trades for a short demo.
        self.long, self.short = longs[len(longs) // 2], shorts[len(shorts) // 2]

    def __call__(self, obs: TensorDictBase) -> int:
        first_close = float(obs[self.key][0, 3])  # features_close of the oldest bar, relative to the last
        if first_close < -self.threshold:
            return self.long
        if first_close > self.threshold:
            return self.short
        return 0  # hold


def run_demo(
    steps: int = 400,
    out_dir: Path | str = "torchtrade-demo",
    plot: bool = True,
    progress: bool = True,
    initial_cash: float = 10_000.0,
    history_bars: int = 500,
) -> DemoResult:
    """Run the demo; returns its metrics and where its files went (``run.sqlite``, ``run.png``,
    ``run.html`` in ``out_dir``; none with ``plot=False``). ``initial_cash`` (USDT) funds the embedded
    emulator's account; ``history_bars`` of the bundled day are history, the rest is played (940 bars
    by default: more steps than that and the data runs out, which the result says)."""
    out = Path(out_dir)
    balances = {"USDT": Decimal(str(initial_cash))}
    with EmulatorServer(clock="manual", balances=balances, history_bars=history_bars) as server:
        config = BitgetFuturesSLTPTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["1min", "5min", "15min"],
            window_sizes=[32, 12, 8],
            execute_on="1min",
            leverage=5,
            trade_mode=TradeMode.CASH,
            quantity_per_trade=3_000,  # USDT of position value per entry
            stoploss_levels=(-0.003, -0.006),
            takeprofit_levels=(0.004, 0.008, 0.012),
            include_short_positions=True,
            include_hold_action=True,
            base_url=server.url,  # the embedded emulator instead of Bitget
            close_position_on_reset=True,
            seed=0,
        )
        env = BitgetFuturesSLTPTorchTradingEnv(config, clock=EmulatorClock(server.emulator))
        policy = MomentumPolicy(env, "market_data_15min_8")
        try:
            run = trade(env, policy, steps, progress=progress)
        finally:
            env.close()
    record = run.record
    result = DemoResult(
        metrics=record.metrics(),
        env_metrics=run.env_metrics,
        record=record,
        steps=run.steps,
        requested=steps,
        data_ran_out=run.data_ran_out,
    )
    if not plot:
        return result
    out.mkdir(parents=True, exist_ok=True)
    run_file = save_record(record, out / "run.sqlite")
    png, html = write_report(record, out, stem="run")
    return replace(result, run_file=run_file, png=png, html=html)


def summary_lines(result: DemoResult) -> list[str]:
    """The demo's printout: the metrics table of its run record (the report shows the same)."""
    lines = []
    if result.data_ran_out:
        lines.append(
            f"the replayed candles ran out: step {result.steps} found no new bar, so the demo stopped "
            f"there ({result.requested} steps asked for)"
        )
    return lines + metrics_lines(result.metrics, result.record.currency)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
