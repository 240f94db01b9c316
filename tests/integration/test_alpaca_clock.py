"""Alpaca's clock and calendar through alpaca-py: the US equity sessions at the emulator's present.

The facts checked are the NYSE's own: Thanksgiving 2013 closed, the day after it and Christmas Eve
closing at 13:00, weekends closed, New York's offset changing with daylight saving time, trades
settling T+3 in 2013 and T+1 since 2024-05-28.
"""

from __future__ import annotations

import datetime as dt

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.requests import GetCalendarRequest

from tests.integration.alpaca_support import BTC_FILE, api_error, raw, trading

EDT = dt.timezone(dt.timedelta(hours=-4))
EST = dt.timezone(dt.timedelta(hours=-5))


def at(srv, when: dt.datetime) -> None:
    # A crypto-only emulator may start anywhere (a stock file fixes the timeline to its own dates);
    # its clock is still the stock market's.
    srv.control.reset(start=when.isoformat(), data=[f"BTC/USD={BTC_FILE}"])


def ny(*when: int) -> dt.datetime:
    """New York wall time in the autumn of 2013 (EDT until 2013-11-03, EST after)."""
    day = dt.datetime(*when)
    return day.replace(tzinfo=EDT if day < dt.datetime(2013, 11, 3) else EST)


@pytest.mark.parametrize(
    ("now", "is_open", "next_open", "next_close"),
    [
        # A Monday mid-session: open, closes at 16:00, opens again tomorrow at 09:30.
        (ny(2013, 10, 7, 11), True, ny(2013, 10, 8, 9, 30), ny(2013, 10, 7, 16)),
        # Saturday: closed until Monday.
        (ny(2013, 10, 5, 12), False, ny(2013, 10, 7, 9, 30), ny(2013, 10, 7, 16)),
        # Pre-market is not the regular session.
        (ny(2013, 10, 7, 8), False, ny(2013, 10, 7, 9, 30), ny(2013, 10, 7, 16)),
        # Thanksgiving: closed; the day after closes early.
        (ny(2013, 11, 28, 12), False, ny(2013, 11, 29, 9, 30), ny(2013, 11, 29, 13)),
        # After an early close: closed until Monday.
        (ny(2013, 11, 29, 14), False, ny(2013, 12, 2, 9, 30), ny(2013, 12, 2, 16)),
    ],
)
def test_clock(alpaca_emulator, now, is_open, next_open, next_close):
    at(alpaca_emulator, now)
    clock = trading(alpaca_emulator.url).get_clock()
    assert clock.timestamp == now
    assert (clock.is_open, clock.next_open, clock.next_close) == (is_open, next_open, next_close)
    assert clock.timestamp.utcoffset() == now.utcoffset()  # New York time, as Alpaca answers


def test_clock_follows_the_emulators_clock(alpaca_emulator):
    at(alpaca_emulator, dt.datetime(2013, 10, 7, 15, 59, tzinfo=EDT))
    client = trading(alpaca_emulator.url)
    assert client.get_clock().is_open
    alpaca_emulator.control.advance(ms=60_000)
    clock = client.get_clock()
    assert not clock.is_open
    assert clock.next_open == dt.datetime(2013, 10, 8, 9, 30, tzinfo=EDT)


def test_calendar_holidays_early_closes_and_settlement(alpaca_emulator):
    days = trading(alpaca_emulator.url).get_calendar(
        GetCalendarRequest(start=dt.date(2013, 11, 26), end=dt.date(2013, 12, 2))
    )
    assert [d.date for d in days] == [
        dt.date(2013, 11, 26),
        dt.date(2013, 11, 27),
        dt.date(2013, 11, 29),  # no Thanksgiving, no weekend
        dt.date(2013, 12, 2),
    ]
    assert [(d.open.time(), d.close.time()) for d in days] == [
        (dt.time(9, 30), dt.time(16, 0)),
        (dt.time(9, 30), dt.time(16, 0)),
        (dt.time(9, 30), dt.time(13, 0)),
        (dt.time(9, 30), dt.time(16, 0)),
    ]
    rows = raw(
        alpaca_emulator.url, "GET", "/v2/calendar", params={"start": "2013-11-29", "end": "2013-11-29"}
    )
    assert rows.json() == [
        {
            "date": "2013-11-29",
            "open": "09:30",
            "close": "13:00",
            "session_open": "0400",
            "session_close": "1700",
            "settlement_date": "2013-12-04",  # T+3 in 2013
        }
    ]


def test_settlement_cycles_and_date_type(alpaca_emulator):
    def rows(**params):
        return raw(alpaca_emulator.url, "GET", "/v2/calendar", params=params).json()

    (day,) = rows(start="2024-05-31", end="2024-05-31")
    assert day["settlement_date"] == "2024-06-03"  # T+1 since 2024-05-28
    (day,) = rows(start="2020-06-01", end="2020-06-01")
    assert day["settlement_date"] == "2020-06-03"  # T+2
    settling = rows(start="2013-12-04", end="2013-12-04", date_type="SETTLEMENT")
    assert [d["date"] for d in settling] == ["2013-11-29"]


def test_calendar_refusals_and_bounds(alpaca_emulator):
    client = trading(alpaca_emulator.url)
    assert client.get_calendar(GetCalendarRequest(start=dt.date(2013, 12, 2), end=dt.date(2013, 11, 1))) == []
    assert client.get_calendar(GetCalendarRequest(start=dt.date(1980, 1, 1), end=dt.date(1990, 1, 3)))[
        0
    ].date == (dt.date(1990, 1, 2))
    r = raw(alpaca_emulator.url, "GET", "/v2/calendar", params={"start": "someday"})
    assert (r.status_code, r.json()) == (422, {"code": 40010001, "message": "invalid start"})
    r = raw(alpaca_emulator.url, "GET", "/v2/calendar", params={"date_type": "HOLIDAY"})
    assert r.status_code == 422


def test_clock_outside_the_calendar_is_a_clear_refusal(alpaca_emulator):
    alpaca_emulator.control.reset(start="2060-01-01T00:00:00Z", data=[f"BTC/USD={BTC_FILE}"])
    with pytest.raises(APIError) as e:
        trading(alpaca_emulator.url).get_clock()
    status, code, message = api_error(e)
    assert (status, code) == (422, 42210000)
    assert "1990-01-02" in message
