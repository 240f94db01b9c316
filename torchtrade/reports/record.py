"""A run record: what a run did, step by step and fill by fill, as two pandas DataFrames.

``steps``: one row per recorded step (and reset, and ``close_all_positions``), oldest first:

=================  ===========================================================================
``time``           close of the bar the row describes (``datetime64[ms, UTC]``)
``episode``        the env's episode counter
``step``           its step counter in the episode (0: a reset)
``price``          close of the last ``execute_on`` bar
``side``           ``long``, ``short`` or None (flat)
``position``       signed net size, base units
``entry_price``    the position's entry price (NaN flat)
``unrealized_pnl`` the position's unrealised PnL
``portfolio_value`` the env's portfolio value (the equity curve)
``reward``         the step's reward (NaN when not given)
``fees``           fees of the fills seen in the step
``funding``        funding of the step (> 0 received, < 0 paid)
``fills``          fills seen in the step
``orders``         orders the env sent in the step
``rejections``     of those, rejected or unknown
``stop_loss``      the position's stop-loss price at the end of the step (NaN: none)
``take_profit``    its take-profit price (NaN: none)
=================  ===========================================================================

``fills``: one row per fill: ``time`` (the venue's), ``id``, ``episode``/``step`` (where it was seen),
``order_id``, ``client_oid`` and ``action`` of the env's order (a venue-side trigger has no client id;
its action is the level it reached, ``stop_loss`` or ``take_profit``, the nearer to its price),
``kind`` (``entry`` or ``exit``), ``side`` (``buy``/``sell``), ``price``, ``amount``, ``fee``,
``realized_pnl``, ``maker``.

``meta``: symbol, venue, execute_on, bar_ms, periods_per_year, currency, env (class name).

The run's metrics count what happened after the first row's value, the run's starting point: fills
seen with the first row (a reset's close of an earlier run) are listed, not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .metrics import Metrics, compute_metrics, periods_per_year, trade_results

STEP_COLUMNS: dict[str, str] = {
    "time": "datetime64[ms, UTC]",
    "episode": "int64",
    "step": "int64",
    "price": "float64",
    "side": "object",
    "position": "float64",
    "entry_price": "float64",
    "unrealized_pnl": "float64",
    "portfolio_value": "float64",
    "reward": "float64",
    "fees": "float64",
    "funding": "float64",
    "fills": "int64",
    "orders": "int64",
    "rejections": "int64",
    "stop_loss": "float64",
    "take_profit": "float64",
}
FILL_COLUMNS: dict[str, str] = {
    "time": "datetime64[ms, UTC]",
    "id": "object",
    "episode": "int64",
    "step": "int64",
    "order_id": "object",
    "client_oid": "object",
    "action": "object",
    "kind": "object",
    "side": "object",
    "price": "float64",
    "amount": "float64",
    "fee": "float64",
    "realized_pnl": "float64",
    "maker": "bool",
}


def frame(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """Rows (``time`` in epoch ms UTC) as a DataFrame of ``columns``, in their dtypes."""
    df = pd.DataFrame(rows, columns=list(columns))
    df["time"] = pd.to_datetime(df["time"].astype("int64"), unit="ms", utc=True)
    for name, dtype in columns.items():
        df[name] = df[name].astype(dtype)
    return df


@dataclass
class RunRecord:
    """A run's steps and fills (see the module's docstring for the columns)."""

    steps: pd.DataFrame
    fills: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return str(self.meta.get("currency") or "USDT")

    @property
    def periods(self) -> float:
        if self.meta.get("periods_per_year"):
            return float(self.meta["periods_per_year"])
        return periods_per_year(int(self.meta.get("bar_ms") or 60_000))

    def counted_fills(self) -> pd.DataFrame:
        """The fills after the run's starting point (those seen with the first row are before it)."""
        if self.steps.empty or self.fills.empty:
            return self.fills.iloc[0:0] if self.steps.empty else self.fills
        first = self.steps.iloc[0]
        before = (self.fills["episode"] == first["episode"]) & (self.fills["step"] == first["step"])
        return self.fills[~before]

    def buy_and_hold(self) -> pd.Series:
        """The starting value held in the asset itself: ``start × price / first price`` (no leverage, no
        fees), at each row."""
        prices = self.steps["price"].astype(float)
        if self.steps.empty or not prices.iloc[0] > 0:
            return pd.Series(np.nan, index=self.steps.index)
        return self.steps["portfolio_value"].iloc[0] * prices / prices.iloc[0]

    def equity_rows(self) -> pd.DataFrame:
        """The rows of the equity curve: every row but one that repeats the row before it (the same
        step, the same value: a ``close_all_positions`` with nothing to close adds no bar)."""
        s = self.steps
        same = (s["episode"] == s["episode"].shift()) & (s["step"] == s["step"].shift())
        return s[~(same & (s["portfolio_value"] == s["portfolio_value"].shift()))]

    def metrics(self) -> Metrics:
        """The run's metrics (:func:`~torchtrade.reports.metrics.compute_metrics`): the numbers the
        demo prints and the report shows."""
        fills = self.counted_fills()
        rows = self.equity_rows()
        steps = rows[rows["step"] > 0][["episode", "step"]].drop_duplicates()
        return compute_metrics(
            rows["portfolio_value"].to_numpy(dtype=float),
            periods=self.periods,
            trades=trade_results(fills["realized_pnl"], fills["fee"]),
            fills=len(fills),
            fees=float(fills["fee"].sum()),
            funding=float(self.steps["funding"].iloc[1:].sum()),
            realized_pnl=float(fills["realized_pnl"].sum()),
            prices=rows["price"].to_numpy(dtype=float),
            steps=len(steps),
        )
