"""Stock data on the emulator: bundled SPY/BTC files, session gaps, per-session daily candles, the
timeline of a stock and a crypto file, and the Emulator's market clock, calendar and session advance.

Everything runs on the package's bundled files (no ../shared needed).
"""

from __future__ import annotations

import datetime as dt
import gzip
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torchtrade.data import DEFAULT_DATA, VENUE_DEFAULT_DATA, bundled, default_data
from torchtrade.emulator import runtime
from torchtrade.emulator.checks import FieldError
from torchtrade.emulator.data import Candle, CandleData, Period, ReplaySeries, load_candles, plan_timeline
from torchtrade.emulator.runtime import DataSpec, Emulator, EmulatorConfig
from torchtrade.emulator.venues.bitget import BitgetVenue
from torchtrade.emulator.venues.bitget.instruments import spec_for
from torchtrade.markets import ALWAYS_OPEN, bar_closes, next_bar_close

from .markets_helpers import HOUR, HOURS, MIN, et, utc
from .test_emulator_data import aggregate

SPY_FILE = VENUE_DEFAULT_DATA["alpaca"]["SPY"]
BTC_FILE = VENUE_DEFAULT_DATA["alpaca"]["BTC/USD"]
SESSION_DATES = [dt.date(2013, 10, d) for d in (4, 7, 8, 9, 10, 11)]


_SPY: CandleData | None = None


def spy() -> CandleData:
    global _SPY
    if _SPY is None:
        _SPY = load_candles(bundled(SPY_FILE))
    return _SPY


def spy_series() -> ReplaySeries:
    return ReplaySeries(spy(), hours=HOURS)


# --------------------------------------------------------------------------- the bundled files


def test_bundled_alpaca_defaults_are_small_real_and_gzipped() -> None:
    assert default_data("alpaca") == {"SPY": SPY_FILE, "BTC/USD": BTC_FILE}
    assert default_data("bitget") == DEFAULT_DATA
    for name in (SPY_FILE, BTC_FILE):
        path = Path(bundled(name))
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        assert path.stat().st_size < 100_000
        assert gzip.decompress(path.read_bytes()).startswith(b"timestamp,open,high,low,close,volume\n")
    btc = load_candles(bundled(BTC_FILE))
    assert (len(spy().bars), len(btc.bars)) == (4839, 4216)
    assert spy().base_ms == btc.base_ms == MIN
    attribution = (Path(bundled(SPY_FILE)).parent / "ATTRIBUTION.md").read_text()
    for name in (SPY_FILE, BTC_FILE, "24863901deffa9ec7985e21ef8fbdb0258efb9e4", "Apache-2.0"):
        assert name in attribution


def test_spy_bars_lie_in_sessions_and_regular_hours_are_complete() -> None:
    bars = spy().bars
    assert all(HOURS.is_open(b.t, extended=True) for b in bars)
    regular = [b.t for b in bars if HOURS.is_open(b.t)]
    assert len(regular) == 6 * 390
    assert {HOURS.session_date(t) for t in regular} == set(SESSION_DATES)
    # the clock and the data agree on the regular session's bars: every 1-minute session-bar close
    # the calendar names has its bar in the file, and no other regular bar exists
    closes = bar_closes(HOURS, "1min", bars[0].t, bars[-1].t + MIN)
    assert closes == [t + MIN for t in regular]


def test_pre_and_post_market_gaps_are_real_never_filled() -> None:
    s = spy_series()
    # the file's first bars: 04:06 ET, then 04:09 ET (no trades at 04:07 and 04:08)
    assert [s.bar(0).t, s.bar(1).t] == [et(2013, 10, 4, 4, 6), et(2013, 10, 4, 4, 9)]
    assert s.closed_between(et(2013, 10, 4, 4, 7), et(2013, 10, 4, 4, 9)) == []
    assert len(bar_closes(HOURS, "1min", et(2013, 10, 4), et(2013, 10, 12), extended=True)) == 6 * 16 * 60
    # from the file's first bar on, the session has 5754 minutes: the 915 without trades stay missing
    extended = bar_closes(HOURS, "1min", s.bar(0).t, et(2013, 10, 12), extended=True)
    assert len(extended) == 5754
    assert len(spy().bars) == len(extended) - 915
    assert {b.t + MIN for b in spy().bars} <= set(extended)


