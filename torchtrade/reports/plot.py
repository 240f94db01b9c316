"""The report's picture (matplotlib, no display needed): price with entries, exits and bracket levels;
equity against buy-and-hold; drawdown; dates in UTC; the metrics table beside them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .metrics import Metrics, drawdown_curve, metrics_rows
from .record import RunRecord

LONG, SHORT, EXIT = "#1a9850", "#d73027", "#222222"
STOP, TAKE = "#d73027", "#1a9850"


def _title(record: RunRecord) -> str:
    m = record.meta
    parts = [str(m.get("symbol") or "run"), str(m.get("venue") or ""), str(m.get("execute_on") or "")]
    return "  ·  ".join(p for p in parts if p)


def plot_record(record: RunRecord, path: str | Path, metrics: Metrics | None = None) -> Path:
    """Draw ``record`` to a PNG at ``path``; ``metrics`` default to ``record.metrics()``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    metrics = metrics or record.metrics()
    steps, fills = record.steps, record.fills
    t = steps["time"]
    fig = plt.figure(figsize=(13, 8.2), layout="constrained")
    grid = fig.add_gridspec(3, 2, width_ratios=[4.2, 1], height_ratios=[3, 2, 1.1])
    ax_price = fig.add_subplot(grid[0, 0])
    ax_eq = fig.add_subplot(grid[1, 0], sharex=ax_price)
    ax_dd = fig.add_subplot(grid[2, 0], sharex=ax_price)
    ax_table = fig.add_subplot(grid[:, 1])

    # price, bracket levels, fills
    ax_price.plot(t, steps["price"], color="#4a4a4a", lw=1.0, label="price (bar close)")
    ax_price.plot(
        t, steps["take_profit"], color=TAKE, lw=1.0, ls="--", drawstyle="steps-post", label="take-profit"
    )
    ax_price.plot(
        t, steps["stop_loss"], color=STOP, lw=1.0, ls="--", drawstyle="steps-post", label="stop-loss"
    )
    entries, exits = fills[fills["kind"] == "entry"], fills[fills["kind"] == "exit"]
    marks = [
        (entries[entries["side"] == "buy"], "^", LONG, "entry long"),
        (entries[entries["side"] == "sell"], "v", SHORT, "entry short"),
        (exits, "X", EXIT, "exit"),
    ]
    for rows, marker, color, label in marks:
        ax_price.scatter(
            rows["time"],
            rows["price"],
            marker=marker,
            s=55,
            color=color,
            zorder=4,
            edgecolor="white",
            linewidth=0.6,
            label=f"{label} ({len(rows)})",
        )
    _shade_positions(ax_price, steps)
    ax_price.set_ylabel(f"price ({record.currency})")
    ax_price.set_title(_title(record), loc="left", fontsize=12, fontweight="bold")
    from matplotlib.patches import Patch

    # the legend names only what the picture shows
    handles, labels = ax_price.get_legend_handles_labels()
    shown = [h for h, label in zip(handles, labels, strict=True) if _drawn(h, label, steps)]
    sides = set(steps["side"].dropna())
    held = [
        Patch(color=c, alpha=0.15, label=f"{side} held")
        for c, side in ((LONG, "long"), (SHORT, "short"))
        if side in sides
    ]
    ax_price.legend(handles=[*shown, *held], loc="upper left", fontsize=8, ncols=4, framealpha=0.85)

    # equity against buy-and-hold
    ax_eq.plot(t, steps["portfolio_value"], color="#2166ac", lw=1.4, label="portfolio value")
    ax_eq.plot(t, record.buy_and_hold(), color="#999999", lw=1.0, ls="-", label="buy and hold (1x, no fees)")
    ax_eq.axhline(metrics.initial_value, color="#bbbbbb", lw=0.8, ls=":")
    ax_eq.set_ylabel(f"value ({record.currency})")
    ax_eq.legend(loc="upper left", fontsize=8, ncols=2, framealpha=0.85)

    # drawdown
    dd = drawdown_curve(steps["portfolio_value"]) * -100
    ax_dd.fill_between(t, dd, 0, color="#d73027", alpha=0.35, lw=0)
    ax_dd.plot(t, dd, color="#d73027", lw=0.8)
    ax_dd.set_ylabel("drawdown (%)")
    ax_dd.set_xlabel("time (UTC)")

    locator = mdates.AutoDateLocator(tz="UTC", minticks=5, maxticks=10)
    formatter = mdates.ConciseDateFormatter(locator, tz="UTC")
    for ax in (ax_price, ax_eq, ax_dd):
        ax.grid(alpha=0.25)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
        ax.margins(x=0.01)
    for ax in (ax_price, ax_eq):
        ax.tick_params(labelbottom=False)
    ax_eq.ticklabel_format(axis="y", useOffset=False, style="plain")
    ax_price.ticklabel_format(axis="y", useOffset=False, style="plain")

    _table(ax_table, record, metrics)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _drawn(handle: object, label: str, steps: pd.DataFrame) -> bool:
    if label.endswith("(0)"):
        return False
    column = {"take-profit": "take_profit", "stop-loss": "stop_loss"}.get(label)
    return column is None or bool(steps[column].notna().any())


def _shade_positions(ax: object, steps: pd.DataFrame) -> None:
    """A light band behind the price while a position is held: green long, red short."""
    side = steps["side"].fillna("")
    segment = (side != side.shift()).cumsum()
    times = steps["time"]
    for _, rows in steps.groupby(segment):
        held = rows["side"].iloc[0]
        if held not in ("long", "short"):
            continue
        end = rows.index[-1] + 1
        stop = times.iloc[end] if end < len(times) else times.iloc[-1]
        color = LONG if held == "long" else SHORT
        ax.axvspan(rows["time"].iloc[0], stop, color=color, alpha=0.07, lw=0)  # type: ignore[attr-defined]


def _table(ax: object, record: RunRecord, metrics: Metrics) -> None:
    start, end = record.steps["time"].iloc[0], record.steps["time"].iloc[-1]
    rows = [("from", _utc(start)), ("to", _utc(end)), *metrics_rows(metrics, record.currency)]
    ax.axis("off")  # type: ignore[attr-defined]
    table = ax.table(  # type: ignore[attr-defined]
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
