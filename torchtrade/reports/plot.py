"""The report's picture (matplotlib, no display needed): price with entries, exits and bracket levels;
equity against buy-and-hold; drawdown; dates in UTC; the metrics table beside them.

A run that trades around the clock is drawn on a time axis. A run with pauses longer than three bars
(a stock market's nights and weekends) is drawn bar after bar, as trading charts do: the closed hours
take no room, a dotted line marks each pause, and the ticks still read the bars' UTC times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .metrics import Metrics, drawdown_curve, metrics_rows
from .record import RunRecord

LONG, SHORT, EXIT = "#1a9850", "#d73027", "#222222"
STOP, TAKE = "#d73027", "#1a9850"
#: a pause longer than this many bars is a break of the axis
GAP_BARS = 3


def _title(record: RunRecord) -> str:
    m = record.meta
    parts = [str(m.get("symbol") or "run"), str(m.get("venue") or ""), str(m.get("execute_on") or "")]
    parts.append(str(m.get("label") or ""))  # what the run was, when its maker says (e.g. held-out bars)
    return "  ·  ".join(p for p in parts if p)


class _Axis:
    """Where a time goes on the x axis: the time itself, or the position of its bar when the run has
    pauses (see the module's docstring)."""

    def __init__(self, record: RunRecord) -> None:
        self.times = record.steps["time"].reset_index(drop=True)
        bar = pd.Timedelta(milliseconds=int(record.meta.get("bar_ms") or 60_000))
        self.breaks = list(np.flatnonzero(self.times.diff() > GAP_BARS * bar))
        self.by_bar = bool(self.breaks)

    def steps(self) -> Any:
        return np.arange(len(self.times)) if self.by_bar else self.times

    def at(self, times: pd.Series) -> Any:
        """x of events (fills) at ``times``: the bar that saw them (the first closing at or after)."""
        if not self.by_bar:
            return times
        pos = np.searchsorted(self.times.to_numpy(), times.to_numpy(), side="left")
        return np.minimum(pos, len(self.times) - 1)

    def style(self, axes: list[Any]) -> None:
        import matplotlib.dates as mdates
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        if not self.by_bar:
            locator = mdates.AutoDateLocator(tz="UTC", minticks=5, maxticks=10)
            formatter = mdates.ConciseDateFormatter(locator, tz="UTC")
            for ax in axes:
                ax.xaxis.set_major_locator(locator)
                ax.xaxis.set_major_formatter(formatter)
            return
        times = self.times

        def label(x: float, _pos: int) -> str:
            i = round(x)
            return times.iloc[i].strftime("%m-%d\n%H:%M") if 0 <= i < len(times) else ""

        for ax in axes:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=9, integer=True))
            ax.xaxis.set_major_formatter(FuncFormatter(label))
            for b in self.breaks:
                ax.axvline(b - 0.5, color="#888888", lw=0.8, ls=":", zorder=1)


