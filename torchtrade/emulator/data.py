"""Replayed real candles: loading, validation, UTC period alignment and look-ahead-free aggregation.

The emulator serves candles from real 1-minute (or coarser) bars stored as CSV files (format:
``shared/data/README.md``). Files are placed on the emulator's timeline by a whole number of bars
(:func:`plan_timeline`) and revealed bar by bar as the clock moves (:class:`ReplaySeries`).

The no-look-ahead invariant: a base bar with open time ``t`` closes at ``t + base_ms`` and nothing
derived from it (price, candle, volume) is visible before that instant.

Markets in sessions (stocks, :mod:`torchtrade.markets`): a series given such ``hours`` keeps its real
dates (its sessions, holidays and early closes belong to them), serves no bar where the file has
none (a night, a quiet pre-market minute: gaps are real, never filled, and no flat "forming" candle
is made up), and builds daily candles per session as Alpaca does: the regular session's bars,
labelled 00:00 in the market's time zone, complete at the session's close.

Example:
    >>> data = load_candles("binance_btcbusd_1m_2022-12-13.csv")  # doctest: +SKIP
    >>> series = ReplaySeries(data)  # doctest: +SKIP
    >>> series.candles(Period.parse("1h"), now_ms=data.bars[90].t, limit=2)  # doctest: +SKIP
    [Candle(t=...00:00, ...), Candle(t=...01:00, ...)]   # the 01:00 one is forming, built from 30 bars
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import threading
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from typing import Any, Literal, NamedTuple

from ..markets.calendar import ALWAYS_OPEN, has_sessions

__all__ = [
    "MINUTE_MS",
    "Bar",
    "Candle",
    "CandleData",
    "CandleFileError",
    "Period",
    "ReplaySeries",
    "load_candles",
    "plan_timeline",
]

MINUTE_MS: int = 60_000
HOUR_MS: int = 60 * MINUTE_MS
DAY_MS: int = 24 * HOUR_MS
WEEK_MS: int = 7 * DAY_MS

# 1970-01-01 was a Thursday; the first Monday 00:00 UTC is 4 days later. Venues (Binance, Bitget)
# open weekly candles on Monday 00:00 UTC.
_FIRST_MONDAY_MS: int = 4 * DAY_MS
_EPOCH_ORDINAL: int = dt.date(1970, 1, 1).toordinal()

HEADER: str = "timestamp,open,high,low,close,volume"
_COLUMNS: tuple[str, ...] = tuple(HEADER.split(","))
_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")
# Plain decimal notation only: Decimal() alone would also take "1_000", " 1", "Infinity".
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ROW_RE = re.compile(",".join([_TIMESTAMP_RE.pattern, *[f"({_NUMBER_RE.pattern})"] * 5]))
_NAN_TEXTS = frozenset({"nan", "+nan", "-nan"})
_GZIP_MAGIC = b"\x1f\x8b"

_ZERO = Decimal(0)
# Sums and close*volume products are computed in this private context: 60 digits keep them exact for
# any realistic file, whatever precision the calling thread's default context happens to have.
_EXACT = Context(prec=60)


class CandleFileError(ValueError):
    """A candle file is missing or malformed.

    ``str(e)`` is one line that names the file and the first problem found, with its line number
    when the problem is on a line, e.g. ``"binance.csv: line 17: high 101 < max(open, close) 102"``
    or ``"x.csv: file not found"``. Callers should report it and stop: the data cannot be replayed.
    """


class Bar(NamedTuple):
    """One base bar as stored in the file; ``t`` is the bar's OPEN time in ms since the epoch (UTC)."""

    t: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class Candle(NamedTuple):
    """One candle of a :class:`Period`, aggregated from base bars.

    ``t`` is the period's open time (ms, UTC). ``quote_volume`` is the sum over the base bars of
    ``close * volume``: an approximation (the files carry no quote volume), exact for bars that
    traded at a single price and close enough for the fields venues report as "turnover".
    """

    t: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal


