"""The report's HTML page: one self-contained file (the PNG embedded as a data URI, inline CSS, no
script, nothing fetched), with the metrics table and the fills."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from .metrics import Metrics, metrics_rows
from .record import RunRecord

MAX_FILL_ROWS = 500

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto;
       max-width: 1440px; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.sub { color: #666; margin-bottom: 16px; }
img { max-width: 100%; border: 1px solid #e4e4e4; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
th { background: #f5f5f5; } td.num { text-align: right; }
.metrics td:first-child { color: #555; }
"""


def _td(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:,.6g}</td>'
    return f"<td>{escape(str(value))}</td>"


def _fills_table(record: RunRecord) -> str:
    fills = record.fills
    if fills.empty:
        return "<p>No fills.</p>"
    cols = ["time", "kind", "action", "side", "price", "amount", "fee", "realized_pnl", "client_oid"]
    head = "".join(f"<th>{escape(c)}</th>" for c in cols)
    body = []
    for _, row in fills.head(MAX_FILL_ROWS).iterrows():
        cells = [_td(row["time"].strftime("%Y-%m-%d %H:%M:%S"))]
        cells += [_td(row[c]) for c in cols[1:]]
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = f"<p>… and {len(fills) - MAX_FILL_ROWS} more.</p>" if len(fills) > MAX_FILL_ROWS else ""
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def html_page(record: RunRecord, png: bytes, metrics: Metrics | None = None) -> str:
    """The page, as text; ``png`` the picture's bytes."""
    metrics = metrics or record.metrics()
    meta = record.meta
    title = f"torchtrade run: {meta.get('symbol') or 'run'}"
    start, end = record.steps["time"].iloc[0], record.steps["time"].iloc[-1]
    sub = (
        f"{escape(str(meta.get('venue') or ''))} {escape(str(meta.get('env') or ''))}, "
        f"{escape(str(meta.get('execute_on') or ''))} bars, "
        f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    )
    rows = "".join(
        f"<tr><td>{escape(label)}</td><td class='num'>{escape(text)}</td></tr>"
        for label, text in metrics_rows(metrics, record.currency)
    )
    image = base64.b64encode(png).decode("ascii")
    note = (
        f"Annualised with {metrics.periods_per_year:,.0f} bars a year; Sharpe and Sortino from per-bar "
        "simple returns, risk-free rate 0. Buy and hold: the starting value held in the asset, 1x, no fees."
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<div class="sub">{sub}</div>
<h2>Metrics</h2>
<table class="metrics" id="metrics"><tr><th>metric</th><th>value</th></tr>{rows}</table>
<p class="sub">{escape(note)}</p>
<h2>Price, trades, equity and drawdown</h2>
<img alt="price with entries, exits and bracket levels; equity against buy and hold; drawdown"
     src="data:image/png;base64,{image}">
<h2>Fills</h2>
{_fills_table(record)}
</body></html>
"""


def write_report(record: RunRecord, out_dir: str | Path, stem: str = "run") -> tuple[Path, Path]:
    """Write ``<stem>.png`` and ``<stem>.html`` into ``out_dir`` (created); returns both paths."""
    from .plot import plot_record

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metrics = record.metrics()
    png = plot_record(record, out / f"{stem}.png", metrics)
    html = out / f"{stem}.html"
    html.write_text(html_page(record, png.read_bytes(), metrics), encoding="utf-8")
    return png, html
