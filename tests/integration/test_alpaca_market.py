"""Alpaca market data through alpaca-py over HTTP: stock and crypto bars, paging, latest data.

The truth is the replayed file: every bar served is the file's bars aggregated as Alpaca aggregates
(intraday UTC-aligned, daily from New York's midnight for stocks), only bars that traded, and never a
bar that has not closed at the emulator's present.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from alpaca.common.enums import Sort
from alpaca.data.enums import Adjustment, DataFeed
from alpaca.data.requests import (
    CryptoBarsRequest,
    CryptoLatestBarRequest,
    CryptoLatestQuoteRequest,
    CryptoLatestTradeRequest,
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
)
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

from tests.integration.alpaca_support import (
    BTC_FILE,
    SPY_FILE,
    crypto,
    frame,
    raw,
    stock_data,
    stocks,
)

ET = dt.timezone(dt.timedelta(hours=-4))  # New York in October 2013 (EDT)
DAY = dt.datetime(2013, 10, 4, tzinfo=dt.UTC)
MINUTE = pd.Timedelta(minutes=1)


@pytest.fixture
def spy(alpaca_emulator):
    stock_data(alpaca_emulator)
    return alpaca_emulator


def present(srv) -> pd.Timestamp:
    return pd.Timestamp(srv.control.status()["now"], unit="ms", tz="UTC")


def closed_rows(path, now: pd.Timestamp) -> pd.DataFrame:
    df = frame(path)
    return df[df.index + MINUTE <= now]


def served(bars) -> pd.DataFrame:
    df = pd.DataFrame([b.model_dump() for b in bars]).set_index("timestamp")
    df.index = pd.to_datetime(df.index, utc=True)
    return df


def aggregate(rows: pd.DataFrame, rule: str) -> pd.DataFrame:
    out = rows.resample(rule, label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    return out[out["volume"] > 0]


def assert_ohlcv(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.index) == list(want.index)
    for col in ("open", "high", "low", "close", "volume"):
        assert got[col].tolist() == pytest.approx(want[col].astype(float).tolist()), col


def test_minute_bars_are_the_files_closed_bars(spy):
    now = present(spy)
    bars = stocks(spy.url).get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute, start=DAY, limit=5000)
    )["SPY"]
    assert_ohlcv(served(bars), closed_rows(SPY_FILE, now))
    assert all(b.trade_count > 0 and b.vwap > 0 for b in bars)


def test_five_minute_bars_aggregate_the_file(spy):
    now = present(spy)
    bars = stocks(spy.url).get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols=["SPY"],
            timeframe=TimeFrame(5, TimeFrameUnit.Minute),
            start=DAY,
            feed=DataFeed.IEX,
            adjustment=Adjustment.RAW,
        )
    )["SPY"]
    assert_ohlcv(served(bars), aggregate(closed_rows(SPY_FILE, now), "5min"))


def test_daily_bar_is_the_regular_session_labelled_at_new_york_midnight(spy):
    # Monday 2013-10-07 10:00 ET: the day's bar holds the session's first half hour (the pre-market
    # is not part of a daily bar, as on Alpaca).
    monday_10 = int(dt.datetime(2013, 10, 7, 10, 0, tzinfo=ET).timestamp() * 1000)
    spy.control.advance(to=monday_10)
    now = present(spy)
    bars = stocks(spy.url).get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=DAY)
    )["SPY"]
    got = served(bars)
    rows = closed_rows(SPY_FILE, now).tz_convert("America/New_York")
    regular = rows.between_time("09:30", "15:59")
    want = aggregate(regular, "1D").tz_convert("UTC")
    assert list(got.index) == [
        pd.Timestamp("2013-10-04T04:00Z"),
        pd.Timestamp("2013-10-07T04:00Z"),  # no bar for the weekend: nothing traded
    ]
    assert_ohlcv(got, want)
    assert got["trade_count"].iloc[-1] == 30 * 4  # 09:30-10:00: 30 bars of four synthetic prints


def test_bars_never_show_the_future(spy):
    client = stocks(spy.url)
    before = client.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute, start=DAY, limit=5000)
    )["SPY"]
    far = dt.datetime(2013, 10, 30, tzinfo=dt.UTC)
    after = client.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute, start=DAY, end=far, limit=5000)
    )["SPY"]
    assert after == before
    assert before[-1].timestamp + dt.timedelta(minutes=1) <= present(spy).to_pydatetime()


def test_descending_sort_and_limit(spy):
    client = stocks(spy.url)
    asc = client.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute, start=DAY, limit=5000)
    )["SPY"]
    desc = client.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols="SPY", timeframe=TimeFrame.Minute, start=DAY, limit=7, sort=Sort.DESC
        )
    )["SPY"]
    assert desc == list(reversed(asc))[:7]


def test_pages_resume_where_the_token_says(alpaca_emulator):
    # Two stocks (the SPY file under a second ticker too): a page's limit counts bars of both.
    alpaca_emulator.control.reset(data=[f"SPY={SPY_FILE}", f"QQQ={SPY_FILE}"], history_bars=1000)
    client = stocks(alpaca_emulator.url)
    whole = client.get_stock_bars(
        StockBarsRequest(
            symbol_or_symbols=["SPY", "QQQ"], timeframe=TimeFrame(15, TimeFrameUnit.Minute), start=DAY
        )
    )
    params = {"symbols": "SPY,QQQ", "timeframe": "15Min", "start": "2013-10-04", "limit": 17}
    pages: dict[str, list] = {}
    token, count = None, 0
    while True:
        answer = client.get("/stocks/bars", {**params, "page_token": token} if token else params)
        assert sum(len(v) for v in answer["bars"].values()) <= 17
        for symbol, rows in answer["bars"].items():
            pages.setdefault(symbol, []).extend(rows)
        token, count = answer["next_page_token"], count + 1
        if token is None:
            break
    assert count > 2
    for symbol in ("SPY", "QQQ"):
        assert [r["t"] for r in pages[symbol]] == [
            b.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") for b in whole[symbol]
        ]


def test_symbols_without_data_have_no_entry(spy):
    answer = stocks(spy.url).get(
        "/stocks/bars", {"symbols": "AAPL,SPY", "timeframe": "1Hour", "start": "2013-10-04"}
    )
    assert set(answer["bars"]) == {"SPY"}


def test_latest_stock_bar_trade_and_quote(spy):
    now = present(spy)
    client = stocks(spy.url)
    last = closed_rows(SPY_FILE, now).iloc[-1]
    bar = client.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols="SPY"))["SPY"]
    assert (bar.open, bar.close, bar.volume) == (float(last.open), float(last.close), float(last.volume))
    trade = client.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="SPY"))["SPY"]
    assert trade.price == float(last.close)
    assert trade.exchange == "V"
    assert trade.timestamp < now.to_pydatetime()
    quote = client.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["SPY"]))["SPY"]
    assert quote.bid_price <= float(last.close) <= quote.ask_price
    assert quote.bid_size == quote.ask_size == 100


def test_crypto_bars_and_latest_without_keys(spy):
    now = present(spy)
    client = crypto(spy.url)  # no keys: Alpaca's crypto data is public
    rows = frame(BTC_FILE)
    # The BTC file is shifted onto SPY's timeline (SPY keeps its own dates).
    first_open = pd.Timestamp(spy.control.status()["symbols"]["BTC/USD"]["first_open"], unit="ms", tz="UTC")
    rows.index = rows.index + (first_open - rows.index[0])
    rows = rows[rows.index + MINUTE <= now]
    bars = client.get_crypto_bars(
        CryptoBarsRequest(symbol_or_symbols="BTC/USD", timeframe=TimeFrame.Hour, start=DAY)
    )["BTC/USD"]
    assert_ohlcv(served(bars), aggregate(rows, "1h"))
    latest = client.get_crypto_latest_bar(CryptoLatestBarRequest(symbol_or_symbols="BTC/USD"))["BTC/USD"]
    assert latest.close == float(rows.iloc[-1].close)
    trade = client.get_crypto_latest_trade(CryptoLatestTradeRequest(symbol_or_symbols="BTC/USD"))["BTC/USD"]
    assert trade.price == float(rows.iloc[-1].close)
    quote = client.get_crypto_latest_quote(CryptoLatestQuoteRequest(symbol_or_symbols="BTC/USD"))["BTC/USD"]
    assert 0 < quote.bid_price <= trade.price <= quote.ask_price
    assert quote.bid_size * quote.ask_price == pytest.approx(10_000, rel=1e-3)


def test_crypto_daily_bar_opens_at_utc_midnight(spy):
    bars = crypto(spy.url).get_crypto_bars(
        CryptoBarsRequest(symbol_or_symbols="BTC/USD", timeframe=TimeFrame.Day, start=DAY)
    )["BTC/USD"]
    assert bars
    assert all(b.timestamp.hour == 0 and b.timestamp.minute == 0 for b in bars)
    assert [b.timestamp for b in bars] == sorted({b.timestamp for b in bars})


def test_data_routes_answer_market_data_shapes(spy):
    r = raw(spy.url, "GET", "/v2/stocks/bars", params={"symbols": "SPY", "timeframe": "1Min", "limit": 2})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"bars", "next_page_token"}
    row = body["bars"]["SPY"][0]
    assert set(row) == {"t", "o", "h", "l", "c", "v", "n", "vw"}
    assert row["t"].endswith("Z")
    assert isinstance(row["o"], float | int)


def test_weekly_and_monthly_bars_group_the_sessions(spy):
    client = stocks(spy.url)
    days = served(
        client.get_stock_bars(StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=DAY))[
            "SPY"
        ]
    )
    weeks = served(
        client.get_stock_bars(
            StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Week, start=dt.datetime(2013, 9, 1))
        )["SPY"]
    )
    months = served(
        client.get_stock_bars(
            StockBarsRequest(
                symbol_or_symbols="SPY",
                timeframe=TimeFrame(1, TimeFrameUnit.Month),
                start=dt.datetime(2013, 9, 1),
            )
        )["SPY"]
    )
    # Friday 2013-10-04 belongs to the week of Monday 09-30, Monday 10-07 starts the next one.
    assert list(weeks.index) == [pd.Timestamp("2013-09-30T04:00Z"), pd.Timestamp("2013-10-07T04:00Z")]
    assert list(months.index) == [pd.Timestamp("2013-10-01T04:00Z")]
    assert months["volume"].iloc[0] == days["volume"].sum() == weeks["volume"].sum()
    assert (months["high"].iloc[0], months["low"].iloc[0]) == (days["high"].max(), days["low"].min())
    assert (months["open"].iloc[0], months["close"].iloc[0]) == (days["open"].iloc[0], days["close"].iloc[-1])
