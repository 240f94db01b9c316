"""Tests for torchtrade.markets.bars: the next session bar across nights, weekends, holidays, early closes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torchtrade.markets import ALWAYS_OPEN
from torchtrade.markets import bars as mb
from torchtrade.timeframes import TimeFrame, TimeFrameUnit

from .markets_helpers import HOUR, HOURS, MIN, et, utc

# --------------------------------------------------------------------------- periods


def test_period_forms() -> None:
    from torchtrade.emulator.data import Period

    assert mb.bar_period_ms(60_000) == MIN
    assert mb.bar_period_ms("5min") == 5 * MIN
    assert mb.bar_period_ms(TimeFrame(1, TimeFrameUnit.HOUR)) == HOUR
    assert mb.bar_period_ms(Period.parse("4h")) == 4 * HOUR
    assert mb.bar_period_ms("1d") == 24 * HOUR
    for bad in (0, 30_000, 2 * 24 * HOUR, Period.parse("1w"), True):
        with pytest.raises(ValueError, match="period"):
            mb.bar_period_ms(bad)


# --------------------------------------------------------------------------- intraday


def test_next_minute_inside_a_session_is_the_next_minute() -> None:
    t = et(2013, 10, 7, 10, 15) + 20_000  # 10:15:20
    assert mb.next_bar_close(HOURS, "1min", t) == et(2013, 10, 7, 10, 16)
    assert mb.next_bar_close(HOURS, "1min", et(2013, 10, 7, 10, 16)) == et(2013, 10, 7, 10, 17)


def test_across_the_night() -> None:
    close = et(2013, 10, 7, 16)
    assert mb.next_bar_close(HOURS, "1min", close - 1) == close  # the last bar of the day
    assert mb.next_bar_close(HOURS, "1min", close) == et(2013, 10, 8, 9, 31)
    assert mb.next_bar_close(HOURS, "1min", close, extended=True) == et(2013, 10, 7, 16, 1)
    assert mb.next_bar_close(HOURS, "1min", et(2013, 10, 7, 20), extended=True) == et(2013, 10, 8, 4, 1)
    assert mb.next_bar_close(HOURS, "1min", et(2013, 10, 8, 3), extended=True) == et(2013, 10, 8, 4, 1)


def test_across_a_weekend() -> None:
    friday_close = et(2013, 10, 4, 16)
    assert mb.next_bar_close(HOURS, "1min", friday_close) == et(2013, 10, 7, 9, 31)
    assert mb.next_bar_close(HOURS, "5min", friday_close) == et(2013, 10, 7, 9, 35)
    assert mb.next_bar_close(HOURS, "1h", friday_close) == et(2013, 10, 7, 10)  # the 09:00 ET bar holds 09:30
    assert mb.next_bar_close(HOURS, "1h", friday_close, extended=True) == et(2013, 10, 4, 17)
    assert mb.next_bar_close(HOURS, "1min", et(2013, 10, 5, 12), extended=True) == et(2013, 10, 7, 4, 1)


def test_across_a_holiday_and_an_early_close() -> None:
    wednesday_close = et(2013, 11, 27, 16)
    # Thanksgiving is skipped; Friday opens as usual and closes early
    assert mb.next_bar_close(HOURS, "1min", wednesday_close) == et(2013, 11, 29, 9, 31)
    assert mb.bar_closes(HOURS, "1h", wednesday_close - 3 * HOUR, et(2013, 12, 2, 11)) == [
        et(2013, 11, 27, 14),
        et(2013, 11, 27, 15),
        et(2013, 11, 27, 16),
        et(2013, 11, 29, 10),
        et(2013, 11, 29, 11),
        et(2013, 11, 29, 12),
        et(2013, 11, 29, 13),  # the early close: no 14:00 bar
        et(2013, 12, 2, 10),
        et(2013, 12, 2, 11),
    ]
    # with extended hours the Friday's post-market ends at 17:00 ET
    late = mb.bar_closes(HOURS, "1h", et(2013, 11, 29, 12), et(2013, 12, 2, 6), extended=True)
    assert late == [et(2013, 11, 29, h) for h in (13, 14, 15, 16, 17)] + [
        et(2013, 12, 2, 5),
        et(2013, 12, 2, 6),
    ]


def test_a_full_regular_day_has_390_minute_bars_and_an_early_close_210() -> None:
    assert len(mb.bar_closes(HOURS, "1min", et(2013, 10, 7), et(2013, 10, 8))) == 390
    assert len(mb.bar_closes(HOURS, "1min", et(2013, 11, 29), et(2013, 11, 30))) == 210
    assert len(mb.bar_closes(HOURS, "1min", et(2013, 10, 7), et(2013, 10, 8), extended=True)) == 16 * 60
    assert len(mb.bar_closes(HOURS, "1min", et(2013, 11, 29), et(2013, 11, 30), extended=True)) == 13 * 60


def test_dst_switch_keeps_bars_on_new_york_wall_times() -> None:
    # Friday 2013-03-08 closes at 21:00Z, Monday 2013-03-11 (after the switch) opens at 13:30Z
    assert mb.next_bar_close(HOURS, "1min", utc(2013, 3, 8, 21)) == utc(2013, 3, 11, 13, 31)
    assert mb.next_bar_close(HOURS, "1h", utc(2013, 3, 8, 21)) == utc(2013, 3, 11, 14)
    # 2013-11-01 closes 20:00Z; Monday 2013-11-04 (standard time) opens at 14:30Z
    assert mb.next_bar_close(HOURS, "1min", utc(2013, 11, 1, 20)) == utc(2013, 11, 4, 14, 31)


def test_four_hour_bars_are_utc_aligned() -> None:
    # 4h bars start at 00, 04, 08.. UTC: in summer 12:00Z-16:00Z holds the open (09:30 ET = 13:30Z)
    assert mb.bar_closes(HOURS, "4h", et(2013, 10, 7), et(2013, 10, 8)) == [
        utc(2013, 10, 7, 16),
        utc(2013, 10, 7, 20),
    ]


def test_last_bar_close_looks_back_over_closures() -> None:
    monday_pre = et(2013, 12, 2, 8)
    assert mb.last_bar_close(HOURS, "1min", monday_pre) == et(2013, 11, 29, 13)
    assert mb.last_bar_close(HOURS, "1min", monday_pre, extended=True) == et(2013, 12, 2, 8)
    assert mb.last_bar_close(HOURS, "1min", et(2013, 12, 2, 3), extended=True) == et(2013, 11, 29, 17)
    assert mb.last_bar_close(HOURS, "1min", et(2013, 12, 2, 9, 31) + 5) == et(2013, 12, 2, 9, 31)
    assert mb.last_bar_close(HOURS, "1h", et(2013, 12, 2, 9, 45)) == et(2013, 11, 29, 13)
    assert (
        mb.last_bar_close(HOURS, "1min", utc(1990, 1, 2, 14, 30) + 30_000) is None
    )  # nothing before the table


def test_bar_open_labels_bars_as_alpaca_does() -> None:
    assert mb.bar_open(HOURS, "1min", et(2013, 10, 7, 9, 31)) == et(2013, 10, 7, 9, 30)
    assert mb.bar_open(HOURS, "1h", et(2013, 10, 7, 10)) == utc(2013, 10, 7, 13)
    # daily bars: midnight New York of the session date (04:00Z in summer, 05:00Z in winter)
    assert mb.bar_open(HOURS, "1d", et(2013, 10, 7, 16)) == utc(2013, 10, 7, 4)
    assert mb.bar_open(HOURS, "1d", et(2013, 11, 29, 13)) == utc(2013, 11, 29, 5)
    assert mb.bar_open(ALWAYS_OPEN, "1d", utc(2018, 4, 5)) == utc(2018, 4, 4)


# --------------------------------------------------------------------------- daily


def test_daily_bars_close_at_each_session_close() -> None:
    assert mb.next_bar_close(HOURS, "1d", et(2013, 11, 27, 10)) == et(2013, 11, 27, 16)
    assert mb.next_bar_close(HOURS, "1d", et(2013, 11, 27, 16)) == et(
        2013, 11, 29, 13
    )  # holiday, early close
    assert mb.next_bar_close(HOURS, "1d", et(2013, 11, 29, 13)) == et(2013, 12, 2, 16)  # weekend
    assert mb.next_bar_close(HOURS, "1d", et(2013, 11, 29, 13), extended=True) == et(2013, 12, 2, 16)
    assert mb.last_bar_close(HOURS, "1d", et(2013, 12, 2, 12)) == et(2013, 11, 29, 13)
    assert mb.is_session_bar(HOURS, "1d", utc(2013, 11, 29, 5))
    assert not mb.is_session_bar(HOURS, "1d", utc(2013, 11, 28, 5))  # Thanksgiving
    assert not mb.is_session_bar(HOURS, "1d", utc(2013, 11, 29, 4))  # not a New York midnight


def test_crypto_bars_never_skip() -> None:
    t = utc(2018, 4, 7, 23, 59) + 30_000  # a Saturday
    assert mb.next_bar_close(ALWAYS_OPEN, "1min", t) == utc(2018, 4, 8)
    assert mb.next_bar_close(ALWAYS_OPEN, "1h", t) == utc(2018, 4, 8)
    assert mb.next_bar_close(ALWAYS_OPEN, "1d", t) == utc(2018, 4, 8)
    assert mb.next_bar_close(ALWAYS_OPEN, "1d", utc(2018, 4, 8)) == utc(2018, 4, 9)
    assert mb.last_bar_close(ALWAYS_OPEN, "1h", t) == utc(2018, 4, 7, 23)
    assert mb.last_bar_close(ALWAYS_OPEN, "1d", t) == utc(2018, 4, 7)
    assert len(mb.bar_closes(ALWAYS_OPEN, "1min", utc(2018, 4, 7), utc(2018, 4, 8))) == 1440


# --------------------------------------------------------------------------- properties

_PERIODS = st.sampled_from(["1min", "5min", "15min", "30min", "1h", "2h", "4h", "1d"])
_SPAN = st.integers(min_value=utc(1998, 1, 5), max_value=utc(2027, 12, 24))


@settings(max_examples=300, deadline=None)
@given(t=_SPAN, period=_PERIODS, extended=st.booleans())
def test_next_close_is_a_session_bar_and_none_is_skipped(t: int, period: str, extended: bool) -> None:
    p = mb.bar_period_ms(period)
    close = mb.next_bar_close(HOURS, period, t, extended=extended)
    assert close > t
    opened = mb.bar_open(HOURS, period, close)
    assert mb.is_session_bar(HOURS, period, opened, extended=extended)
    if p < 24 * HOUR:
        assert close % p == 0
        # no session bar closes in between: every aligned bar strictly between t and close is closed
        for c in range(t - t % p + p, close, p):
            assert not mb.is_session_bar(HOURS, period, c - p, extended=extended)
    else:
        assert close == HOURS.session_close(close - 1)
    # last_bar_close is its inverse: the latest session close at or before it is itself
    assert mb.last_bar_close(HOURS, period, close, extended=extended) == close
    before = mb.last_bar_close(HOURS, period, close - 1, extended=extended)
    assert before is None or before <= t


@settings(max_examples=200, deadline=None)
@given(t=_SPAN, period=_PERIODS, extended=st.booleans())
def test_last_close_then_next_close_brackets_the_present(t: int, period: str, extended: bool) -> None:
    last = mb.last_bar_close(HOURS, period, t, extended=extended)
    assert last is not None
    assert last <= t
    assert mb.next_bar_close(HOURS, period, last, extended=extended) > t


def test_the_env_schedule_asks_the_same_helpers() -> None:
    # The env core's session schedule calls markets.bars by name: the next bar is the same instant.
    from torchtrade.envs.core.schedule import SessionBars

    bars = SessionBars(TimeFrame.parse("1min"), HOURS)
    friday_close = et(2013, 10, 4, 16)
    assert bars.next_close(friday_close) == mb.next_bar_close(HOURS, "1min", friday_close)
    assert bars.in_session(et(2013, 10, 7, 9, 30))
    assert not bars.in_session(et(2013, 10, 7, 9, 29))
