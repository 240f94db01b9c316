"""Train, then trade: PPO on the Bitget env in-process on the first bars of the bundled day, then the
same env class over HTTP against an embedded emulator on the bars after them, reported against
buy-and-hold. ``examples/train_ppo.py`` and ``torchtrade demo --train`` are this function.

Simulation choices: the bundled BTC/USDT day (1,440 one-minute bars) is cut at ``train_fraction``; the
in-process env replays only the bars before the cut, 240-step episodes at random starts on a fresh
10,000 USDT account each; the emulator then serves the bars before the cut as history and plays the
rest, so the trading run never sees a bar the policy was trained on (its first observation windows
look back into them, as a live run looks back into the past).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import torch

from ..emulator.server import EmulatorServer
from ..envs import EmulatorClock
from ..envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig, TradeMode
from ..reports import save_record, write_report
from .policy import GreedyPolicy, load_policy, save_policy
from .ppo import PPOSettings, TrainResult, mean_episode_return, train_ppo
from .split import bundled_candles, split_bars
from .trade import TradeRun, trade

logger = logging.getLogger(__name__)

INITIAL_CASH = 10_000.0  # USDT: the venue's starting wallet in-process and the emulator's here
EPISODE_LENGTH = 240  # training episode, in 1-minute bars
EVAL_EPISODES = 8  # episodes of the greedy and of the random policy on the training bars


def env_config(base_url: str | None = None) -> BitgetFuturesTradingEnvConfig:
    """The env both halves use: long / flat / short BTC with 3,000 USDT of position per entry."""
    return BitgetFuturesTradingEnvConfig(
        symbol="BTC/USDT:USDT",
        time_frames=["1min", "5min", "15min"],
        window_sizes=[32, 12, 8],
        execute_on="1min",
        leverage=5,
        trade_mode=TradeMode.CASH,
        quantity_per_trade=3_000,
        base_url=base_url,
        close_position_on_reset=True,
        seed=0,
    )


def env_fields(config: BitgetFuturesTradingEnvConfig) -> dict[str, Any]:
    """Saved in the policy file: the env class and the config fields it was trained on (plain
    values, no keys)."""
    return {
        "class": "torchtrade.envs.bitget.BitgetFuturesTorchTradingEnv",
        "config": "torchtrade.train.pipeline.env_config",
        "symbol": config.symbol,
        "time_frames": [str(tf) for tf in config.time_frames],
        "window_sizes": list(config.window_sizes),
        "execute_on": str(config.execute_on),
        "leverage": config.leverage,
        "trade_mode": str(config.trade_mode),
        "quantity_per_trade": float(config.quantity_per_trade),
    }


@dataclass(frozen=True)
class TrainTradeResult:
    """Training (frames, seconds, mean episode return of the greedy and of the random policy on the
    training bars), the held-out run, and the files written (policy, run file, PNG, HTML)."""

    train: TrainResult
    trained_return: float
    random_return: float
    eval_episodes: int
    run: TradeRun
    train_bars: int
    policy_file: Path
    run_file: Path | None = None
    png: Path | None = None
    html: Path | None = None

    @property
    def policy_return(self) -> float:
        return float(self.run.record.metrics().total_return)

    @property
    def buy_and_hold_return(self) -> float:
        return float(self.run.record.metrics().buy_and_hold_return or 0.0)


def train_then_trade(
    settings: PPOSettings,
    out_dir: Path | str,
    steps: int = 400,
    train_fraction: float = 2 / 3,
    plot: bool = True,
    progress: bool = False,
    on_batch: Callable[[int, float], None] | None = None,
    eval_episodes: int = EVAL_EPISODES,
) -> TrainTradeResult:
    """Train (see the module), save the policy to ``out_dir/policy.pt``, reload it, trade it greedily
    for up to ``steps`` held-out bars over HTTP, write ``run.sqlite``/``run.png``/``run.html``.
    ``eval_episodes``: episodes of the trained and of a random policy on the training bars (the
    trained one should do better there)."""
    torch.set_num_threads(1)  # small networks: one thread is fastest and keeps runs reproducible
    out = Path(out_dir)
    bars, cut = split_bars(bundled_candles(), train_fraction)
    config = env_config()
    train_env = BitgetFuturesTorchTradingEnv.replay(
        config, data=bars, episode_length=EPISODE_LENGTH, random_start=True, seed=settings.seed
    )
    started = time.monotonic()
    result = train_ppo(train_env, settings, env_fields=env_fields(config), on_batch=on_batch)
    logger.info("trained %d frames in %.1f s", result.frames, time.monotonic() - started)
    policy_file = save_policy(out / "policy.pt", result.actor, result.spec)

    def evaluate(actor: Any) -> float:
        # the same seeded episode starts for both policies
        env = BitgetFuturesTorchTradingEnv.replay(
            config, data=bars, episode_length=EPISODE_LENGTH, random_start=True, seed=settings.seed + 1
        )
        return mean_episode_return(env, actor, eval_episodes, greedy=actor is not None)

    trained, random = evaluate(result.actor), evaluate(None)

    actor, _ = load_policy(policy_file)  # trade what was saved, not what is in memory
    balances = {"USDT": Decimal(str(INITIAL_CASH))}
    with EmulatorServer(clock="manual", balances=balances, history_bars=cut) as server:
        env = BitgetFuturesTorchTradingEnv(
            replace(config, base_url=server.url), clock=EmulatorClock(server.emulator)
        )
        try:
            run = trade(env, GreedyPolicy(actor), steps, progress=progress, desc="trading (held-out bars)")
        finally:
            env.close()
    done = TrainTradeResult(result, trained, random, eval_episodes, run, cut, policy_file)
    if not plot:
        return done
    label = f"PPO policy ({result.frames:,} training frames) on held-out bars, after the first {cut}"
    record = replace(run.record, meta={**run.record.meta, "label": label})
    run_file = save_record(record, out / "run.sqlite")
    png, html = write_report(record, out, stem="run")
    return replace(done, run_file=run_file, png=png, html=html)


def summary_lines(r: TrainTradeResult) -> list[str]:
    """What was trained and how it traded: training budget, training-data returns against a random
    policy, and the held-out returns of the policy and of buy-and-hold."""
    lines = [
        f"trained {r.train.frames:,} frames in {r.train.seconds:.1f} s on the first {r.train_bars} bars",
        f"training bars, mean episode return ({r.eval_episodes} x {EPISODE_LENGTH} steps, sum of log"
        " returns):"
        f" policy {r.trained_return:+.5f}, random {r.random_return:+.5f}",
        f"policy saved to {r.policy_file}",
        f"held-out bars ({r.run.steps} steps): policy {r.policy_return * 100:+.3f} %, "
        f"buy and hold {r.buy_and_hold_return * 100:+.3f} %",
    ]
    if r.run.data_ran_out:
        lines.append("the held-out candles ran out before the steps asked for")
    return lines
