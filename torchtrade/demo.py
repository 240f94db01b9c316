"""``torchtrade demo``: the Bitget SLTP env on an embedded emulator, with a simple policy.

No keys, no network, no files outside the package: the emulator replays the bundled candles on
127.0.0.1, and the env talks to it through ccxt over HTTP exactly as it would to Bitget demo trading.
The env's clock jumps the emulator to each next bar, so a few hundred 1-minute steps take seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import torch
from tensordict import TensorDictBase
from tqdm import tqdm

from .emulator.server import EmulatorServer
from .envs import EmulatorClock
from .envs.bitget import BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig, TradeMode

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    metrics: dict[str, Any]
    plot: Path | None
    steps: int


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
) -> DemoResult:
    """Run the demo; returns the metrics and where the plot went. ``initial_cash`` (USDT) funds the
    embedded emulator's account."""
    out = Path(out_dir)
    with EmulatorServer(clock="manual", balances={"USDT": Decimal(str(initial_cash))}) as server:
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
        obs = env.reset()
        done = False
        with tqdm(total=steps, desc="trading", unit="bar", disable=not progress, mininterval=0.5) as bar:
            for _ in range(steps):
                obs, _, done, info = env.step(policy(obs))
                bar.update(1)
                value, position = info["portfolio_value"], info["position"]
                bar.set_postfix(value=f"{value:,.2f}", position=f"{position:+g}", refresh=False)
                if done:
                    break
        done_steps = env.step_count
        env.close_all_positions()
        metrics = env.get_metrics()
        plot_path = _plot(env, out) if plot else None
        env.close()
    return DemoResult(metrics=metrics, plot=plot_path, steps=done_steps)


def _plot(env: BitgetFuturesSLTPTorchTradingEnv, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    m = env.metrics
    times = pd.to_datetime(m.timestamps, unit="ms", utc=True)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[3, 1])
    ax1.plot(times, m.equity, color="tab:blue")
    ax1.set_ylabel("portfolio value (USDT)")
    ax1.set_title(f"torchtrade demo: Bitget SLTP env on the emulator ({env.config.symbol})")
    ax1.grid(alpha=0.3)
    ax2.fill_between(times, m.drawdown_curve() * 100, 0, color="tab:red", alpha=0.4)
    ax2.set_ylabel("drawdown (%)")
    ax2.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "equity_drawdown.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_lines(result: DemoResult) -> list[str]:
    m = result.metrics
    return [
        f"steps            {result.steps}",
        f"start value      {m['initial_value']:,.2f} USDT",
        f"final value      {m['portfolio_value']:,.2f} USDT",
        f"return           {m['total_return'] * 100:+.3f} %",
        f"max drawdown     {m['max_drawdown'] * 100:.3f} %",
        f"trades (closed)  {m['trades']}   fills {m['fills']}",
        f"win rate         {m['win_rate'] * 100:.1f} %",
        f"fees             {m['fees']:,.4f} USDT",
        f"realized PnL     {m['realized_pnl']:+,.4f} USDT",
    ]


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
