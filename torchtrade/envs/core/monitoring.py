"""Monitoring a live env on any torchrl logger (CSV, TensorBoard, W&B, MLflow): a series per step, a
summary per episode, and the event lines of :mod:`.events`.

Every step writes, under ``live/`` at step ``live/step`` (steps counted over all episodes, from 1):

=================  ==========================================================================
portfolio_value    the env's portfolio value after the step (``info["portfolio_value"]``)
reward             the step's reward
position           signed net position size (``info["position"]``)
unrealized_pnl     the position's unrealized PnL (``info["unrealized_pnl"]``)
fees               fees of the step's fills (sum of ``info["fills"][i]["fee"]``)
funding            funding of the step (sum of ``info["funding"][i]["amount"]``, > 0 received)
fills              number of fills read in the step
rejections         number of orders refused or left unconfirmed (``info["rejections"]``)
retries            transient failures retried in the step (``info["retries"]``)
requests           venue requests of the step (``info["requests"]``)
step_latency_s     seconds the step worked: its wall time less the time it waited for the bar
bar_wait_s         seconds the step waited for its bar to close (0 on an emulator's manual clock)
venue_unavailable  1 when the venue could not be read in the step (see :mod:`.outage`), else 0
=================  ==========================================================================

When an episode ends (a step that is done, or a reset that cuts it short) its
:meth:`~torchtrade.envs.core.env.LiveTradingEnv.get_metrics` summary is written under ``episode/``
at step ``episode/step`` = the episode's number (``episode/steps`` is its length). Only numbers are
written: a value that is None (a Sharpe ratio of too short an episode) is left out.

A logger that fails never fails a step: the first failure is logged once at WARNING, and the env goes
on (later writes are still tried, in case the failure was passing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .account import FillInfo
from .events import EventLog

if TYPE_CHECKING:
    from tensordict import TensorDictBase
    from torchrl.record.loggers import Logger

logger = logging.getLogger(__name__)
T = TypeVar("T")

STEP_PREFIX = "live"
EPISODE_PREFIX = "episode"


def step_series(info: Mapping[str, Any], reward: float, latency_s: float, wait_s: float) -> dict[str, float]:
    """The numbers a step writes (names without the ``live/`` prefix), from its ``info``."""
    return {
        "portfolio_value": float(info["portfolio_value"]),
        "reward": float(reward),
        "position": float(info["position"]),
        "unrealized_pnl": float(info["unrealized_pnl"]),
        "fees": float(sum(f["fee"] for f in info["fills"])),
        "funding": float(sum(p["amount"] for p in info["funding"])),
        "fills": float(len(info["fills"])),
        "rejections": float(len(info["rejections"])),
        "retries": float(info["retries"]),
        "requests": float(info["requests"]),
        "step_latency_s": max(latency_s - wait_s, 0.0),
        "bar_wait_s": wait_s,
        "venue_unavailable": float(bool(info.get("venue_unavailable"))),
    }


def episode_summary(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The numeric entries of a ``get_metrics()`` summary."""
    return {k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}


class Monitor:
    """What an env tells its watchers: the series of :data:`torchrl` logger ``logger`` (None: none)
    and the event lines (always).

    Args:
        logger: any :class:`torchrl.record.loggers.Logger`, or None.
        timer: monotonic seconds, for the step latency (default :func:`time.perf_counter`).
    """

    def __init__(
        self, logger: Logger | None = None, *, timer: Callable[[], float] = time.perf_counter
    ) -> None:
        self.logger = logger
        self.timer = timer
        self.events = EventLog()
        self.steps_logged = 0  # the ``live/step`` of the last step written
        self.failures = 0  # writes the logger failed
        self._episode: int | None = None  # the episode stepped in and not summarized yet
        self._waited = 0.0

    # ------------------------------------------------------------------ hooks of the env

    def step(self, env: Any, run: Callable[[], TensorDictBase]) -> TensorDictBase:
        """Run one step (``run``) and write its series; the episode's summary too when it is done."""
        if self.logger is None:  # nothing to write: no timing either
            return run()
        self._waited = 0.0
        start = self.timer()
        out = run()
        elapsed = self.timer() - start
        self._safely(lambda: self._write_step(env, out, elapsed))
        if self._episode is not None and bool(out.get("done").item()):
            self._safely(lambda: self._write_episode(env))
        return out

    def reset(self, env: Any, run: Callable[[], T]) -> T:
        """Summarize an episode that the reset cuts short, then reset (``run``)."""
        if self.logger is not None and self._episode is not None:
            self._safely(lambda: self._write_episode(env))
        return run()

    def wait(self, wait: Callable[[], T]) -> T:
        """Wait for the bar (``wait``), timing it apart from the step's work (for the logger)."""
        if self.logger is None:
            return wait()
        start = self.timer()
        try:
            return wait()
        finally:
            self._waited += self.timer() - start

    def fills(self, env: Any, fills: Sequence[FillInfo]) -> None:
        """Fills the env just read."""
        self._event(lambda: self.events.fills(fills, env.trader.symbol))

    def info(self, env: Any, info: Mapping[str, Any]) -> None:
        """A finished ``info`` (a step's, a reset's or a ``close_all_positions``')."""
        self._event(lambda: self.events.finished(info, env.position, env.trader.symbol))

    @staticmethod
    def _event(write: Callable[[], None]) -> None:
        try:
            write()
        except Exception as e:  # a log line must never cost a step
            logger.warning("could not log an event: %r", e)

    # ------------------------------------------------------------------ writing

    def _write_step(self, env: Any, out: TensorDictBase, elapsed: float) -> None:
        info = env.last_info
        self.steps_logged += 1
        self._episode = env.episode  # summarized when it is done, or by the reset that cuts it short
        reward = float(out.get("reward").item())
        series = step_series(info, reward, elapsed, self._waited)
        self._log({f"{STEP_PREFIX}/{k}": v for k, v in series.items()}, self.steps_logged)

    def _write_episode(self, env: Any) -> None:
        episode, self._episode = self._episode, None
        summary = episode_summary(env.get_metrics())
        self._log({f"{EPISODE_PREFIX}/{k}": v for k, v in summary.items()}, episode)  # type: ignore[arg-type]

    def _log(self, values: dict[str, float], step: int) -> None:
        log_metrics = getattr(self.logger, "log_metrics", None)
        if callable(log_metrics):
            # One call per step: W&B then keeps a step's numbers in one history row.
            log_metrics(values, step=step)
            return
        for name, value in values.items():
            self.logger.log_scalar(name, value, step=step)  # type: ignore[union-attr]

    def _safely(self, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception as e:  # any failure of a third-party logger: the step goes on
            self.failures += 1
            if self.failures == 1:
                logger.warning(
                    "the monitoring logger %s failed (%s: %s); the env goes on, and logs this only once",
                    type(self.logger).__name__,
                    type(e).__name__,
                    e,
                )
