"""Bar times over market hours: which bars a market has, and when the next one closes.

One definition shared by the emulator (its clock, its replay, its ``advance``) and the env clocks, so
"the next bar" means the same instant to both, across nights, weekends, holidays and early closes.

How Alpaca aligns bars (the spec we follow; bars are labelled by their OPEN time, in UTC):

* **Intraday** (``1..59Min``, ``1..23Hour``): fixed durations aligned to the Unix epoch, so hourly bars
  start on UTC hours (and 4Hour bars at 00, 04, 08... UTC, as Alpaca's staff explain at
  https://forum.alpaca.markets/t/candles-do-not-fully-respect-start-and-end-parameters-in-historical-bars-endpoint/14632).
  Stock intraday bars include pre/post-market trades: the 13:00Z hourly bar in winter holds
  08:00-09:00 ET, and the 14:00Z bar mixes 09:00-09:30 pre-market with the regular open
  (https://github.com/alpacahq/alpaca-py/issues/580).
* **1Day, stocks**: one bar per trading session, labelled 00:00 America/New_York of the session date
  (04:00Z in summer, 05:00Z in winter); built from the regular session, so it closes at the
  session's close (the early close on early-close days), whatever the env's ``extended_hours``.
* **1Day, crypto**: UTC days (Alpaca moved crypto daily bars from Chicago to UTC midnight in 2025:
  https://github.com/Lumiwealth/lumibot/pull/826).
* A bar exists only when the source had (eligible) trades: a quiet pre-market minute has no bar, and
  no bar is ever filled in. These helpers tell WHEN a bar of the market can close; whether it
  exists is the data's business. A clock waiting for the next close of a thin market may therefore
  find no new bar at that close; it must not treat that as the end of the data.

A bar ``[open, open + period)`` *lies in a session* when the market (regular session, or with
``extended`` the pre/post-market too) is open at some instant of it. So with 1-hour bars and regular
hours, the 14:00Z bar in winter (09:00-10:00 ET, open from 09:30) is a session bar that closes at
15:00Z, and the last one of the day closes at 21:00Z (16:00 ET).

Example (1-minute bars, regular hours, Friday 2013-10-04 at the close, 20:00Z):
    >>> from torchtrade.markets import us_equity_hours
    >>> hours = us_equity_hours()
    >>> next_bar_close(hours, 60_000, 1380916800000)  # Monday 2013-10-07 09:31 ET
    1381152660000
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from .calendar import DAY_MS

__all__ = [
    "DAILY_MS",
    "BarHours",
    "bar_closes",
    "bar_open",
    "bar_period_ms",
    "is_session_bar",
    "last_bar_close",
    "next_bar_close",
]

MINUTE_MS = 60_000
#: The period of daily bars: for a market in sessions, one bar per session (module doc).
DAILY_MS = DAY_MS


class BarHours(Protocol):
    """What the bar helpers ask of market hours: the engine's ``MarketHours`` plus ``prev_close``
    and a time zone (both :class:`~torchtrade.markets.calendar.SessionHours` and ``ALWAYS_OPEN``)."""

    timezone: dt.tzinfo

    def next_open(self, t_ms: int, *, extended: bool = False) -> int: ...

    def session_close(self, t_ms: int, *, extended: bool = False) -> int | None: ...

    def session_date(self, t_ms: int) -> dt.date: ...

    def prev_close(self, t_ms: int, *, extended: bool = False) -> int | None: ...

    def day_start_ms(self, day: dt.date) -> int: ...


def bar_period_ms(period: Any) -> int:
    """A bar period in ms, from an int (ms), a :class:`~torchtrade.timeframes.TimeFrame` or its
    string (``"5min"``, ``"1h"``, ``"1d"``), or an emulator :class:`~torchtrade.emulator.data.Period`.

    Raises:
        ValueError: not a whole number of minutes, longer than a day, or a weekly/monthly period.
    """
    if isinstance(period, str):
        from ..timeframes import TimeFrame

        period = TimeFrame.parse(period)
    if getattr(period, "kind", "ms") != "ms":  # data.Period("week" | "month", 1)
        raise ValueError(f"period {period}: weekly and monthly bars are not supported here")
    ms = getattr(period, "ms", None)
    if ms is None:
        ms = getattr(period, "n", period)
    if isinstance(ms, bool) or not isinstance(ms, int) or ms <= 0 or ms % MINUTE_MS or ms > DAILY_MS:
        raise ValueError(f"period {period!r}: must be a whole number of minutes, at most a day")
    return ms


def _daily_close_after(hours: BarHours, t_ms: int) -> int:
    # The session open at t (or the next one), and its regular close; ALWAYS_OPEN: the next midnight.
    return hours.session_close(hours.next_open(t_ms)) or 0  # never None: next_open is open


def is_session_bar(hours: BarHours, period: Any, open_ms: int, *, extended: bool = False) -> bool:
    """True when the intraday bar opening at ``open_ms`` lies in a session (the market is open at
    some instant of it). Daily bars are per session by construction: ``open_ms`` must then be a
    session date's midnight, and the answer is whether that date is a trading day."""
    p = bar_period_ms(period)
    if p == DAILY_MS:
        day = hours.session_date(open_ms)
        return hours.day_start_ms(day) == open_ms
    return hours.next_open(open_ms, extended=extended) < open_ms + p