@dataclass(frozen=True)
class CandleData:
    """The validated contents of one candle file.

    Attributes:
        source: The file name (without directory), used in messages.
        base_ms: Bar duration in ms: the smallest gap between consecutive timestamps, a positive
            multiple of :data:`MINUTE_MS`. Larger gaps are missing bars (no trades), never filled.
        bars: The bars in strictly increasing time order, each open time a multiple of ``base_ms``.

    Raises:
        ValueError: On construction, if ``base_ms`` is not a positive multiple of a minute or the
            bars are empty, unordered or misaligned; :class:`ReplaySeries` relies on these invariants.
    """

    source: str
    base_ms: int
    bars: tuple[Bar, ...]

    def __post_init__(self) -> None:
        if self.base_ms <= 0 or self.base_ms % MINUTE_MS:
            raise ValueError(
                f"{self.source}: base_ms={self.base_ms} is not a positive multiple of {MINUTE_MS}"
            )
        if not self.bars:
            raise ValueError(f"{self.source}: no bars")
        prev: int | None = None
        for i, bar in enumerate(self.bars):
            if bar.t % self.base_ms:
                raise ValueError(
                    f"{self.source}: bar {i} at {bar.t} is not aligned to base_ms={self.base_ms}"
                )
            if prev is not None and bar.t <= prev:
                raise ValueError(f"{self.source}: bar {i} at {bar.t} is not after bar {i - 1} at {prev}")
            prev = bar.t


def _read_text(path: str | os.PathLike[str], name: str) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise CandleFileError(f"{name}: file not found") from None
    except OSError as e:
        raise CandleFileError(f"{name}: cannot read: {e.strerror or e}") from e
    # Sniff the magic bytes rather than trust the extension: a renamed .csv.gz still loads.
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise CandleFileError(f"{name}: not a valid gzip file ({e})") from e
    try:
        # utf-8-sig: a byte-order mark left by a spreadsheet export is not a header error.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CandleFileError(f"{name}: not UTF-8 text (byte {e.start})") from e


def _epoch_ms(groups: Sequence[str]) -> int | None:
    """ms since the epoch of (year, month, day, hour, minute, second) digits; None if out of range."""
    try:
        # datetime() rejects out-of-range fields (month 13, Feb 30), as strptime would.
        when = dt.datetime(*(int(g) for g in groups))
    except ValueError:
        return None
    days = when.toordinal() - _EPOCH_ORDINAL
    return days * DAY_MS + (when.hour * 3600 + when.minute * 60 + when.second) * 1000


def _diagnose(fields: list[str]) -> str:
    """Names the problem of a row that the fast row pattern rejected."""
    if len(fields) != len(_COLUMNS):
        return f"expected {len(_COLUMNS)} fields, got {len(fields)}"
    for column, text in zip(_COLUMNS, fields, strict=True):
        if not text.strip():
            return f"empty {column}"
    stamp = _TIMESTAMP_RE.fullmatch(fields[0])
    if stamp is None:
        return f"timestamp {fields[0][:40]!r} is not in the format %Y-%m-%dT%H:%M:%SZ"
    if _epoch_ms(stamp.groups()) is None:
        return f"timestamp {fields[0]!r} is not a valid date and time"
    for column, text in zip(_COLUMNS[1:], fields[1:], strict=True):
        if text.strip().lower() in _NAN_TEXTS:
            return f"{column} is NaN"
        if not _NUMBER_RE.fullmatch(text):
            return f"{column} {text[:40]!r} is not a number"
    return "malformed row"  # pragma: no cover - the checks above mirror _ROW_RE


def _parse_row(line: str) -> Bar | str:
    """Parses and checks one data row; returns the bar or the problem (without file and line)."""
    # One regex for the whole row is the fast path (40k-row files load in a fraction of a second);
    # only a rejected row is split again to name what is wrong with it.
    m = _ROW_RE.fullmatch(line)
    if m is None:
        return _diagnose(line.split(","))
    groups = m.groups()
    t = _epoch_ms(groups[:6])
    if t is None:
        return f"timestamp {line.split(',')[0]!r} is not a valid date and time"
    o, h, lo, c, v = (Decimal(g) for g in groups[6:])
    for column, value in zip(_COLUMNS[1:5], (o, h, lo, c), strict=True):
        if value <= 0:
            return f"{column} {value} is not > 0"
    if h < max(o, c):
        return f"high {h} < max(open, close) {max(o, c)}"
    if lo > min(o, c):
        return f"low {lo} > min(open, close) {min(o, c)}"
    # high >= low follows from the two checks above: high >= max(o, c) >= min(o, c) >= low.
    if v < 0:
        return f"volume {v} < 0"
    return Bar(t, o, h, lo, c, v)


