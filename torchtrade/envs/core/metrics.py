"""Episode bookkeeping: equity curve, fees, trades; the summary is :mod:`torchtrade.reports.metrics`'s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...reports.metrics import (
    US_SESSION_MS,
    compute_metrics,
    drawdown_curve,
    periods_per_year,
    trade_results,
)
from .account import FillInfo


@dataclass
class EpisodeMetrics:
    """What happened in the current episode, from the venue's fills and balances."""

    initial_value: float = 0.0
    equity: list[float] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    fees: float = 0.0
    funding: float = 0.0  # received (> 0) or paid (< 0)
    realized_pnl: float = 0.0
    fills: int = 0
    closed_trades: list[float] = field(default_factory=list)  # realized PnL of each closing fill
    seen_fill_ids: set[str] = field(default_factory=set)

    def record_value(self, t_ms: int, value: float) -> None:
        if not self.equity:
            self.initial_value = value
        self.equity.append(value)
        self.timestamps.append(t_ms)

    def record_fills(self, fills: list[FillInfo]) -> list[FillInfo]:
        """Count new fills (a fill seen twice counts once); returns the new ones."""
        new = [f for f in fills if f.id not in self.seen_fill_ids]
        for f in new:
            self.seen_fill_ids.add(f.id)
            self.fees += f.fee
            self.realized_pnl += f.realized_pnl
            self.fills += 1
            self.closed_trades += trade_results([f.realized_pnl], [f.fee])
        return new

    def summary(self, final_value: float | None = None, periods: float | None = None) -> dict[str, Any]:
        """The episode's metrics, computed by :func:`torchtrade.reports.metrics.compute_metrics` (the
        demo's and the reports' numbers are these). ``final_value``: the value now, when it moved since
        the last step (a close after it): the return and drawdown then end at it. ``periods``: bars
        per year (default: one-minute bars around the clock)."""
        equity = list(self.equity)
        if final_value is not None and (not equity or final_value != equity[-1]):
            equity.append(final_value)
        metrics = compute_metrics(
            equity,
            periods=periods or periods_per_year(60_000),
            trades=self.closed_trades,
            fills=self.fills,
            fees=self.fees,
            funding=self.funding,
            realized_pnl=self.realized_pnl,
            steps=max(len(self.equity) - 1, 0),
        )
        summary = metrics.as_dict()
        del summary["buy_and_hold_return"], summary["periods_per_year"]
        if not self.equity:
            summary["initial_value"] = self.initial_value
        return summary

    def drawdown_curve(self) -> np.ndarray:
        """Drawdown at each step, as a fraction of the peak (<= 0, the way the demo plotted it)."""
        return -drawdown_curve(self.equity)


def run_periods_per_year(env: Any) -> float:
    """Bars per year of an env's ``execute_on`` bar: around the clock, or in US equity sessions when
    the env steps on session bars only (:class:`~torchtrade.envs.core.schedule.SessionBars`)."""
    from .schedule import SessionBars

    session = US_SESSION_MS if isinstance(getattr(env, "schedule", None), SessionBars) else None
    return periods_per_year(env.execute_on.ms, session)
