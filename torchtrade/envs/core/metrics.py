"""Episode bookkeeping: equity curve, fees, trades, and the summary the demo prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
            if f.realized_pnl != 0:
                self.closed_trades.append(f.realized_pnl - f.fee)
        return new

    def summary(self) -> dict[str, Any]:
        equity = np.asarray(self.equity, dtype=float)
        final = float(equity[-1]) if len(equity) else self.initial_value
        peak = np.maximum.accumulate(equity) if len(equity) else equity
        drawdown = (equity / peak - 1.0) if len(equity) else equity
        wins = [p for p in self.closed_trades if p > 0]
        return {
            "initial_value": self.initial_value,
            "portfolio_value": final,
            "total_return": final / self.initial_value - 1.0 if self.initial_value else 0.0,
            "max_drawdown": max(0.0, float(-drawdown.min())) if len(drawdown) else 0.0,
            "realized_pnl": self.realized_pnl,
            "fees": self.fees,
            "funding": self.funding,
            "fills": self.fills,
            "trades": len(self.closed_trades),
            "win_rate": len(wins) / len(self.closed_trades) if self.closed_trades else 0.0,
            "steps": max(len(equity) - 1, 0),
        }

    def drawdown_curve(self) -> np.ndarray:
        equity = np.asarray(self.equity, dtype=float)
        if not len(equity):
            return equity
        return equity / np.maximum.accumulate(equity) - 1.0
