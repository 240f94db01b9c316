"""Performance metrics, computed one way everywhere: ``env.get_metrics()``, the demo's printout, the PNG
and the HTML report all call these functions, so the numbers they show agree.

Inputs are an equity curve (the portfolio value after each step, oldest first, the first one being the
starting value) and the closing fills' results. Definitions:

* **return**: ``last / first - 1``.
* **drawdown** at a step: ``1 - value / highest value so far``, in [0, 1] (a value at or below zero is a
  total loss: 1); **max drawdown** its largest value.
* **per-bar returns**: ``value[i] / value[i-1] - 1``, one per step (simple returns, risk-free rate 0).
* **Sharpe**: ``mean / standard deviation (ddof 1)`` of the per-bar returns, times ``sqrt(P)``.
* **Sortino**: ``mean / downside deviation`` times ``sqrt(P)``, the downside deviation being
  ``sqrt(mean(min(r, 0)²))`` over every bar (target return 0).
* **annualised return**: ``(last / first) ** (P / bars) - 1`` (compounded); **Calmar**: annualised
  return / max drawdown.
* **trades**: the fills that realised a PnL (a close, a stop-loss, a take-profit, a partial close);
  a trade's result is its realised PnL minus its own fee, and the **win rate** is the share of trades
  with a result above zero. A close exactly at the entry price realises nothing and is not counted.

``P``, the bars in a year, comes from the bar period (:func:`periods_per_year`): a market that trades
around the clock (crypto, perpetual futures) has 365 days of 24 hours, so 525,600 one-minute bars; a
market with sessions (US stocks) 252 sessions of 6.5 hours, so 98,280 one-minute bars. An undefined
ratio (fewer than two bars, no variation, no downside, no drawdown) is NaN, shown as "n/a". Annualised
figures of a run a few hours long are extrapolations: read them as such.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

DAY_MS = 86_400_000
#: days of a market open around the clock, and sessions of a US stock market, in a year
CALENDAR_DAYS = 365
TRADING_SESSIONS = 252
#: a regular US equity session (09:30-16:00 New York)
US_SESSION_MS = 390 * 60_000


def periods_per_year(bar_ms: int, session_ms: int | None = None) -> float:
    """Bars in a year: ``365 × 24 h / bar`` around the clock, or ``252 × session / bar`` for a market
    whose sessions last ``session_ms`` (:data:`US_SESSION_MS` for US stocks)."""
    if bar_ms <= 0:
        raise ValueError(f"bar_ms must be > 0, got {bar_ms}")
    if session_ms is None:
        return CALENDAR_DAYS * DAY_MS / bar_ms
    return TRADING_SESSIONS * max(session_ms / bar_ms, 1.0)


def _curve(equity: Iterable[float]) -> np.ndarray:
    return np.asarray(list(equity), dtype=float)


def total_return(equity: Iterable[float]) -> float:
    e = _curve(equity)
    if len(e) < 1 or e[0] <= 0:
        return 0.0
    return float(e[-1] / e[0] - 1.0)


def drawdown_curve(equity: Iterable[float]) -> np.ndarray:
    """``1 - value / running peak`` at each step, in [0, 1]."""
    e = _curve(equity)
    if not len(e):
        return e
    peak = np.maximum.accumulate(e)
    with np.errstate(all="ignore"):
        dd = np.where(peak > 0, 1.0 - e / peak, 0.0)
    return np.clip(dd, 0.0, 1.0)


def max_drawdown(equity: Iterable[float]) -> float:
    dd = drawdown_curve(equity)
    return float(dd.max()) if len(dd) else 0.0


def bar_returns(equity: Iterable[float]) -> np.ndarray:
    """Simple returns from each value to the next (a step from a value at or below zero: 0)."""
    e = _curve(equity)
    if len(e) < 2:
        return np.zeros(0)
    prev, nxt = e[:-1], e[1:]
    with np.errstate(all="ignore"):
        return np.where(prev > 0, nxt / prev - 1.0, 0.0)


def sharpe(equity: Iterable[float], periods: float) -> float:
    r = bar_returns(equity)
    if len(r) < 2:
        return math.nan
    sd = float(r.std(ddof=1))
    if not sd > 1e-15:
        return math.nan
    return float(r.mean() / sd * math.sqrt(periods))


def sortino(equity: Iterable[float], periods: float) -> float:
    r = bar_returns(equity)
    if len(r) < 1:
        return math.nan
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    if not downside > 1e-15:
        return math.nan
    return float(r.mean() / downside * math.sqrt(periods))


def annualized_return(equity: Iterable[float], periods: float) -> float:
    e = _curve(equity)
    bars = len(e) - 1
    if bars < 1 or e[0] <= 0:
        return math.nan
    if e[-1] <= 0:
        return -1.0
    exponent = math.log(e[-1] / e[0]) * periods / bars
    return math.expm1(exponent) if exponent < 700 else math.inf


def calmar(equity: Iterable[float], periods: float) -> float:
    e = _curve(equity)
    mdd = max_drawdown(e)
    if not mdd > 0:
        return math.nan
    return annualized_return(e, periods) / mdd


def trade_results(realized_pnl: Iterable[float], fees: Iterable[float]) -> list[float]:
    """Each trade's result (realised PnL minus its fee), from the fills' realised PnL and fees (the
    fills that realised nothing are entries, not trades)."""
    return [p - f for p, f in zip(realized_pnl, fees, strict=True) if p != 0]


def win_rate(results: Sequence[float]) -> float:
    return sum(1 for r in results if r > 0) / len(results) if results else 0.0


@dataclass(frozen=True)
class Metrics:
    """A run's (or an episode's) summary. ``portfolio_value`` is the final value; ``steps`` the bars
    after the starting value; money in the account's settle coin."""

    initial_value: float
    portfolio_value: float
    total_return: float
    max_drawdown: float
    sharpe: float
    sortino: float
    calmar: float
    annualized_return: float
    win_rate: float
    trades: int
    fills: int
    fees: float
    funding: float
    realized_pnl: float
    steps: int
    periods_per_year: float
    buy_and_hold_return: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def compute_metrics(
    equity: Sequence[float],
    *,
    periods: float,
    trades: Sequence[float] = (),
    fills: int = 0,
    fees: float = 0.0,
    funding: float = 0.0,
    realized_pnl: float = 0.0,
    prices: Sequence[float] | None = None,
    steps: int | None = None,
) -> Metrics:
    """Every metric of an equity curve at once (see the module's docstring). ``trades`` are the trade
    results (:func:`trade_results`); ``prices``, when given, the asset's price at each value, for the
    buy-and-hold return over the same bars; ``steps`` overrides the bar count (``len(equity) - 1``)."""
    e = _curve(equity)
    initial = float(e[0]) if len(e) else 0.0
    hold = None
    if prices is not None and len(prices) and prices[0] > 0 and not math.isnan(prices[-1]):
        hold = float(prices[-1]) / float(prices[0]) - 1.0
    return Metrics(
        initial_value=initial,
        portfolio_value=float(e[-1]) if len(e) else initial,
        total_return=total_return(e),
        max_drawdown=max_drawdown(e),
        sharpe=sharpe(e, periods),
        sortino=sortino(e, periods),
        calmar=calmar(e, periods),
        annualized_return=annualized_return(e, periods),
        win_rate=win_rate(trades),
        trades=len(trades),
        fills=int(fills),
        fees=float(fees),
        funding=float(funding),
        realized_pnl=float(realized_pnl),
        steps=max(len(e) - 1, 0) if steps is None else steps,
        periods_per_year=float(periods),
        buy_and_hold_return=hold,
    )


