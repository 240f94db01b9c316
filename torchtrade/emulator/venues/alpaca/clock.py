"""Alpaca's market clock and calendar: the US equity sessions (XNYS) at the emulator's present.

Both answer from the emulator's stock market hours (:meth:`~...runtime.Emulator.market_hours`: the
project's one US equity calendar, :func:`torchtrade.markets.us_equity_hours`, on exchange-calendars'
XNYS: regular session 09:30-16:00 ET with early closes, extended hours 04:00-20:00 ET, 17:00 after an
early close), whatever the emulator replays: Alpaca's clock is the equity market's clock, crypto or
not.

* ``/v2/clock``: the present in New York time, whether the regular session is open, and the next
  open and close (while open: the next session's open and today's close).
* ``/v2/calendar``: the trading days from ``start`` to ``end`` (dates, both optional, inclusive): the
  regular open and close as ``HH:MM``, the extended session as ``HHMM`` and the day the trades
  settle: T+3 before 2017-09-05, T+2 until 2024-05-27, T+1 since 2024-05-28 (the SEC's settlement
  cycles). Without bounds, every day of the emulator's calendar (1990-2040; Alpaca's own spans
  1970-2029). ``date_type=SETTLEMENT`` selects days by their settlement date instead.

An instant or a day outside the calendar's span is refused with a 422 naming the span, never a 5xx.
"""

from __future__ import annotations

import datetime as dt
import functools

from starlette.responses import Response

from ....markets import CalendarRangeError, Session
from ...http import CallContext
from ...params import Params
from . import errors, times, wire
from .common import RoutesBase, endpoint

DATE_TYPES = {"TRADING": "TRADING", "SETTLEMENT": "SETTLEMENT"}
T2_FROM = dt.date(2017, 9, 5)
T1_FROM = dt.date(2024, 5, 28)
#: Enough calendar days after a range's end to hold three more sessions over any holiday cluster.
SETTLEMENT_SLACK = dt.timedelta(days=14)


def settlement_lag(day: dt.date) -> int:
    if day >= T1_FROM:
        return 1
    return 2 if day >= T2_FROM else 3


class ClockRoutes(RoutesBase):
    @endpoint("clock", "GET", "/v2/clock")
    def clock(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        now = self.emu.engine.now_ms
        try:
            clock = self.emu.market_clock(now)
        except CalendarRangeError:
            raise self._out_of_range() from None
        return self._ok(wire.clock_row(now, clock.is_open, clock.next_open_ms, clock.next_close_ms))

    def _out_of_range(self) -> errors.AlpacaError:
        hours = self.emu.market_hours()
        return errors.unprocessable(
            f"the emulator's market calendar covers {hours.first_date} to {hours.last_date}"
        )

    @staticmethod
    def _day(p: Params, name: str) -> dt.date | None:
        text = p.str(name, max_len=40)
        if text is None:
            return None
        day = times.parse_date(text)
        if day is None:  # an RFC-3339 instant names its New York date
            ms = times.parse_instant(text)
            if ms is None:
                raise errors.invalid_field(f"invalid {name}")
            day = times.local_date(ms)
        return day

    @endpoint("calendar", "GET", "/v2/calendar")
    def calendar(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"start", "end", "date_type"})
        hours = self.emu.market_hours()
        first, last = hours.first_date, hours.last_date
        start = self._day(p, "start") or first
        end = self._day(p, "end") or last
        by_settlement = p.choice("date_type", DATE_TYPES) == "SETTLEMENT"
        lo, hi = max(start, first), min(end, last)
        if hi < lo:
            return self._ok([])
        # Settlement is counted in sessions: fetch a little before and after the range.
        sessions = hours.sessions(max(first, lo - SETTLEMENT_SLACK), min(last, hi + SETTLEMENT_SLACK))
        rows = []
        for k, session in enumerate(sessions):
            lag = settlement_lag(session.date)
            settles = sessions[k + lag].date if k + lag < len(sessions) else None
            if settles is None:
                continue  # past the calendar's end: no known settlement day
            key = settles if by_settlement else session.date
            if lo <= key <= hi:
                rows.append(dict(_row(session, settles)))
        return self._ok(rows)


@functools.lru_cache(maxsize=20_000)  # a whole calendar's rows: sessions never change
def _row(session: Session, settles: dt.date) -> dict[str, str]:
    return wire.calendar_row(
        session.date, session.open_ms, session.close_ms, session.pre_open_ms, session.post_close_ms, settles
    )
