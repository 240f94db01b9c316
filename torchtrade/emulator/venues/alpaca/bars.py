"""Alpaca's bar timeframes and how the replayed base bars are aggregated into them.

Simulation choices (documented Alpaca behaviour where it is known):

* **Timeframes** are ``<n><unit>``: ``1-59Min`` (or ``T``), ``1-23Hour`` (or ``H``), ``1Day`` (``D``),
  ``1Week`` (``W``), ``1/2/3/4/6/12Month`` (``M``), as Alpaca's market data API accepts them.
* **Intraday bars** (minutes, hours) are aligned to the Unix epoch in UTC (an hour bar opens on the
  hour; New York's offset is whole hours, so these are New York's hours too).
* **Daily and longer bars** open at local midnight: New York's for stocks (Alpaca's stock daily bars
  are stamped 04:00Z/05:00Z) and UTC's for crypto, as the project's market hours count crypto days
  (``torchtrade.markets``: the envs aggregate the same way). Weeks open on Monday, months on the 1st;
  an ``n``-month bar opens in the months ``1, 1+n, ...`` of the year. Doubt: users reported
  Alpaca's crypto daily bars starting at 05:00Z/06:00Z, Chicago's midnight (alpaca-py#169,
  Alpaca-API#227, both 2022, API v1beta1); v1beta3 may differ.
* **Only periods that traded have a bar**: Alpaca builds bars from trades, so a period in which the
  replayed file has no volume (a night, a weekend, an idle minute, the not yet started period at the
  present) has none. The bar that contains the present is built from the base bars already closed:
  nothing is shown before it happened.
* **Trade count** ``n``: the files carry none; each traded base bar counts as the four prints of the
  emulator's synthetic tape (:data:`~..common.market.PRINTS_PER_BAR`). **VWAP** ``vw`` is the
  volume-weighted mean of the base bars' closes (the files carry no trades to weigh).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from ...data import MINUTE_MS, Candle, Period, ReplaySeries
from ..common.market import PRINTS_PER_BAR
from . import times

_TIMEFRAME = re.compile(r"([1-9][0-9]{0,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)")
_UNITS = {"T": "Min", "H": "Hour", "D": "Day", "W": "Week", "M": "Month"}
_MAX = {"Min": 59, "Hour": 23, "Day": 1, "Week": 1}
_MONTHS = (1, 2, 3, 4, 6, 12)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Timeframe:
    """An Alpaca bar timeframe (``unit`` one of Min, Hour, Day, Week, Month)."""

    n: int
    unit: str

    @property
    def intraday(self) -> bool:
        return self.unit in ("Min", "Hour")

    @property
    def period(self) -> Period:
        """The epoch-aligned period of an intraday timeframe."""
        return Period.of_ms(self.n * MINUTE_MS * (60 if self.unit == "Hour" else 1))

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
    """One bar: its candle and how many base bars traded in it."""

    candle: Candle
    bars: int

    @property
    def trades(self) -> int:
        return self.bars * PRINTS_PER_BAR


def _floor(tf: Timeframe, tz: ZoneInfo, t_ms: int) -> tuple[int, int]:
    """``(start, end)`` in ms of the calendar bar (day, week, month) containing ``t_ms``."""
    day = times.local_date(t_ms, tz)
    if tf.unit == "Day":
        first, after = day, day + dt.timedelta(days=1)
    elif tf.unit == "Week":
        first = day - dt.timedelta(days=day.weekday())
        after = first + dt.timedelta(days=7)
    else:
        month0 = (day.month - 1) // tf.n * tf.n  # 0-based first month of the bar
        first = dt.date(day.year, month0 + 1, 1)
        month1 = month0 + tf.n
        after = dt.date(day.year + month1 // 12, month1 % 12 + 1, 1)
    return times.local_midnight_ms(first, tz), times.local_midnight_ms(after, tz)


def _index(series: ReplaySeries, t_ms: int) -> int:
    """The number of bars opening before ``t_ms`` (the index of the first bar at or after it)."""
    return series.closed_count(t_ms + series.base_ms - 1)


def _aggregate(series: ReplaySeries, t: int, i0: int, i1: int) -> Bucket:
    first = series.bar(i0)
    high, low, volume, quote, traded = first.high, first.low, _ZERO, _ZERO, 0
    for i in range(i0, i1):
        b = series.bar(i)
        high = max(high, b.high)
        low = min(low, b.low)
        volume += b.volume
        quote += b.close * b.volume
        traded += b.volume > 0
    last = series.bar(i1 - 1)
    return Bucket(Candle(t, first.open, high, low, last.close, volume, quote), traded)


def _bucket(
    series: ReplaySeries,
    tf: Timeframe,
    tz: ZoneInfo,
    t_ms: int,
    closed: int,
    now_ms: int,
    cache: dict[tuple[object, ...], Bucket],
) -> tuple[Bucket, int, int]:
    """The bar containing the base bar that opens at ``t_ms``, and the index range of its base bars.

    A finished bar (all its base bars closed) is cached in ``cache`` (the run's, keyed by timeframe,
    zone and start); the one containing the present is rebuilt on every call.
    """
    if tf.intraday:
        start, end = tf.period.floor(t_ms), tf.period.next(t_ms)
    else:
        start, end = _floor(tf, tz, t_ms)
    i, j = _index(series, start), min(_index(series, end), closed)
    finished = j < closed or end <= now_ms
    key = (str(tf), tz.key, start)
    bucket = cache.get(key) if finished else None
    if bucket is None:
        bucket = _aggregate(series, start, i, j)
        if finished:
            cache[key] = bucket
    return bucket, i, j


Cache = dict[tuple[object, ...], Bucket]


def buckets(
    series: ReplaySeries,
    tf: Timeframe,
    tz: ZoneInfo,
    now_ms: int,
    *,
    start_ms: int,
    end_ms: int,
    cache: Cache,
    descending: bool = False,
) -> Iterator[Bucket]:
    """The bars of ``tf`` opening in ``[start_ms, end_ms]`` from base bars closed at ``now_ms``:
    ascending, or newest first with ``descending``. Lazy: a caller that pages stops when it has
    what it needs."""
    closed = series.closed_count(now_ms)
    if not descending:
        i = _index(series, start_ms)
        while i < closed:
            bucket, _, j = _bucket(series, tf, tz, series.bar(i).t, closed, now_ms, cache)
            if bucket.candle.t > end_ms:
                return
            if bucket.candle.t >= start_ms and bucket.candle.volume > 0:
                yield bucket
            i = j
        return
    j = min(_index(series, end_ms + 1), closed)  # the base bars opening at or before end_ms
    while j > 0:
        bucket, i, _ = _bucket(series, tf, tz, series.bar(j - 1).t, closed, now_ms, cache)
        if bucket.candle.t < start_ms:
            return
        if bucket.candle.t <= end_ms and bucket.candle.volume > 0:
            yield bucket
        j = i