def _ratio(x: float) -> str:
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.2f}" if abs(x) < 1e4 else f"{x:+.3g}"


def _pct(x: float | None, signed: bool = True) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "+inf"
    return f"{x * 100:+.3f} %" if signed else f"{x * 100:.3f} %"


def metrics_rows(m: Metrics, currency: str = "USDT") -> list[tuple[str, str]]:
    """The metrics table as (label, text): the demo prints it, the PNG and the HTML show it."""
    rows = [
        ("steps", f"{m.steps}"),
        ("start value", f"{m.initial_value:,.2f} {currency}"),
        ("final value", f"{m.portfolio_value:,.2f} {currency}"),
        ("return", _pct(m.total_return)),
    ]
    if m.buy_and_hold_return is not None:
        rows.append(("buy and hold", _pct(m.buy_and_hold_return)))
    rows += [
        ("max drawdown", _pct(m.max_drawdown, signed=False)),
        ("Sharpe", _ratio(m.sharpe)),
        ("Sortino", _ratio(m.sortino)),
        ("Calmar", _ratio(m.calmar)),
        ("trades (closed)", f"{m.trades}   fills {m.fills}"),
        ("win rate", f"{m.win_rate * 100:.1f} %"),
        ("fees", f"{m.fees:,.4f} {currency}"),
        ("funding", f"{m.funding:+,.4f} {currency}"),
        ("realized PnL", f"{m.realized_pnl:+,.4f} {currency}"),
    ]
    return rows


def metrics_lines(m: Metrics, currency: str = "USDT") -> list[str]:
    """The table as aligned text lines (the demo's and ``torchtrade report``'s printout)."""
    return [f"{label:<17}{text}" for label, text in metrics_rows(m, currency)]