def plot_record(record: RunRecord, path: str | Path, metrics: Metrics | None = None) -> Path:
    """Draw ``record`` to a PNG at ``path``; ``metrics`` default to ``record.metrics()``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = metrics or record.metrics()
    steps, fills = record.steps.reset_index(drop=True), record.fills
    axis = _Axis(record)
    x = axis.steps()
    fig = plt.figure(figsize=(13, 8.2), layout="constrained")
    grid = fig.add_gridspec(3, 2, width_ratios=[4.2, 1], height_ratios=[3, 2, 1.1])
    ax_price = fig.add_subplot(grid[0, 0])
    ax_eq = fig.add_subplot(grid[1, 0], sharex=ax_price)
    ax_dd = fig.add_subplot(grid[2, 0], sharex=ax_price)
    ax_table = fig.add_subplot(grid[:, 1])

    # price, bracket levels, fills, positions held
    ax_price.plot(x, steps["price"], color="#4a4a4a", lw=1.0, label="price (bar close)")
    level = {"lw": 1.0, "ls": "--", "drawstyle": "steps-post"}
    ax_price.plot(x, steps["take_profit"], color=TAKE, label="take-profit", **level)
    ax_price.plot(x, steps["stop_loss"], color=STOP, label="stop-loss", **level)
    entries, exits = fills[fills["kind"] == "entry"], fills[fills["kind"] == "exit"]
    marks = [
        (entries[entries["side"] == "buy"], "^", LONG, "entry long"),
        (entries[entries["side"] == "sell"], "v", SHORT, "entry short"),
        (exits, "X", EXIT, "exit"),
    ]
    for rows, marker, color, label in marks:
        ax_price.scatter(
            axis.at(rows["time"]),
            rows["price"],
            marker=marker,
            s=55,
            color=color,
            zorder=4,
            edgecolor="white",
            linewidth=0.6,
            label=f"{label} ({len(rows)})",
        )
    _shade_positions(ax_price, steps, x)
    ax_price.set_ylabel(f"price ({record.currency})")
    fig.suptitle(_title(record), x=0.01, ha="left", fontsize=12, fontweight="bold")
    _legend(ax_price, steps)

    # equity against buy-and-hold
    ax_eq.plot(x, steps["portfolio_value"], color="#2166ac", lw=1.4, label="portfolio value")
    ax_eq.plot(x, record.buy_and_hold(), color="#999999", lw=1.0, label="buy and hold (1x, no fees)")
    ax_eq.axhline(metrics.initial_value, color="#bbbbbb", lw=0.8, ls=":")
    ax_eq.set_ylabel(f"value ({record.currency})")
    ax_eq.legend(loc="best", fontsize=8, ncols=2, framealpha=0.85)

    # drawdown
    dd = drawdown_curve(steps["portfolio_value"]) * -100
    ax_dd.fill_between(x, dd, 0, color="#d73027", alpha=0.35, lw=0)
    ax_dd.plot(x, dd, color="#d73027", lw=0.8)
    ax_dd.set_ylabel("drawdown (%)")
    ax_dd.set_xlabel("time (UTC)" if not axis.by_bar else "bar close (UTC; closed hours left out)")

    axis.style([ax_price, ax_eq, ax_dd])
    for ax in (ax_price, ax_eq, ax_dd):
        ax.grid(alpha=0.25)
        ax.margins(x=0.01)
    for ax in (ax_price, ax_eq):
        ax.tick_params(labelbottom=False)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")

    _table(ax_table, record, metrics)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _legend(ax: Any, steps: pd.DataFrame) -> None:
    """The price panel's legend, naming only what the picture shows."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    shown = [h for h, label in zip(handles, labels, strict=True) if _drawn(label, steps)]
    sides = set(steps["side"].dropna())
    held = [
        Patch(color=c, alpha=0.15, label=f"{side} held")
        for c, side in ((LONG, "long"), (SHORT, "short"))
        if side in sides
    ]
    # above the panel, in one row: never over the price
    handles = [*shown, *held]
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        fontsize=8,
        ncols=len(handles),
        frameon=False,
        handletextpad=0.4,
        columnspacing=1.2,
        borderaxespad=0.2,
    )


def _drawn(label: str, steps: pd.DataFrame) -> bool:
    if label.endswith("(0)"):
        return False
    column = {"take-profit": "take_profit", "stop-loss": "stop_loss"}.get(label)
    return column is None or bool(steps[column].notna().any())


def _shade_positions(ax: Any, steps: pd.DataFrame, x: Any) -> None:
    """A light band behind the price while a position is held: green long, red short."""
    side = steps["side"].fillna("")
    segment = (side != side.shift()).cumsum()
    xs = pd.Series(list(x))
    for _, rows in steps.groupby(segment):
        held = rows["side"].iloc[0]
        if held not in ("long", "short"):
            continue
        end = rows.index[-1] + 1
        stop = xs.iloc[end] if end < len(xs) else xs.iloc[-1]
        color = LONG if held == "long" else SHORT
        ax.axvspan(xs.iloc[rows.index[0]], stop, color=color, alpha=0.07, lw=0)


def _table(ax: Any, record: RunRecord, metrics: Metrics) -> None:
    start, end = record.steps["time"].iloc[0], record.steps["time"].iloc[-1]
    rows = [("from", _utc(start)), ("to", _utc(end)), *metrics_rows(metrics, record.currency)]
    ax.axis("off")
    table = ax.table(
        cellText=[[label, text] for label, text in rows],
        colLabels=["metric", "value"],
        loc="upper center",
        cellLoc="left",
        colLoc="left",
        colWidths=[0.5, 0.7],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8.5)
    table.scale(1, 1.45)
    for (row, _col), cell in table.get_celld().items():
        cell.set_edgecolor("#dddddd")
        if row == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#f0f0f0")


def _utc(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")
