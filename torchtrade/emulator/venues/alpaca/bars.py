"""Alpaca's bar timeframes over the replayed candles: which bars exist, and in what order they page.

The candles themselves are the replay's (:meth:`~...data.ReplaySeries.candles`), which already
aligns them as Alpaca does (:mod:`torchtrade.markets.bars`): intraday bars on the Unix epoch, stock
daily bars one per regular session labelled at New York's midnight, crypto daily bars on UTC days,
and no bar where the file did not trade. This module adds what is Alpaca's own:

* **Timeframes** ``1-59Min`` (or ``T``), ``1-23Hour`` (``H``), ``1Day`` (``D``), ``1Week`` (``W``),
  ``1/2/3/4/6/12Month`` (``M``), as Alpaca's market data API accepts them.
* **Weeks and months** are the daily bars of a calendar week (from Monday) or of ``n`` calendar
  months (``1, 1+n, ...`` of the year) in the market's time zone (New York for stocks, UTC for
  crypto), labelled at that week's or month's first midnight. Simulation choice: Alpaca does not
  document how it anchors them beyond that.
* **Only periods that traded have a bar** (Alpaca builds bars from trades): a candle of zero volume
  (a flat forming candle, an idle period) is never served.
* **Trade count** ``n``: the files carry none; each base bar in the bar counts as the four prints of
  the emulator's synthetic tape (:data:`~..common.market.PRINTS_PER_BAR`).
* Bars are produced lazily, ascending or newest first, in chunks, so a page of 1,000 bars over 30
  years of history costs what the page holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from ...data import DAY_MS, MINUTE_MS, Candle, Period, ReplaySeries
from ..common.market import PRINTS_PER_BAR
from . import times

_TIMEFRAME = re.compile(r"([1-9][0-9]{0,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)")
_UNITS = {"T": "Min", "H": "Hour", "D": "Day", "W": "Week", "M": "Month"}
_MAX = {"Min": 59, "Hour": 23, "Day": 1, "Week": 1}
_MONTHS = (1, 2, 3, 4, 6, 12)
CHUNK = 1000
DAILY = Period.of_ms(DAY_MS)


@dataclass(frozen=True, slots=True)
class Timeframe:
    """An Alpaca bar timeframe (``unit`` one of Min, Hour, Day, Week, Month)."""

    n: int
    unit: str

    @property
    def period(self) -> Period:
        """The replay's period for minutes, hours and days (weeks and months group days)."""
        if self.unit == "Min":
            return Period.of_ms(self.n * MINUTE_MS)
        if self.unit == "Hour":
            return Period.of_ms(self.n * 60 * MINUTE_MS)
        return DAILY

    @property
    def groups_days(self) -> bool:
        return self.unit in ("Week", "Month")

    def __str__(self) -> str:
        return f"{self.n}{self.unit}"


def parse_timeframe(text: str) -> Timeframe | None:
    """``text`` as a timeframe Alpaca accepts, else None."""
    m = _TIMEFRAME.fullmatch(text) if isinstance(text, str) and text.isascii() else None
    if m is None:
        return None
    n, unit = int(m.group(1)), _UNITS.get(m.group(2), m.group(2))
    if unit == "Month":
        return Timeframe(n, unit) if n in _MONTHS else None
    return Timeframe(n, unit) if n <= _MAX[unit] else None


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar: its candle and how many base bars it holds."""

    candle: Candle
    bars: int

    @property
    def trades(self) -> int:
        return self.bars * PRINTS_PER_BAR


def _opening_before(series: ReplaySeries, t_ms: int) -> int:
    """How many bars of the series open before ``t_ms``."""
    return series.closed_count(t_ms + series.base_ms - 1)


def _count(series: ReplaySeries, period: Period, candle: Candle, now_ms: int) -> int:
    """The base bars of ``candle`` closed at ``now_ms`` (a stock's daily bar: its regular session)."""
    start, end = candle.t, period.next(candle.t)
    if period == DAILY and series.has_sessions:
        start = series.hours.next_open(candle.t)
        end = series.hours.session_close(start) or end
    closed = series.closed_count(now_ms)
    return max(0, min(closed, _opening_before(series, end)) - _opening_before(series, start))


def _candles(
    series: ReplaySeries, period: Period, now_ms: int, start_ms: int, end_ms: int, descending: bool
) -> Iterator[Candle]:
    """The replay's candles of ``period`` opening in ``[start_ms, end_ms]``, chunk by chunk."""
    lo_bound = max(start_ms, period.floor(series.first_open_ms))
    hi_bound = min(end_ms, now_ms, series.last_close_ms)
    span = CHUNK * period.n
    if not descending:
        lo = lo_bound
        while lo <= hi_bound:
            hi = min(hi_bound, lo + span - 1)
            yield from series.candles(
                period, now_ms, start_ms=lo, end_ms=hi, limit=CHUNK + 1, flat_forming=False
            )
            lo = hi + 1
        return
    hi = hi_bound
    while hi >= lo_bound:
        lo = max(lo_bound, hi - span + 1)
        chunk = series.candles(period, now_ms, start_ms=lo, end_ms=hi, limit=CHUNK + 1, flat_forming=False)
        yield from reversed(chunk)
        hi = lo - 1


def _group_start(tf: Timeframe, tz: ZoneInfo, t_ms: int) -> int:
    """The first midnight of the week or ``n``-month group containing ``t_ms``, in ``tz``."""
    day = times.local_date(t_ms, tz)
    if tf.unit == "Week":
        first = day - dt.timedelta(days=day.weekday())
    else:
        first = dt.date(day.year, (day.month - 1) // tf.n * tf.n + 1, 1)
    return times.local_midnight_ms(first, tz)


def _merge(t: int, parts: list[Bucket]) -> Bucket:
    """``parts`` (in time order) as one bar opening at ``t``."""
    first, last = parts[0].candle, parts[-1].candle
    zero = Decimal(0)
    candle = Candle(
        t,
        first.open,
        max(p.candle.high for p in parts),
        min(p.candle.low for p in parts),
        last.close,
        sum((p.candle.volume for p in parts), zero),
        sum((p.candle.quote_volume for p in parts), zero),
    )
    return Bucket(candle, sum(p.bars for p in parts))


def buckets(
    series: ReplaySeries,
    tf: Timeframe,
    tz: ZoneInfo,
    now_ms: int,
    *,
    start_ms: int,
    end_ms: int,
    descending: bool = False,
) -> Iterator[Bucket]:
    """The bars of ``tf`` opening in ``[start_ms, end_ms]`` at ``now_ms``, ascending or newest first.

    ``tz`` is the market's zone (where weeks and months start).
    """
    period = tf.period
    if not tf.groups_days:
        for c in _candles(series, period, now_ms, start_ms, end_ms, descending):
            if c.volume > 0:
                yield Bucket(c, _count(series, period, c, now_ms))
        return
    # Weeks and months: the daily bars of each group, the group kept when it opens in the window.
    days = _candles(series, DAILY, now_ms, _group_start(tf, tz, start_ms), end_ms, descending)
    group: list[Bucket] = []
    key = None
    for c in days:
        if c.volume <= 0:
            continue
        k = _group_start(tf, tz, c.t)
        if key is not None and k != key:
            if start_ms <= key <= end_ms:
                yield _merge(key, group[::-1] if descending else group)
            group = []
        key = k
        group.append(Bucket(c, _count(series, DAILY, c, now_ms)))
    if group and key is not None and start_ms <= key <= end_ms:
        yield _merge(key, group[::-1] if descending else group)
