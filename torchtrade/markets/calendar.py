"""When markets trade: the US equity calendar (XNYS, from exchange-calendars) and crypto's open clock.

Both kinds implement the engine's ``MarketHours`` protocol (``torchtrade/emulator/engine/hours.py``,
contract in ``notes/market_hours.md``) structurally, without importing the engine. All instants are
epoch milliseconds UTC; every answer is a bisect over integer tables built once, so the engine can
ask on every replayed bar (no pandas, no time-zone arithmetic per call).

US equities (Alpaca's hours, https://docs.alpaca.markets/docs/orders-at-alpaca, "Extended Hours"):

* regular session 09:30-16:00 America/New_York, on NYSE trading days (holidays and early closes
  from exchange-calendars' XNYS calendar, which also carries the unscheduled closures: 2001-09-11..14,
  2012-10-29..30 (Sandy), national days of mourning);
* pre-market from 04:00 ET, post-market until 20:00 ET;
* early-close days (13:00 ET: the day after Thanksgiving, Christmas Eve, July 3rd; 14:00 in the
  early 1990s): post-market until 17:00 ET. Any close before 16:00 counts as an early close.

Simulation choices: Alpaca's 24/5 overnight session (20:00-04:00, a few symbols, 2024+) is not
modelled: outside 04:00-20:00 ET a stock is closed. A session's extended day (``pre_open_ms`` to
``post_close_ms``) is the trading day it belongs to, so a trade at 19:00 ET counts for that day's
pattern-day-trader tally and one at 21:00 ET for the next session's (see :meth:`session_date`).

Example:
    >>> hours = us_equity_hours()
    >>> t = 1385735400000  # 2013-11-29T14:30Z, 09:30 ET on the day after Thanksgiving
    >>> hours.is_open(t), hours.session_close(t) == t + 3.5 * 3_600_000
    (True, True)
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "ALWAYS_OPEN",
    "CALENDAR_FIRST_DAY",
    "CALENDAR_LAST_DAY",
    "DAY_MS",
    "NEW_YORK",
    "AlwaysOpen",
    "CalendarRangeError",
    "MarketClock",
    "Session",
    "SessionHours",
    "has_sessions",
    "hours_for",
    "local_ms",
    "market_clock",
    "us_equity_hours",
]

DAY_MS: int = 86_400_000
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

#: The span of the US equity table: every bundled and shared data file (1998-2023) and then some.
CALENDAR_FIRST_DAY = dt.date(1990, 1, 1)
CALENDAR_LAST_DAY = dt.date(2040, 12, 31)

_PRE_OPEN = dt.time(4, 0)
_REGULAR_CLOSE = dt.time(16, 0)
_POST_CLOSE = dt.time(20, 0)
_EARLY_POST_CLOSE = dt.time(17, 0)


class CalendarRangeError(ValueError):
    """An instant or date outside the calendar's table, or an answer that lies beyond it."""


def local_ms(day: dt.date, at: dt.time, tz: dt.tzinfo) -> int:
    """Epoch ms of the wall-clock time ``at`` on ``day`` in ``tz`` (DST-aware)."""
    return int(dt.datetime.combine(day, at, tz).timestamp()) * 1000 + at.microsecond // 1000


class Session(NamedTuple):
    """One trading day. Intervals are half-open: ``[open_ms, close_ms)`` is the regular session.

    Attributes:
        date: the trading date (in the market's time zone).
        pre_open_ms: pre-market opens (04:00 ET).
        open_ms: the regular session opens (09:30 ET).
        close_ms: the regular session closes (16:00 ET, or the early close).
        post_close_ms: post-market closes (20:00 ET; 17:00 ET on early-close days).
    """

    date: dt.date
    pre_open_ms: int
    open_ms: int
    close_ms: int
    post_close_ms: int

    def start_ms(self, extended: bool = False) -> int:
        return self.pre_open_ms if extended else self.open_ms

    def end_ms(self, extended: bool = False) -> int:
        return self.post_close_ms if extended else self.close_ms