def next_bar_close(hours: BarHours, period: Any, t_ms: int, *, extended: bool = False) -> int:
    """The first close strictly after ``t_ms`` of a bar that lies in a session.

    This is the instant an env waits for before its next step, and the emulator's "advance one bar".
    Across a close it is the first bar of the next session: Friday 16:00 ET with 1-minute regular
    bars gives Monday 09:31 ET (Tuesday after a holiday Monday); with ``extended``, Friday 20:00 ET
    gives Monday 04:01 ET. O(1): two calendar look-ups.

    Args:
        hours: the market's hours (``us_equity_hours()``, ``ALWAYS_OPEN``).
        period: the bar period (see :func:`bar_period_ms`); a day means a session's daily bar.
        t_ms: the present, epoch ms.
        extended: count pre/post-market bars too (intraday only; daily bars are regular sessions).

    Raises:
        ValueError: a bad period. CalendarRangeError: the answer lies past the calendar.
    """
    p = bar_period_ms(period)
    if p == DAILY_MS:
        return _daily_close_after(hours, t_ms)
    close = t_ms - t_ms % p + p  # the first aligned close after t
    opens = hours.next_open(close - p, extended=extended)
    if opens < close:
        return close
    return opens - opens % p + p  # the bar containing the next open


def last_bar_close(hours: BarHours, period: Any, t_ms: int, *, extended: bool = False) -> int | None:
    """The latest close at or before ``t_ms`` of a bar that lies in a session (the newest bar a
    client can have seen at ``t_ms``); None if there is none in the calendar."""
    p = bar_period_ms(period)
    if p == DAILY_MS:
        return hours.prev_close(t_ms)
    close = t_ms - t_ms % p
    while True:
        if hours.next_open(close - p, extended=extended) < close:
            return close
        # No session instant in [close - p, close): go to the bar holding the last open instant
        # before it (the end of the previous session, minus one ms); this always moves back.
        end = hours.prev_close(close - p, extended=extended)
        if end is None:
            return None
        close = (end - 1) - (end - 1) % p + p


def bar_open(hours: BarHours, period: Any, close_ms: int) -> int:
    """The open time (Alpaca's bar timestamp) of the session bar that closes at ``close_ms``:
    ``close_ms - period`` intraday; the session date's midnight in the market's zone for daily bars."""
    p = bar_period_ms(period)
    if p == DAILY_MS:
        return hours.day_start_ms(hours.session_date(close_ms - 1))
    return close_ms - p


def bar_closes(
    hours: BarHours, period: Any, after_ms: int, upto_ms: int, *, extended: bool = False, limit: int = 100_000
) -> list[int]:
    """The session-bar closes in ``(after_ms, upto_ms]``, ascending, at most ``limit`` of them."""
    out: list[int] = []
    t = after_ms
    while len(out) < limit:
        t = next_bar_close(hours, period, t, extended=extended)
        if t > upto_ms:
            break
        out.append(t)
    return out
