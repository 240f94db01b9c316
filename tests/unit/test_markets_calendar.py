"""Tests for torchtrade.markets.calendar: XNYS sessions with pre/post-market, and crypto's open clock."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torchtrade.markets import ALWAYS_OPEN, CalendarRangeError, Session, SessionHours, hours_for
from torchtrade.markets.calendar import NEW_YORK

from .markets_helpers import HOURS, MIN, et, utc

# --------------------------------------------------------------------------- regular days


def test_a_regular_day_has_pre_regular_and_post_market() -> None:
    # Friday 2013-10-04 (EDT, UTC-4)
    assert not HOURS.is_open(et(2013, 10, 4, 3, 59), extended=True)
    assert HOURS.is_open(et(2013, 10, 4, 4, 0), extended=True)
    assert not HOURS.is_open(et(2013, 10, 4, 9, 29))
    assert HOURS.is_open(et(2013, 10, 4, 9, 30))
    assert HOURS.is_open(et(2013, 10, 4, 15, 59))
    assert not HOURS.is_open(et(2013, 10, 4, 16, 0))
    assert HOURS.is_open(et(2013, 10, 4, 16, 0), extended=True)
    assert HOURS.is_open(et(2013, 10, 4, 19, 59), extended=True)
    assert not HOURS.is_open(et(2013, 10, 4, 20, 0), extended=True)
    assert HOURS.session(dt.date(2013, 10, 4)) == Session(
        dt.date(2013, 10, 4),
        utc(2013, 10, 4, 8),
        utc(2013, 10, 4, 13, 30),
        utc(2013, 10, 4, 20),
        utc(2013, 10, 5),
    )


def test_session_close_is_the_end_of_the_session_containing_the_instant() -> None:
    assert HOURS.session_close(et(2013, 10, 4, 12)) == et(2013, 10, 4, 16)
    assert HOURS.session_close(et(2013, 10, 4, 12), extended=True) == et(2013, 10, 4, 20)
    assert HOURS.session_close(et(2013, 10, 4, 8), extended=True) == et(2013, 10, 4, 20)
    assert HOURS.session_close(et(2013, 10, 4, 8)) is None  # pre-market: the regular session is closed
    assert HOURS.session_close(et(2013, 10, 4, 16)) is None


def test_next_open_is_the_instant_itself_when_open() -> None:
    t = et(2013, 10, 4, 10, 15)
    assert HOURS.next_open(t) == t
    assert HOURS.next_open(et(2013, 10, 4, 8)) == et(2013, 10, 4, 9, 30)
    assert HOURS.next_open(et(2013, 10, 4, 2)) == et(2013, 10, 4, 9, 30)
    assert HOURS.next_open(et(2013, 10, 4, 2), extended=True) == et(2013, 10, 4, 4)
    assert HOURS.next_open(et(2013, 10, 4, 17), extended=True) == et(2013, 10, 4, 17)


# --------------------------------------------------------------------------- weekends and holidays


def test_a_weekend_is_closed_and_the_next_open_is_monday() -> None:
    for t in (et(2013, 10, 5, 12), et(2013, 10, 6, 12), et(2013, 10, 4, 20, 1)):
        assert not HOURS.is_open(t, extended=True)
        assert HOURS.session_close(t, extended=True) is None
        assert HOURS.next_open(t) == et(2013, 10, 7, 9, 30)
        assert HOURS.next_open(t, extended=True) == et(2013, 10, 7, 4)
        assert HOURS.session_date(t) == dt.date(2013, 10, 7)
    assert HOURS.session(dt.date(2013, 10, 5)) is None


@pytest.mark.parametrize(
    ("holiday", "next_day"),
    [
        (dt.date(2013, 11, 28), dt.date(2013, 11, 29)),  # Thanksgiving
        (dt.date(2013, 7, 4), dt.date(2013, 7, 5)),  # Independence Day
        (dt.date(2013, 12, 25), dt.date(2013, 12, 26)),  # Christmas
        (dt.date(2014, 1, 20), dt.date(2014, 1, 21)),  # Martin Luther King Jr. Day (a Monday)
        (dt.date(2012, 10, 29), dt.date(2012, 10, 31)),  # Hurricane Sandy: two unscheduled closures
        (dt.date(2027, 11, 25), dt.date(2027, 11, 26)),  # Thanksgiving 2027: the rules go on
    ],
)
def test_a_holiday_has_no_session_not_even_extended_hours(holiday: dt.date, next_day: dt.date) -> None:
    assert HOURS.session(holiday) is None
    for hour in (4, 9, 12, 19):
        t = et(holiday.year, holiday.month, holiday.day, hour)
        assert not HOURS.is_open(t, extended=True)
        assert HOURS.session_date(t) == next_day
        assert HOURS.next_open(t) == et(next_day.year, next_day.month, next_day.day, 9, 30)


def test_the_september_2001_closure() -> None:
    assert [s.date for s in HOURS.sessions(dt.date(2001, 9, 7), dt.date(2001, 9, 18))] == [
        dt.date(2001, 9, 7),
        dt.date(2001, 9, 10),
        dt.date(2001, 9, 17),
        dt.date(2001, 9, 18),
    ]


# --------------------------------------------------------------------------- early closes


@pytest.mark.parametrize("day", [dt.date(2013, 11, 29), dt.date(2013, 12, 24), dt.date(2013, 7, 3)])
def test_an_early_close_ends_at_13_and_post_market_at_17(day: dt.date) -> None:
    y, m, d = day.year, day.month, day.day
    assert HOURS.is_open(et(y, m, d, 12, 59))
    assert not HOURS.is_open(et(y, m, d, 13, 0))
    assert HOURS.session_close(et(y, m, d, 10)) == et(y, m, d, 13)
    assert HOURS.session_close(et(y, m, d, 10), extended=True) == et(y, m, d, 17)
    assert HOURS.is_open(et(y, m, d, 16, 59), extended=True)
    assert not HOURS.is_open(et(y, m, d, 17, 0), extended=True)
    assert HOURS.is_open(et(y, m, d, 4, 0), extended=True)  # pre-market as usual


# --------------------------------------------------------------------------- DST


def test_dst_switch_days_keep_new_york_wall_times() -> None:
    # 2013-03-10 (Sunday) clocks go forward: Friday opens at 14:30Z, Monday at 13:30Z.
    assert HOURS.session(dt.date(2013, 3, 8)).open_ms == utc(2013, 3, 8, 14, 30)  # type: ignore[union-attr]
    assert HOURS.session(dt.date(2013, 3, 11)).open_ms == utc(2013, 3, 11, 13, 30)  # type: ignore[union-attr]
    assert HOURS.session(dt.date(2013, 3, 11)).pre_open_ms == utc(2013, 3, 11, 8)  # type: ignore[union-attr]
    # 2013-11-03 (Sunday) clocks go back: Friday closes at 20:00Z, Monday at 21:00Z; post-market
    # of Friday ends at 00:00Z, Monday's at 01:00Z the next UTC day.
    friday = HOURS.session(dt.date(2013, 11, 1))
    monday = HOURS.session(dt.date(2013, 11, 4))
    assert friday is not None
    assert monday is not None
    assert (friday.close_ms, friday.post_close_ms) == (utc(2013, 11, 1, 20), utc(2013, 11, 2))
    assert (monday.close_ms, monday.post_close_ms) == (utc(2013, 11, 4, 21), utc(2013, 11, 5, 1))
    assert HOURS.next_open(friday.post_close_ms) == monday.open_ms


# --------------------------------------------------------------------------- dates


def test_session_date_of_extended_hours_and_of_the_night() -> None:
    assert HOURS.session_date(et(2013, 10, 7, 4)) == dt.date(2013, 10, 7)
    assert HOURS.session_date(et(2013, 10, 7, 19, 59)) == dt.date(2013, 10, 7)
    assert HOURS.session_date(et(2013, 10, 7, 20)) == dt.date(2013, 10, 8)
    assert HOURS.session_date(et(2013, 10, 8, 1)) == dt.date(2013, 10, 8)
    assert HOURS.session_date(et(2013, 11, 29, 17, 30)) == dt.date(2013, 12, 2)  # early close, weekend


def test_sessions_back_skips_weekends_and_holidays() -> None:
    assert HOURS.sessions_back(dt.date(2013, 12, 2), 0) == dt.date(2013, 12, 2)
    assert HOURS.sessions_back(dt.date(2013, 12, 2), 1) == dt.date(2013, 11, 29)
    assert HOURS.sessions_back(dt.date(2013, 12, 2), 2) == dt.date(2013, 11, 27)  # over Thanksgiving
    assert HOURS.sessions_back(dt.date(2013, 12, 2), 4) == dt.date(2013, 11, 25)
    # a non-trading day counts from the next session: the session before a Saturday is Friday
    assert HOURS.sessions_back(dt.date(2013, 10, 5), 0) == dt.date(2013, 10, 7)
    assert HOURS.sessions_back(dt.date(2013, 10, 5), 1) == dt.date(2013, 10, 4)
    with pytest.raises(ValueError, match="n=-1"):
        HOURS.sessions_back(dt.date(2013, 10, 5), -1)


def test_alpaca_clock_and_calendar_helpers() -> None:
    # /v2/clock: next_close is today's close when open, else the next session's.
    assert HOURS.next_close(et(2013, 11, 29, 10)) == et(2013, 11, 29, 13)
    assert HOURS.next_close(et(2013, 11, 27, 17)) == et(2013, 11, 29, 13)
    assert HOURS.next_close(et(2013, 11, 27, 17), extended=True) == et(2013, 11, 27, 20)
    assert HOURS.prev_close(et(2013, 12, 2, 12)) == et(2013, 11, 29, 13)
    assert HOURS.prev_close(et(2013, 12, 2, 12), extended=True) == et(2013, 11, 29, 17)
    assert HOURS.prev_close(et(2013, 11, 29, 13)) == et(2013, 11, 29, 13)
    # /v2/calendar: the sessions between two dates, inclusive
    week = HOURS.sessions(dt.date(2013, 11, 25), dt.date(2013, 12, 1))
    assert [s.date.day for s in week] == [25, 26, 27, 29]
    assert HOURS.day_start_ms(dt.date(2013, 11, 29)) == utc(2013, 11, 29, 5)


def test_out_of_range_instants_raise() -> None:
    with pytest.raises(CalendarRangeError, match="outside the calendar"):
        HOURS.is_open(utc(1980, 1, 2))
    with pytest.raises(CalendarRangeError):
        HOURS.next_open(utc(2041, 1, 2))
    with pytest.raises(CalendarRangeError):
        HOURS.sessions(dt.date(1980, 1, 1), dt.date(1990, 2, 1))
    with pytest.raises(CalendarRangeError):
        HOURS.next_open(HOURS.session(HOURS.last_date).close_ms)  # type: ignore[union-attr]


def test_bad_tables_are_refused() -> None:
    day = dt.date(2020, 1, 2)
    with pytest.raises(ValueError, match="no sessions"):
        SessionHours([], name="X", timezone=dt.UTC)
    with pytest.raises(ValueError, match="pre_open <= open"):
        SessionHours([Session(day, 5, 4, 6, 7)], name="X", timezone=dt.UTC)
    with pytest.raises(ValueError, match="starts before"):
        SessionHours([Session(day, 1, 2, 3, 10), Session(day, 9, 11, 12, 13)], name="X", timezone=dt.UTC)


# --------------------------------------------------------------------------- against exchange-calendars


def test_the_table_matches_exchange_calendars_xnys() -> None:
    import exchange_calendars as xcals

    cal = xcals.get_calendar("XNYS", start="1998-01-01", end="2027-12-31")
    days = HOURS.sessions(dt.date(1998, 1, 1), dt.date(2027, 12, 31))
    assert [s.date for s in days] == [ts.date() for ts in cal.sessions]
    opens = [int(ts.timestamp() * 1000) for ts in cal.schedule["open"]]
    closes = [int(ts.timestamp() * 1000) for ts in cal.schedule["close"]]
    assert [s.open_ms for s in days] == opens
    assert [s.close_ms for s in days] == closes
    for s in days:
        local_close = dt.datetime.fromtimestamp(s.close_ms / 1000, NEW_YORK).time()
        assert dt.datetime.fromtimestamp(s.pre_open_ms / 1000, NEW_YORK).time() == dt.time(4)
        post = dt.datetime.fromtimestamp(s.post_close_ms / 1000, NEW_YORK).time()
        assert post == (dt.time(20) if local_close == dt.time(16) else dt.time(17))


_SPAN = st.integers(min_value=utc(1998, 1, 1), max_value=utc(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(t=_SPAN, extended=st.booleans())
def test_answers_agree_with_each_other(t: int, extended: bool) -> None:
    is_open = HOURS.is_open(t, extended=extended)
    if not extended:
        assert not is_open or HOURS.is_open(t, extended=True)  # regular hours lie in extended ones
    nxt = HOURS.next_open(t, extended=extended)
    assert (nxt == t) == is_open
    assert HOURS.is_open(nxt, extended=extended)
    if nxt > t:
        assert not HOURS.is_open(nxt - 1, extended=extended)
    close = HOURS.session_close(t, extended=extended)
    assert (close is not None) == is_open
    if close is not None:
        assert close > t
        assert HOURS.is_open(close - 1, extended=extended)
        assert not HOURS.is_open(close, extended=extended)
    day = HOURS.session_date(t)
    assert HOURS.session(day) is not None
    assert HOURS.session_date(nxt) == day or not extended  # pre-market belongs to its own session
    prev = HOURS.prev_close(t, extended=extended)
    assert prev is not None
    assert prev <= t
    assert not HOURS.is_open(prev, extended=extended)


# --------------------------------------------------------------------------- crypto


def test_always_open_is_open_every_instant_and_counts_utc_days() -> None:
    t = utc(2018, 4, 4, 13, 7)
    assert ALWAYS_OPEN.is_open(t)
    assert ALWAYS_OPEN.is_open(t, extended=True)
    assert ALWAYS_OPEN.next_open(t) == t
    assert ALWAYS_OPEN.session_close(t) == utc(2018, 4, 5)
    assert ALWAYS_OPEN.next_close(t) == utc(2018, 4, 5)
    assert ALWAYS_OPEN.prev_close(t) == utc(2018, 4, 4)
    assert ALWAYS_OPEN.session_date(t) == dt.date(2018, 4, 4)
    assert ALWAYS_OPEN.session_date(utc(2018, 4, 4) - 1) == dt.date(2018, 4, 3)
    assert ALWAYS_OPEN.sessions_back(dt.date(2018, 4, 4), 5) == dt.date(2018, 3, 30)
    assert [s.date.day for s in ALWAYS_OPEN.sessions(dt.date(2018, 4, 6), dt.date(2018, 4, 8))] == [6, 7, 8]
    assert ALWAYS_OPEN.day_start_ms(dt.date(2018, 4, 4)) == utc(2018, 4, 4)


def test_hours_for_alpaca_asset_classes() -> None:
    assert hours_for("us_equity") is HOURS
    assert hours_for("crypto") is ALWAYS_OPEN
    with pytest.raises(ValueError, match="asset_class='option'"):
        hours_for("option")


def test_lookups_are_fast() -> None:
    # The engine asks per replayed bar: a few µs at most, never pandas. (Counts operations, not time:
    # a bisect over ~13k sessions plus a hint; here we just check the hint path answers.)
    t = et(2013, 10, 7, 10)
    assert all(HOURS.is_open(t + k * MIN) for k in range(300))
    assert HOURS._hint == HOURS._dates.index(dt.date(2013, 10, 7))


def test_has_sessions_tells_stocks_from_around_the_clock_markets() -> None:
    from torchtrade.emulator.engine.hours import ALWAYS_OPEN as ENGINE_ALWAYS_OPEN
    from torchtrade.markets import has_sessions

    assert has_sessions(HOURS)
    assert not has_sessions(ALWAYS_OPEN)
    assert not has_sessions(ENGINE_ALWAYS_OPEN)  # the engine's own crypto hours, by asking them