class SessionHours:
    """A market that trades in sessions, answering from a table of :class:`Session` rows.

    Implements the ``MarketHours`` protocol plus what the bar helpers (:mod:`torchtrade.markets.bars`)
    and Alpaca's ``/v2/clock`` and ``/v2/calendar`` need (:meth:`next_close`, :meth:`prev_close`,
    :meth:`session`, :meth:`sessions`). Thread-safe: the tables are immutable.

    Every method raises :class:`CalendarRangeError` for an instant before the first session's
    pre-open or at/after the last session's post-close, or when its answer would lie past the table.

    Args:
        sessions: the trading days, ascending, each ``pre_open <= open < close <= post_close`` and
            ending before the next one starts.
        name: for messages and reprs (``"XNYS"``).
        timezone: the market's time zone: where daily bars start (midnight) and dates are counted.

    Raises:
        ValueError: sessions empty, unordered or overlapping.
    """

    def __init__(self, sessions: Sequence[Session], *, name: str, timezone: dt.tzinfo) -> None:
        if not sessions:
            raise ValueError(f"{name}: no sessions")
        previous_end: int | None = None
        for s in sessions:
            if not s.pre_open_ms <= s.open_ms < s.close_ms <= s.post_close_ms:
                raise ValueError(f"{name}: session {s.date} is not pre_open <= open < close <= post_close")
            if previous_end is not None and s.pre_open_ms < previous_end:
                raise ValueError(f"{name}: session {s.date} starts before the previous one ends")
            previous_end = s.post_close_ms
        self.name = name
        self.timezone = timezone
        self._sessions: tuple[Session, ...] = tuple(sessions)
        self._pre = [s.pre_open_ms for s in sessions]
        self._open = [s.open_ms for s in sessions]
        self._close = [s.close_ms for s in sessions]
        self._post = [s.post_close_ms for s in sessions]
        self._dates = [s.date for s in sessions]
        self.start_ms: int = self._pre[0]
        self.end_ms: int = self._post[-1]
        # The last looked-up row: the engine asks bar after bar, almost always in the same session.
        self._hint = 0

    def __repr__(self) -> str:
        return (
            f"SessionHours({self.name!r}, {self._dates[0]}..{self._dates[-1]}, {len(self._dates)} sessions)"
        )

    @property
    def first_date(self) -> dt.date:
        return self._dates[0]

    @property
    def last_date(self) -> dt.date:
        return self._dates[-1]

    # ------------------------------------------------------------------ lookup

    def _row(self, t_ms: int) -> int:
        """Index of the last session whose pre-open is <= ``t_ms`` (the one containing it, or before it)."""
        if not self.start_ms <= t_ms < self.end_ms:
            raise CalendarRangeError(
                f"{self.name}: instant {t_ms} is outside the calendar "
                f"({self._dates[0]}..{self._dates[-1]}, [{self.start_ms}, {self.end_ms}) ms)"
            )
        h = self._hint
        pre = self._pre
        if pre[h] <= t_ms and (h + 1 == len(pre) or t_ms < pre[h + 1]):
            return h
        h = bisect_right(pre, t_ms) - 1
        self._hint = h  # a plain int store: a racing reader sees an old or a new, both valid hints
        return h

    def _beyond(self, what: str) -> CalendarRangeError:
        return CalendarRangeError(
            f"{self.name}: {what} lies after the calendar's last session {self._dates[-1]}"
        )

    # ------------------------------------------------------------------ the MarketHours protocol

    def is_open(self, t_ms: int, *, extended: bool = False) -> bool:
        """True when the regular session (with ``extended``: pre/post-market too) contains ``t_ms``."""
        i = self._row(t_ms)
        if extended:
            return t_ms < self._post[i]
        return self._open[i] <= t_ms < self._close[i]

    def next_open(self, t_ms: int, *, extended: bool = False) -> int:
        """``t_ms`` when open, else the first instant after it when the (extended) session opens."""
        i = self._row(t_ms)
        if extended:
            if t_ms < self._post[i]:
                return t_ms
            return self._pre[i + 1]  # t < end_ms = post[-1], so row i is not the last one
        if t_ms < self._open[i]:
            return self._open[i]
        if t_ms < self._close[i]:
            return t_ms
        if i + 1 == len(self._open):
            raise self._beyond(f"the regular open after {t_ms}")
        return self._open[i + 1]

    def session_close(self, t_ms: int, *, extended: bool = False) -> int | None:
        """End of the (extended) session containing ``t_ms``: the early close on early-close days;
        None when closed."""
        i = self._row(t_ms)
        if extended:
            return self._post[i] if t_ms < self._post[i] else None
        return self._close[i] if self._open[i] <= t_ms < self._close[i] else None

    def session_date(self, t_ms: int) -> dt.date:
        """The trading day ``t_ms`` belongs to: the session whose extended day (04:00-20:00 ET)
        contains it, else the next session's date (a night, a weekend, a holiday)."""
        i = self._row(t_ms)
        return self._dates[i] if t_ms < self._post[i] else self._dates[i + 1]

    def sessions_back(self, day: dt.date, n: int) -> dt.date:
        """The trading date ``n`` sessions before ``day`` (``n=0``: ``day`` itself when it is a
        session, else the next session). For the pattern-day-trader window ("5 business days")."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n={n!r}: must be an int >= 0")
        j = bisect_left(self._dates, day)
        if j == len(self._dates) or j - n < 0:
            raise CalendarRangeError(f"{self.name}: {n} sessions before {day} is outside the calendar")
        return self._dates[j - n]

    # ------------------------------------------------------------------ beyond the protocol

    def next_close(self, t_ms: int, *, extended: bool = False) -> int:
        """The end of the session containing ``t_ms``, or of the next one when closed (Alpaca's
        ``/v2/clock`` ``next_close``)."""
        close = self.session_close(t_ms, extended=extended)
        if close is not None:
            return close
        return self.session_close(self.next_open(t_ms, extended=extended), extended=extended)  # type: ignore[return-value]

    def prev_close(self, t_ms: int, *, extended: bool = False) -> int | None:
        """The latest (extended) session end at or before ``t_ms``; None before the table's first."""
        i = self._row(t_ms)
        ends = self._post if extended else self._close
        if t_ms >= ends[i]:
            return ends[i]
        return ends[i - 1] if i > 0 else None

    def session(self, day: dt.date) -> Session | None:
        """The session on ``day``; None when the market does not trade that day."""
        j = bisect_left(self._dates, day)
        if j < len(self._dates) and self._dates[j] == day:
            return self._sessions[j]
        if not self._dates[0] <= day <= self._dates[-1]:
            raise CalendarRangeError(f"{self.name}: {day} is outside the calendar")
        return None

    def sessions(self, start: dt.date, end: dt.date) -> list[Session]:
        """The sessions with ``start <= date <= end``, ascending (Alpaca's ``/v2/calendar``)."""
        if start < self._dates[0] or end > self._dates[-1]:
            raise CalendarRangeError(
                f"{self.name}: {start}..{end} is outside the calendar ({self._dates[0]}..{self._dates[-1]})"
            )
        return list(self._sessions[bisect_left(self._dates, start) : bisect_right(self._dates, end)])

    def day_start_ms(self, day: dt.date) -> int:
        """Midnight of ``day`` in the market's time zone: the open time of its daily bar."""
        return local_ms(day, dt.time(0), self.timezone)