def load_candles(path: str | os.PathLike[str]) -> CandleData:
    """Reads and validates a candle file (CSV, or gzip-compressed CSV).

    The checks are those of ``shared/data/check_candles.py``: the exact header
    ``timestamp,open,high,low,close,volume``; timestamps in ``%Y-%m-%dT%H:%M:%SZ`` (UTC) and strictly
    increasing (so no duplicates); no empty or NaN field; numeric prices and volume;
    ``high >= max(open, close)``, ``low <= min(open, close)`` (hence ``high >= low``); prices > 0;
    volume >= 0; at least 2 rows; and every timestamp a multiple of the bar size, which is the
    smallest gap between consecutive rows and must be a whole number of minutes. Blank lines are
    skipped, as pandas does. Numbers are parsed to :class:`~decimal.Decimal` from the text, exactly.

    Args:
        path: The file. Gzip is detected from its content, whatever the extension.

    Returns:
        The validated :class:`CandleData`.

    Raises:
        CandleFileError: The first problem found, as one line naming the file (and the line number
            for a problem on a line).
    """
    name = os.path.basename(os.fspath(path))
    text = _read_text(path, name)
    lines = text.split("\n")
    if not lines[0].rstrip("\r"):
        raise CandleFileError(f"{name}: line 1: empty, expected the header {HEADER!r}")
    header = lines[0].rstrip("\r")
    if header != HEADER:
        raise CandleFileError(f"{name}: line 1: header {header[:80]!r}, expected {HEADER!r}")

    bars: list[Bar] = []
    line_numbers: list[int] = []
    stamps: list[str] = []
    prev_t: int | None = None
    for number, raw_line in enumerate(lines[1:], start=2):
        line = raw_line.rstrip("\r")
        if not line.strip():
            continue
        bar = _parse_row(line)
        if isinstance(bar, str):
            raise CandleFileError(f"{name}: line {number}: {bar}")
        t = bar.t
        stamp = line[: line.index(",")]
        if prev_t is not None and t <= prev_t:
            problem = "duplicate timestamp" if t == prev_t else "timestamp out of order:"
            raise CandleFileError(
                f"{name}: line {number}: {problem} {stamp} is not after "
                f"{stamps[-1]} (line {line_numbers[-1]})"
            )
        prev_t = t
        bars.append(bar)
        line_numbers.append(number)
        stamps.append(stamp)

    if len(bars) < 2:
        raise CandleFileError(f"{name}: needs at least 2 data rows, got {len(bars)}")
    gap, second = min((bars[i].t - bars[i - 1].t, i) for i in range(1, len(bars)))
    if gap % MINUTE_MS:
        raise CandleFileError(
            f"{name}: line {line_numbers[second]}: smallest gap between rows is {gap} ms, "
            f"not a whole number of minutes"
        )
    for i, bar in enumerate(bars):
        if bar.t % gap:
            raise CandleFileError(
                f"{name}: line {line_numbers[i]}: timestamp {stamps[i]} is not aligned to the "
                f"{Period.of_ms(gap)} bar size (a multiple of {gap} ms since the epoch)"
            )
    return CandleData(source=name, base_ms=gap, bars=tuple(bars))