def test_last_price_across_the_night_is_the_last_traded_close() -> None:
    s = spy_series()
    monday = [b for b in spy().bars if HOURS.session_date(b.t) == dt.date(2013, 10, 7)]
    last = monday[-1]
    for t in (et(2013, 10, 7, 20), et(2013, 10, 8, 1), et(2013, 10, 8, 4)):
        assert s.last_price(t) == last.close
        assert s.last_closed(t) == last
    # Friday's close carries over the weekend
    friday = [b for b in spy().bars if HOURS.session_date(b.t) == dt.date(2013, 10, 4)]
    assert s.last_price(et(2013, 10, 6, 12)) == friday[-1].close
    # a night reveals nothing; the morning reveals the pre-market bars as they close
    assert s.closed_between(et(2013, 10, 7, 20), et(2013, 10, 8, 4)) == []
    morning = s.closed_between(et(2013, 10, 7, 20), et(2013, 10, 8, 4, 30))
    assert morning
    assert all(HOURS.session_date(b.t) == dt.date(2013, 10, 8) for b in morning)


def test_a_market_in_sessions_keeps_its_dates() -> None:
    with pytest.raises(ValueError, match="plays at its real dates"):
        ReplaySeries(spy(), 7 * 24 * HOUR, hours=HOURS)
    assert ReplaySeries(spy(), 7 * 24 * HOUR).shift_ms == 7 * 24 * HOUR  # no hours: a plain replay


# --------------------------------------------------------------------------- daily candles


def _regular_bars(day: dt.date) -> list:
    return [b for b in spy().bars if HOURS.is_open(b.t) and HOURS.session_date(b.t) == day]


def _aggregate(bars: list, t: int) -> Candle:
    return aggregate(t, bars)


def test_daily_candles_are_per_session_from_regular_hours() -> None:
    s = spy_series()
    days = s.candles(Period.parse("1d"), s.last_close_ms, limit=100)
    assert [c.t for c in days] == [HOURS.day_start_ms(d) for d in SESSION_DATES]
    assert days[0].t == utc(2013, 10, 4, 4)  # midnight New York in summer time
    for candle, day in zip(days, SESSION_DATES, strict=True):
        assert candle == _aggregate(_regular_bars(day), candle.t)


def test_the_forming_daily_candle_exists_only_during_the_session() -> None:
    s = spy_series()
    p = Period.parse("1d")
    tuesday = HOURS.day_start_ms(dt.date(2013, 10, 8))
    # pre-market: yesterday's candle is the newest, nothing flat is made up for today
    assert s.candles(p, et(2013, 10, 8, 8), limit=2)[-1].t == HOURS.day_start_ms(dt.date(2013, 10, 7))
    # at the open, before the first regular bar closed: still nothing for today
    assert s.candles(p, et(2013, 10, 8, 9, 30), limit=1)[-1].t < tuesday
    noon = s.candles(p, et(2013, 10, 8, 12), limit=1)[-1]
    closed = [b for b in _regular_bars(dt.date(2013, 10, 8)) if b.t + MIN <= et(2013, 10, 8, 12)]
    assert noon == _aggregate(closed, tuesday)
    # post-market bars never change the daily candle
    final = _aggregate(_regular_bars(dt.date(2013, 10, 8)), tuesday)
    assert s.candles(p, et(2013, 10, 8, 16), limit=1)[-1] == final
    assert s.candles(p, et(2013, 10, 8, 19), limit=1)[-1] == final


@settings(max_examples=150, deadline=None)
@given(now=st.integers(min_value=et(2013, 10, 4, 4), max_value=et(2013, 10, 12)))
def test_daily_and_hourly_candles_never_look_ahead(now: int) -> None:
    s = spy_series()
    for c in s.candles(Period.parse("1d"), now, limit=10):
        day = HOURS.session_date(c.t + 5 * HOUR)
        assert c == _aggregate([b for b in _regular_bars(day) if b.t + MIN <= now], c.t)
    visible = [b for b in spy().bars if b.t + MIN <= now]
    hourly = s.candles(Period.parse("1h"), now, limit=1000)
    expected: dict[int, list] = {}
    for b in visible:
        expected.setdefault(b.t - b.t % HOUR, []).append(b)
    assert hourly == [_aggregate(bars, t) for t, bars in sorted(expected.items())]  # no flat candles


def test_flat_forming_candles_stay_for_crypto_and_can_be_turned_off() -> None:
    btc = ReplaySeries(load_candles(bundled(BTC_FILE)))
    now = btc.first_open_ms + HOUR  # a new hour: none of its bars has closed yet
    forming = btc.candles(Period.parse("1h"), now, limit=1)[-1]
    assert forming.t == now
    assert forming.volume == 0
    assert btc.candles(Period.parse("1h"), now, limit=1, flat_forming=False)[-1].t == now - HOUR