class AlwaysOpen:
    """Crypto: open at every instant. A "session" is a UTC day, so ``session_date`` is the UTC date,
    ``sessions_back(day, n)`` is ``n`` calendar days back, and ``session_close`` is the next UTC
    midnight (where Alpaca's crypto daily bars roll over). ``extended`` changes nothing."""

    name = "24/7"
    timezone = UTC

    def __repr__(self) -> str:
        return "ALWAYS_OPEN"

    def is_open(self, t_ms: int, *, extended: bool = False) -> bool:
        return True

    def next_open(self, t_ms: int, *, extended: bool = False) -> int:
        return t_ms

    def session_close(self, t_ms: int, *, extended: bool = False) -> int | None:
        return t_ms - t_ms % DAY_MS + DAY_MS

    def session_date(self, t_ms: int) -> dt.date:
        return dt.date(1970, 1, 1) + dt.timedelta(days=t_ms // DAY_MS)

    def sessions_back(self, day: dt.date, n: int) -> dt.date:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n={n!r}: must be an int >= 0")
        return day - dt.timedelta(days=n)

    def next_close(self, t_ms: int, *, extended: bool = False) -> int:
        return t_ms - t_ms % DAY_MS + DAY_MS

    def prev_close(self, t_ms: int, *, extended: bool = False) -> int | None:
        return t_ms - t_ms % DAY_MS

    def session(self, day: dt.date) -> Session:
        start = local_ms(day, dt.time(0), UTC)
        return Session(day, start, start, start + DAY_MS, start + DAY_MS)

    def sessions(self, start: dt.date, end: dt.date) -> list[Session]:
        return [self.session(start + dt.timedelta(days=k)) for k in range((end - start).days + 1)]

    def day_start_ms(self, day: dt.date) -> int:
        return local_ms(day, dt.time(0), UTC)


ALWAYS_OPEN = AlwaysOpen()


@functools.cache
def us_equity_hours() -> SessionHours:
    """US equities on Alpaca: XNYS sessions from 1990 to 2040 with pre/post-market (module doc).

    Built once per process (about 0.2 s: exchange-calendars computes the schedule), then shared.
    """
    import exchange_calendars as xcals  # deferred: only stock replays and stock envs pay its import
    import pandas as pd

    with warnings.catch_warnings():
        # exchange-calendars 4.13 reads Series.values of tz-aware columns, which pandas 3.1
        # deprecates; the values it reads are unaffected. Silence only that, only here.
        warnings.filterwarnings("ignore", "Series.values returning an ndarray", DeprecationWarning)
        calendar = xcals.get_calendar(
            "XNYS", start=CALENDAR_FIRST_DAY.isoformat(), end=CALENDAR_LAST_DAY.isoformat()
        )
        schedule = calendar.schedule
    epoch = pd.Timestamp(0, tz="UTC")
    one_ms = pd.Timedelta(milliseconds=1)
    opens = ((schedule["open"] - epoch) // one_ms).tolist()
    closes = ((schedule["close"] - epoch) // one_ms).tolist()
    sessions = []
    for label, open_ms, close_ms in zip(schedule.index, opens, closes, strict=True):
        day = label.date()
        early = close_ms < local_ms(day, _REGULAR_CLOSE, NEW_YORK)
        post = local_ms(day, _EARLY_POST_CLOSE if early else _POST_CLOSE, NEW_YORK)
        sessions.append(Session(day, local_ms(day, _PRE_OPEN, NEW_YORK), int(open_ms), int(close_ms), post))
    return SessionHours(sessions, name="XNYS", timezone=NEW_YORK)


class MarketClock(NamedTuple):
    """The market's state at an instant, as Alpaca's ``GET /v2/clock`` reports it (regular hours).

    Attributes:
        timestamp_ms: the instant asked about.
        is_open: the regular session is open.
        next_open_ms: the next regular open strictly after the current session when open (Alpaca
            answers tomorrow's open during a session), else the coming open.
        next_close_ms: the close of the current session when open, else of the next session.
    """

    timestamp_ms: int
    is_open: bool
    next_open_ms: int
    next_close_ms: int


def market_clock(hours: SessionHours | AlwaysOpen, t_ms: int) -> MarketClock:
    """Alpaca's ``/v2/clock`` answer at ``t_ms``; for ``ALWAYS_OPEN`` the "session" is the UTC day."""
    is_open = hours.is_open(t_ms)
    next_close = hours.next_close(t_ms)
    next_open = hours.next_open(next_close) if is_open else hours.next_open(t_ms)
    return MarketClock(t_ms, is_open, next_open, next_close)


# Saturday 2000-01-01 12:00Z: New Year's Day on a weekend, inside the US equity table.
_CLOSED_EVERYWHERE_MS = 946_728_000_000


def has_sessions(hours: object) -> bool:
    """True for hours in sessions (stocks); False for a market open around the clock (crypto).

    :class:`SessionHours` and :class:`AlwaysOpen` answer by type. Any other ``MarketHours`` (a
    hand-made calendar in a test, say) is asked whether it is open at a Saturday noon UTC that is
    also a holiday: a market in sessions is not; one that cannot tell (outside its table) is one.
    """
    if isinstance(hours, SessionHours):
        return True
    if isinstance(hours, AlwaysOpen):
        return False
    try:
        return not hours.is_open(_CLOSED_EVERYWHERE_MS, extended=True)  # type: ignore[attr-defined]
    except ValueError:
        return True


def hours_for(asset_class: str) -> SessionHours | AlwaysOpen:
    """The hours of an Alpaca asset class: ``"us_equity"`` or ``"crypto"``.

    Raises:
        ValueError: another asset class (the message names it).
    """
    if asset_class == "us_equity":
        return us_equity_hours()
    if asset_class == "crypto":
        return ALWAYS_OPEN
    raise ValueError(f"asset_class={asset_class!r}: expected 'us_equity' or 'crypto'")