_PERIOD_RE = re.compile(r"([1-9]\d*)([mhdwM])")
_UNIT_MS: dict[str, int] = {"m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS}


@dataclass(frozen=True)
class Period:
    """A candle period aligned in UTC exactly as venues align klines.

    ``kind="ms"``: a fixed duration of ``n`` ms (minutes, hours, days), aligned to the Unix epoch
    (``start % n == 0``), so 4h candles open at 00, 04, 08.. UTC and 3d candles every third day
    from 1970-01-01, as on Binance. ``kind="week"``: weeks open Monday 00:00 UTC. ``kind="month"``:
    months open on the 1st at 00:00 UTC. Week and month support ``n == 1`` only, because venues
    disagree on how multi-week/month candles are anchored.

    Attributes:
        kind: ``"ms"``, ``"week"`` or ``"month"``.
        n: The duration in ms for ``"ms"``; 1 for ``"week"`` and ``"month"``.
    """

    kind: Literal["ms", "week", "month"]
    n: int

    def __post_init__(self) -> None:
        if self.kind not in ("ms", "week", "month"):
            raise ValueError(f"Period.kind={self.kind!r}: must be 'ms', 'week' or 'month'")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n <= 0:
            raise ValueError(f"Period.n={self.n!r}: must be a positive int")
        if self.kind != "ms" and self.n != 1:
            raise ValueError(f"Period.n={self.n}: only 1 is supported for kind={self.kind!r}")

    @classmethod
    def parse(cls, s: str) -> Period:
        """Parses a ccxt unified timeframe string.

        Accepts ``<n>m``, ``<n>h``, ``<n>d`` for any positive ``n`` (covering ccxt's
        "1m","3m","5m","15m","30m","1h","2h","4h","6h","8h","12h","1d","3d"), plus "1w" and "1M".

        Args:
            s: The timeframe, case-sensitive ("1M" is a month, "1m" a minute).

        Raises:
            ValueError: Naming ``s`` when it is not such a timeframe.
        """
        m = _PERIOD_RE.fullmatch(s) if isinstance(s, str) else None
        if m is None:
            raise ValueError(
                f"unsupported timeframe {s!r}: expected e.g. '1m', '5m', '1h', '4h', '1d', '1w', '1M'"
            )
        n, unit = int(m.group(1)), m.group(2)
        if unit == "w" or unit == "M":
            if n != 1:
                raise ValueError(f"unsupported timeframe {s!r}: only '1w' and '1M' are supported")
            return cls("week" if unit == "w" else "month", 1)
        return cls("ms", n * _UNIT_MS[unit])

    @classmethod
    def of_ms(cls, ms: int) -> Period:
        """A fixed, epoch-aligned period of ``ms`` milliseconds."""
        return cls("ms", ms)

    def __str__(self) -> str:
        if self.kind == "week":
            return "1w"
        if self.kind == "month":
            return "1M"
        for unit, size in (("d", DAY_MS), ("h", HOUR_MS), ("m", MINUTE_MS), ("s", 1000)):
            if self.n % size == 0:
                return f"{self.n // size}{unit}"
        return f"{self.n}ms"

    def floor(self, t_ms: int) -> int:
        """Start (ms) of the period that contains ``t_ms``."""
        if self.kind == "ms":
            return t_ms - t_ms % self.n
        if self.kind == "week":
            return t_ms - (t_ms - _FIRST_MONDAY_MS) % WEEK_MS
        day = dt.date.fromordinal(_EPOCH_ORDINAL + t_ms // DAY_MS)
        return (day.replace(day=1).toordinal() - _EPOCH_ORDINAL) * DAY_MS

    def next(self, start_ms: int) -> int:
        """Start (ms) of the period after the one containing ``start_ms``."""
        if self.kind == "ms":
            return self.floor(start_ms) + self.n
        if self.kind == "week":
            return self.floor(start_ms) + WEEK_MS
        day = dt.date.fromordinal(_EPOCH_ORDINAL + start_ms // DAY_MS)
        first = dt.date(day.year + 1, 1, 1) if day.month == 12 else dt.date(day.year, day.month + 1, 1)
        return (first.toordinal() - _EPOCH_ORDINAL) * DAY_MS

    @property
    def approx_ms(self) -> int:
        """Nominal duration in ms (a month counts 30 days), for limits and paging arithmetic."""
        if self.kind == "ms":
            return self.n
        return WEEK_MS if self.kind == "week" else 30 * DAY_MS


class _Table(NamedTuple):
    """The completed candles of one period over the whole series, and where their bars are."""

    starts: list[int]  # candle open times, ascending
    ends: list[int]  # period end (next period's start) per candle
    first: list[int]  # index of the candle's first bar
    stop: list[int]  # index after the candle's last bar
    candles: list[Candle]


def _aggregate(bars: Sequence[Bar], t: int) -> Candle:
    """The candle opening at ``t`` made of ``bars`` (at least one)."""
    high, low = bars[0].high, bars[0].low
    volume = quote = _ZERO
    with localcontext(_EXACT):
        for b in bars:
            if b.high > high:
                high = b.high
            if b.low < low:
                low = b.low
            volume += b.volume
            quote += b.close * b.volume
    return Candle(t, bars[0].open, high, low, bars[-1].close, volume, quote)


def _extend(candle: Candle, bars: Sequence[Bar]) -> Candle:
    """``candle`` with later ``bars`` folded in; equal to aggregating all the bars at once."""
    if not bars:
        return candle
    more = _aggregate(bars, candle.t)
    with localcontext(_EXACT):
        return Candle(
            candle.t,
            candle.open,
            max(candle.high, more.high),
            min(candle.low, more.low),
            more.close,
            candle.volume + more.volume,
            candle.quote_volume + more.quote_volume,
        )


class ReplaySeries:
    """One instrument's candles placed on the emulator timeline.

    Every bar time is shifted by ``shift_ms`` (a multiple of ``base_ms``; 0 plays the file at its own
    dates). A base bar with open time ``t`` CLOSES at ``t + base_ms`` and is never revealed before
    that instant: every query takes ``now_ms`` and sees only bars closed at ``now_ms``.

    Thread-safe: caches are filled under a lock or by atomic replacement, and the data is immutable.

    Args:
        data: The validated file.
        shift_ms: See above.
        hours: When the market trades (the engine's ``MarketHours``; None: always, as crypto). A
            market in sessions (``torchtrade.markets.us_equity_hours()``) must play at its real
            dates (``shift_ms=0``); its daily candles are per session (module doc).

    Attributes:
        source: The file name.
        base_ms: The base bar duration.
        shift_ms: The shift applied to every bar time.
        hours: The market's hours (``ALWAYS_OPEN`` when none were given).
        first_open_ms: Open time of the first bar (shifted).
        last_close_ms: Close time of the last bar (shifted); at and after it the series is exhausted.

    Raises:
        ValueError: If ``shift_ms`` is not a multiple of ``base_ms``, or not 0 for a market in sessions.
    """

    def __init__(self, data: CandleData, shift_ms: int = 0, *, hours: Any = None) -> None:
        if shift_ms % data.base_ms:
            raise ValueError(
                f"{data.source}: shift_ms={shift_ms} is not a multiple of base_ms={data.base_ms}"
            )
        self.hours: Any = ALWAYS_OPEN if hours is None else hours
        # A market in sessions: its dates carry its calendar, and a bar exists only when it traded.
        self.has_sessions: bool = has_sessions(self.hours)
        if self.has_sessions and shift_ms:
            raise ValueError(
                f"{data.source}: shift_ms={shift_ms}: a market in sessions plays at its real dates "
                f"(its sessions, holidays and early closes belong to them)"
            )
        self.source: str = data.source
        self.base_ms: int = data.base_ms
        self.shift_ms: int = shift_ms
        self._bars: tuple[Bar, ...] = (
            data.bars if shift_ms == 0 else tuple(b._replace(t=b.t + shift_ms) for b in data.bars)
        )
        self._opens: list[int] = [b.t for b in self._bars]
        self.first_open_ms: int = self._opens[0]
        self.last_close_ms: int = self._opens[-1] + self.base_ms
        self._tables: dict[Period, _Table] = {}
        self._tables_lock = threading.Lock()
        # Per period: (index of the forming candle's first bar, bars folded in, partial candle).
        # A client polling as the clock moves forward only folds in the bars closed since its last call.
        self._forming: dict[Period, tuple[int, int, Candle]] = {}

    def __len__(self) -> int:
        return len(self._bars)

    def __repr__(self) -> str:
        return (
            f"ReplaySeries({self.source!r}, base_ms={self.base_ms}, shift_ms={self.shift_ms}, "
            f"bars={len(self)})"
        )

    def bar(self, i: int) -> Bar:
        """The ``i``-th bar (shifted timestamps); no clock check, for callers that already know it closed."""
        return self._bars[i]

    def closed_count(self, now_ms: int) -> int:
        """Number of bars whose close time ``t + base_ms`` is <= ``now_ms``."""
        return bisect_right(self._opens, now_ms - self.base_ms)

    def last_closed(self, now_ms: int) -> Bar | None:
        """The newest bar closed at ``now_ms``, or None before the first bar closes."""
        count = self.closed_count(now_ms)
        return self._bars[count - 1] if count else None

    def closed_between(self, after_ms: int, upto_ms: int) -> list[Bar]:
        """Bars whose close time is in ``(after_ms, upto_ms]``, in order (what a clock step reveals)."""
        if upto_ms <= after_ms:
            return []
        return list(self._bars[self.closed_count(after_ms) : self.closed_count(upto_ms)])

    def last_price(self, now_ms: int) -> Decimal:
        """Close of the last closed bar; before any bar closed, the first bar's open.

        The first open is the only price known "at" the first bar's open, so an engine started
        before any bar closed still has a mark price instead of None.
        """
        bar = self.last_closed(now_ms)
        return bar.close if bar is not None else self._bars[0].open

    def exhausted(self, now_ms: int) -> bool:
        """True once every bar has closed (``now_ms >= last_close_ms``)."""
        return now_ms >= self.last_close_ms

    def _table(self, period: Period) -> _Table:
        table = self._tables.get(period)
        if table is not None:
            return table
        self._check_period(period)
        with self._tables_lock:
            table = self._tables.get(period)
            if table is None:
                table = (
                    self._build_session_table() if self._per_session(period) else self._build_table(period)
                )
                self._tables[period] = table
        return table

    def _per_session(self, period: Period) -> bool:
        """Daily candles of a market in sessions: one per session (Alpaca's stock 1Day bars)."""
        return self.has_sessions and period.kind == "ms" and period.n == DAY_MS

    def _check_period(self, period: Period) -> None:
        if self.has_sessions and (period.kind != "ms" or period.n > DAY_MS):
            # Multi-day, weekly and monthly bars of a stock are made of sessions, and how Alpaca
            # anchors them is not documented well enough to copy: refuse rather than guess.
            raise ValueError(
                f"{self.source}: period {period}: candles of a market in sessions are intraday or 1d"
            )
        # A period must be a whole number of base bars and its boundaries must fall on bar
        # boundaries, or a bar would straddle two candles. Week/month boundaries are midnights
        # (Monday / the 1st), which fall on bar boundaries iff the bar divides a day.
        span = period.n if period.kind == "ms" else DAY_MS
        if span % self.base_ms:
            raise ValueError(
                f"{self.source}: period {period} cannot be built from {Period.of_ms(self.base_ms)} bars "
                f"(it must be a multiple of the base bar)"
            )

    def _build_table(self, period: Period) -> _Table:
        starts: list[int] = []
        ends: list[int] = []
        first: list[int] = []
        stop: list[int] = []
        bars = self._bars
        i = 0
        n = len(bars)
        while i < n:
            start = period.floor(bars[i].t)
            end = period.next(start)
            j = bisect_left(self._opens, end, i)
            starts.append(start)
            ends.append(end)
            first.append(i)
            stop.append(j)
            i = j
        candles = [_aggregate(bars[a:b], s) for s, a, b in zip(starts, first, stop, strict=True)]
        return _Table(starts, ends, first, stop, candles)

    def _build_session_table(self) -> _Table:
        """One candle per regular session, from the bars that overlap it, labelled at the session
        date's midnight in the market's zone and ending at the session's (early) close.

        Simulation choice: a bar belongs to the session if the regular session is open at some
        instant of it (for 1-minute bars: if it opens inside the session), so hourly files whose
        first bar of the day opens at 09:00 ET and holds 09:30-10:00 still count it.
        """
        hours = self.hours
        base = self.base_ms
        starts: list[int] = []
        ends: list[int] = []
        first: list[int] = []
        stop: list[int] = []
        for i, bar in enumerate(self._bars):
            opens = hours.next_open(bar.t)
            if opens >= bar.t + base:
                continue  # pre/post-market or closed: not part of a daily bar
            close = hours.session_close(opens)
            if ends and ends[-1] == close:
                stop[-1] = i + 1
                continue
            starts.append(hours.day_start_ms(hours.session_date(opens)))
            ends.append(close)
            first.append(i)
            stop.append(i + 1)
        bars = self._bars
        candles = [_aggregate(bars[a:b], s) for s, a, b in zip(starts, first, stop, strict=True)]
        return _Table(starts, ends, first, stop, candles)

    def _forming_session_candle(self, period: Period, table: _Table, k: int, now_ms: int) -> Candle | None:
        """Today's daily candle while the regular session is open, from its bars closed so far."""
        if k >= len(table.starts) or not self.hours.is_open(now_ms):
            return None
        if table.ends[k] != self.hours.session_close(now_ms):
            return None  # the file has no bar of today's session (yet, or at all)
        i0, i1 = table.first[k], table.stop[k]
        closed = min(self.closed_count(now_ms), i1)
        return self._partial(period, i0, closed, table.starts[k]) if closed > i0 else None

    def _forming_candle(
        self, period: Period, table: _Table, k: int, now_ms: int, flat_forming: bool = True
    ) -> Candle | None:
        """The candle whose period contains ``now_ms``, from bars closed at ``now_ms`` (None if none is due).

        ``k`` is the number of completed candles, so ``table`` row ``k`` (if any) is either the
        period containing now or a later one.
        """
        closed = self.closed_count(now_ms)
        if closed == 0:
            return None  # before the first bar closes there is no price to show
        start = period.floor(now_ms)
        if k < len(table.starts) and table.starts[k] == start:
            i0, i1 = table.first[k], table.stop[k]
            if closed >= i1:
                return table.candles[k]  # every bar of the period has closed (data ends inside it)
            if closed > i0:
                return self._partial(period, i0, closed, start)
        elif k == len(table.starts):
            return None  # the data ended before this period: never invent a candle after it
        if not flat_forming:
            return None
        # Bars are still to come in or after this period, but none of its own has closed:
        # venues show a flat candle at the last price, with no volume.
        price = self._bars[closed - 1].close
        return Candle(start, price, price, price, price, _ZERO, _ZERO)

    def _partial(self, period: Period, i0: int, closed: int, start: int) -> Candle:
        cached = self._forming.get(period)
        if cached is not None and cached[0] == i0 and cached[1] <= closed:
            candle = _extend(cached[2], self._bars[cached[1] : closed])
        else:
            candle = _aggregate(self._bars[i0:closed], start)
        # One atomic dict store: a concurrent reader sees the old or the new entry, both valid.
        self._forming[period] = (i0, closed, candle)
        return candle

    def candles(
        self,
        period: Period,
        now_ms: int,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 100,
        flat_forming: bool | None = None,
    ) -> list[Candle]:
        """Candles of ``period`` as a venue's kline endpoint would return them at ``now_ms``.

        Completed periods (end <= now) hold all their bars; periods with no bar at all (a gap in the
        data) yield no candle. The forming candle, whose period contains ``now_ms``, is built only
        from bars closed at ``now_ms`` and is always the newest; if none of its bars has closed, it
        is flat at the last price with zero volume, as long as the data continues into or past it.
        There is no forming candle before the first bar closes or after the data has run out.

        Completed candles are computed once per period and cached (they never change); only the
        forming one is aggregated per call, incrementally when ``now_ms`` moves forward.

        Args:
            period: The candle period; must be a multiple of the base bar.
            now_ms: The present on the emulator timeline.
            start_ms: Keep candles whose open time is >= this (None: unbounded).
            end_ms: Keep candles whose open time is <= this (None: unbounded); capped at ``now_ms``.
            limit: At most this many candles: the NEWEST ones, as venues page back from the end.
            flat_forming: Whether a forming period none of whose bars has closed yet shows the flat
                candle (Bitget, Binance do). None: yes, except for a market in sessions, whose
                bars exist only when it traded (Alpaca shows no bar without trades).

        Returns:
            The candles in ascending time order.

        Raises:
            ValueError: If ``limit < 1`` or ``period`` cannot be built from the base bars.
        """
        if limit < 1:
            raise ValueError(f"limit={limit}: must be >= 1")
        table = self._table(period)
        completed = bisect_right(table.ends, now_ms)
        if self._per_session(period):
            forming = self._forming_session_candle(period, table, completed, now_ms)
        else:
            flat = not self.has_sessions if flat_forming is None else flat_forming
            forming = self._forming_candle(period, table, completed, now_ms, flat)
        upper = now_ms if end_ms is None else min(end_ms, now_ms)
        lo = 0 if start_ms is None else bisect_left(table.starts, start_ms, 0, completed)
        hi = bisect_right(table.starts, upper, 0, completed)
        tail = (
            [forming]
            if forming is not None and (start_ms is None or forming.t >= start_ms) and forming.t <= upper
            else []
        )
        lo = max(lo, hi - (limit - len(tail)))
        # Slicing copies, so the cached list is never mutated by the append below.
        return (table.candles[lo:hi] if lo < hi else []) + tail


def plan_timeline(
    datas: Sequence[CandleData],
    *,
    start: int | Literal["now"] | None,
    history_bars: int,
    wall_now_ms: int,
    keep_dates: Sequence[bool] | None = None,
) -> tuple[list[int], int]:
    """Places several files on one timeline.

    Every shifted file is moved so that its first bar opens at the same instant ``T0``, and the
    present is ``history_bars`` base bars after ``T0``, so that much history has already closed when
    the emulator starts. ``history_bars`` is capped at ``len(bars) - 1`` of the shortest file, so
    every file still has at least one bar to play.

    Files marked in ``keep_dates`` (stocks: their sessions, holidays and early closes belong to their
    dates) are never shifted, and they set the timeline: the present is the close of the
    ``history_bars``-th bar of the earliest of them (counting its real bars, gaps and nights
    skipped), and the other files are shifted so that their first bar opens ``history_bars`` bars
    before that present, as above. Design choice: real dates rather than a shift by whole weeks,
    which would have to map every session of the file onto an identical one (same weekday, same
    holidays and early closes, same DST offsets), rarely possible and never needed.

    Args:
        datas: The files; they must share one ``base_ms`` (shifts are whole bars of every file).
        start: None: ``T0`` is the first file's first bar (it plays at its real dates) and the
            present is the bar boundary ``T0 + history_bars * base_ms``. An int (ms) or ``"now"``
            (= ``wall_now_ms``): the present is that instant exactly and
            ``T0 = floor(present, base_ms) - history_bars * base_ms``, so a client that derives
            ``since`` from its own clock gets the candles it asked for. With files that keep their
            dates, only None or an int inside their span (first open to last close) is possible.
        history_bars: Bars already closed at the present (>= 0).
        wall_now_ms: The wall clock, used for ``start="now"``.
        keep_dates: Per file, True to play it at its real dates (None: shift every file).

    Returns:
        ``(shift_ms per file, present_ms)``; every shift is a multiple of ``base_ms``, 0 for a file
        that keeps its dates.

    Raises:
        ValueError: If ``datas`` is empty, the files have different bar sizes, ``history_bars < 0``,
            ``start`` is not None, an int or ``"now"``, or is a start the kept files cannot play
            from, or ``keep_dates`` does not give one flag per file.
    """
    if not datas:
        raise ValueError("plan_timeline: datas is empty")
    base = datas[0].base_ms
    if any(d.base_ms != base for d in datas):
        sizes = ", ".join(f"{d.source}={d.base_ms} ms" for d in datas)
        raise ValueError(f"plan_timeline: files have different bar sizes ({sizes})")
    if isinstance(history_bars, bool) or not isinstance(history_bars, int) or history_bars < 0:
        raise ValueError(f"history_bars={history_bars!r}: must be an int >= 0")
    keep = [False] * len(datas) if keep_dates is None else [bool(k) for k in keep_dates]
    if len(keep) != len(datas):
        raise ValueError(f"plan_timeline: {len(keep)} keep_dates flags for {len(datas)} files")
    history = min(history_bars, min(len(d.bars) for d in datas) - 1)
    kept = [d for d, k in zip(datas, keep, strict=True) if k]
    if kept:
        present = _kept_present(kept, start, history)
        t0 = present - present % base - history * base
    elif start is None:
        t0 = datas[0].bars[0].t
        present = t0 + history * base
    else:
        present = _start_instant(start, wall_now_ms)
        t0 = present - present % base - history * base
    return [0 if k else t0 - d.bars[0].t for d, k in zip(datas, keep, strict=True)], present


def _start_instant(start: object, wall_now_ms: int) -> int:
    if start == "now":
        return wall_now_ms
    if isinstance(start, int) and not isinstance(start, bool):
        return start
    raise ValueError(f"start={start!r}: must be None, an int (ms) or 'now'")


def _kept_present(kept: Sequence[CandleData], start: object, history: int) -> int:
    """The present of a timeline set by files that keep their dates (see :func:`plan_timeline`)."""
    anchor = min(kept, key=lambda d: d.bars[0].t)
    if start is None:
        return anchor.bars[history - 1].t + anchor.base_ms if history else anchor.bars[0].t
    if start == "now":
        raise ValueError(
            f"start='now': {anchor.source} plays at its real dates (a market in sessions cannot be "
            "moved to today); give no start, or an instant inside its data"
        )
    present = _start_instant(start, 0)
    lo = min(d.bars[0].t for d in kept)
    hi = max(d.bars[-1].t + d.base_ms for d in kept)
    if not lo <= present <= hi:
        raise ValueError(
            f"start={present}: outside the span of the data that plays at its real dates "
            f"({lo}..{hi} ms, {', '.join(d.source for d in kept)})"
        )
    return present