def test_stock_periods_longer_than_a_day_are_refused() -> None:
    s = spy_series()
    for period in ("1w", "1M", "3d"):
        with pytest.raises(ValueError, match="intraday or 1d"):
            s.candles(Period.parse(period), s.last_close_ms)


# --------------------------------------------------------------------------- the timeline


def test_a_stock_sets_the_timeline_and_crypto_is_shifted_onto_it() -> None:
    btc = load_candles(bundled(BTC_FILE))
    shifts, present = plan_timeline(
        [btc, spy()], start=None, history_bars=500, wall_now_ms=0, keep_dates=[False, True]
    )
    assert shifts[1] == 0
    assert present == spy().bars[499].t + MIN  # 500 real SPY bars have closed (gaps skipped)
    assert btc.bars[0].t + shifts[0] == present - 500 * MIN
    assert shifts[0] % MIN == 0
    # an instant inside the stock's data is a valid start; "now" or outside is not
    monday_open = et(2013, 10, 7, 9, 30)
    shifts, present = plan_timeline(
        [spy(), btc], start=monday_open, history_bars=10, wall_now_ms=0, keep_dates=[True, False]
    )
    assert (shifts[0], present) == (0, monday_open)
    assert btc.bars[0].t + shifts[1] == monday_open - 10 * MIN
    with pytest.raises(ValueError, match="start='now'"):
        plan_timeline([spy(), btc], start="now", history_bars=10, wall_now_ms=0, keep_dates=[True, False])
    with pytest.raises(ValueError, match="outside the span"):
        plan_timeline([spy()], start=utc(2020, 1, 1), history_bars=10, wall_now_ms=0, keep_dates=[True])
    with pytest.raises(ValueError, match="keep_dates"):
        plan_timeline([spy()], start=None, history_bars=10, wall_now_ms=0, keep_dates=[True, False])


def test_history_zero_starts_at_the_first_stock_bar() -> None:
    _, present = plan_timeline([spy()], start=None, history_bars=0, wall_now_ms=0, keep_dates=[True])
    assert present == spy().bars[0].t


# --------------------------------------------------------------------------- the Emulator


class _StockVenue(BitgetVenue):
    """Bitget's wire and instruments with Alpaca's symbols and hours: enough for the runtime to hold a
    stock next to a crypto pair (the Alpaca wire has its own venue)."""

    name = "alpaca"
    default_symbol = "SPY"

    def parse_symbol(self, symbol: str) -> tuple[str, str, str, str]:
        if symbol == "SPY":
            return "SPY", "SPY", "USDT", "USDT"
        if symbol == "BTC/USD":
            return "BTCUSD", "BTC", "USDT", "USDT"
        raise ValueError(f"unknown symbol {symbol!r}")

    def instrument(
        self, market_id: str, base: str, quote: str, settle: str, price: Decimal
    ) -> runtime.Instrument:
        return spec_for(market_id, price).build(market_id, base, quote, settle)

    def market_hours(self, market_id: str) -> object:
        return HOURS if market_id == "SPY" else ALWAYS_OPEN


@pytest.fixture
def stock_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    venue = _StockVenue()
    real = runtime.load_venue
    monkeypatch.setattr(runtime, "load_venue", lambda name: venue if name == "alpaca" else real(name))


@pytest.mark.usefixtures("stock_venue")
def test_an_emulator_holds_a_stock_and_a_crypto_pair_with_their_hours() -> None:
    emu = Emulator(EmulatorConfig(venue="alpaca", history_bars=500))
    assert list(emu.series) == ["SPY", "BTCUSD"]
    assert emu.hours_of("SPY") is HOURS
    assert emu.hours_of("BTCUSD") is ALWAYS_OPEN
    spy_series, btc = emu.series["SPY"], emu.series["BTCUSD"]
    assert spy_series.shift_ms == 0
    now = emu.clock.now_ms()
    assert now == spy().bars[499].t + MIN
    assert btc.first_open_ms == now - 500 * MIN
    status = emu.status()
    assert status["symbols"]["SPY"]["hours"] == "XNYS"
    assert status["symbols"]["BTCUSD"]["hours"] == "24/7"
    with pytest.raises(FieldError, match="symbol='AAPL'"):
        emu.hours_of("AAPL")


