"""Alpaca's portfolio history: ``GET /v2/account/portfolio/history``, from the account's own past.

Equity is rebuilt from the account's deposits and fills and the replayed bars
(:mod:`.equity_curve`), so it is what ``GET /v2/account`` would have answered at each instant, and the
last point is the present's equity. Nothing after the present exists. Simulation choices:

* **Window.** Two of ``start``/``end`` (RFC-3339; ``date_end``, a date, ends at that New York day's
  end) and ``period`` (``<n>D|W|M|A``: n days, weeks, 30-day months or 365-day years; default
  ``1M``); all three is a 422. ``end`` defaults to, and is capped at, the present; ``start`` to
  ``end`` minus the period, and never before the account was opened.
* **Timeframe** ``1Min``, ``5Min``, ``15Min``, ``1H`` or ``1D``; by default 1Min under 7 days, 15Min
  under 30, else 1D. Intraday timeframes cover at most 30 days (Alpaca's rule; else a 422).
* **Points.** Intraday, ``intraday_reporting`` picks them: ``market_hours`` (default) every
  timeframe from each regular session's open to its close, ``extended_hours`` (or the older
  ``extended_hours=true``) from 04:00 to 20:00 ET, ``continuous`` around the clock on the Unix-epoch
  grid; ``1D`` one point per trading day at its New York midnight. Timestamps are left labels in
  epoch seconds; each point's equity is at the end of its window (or the present, if sooner).
* **Profit and loss** ``equity - base`` and ``equity / base - 1`` (null when the base is 0).
  ``pnl_reset=no_reset`` (and every ``1D`` query): the base is the first point's equity (the first
  non-zero one). ``per_day`` (the intraday default): each point's base is the equity at the previous
  session's regular close, or when that is 0 the first non-zero equity of the point's day;
  ``base_value`` is the first point's base.
* ``cashflow_types`` is accepted; the emulator has no cash flows besides deposits (none reported:
  ``cashflow`` is empty). ``force_engine_version`` is accepted and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ....markets import CalendarRangeError
from ...engine.decimals import money
from ...http import CallContext
from ...params import ParamError, Params, Problem
from . import errors, times
from .common import RoutesBase, endpoint
from .equity_curve import equity_at
from .order_request import flag

MINUTE_MS = 60_000
DAY_MS = 86_400_000
TIMEFRAMES = {
    "1Min": MINUTE_MS,
    "5Min": 5 * MINUTE_MS,
    "15Min": 15 * MINUTE_MS,
    "1H": 60 * MINUTE_MS,
    "1D": DAY_MS,
}
REPORTING = {r: r for r in ("market_hours", "extended_hours", "continuous")}
RESETS = {r: r for r in ("per_day", "no_reset")}
PERIOD_DAYS = {"D": 1, "W": 7, "M": 30, "A": 365}
_PERIOD = re.compile(r"([1-9][0-9]{0,3})([DWMA])")
INTRADAY_MAX_MS = 30 * DAY_MS
MAX_POINTS = 100_000
PARAMS = {
    "period",
    "timeframe",
    "intraday_reporting",
    "start",
    "end",
    "date_end",
    "extended_hours",
    "pnl_reset",
    "cashflow_types",
    "force_engine_version",
}


def _period_ms(p: Params) -> int | None:
    text = p.str("period", max_len=8)
    if text is None:
        return None
    m = _PERIOD.fullmatch(text.upper()) if text.isascii() else None
    if m is None:
        raise ParamError(Problem.INVALID, "period")
    return int(m.group(1)) * PERIOD_DAYS[m.group(2)] * DAY_MS


class PortfolioRoutes(RoutesBase):
    def _history_window(self, p: Params, created_ms: int) -> tuple[int, int, int]:
        """``(start, end, span)``: the window in epoch ms and the span asked for."""
        now = self.emu.engine.now_ms
        period = _period_ms(p)
        start = self._instant(p, "start")
        end = self._instant(p, "end")
        date_end = p.str("date_end", max_len=10)
        if date_end is not None and end is None:
            day = times.parse_date(date_end)
            if day is None:
                raise ParamError(Problem.INVALID, "date_end")
            end = times.local_midnight_ms(day + dt.timedelta(days=1)) - 1
        if start is not None and end is not None and period is not None:
            raise errors.invalid_field("only two of start, end and period can be given")
        if end is None:
            end = now if start is None or period is None else start + period
        if start is None:
            start = end - (period if period is not None else PERIOD_DAYS["M"] * DAY_MS)
        if end < start:
            raise errors.invalid_field("end must not be before start")
        return max(start, created_ms), min(end, now), end - start

    def _points(self, tf: str, reporting: str, start: int, end: int) -> list[tuple[int, int]]:
        """``(label, valued at)`` per point, in epoch ms, ascending."""
        step = TIMEFRAMES[tf]
        hours = self.emu.market_hours()
        now = self.emu.engine.now_ms
        out: list[tuple[int, int]] = []
        sessions = []
        if tf == "1D" or reporting != "continuous":
            first, last = times.local_date(start), times.local_date(end)
            sessions = hours.sessions(max(first, hours.first_date), min(last, hours.last_date))
        if tf == "1D":
            for s in sessions:
                label = times.local_midnight_ms(s.date)
                next_day = times.local_midnight_ms(s.date + dt.timedelta(days=1))
                if start < next_day and label <= end:
                    out.append((label, min(next_day, now)))
            return out
        if reporting == "continuous":
            t = -(-start // step) * step
            spans = [(t, end + 1)]
        else:
            extended = reporting == "extended_hours"
            spans = [(s.start_ms(extended), s.end_ms(extended)) for s in sessions]
        for lo, hi in spans:
            t = lo
            while t < hi and t <= end:
                if t >= start:
                    out.append((t, min(t + step, now)))
                    if len(out) > MAX_POINTS:
                        raise errors.invalid_field("too many data points: use a longer timeframe")
                t += step
        return out

    def _bases(
        self, points: list[tuple[int, int]], equity: list[Decimal], account: str, per_day: bool
    ) -> list[Decimal]:
        first = next((e for e in equity if e), Decimal(0))
        if not per_day:
            return [first] * len(points)
        hours = self.emu.market_hours()
        closes: dict[dt.date, int | None] = {}
        for label, _ in points:
            day = times.local_date(label)
            if day not in closes:
                closes[day] = hours.prev_close(times.local_midnight_ms(day))
        marks = sorted({c for c in closes.values() if c is not None})
        at_close = {m: money(e) for m, e in zip(marks, equity_at(self.emu, account, marks), strict=True)}
        first_of_day: dict[dt.date, Decimal] = {}
        for (label, _), e in zip(points, equity, strict=True):
            if e:
                first_of_day.setdefault(times.local_date(label), e)
        out = []
        for label, _ in points:
            day = times.local_date(label)
            close = closes[day]
            base = at_close.get(close, Decimal(0)) if close is not None else Decimal(0)
            out.append(base or first_of_day.get(day, first))
        return out

    @endpoint("portfolio_history", "GET", "/v2/account/portfolio/history")
    def portfolio_history(self, ctx: CallContext) -> Response:
        p = self._query(ctx, PARAMS)
        account = ctx.account or ""
        acct = self.emu.engine.spot_account(account)
        start, end, span = self._history_window(p, acct.created_ms)
        tf = p.choice("timeframe", {k: k for k in TIMEFRAMES})
        if tf is None:
            tf = "1Min" if span < 7 * DAY_MS else "15Min" if span < 30 * DAY_MS else "1D"
        if tf != "1D" and span > INTRADAY_MAX_MS:
            raise errors.invalid_field("timeframe must be 1D for a period longer than 30 days")
        reporting = p.choice("intraday_reporting", REPORTING)
        if reporting is None:
            reporting = "extended_hours" if flag(p, "extended_hours") else "market_hours"
        reset = p.choice("pnl_reset", RESETS, default="per_day")
        p.str("cashflow_types", max_len=200)
        p.str("force_engine_version", max_len=8)
        try:
            points = self._points(tf, reporting, start, end) if start <= end else []
            # Rounded as the account's figures are (GET /v2/account answers the same last point).
            equity = [money(e) for e in equity_at(self.emu, account, [at for _, at in points])]
            bases = self._bases(points, equity, account, per_day=tf != "1D" and reset == "per_day")
        except CalendarRangeError:
            raise errors.unprocessable("the window lies outside the emulator's market calendar") from None
        body: dict[str, Any] = {
            "timestamp": [label // 1000 for label, _ in points],
            "equity": [float(e) for e in equity],
            "profit_loss": [float(e - b) for e, b in zip(equity, bases, strict=True)],
            "profit_loss_pct": [float(e / b - 1) if b else None for e, b in zip(equity, bases, strict=True)],
            "base_value": float(bases[0]) if bases else None,
            "timeframe": tf,
            "cashflow": {},
        }
        return self._ok(body)