@pytest.mark.usefixtures("stock_venue")
def test_advancing_one_stock_bar_over_the_weekend_is_a_jump() -> None:
    friday_close = et(2013, 10, 4, 16)
    emu = Emulator(EmulatorConfig(venue="alpaca", start=friday_close - MIN, history_bars=10))
    assert emu.advance(bars=1, symbol="SPY") == friday_close
    assert emu.advance(bars=1, symbol="SPY") == et(2013, 10, 7, 9, 31)  # Monday: no sleeping
    assert emu.engine.last_price("SPY") == spy_series().last_price(et(2013, 10, 7, 9, 31))
    # with extended hours the next bar is the next pre/post-market minute
    assert emu.advance(bars=1, symbol="SPY", extended=True) == et(2013, 10, 7, 9, 32)
    assert emu.next_bar_close("SPY", after_ms=et(2013, 10, 7, 16)) == et(2013, 10, 8, 9, 31)
    assert emu.next_bar_close("SPY", period="1h", after_ms=et(2013, 10, 7, 16)) == et(2013, 10, 8, 10)
    assert emu.next_bar_close("SPY", after_ms=et(2013, 10, 7, 16), extended=True) == et(2013, 10, 7, 16, 1)
    assert emu.next_bar_close("BTCUSD", after_ms=et(2013, 10, 7, 16)) == et(2013, 10, 7, 16, 1)
    with pytest.raises(FieldError, match='"symbol" counts "bars"'):
        emu.advance(ms=MIN, symbol="SPY")


@pytest.mark.usefixtures("stock_venue")
def test_the_market_clock_and_calendar_for_alpaca() -> None:
    emu = Emulator(EmulatorConfig(venue="alpaca", start=et(2013, 10, 4, 12), history_bars=10))
    clock = emu.market_clock()
    assert clock.is_open
    assert (clock.next_close_ms, clock.next_open_ms) == (et(2013, 10, 4, 16), et(2013, 10, 7, 9, 30))
    evening = emu.market_clock(et(2013, 10, 4, 18))
    assert not evening.is_open
    assert (evening.next_open_ms, evening.next_close_ms) == (et(2013, 10, 7, 9, 30), et(2013, 10, 7, 16))
    week = emu.calendar(dt.date(2013, 11, 25), dt.date(2013, 12, 1))
    assert [(s.date.day, s.close_ms) for s in week][-1] == (29, et(2013, 11, 29, 13))
    assert len(week) == 4


@pytest.mark.usefixtures("stock_venue")
def test_stock_starts_are_refused_where_the_data_cannot_play() -> None:
    with pytest.raises(FieldError, match="start='now'"):
        Emulator(EmulatorConfig(venue="alpaca", start="now"))
    with pytest.raises(FieldError, match="outside the span"):
        Emulator(EmulatorConfig(venue="alpaca", start=utc(2020, 1, 1)))


@pytest.mark.usefixtures("stock_venue")
def test_a_stock_file_with_bars_outside_its_sessions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spy_night.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2013-10-04T13:30:00Z,1,1,1,1,1\n"
        "2013-10-04T13:31:00Z,1,1,1,1,1\n"
        "2013-10-05T02:00:00Z,1,1,1,1,1\n"  # 22:00 ET on a Friday: no session
    )
    with pytest.raises(FieldError, match=r"2013-10-05T02:00:00Z lies outside XNYS's trading hours"):
        Emulator(EmulatorConfig(venue="alpaca", data=(DataSpec("SPY", path),)))
    old = tmp_path / "spy_1985.csv"
    old.write_text(
        "timestamp,open,high,low,close,volume\n1985-01-02T15:00:00Z,1,1,1,1,1\n1985-01-02T15:01:00Z,1,1,1,1,1\n"
    )
    with pytest.raises(FieldError, match="outside the calendar"):
        Emulator(EmulatorConfig(venue="alpaca", data=(DataSpec("SPY", old),)))


@pytest.mark.usefixtures("stock_venue")
def test_the_next_bar_means_the_same_to_the_emulator_and_an_env_clock() -> None:
    # An env clock computes its next step with next_bar_close and jumps the emulator there; every
    # regular-session step lands on a bar of the file (SPY's regular sessions are complete).
    emu = Emulator(EmulatorConfig(venue="alpaca", start=et(2013, 10, 4, 15, 55), history_bars=10))
    seen = []
    for _ in range(10):
        target = next_bar_close(HOURS, "1min", emu.clock.now_ms())
        emu.advance(to_ms=target)
        seen.append(emu.series["SPY"].last_closed(emu.clock.now_ms()).t + MIN)  # type: ignore[union-attr]
    assert seen == [et(2013, 10, 4, 15, m) for m in range(56, 60)] + [et(2013, 10, 4, 16)] + [
        et(2013, 10, 7, 9, m) for m in range(31, 36)
    ]
