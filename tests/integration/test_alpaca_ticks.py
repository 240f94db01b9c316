"""Alpaca historical trades and quotes, snapshots and the crypto order book through alpaca-py.

The truth is the replayed file and the routes already tested (bars, latest data): four prints per
closed bar along its path, one quote per closed bar at its close around that close, nothing after the
present, and a snapshot that is exactly what the latest and daily-bar routes answer.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from alpaca.common.enums import Sort
from alpaca.common.exceptions import APIError
from alpaca.data.requests import (
    CryptoBarsRequest,
    CryptoLatestOrderbookRequest,
    CryptoLatestQuoteRequest,
    CryptoLatestTradeRequest,
    CryptoQuoteRequest,
    CryptoSnapshotRequest,
    CryptoTradesRequest,
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockQuotesRequest,
    StockSnapshotRequest,
    StockTradesRequest,
)
from alpaca.data.timeframe import TimeFrame

from tests.integration.alpaca_support import SPY_FILE, crypto, frame, raw, stock_data, stocks

DAY = dt.datetime(2013, 10, 4, tzinfo=dt.UTC)
MINUTE = pd.Timedelta(minutes=1)


@pytest.fixture
def spy(alpaca_emulator):
    stock_data(alpaca_emulator)
    return alpaca_emulator


def present(srv) -> pd.Timestamp:
    return pd.Timestamp(srv.control.status()["now"], unit="ms", tz="UTC")


def closed_rows(now: pd.Timestamp) -> pd.DataFrame:
    df = frame(SPY_FILE)
    return df[df.index + MINUTE <= now]


def test_stock_trades_are_four_prints_per_closed_bar(spy):
    now = present(spy)
    rows = closed_rows(now)
    start = rows.index[-50].to_pydatetime()
    trades = stocks(spy.url).get_stock_trades(StockTradesRequest(symbol_or_symbols="SPY", start=start))["SPY"]
    want = rows.iloc[-50:]
    assert len(trades) == 4 * len(want)
    for k, (t, bar) in enumerate(want.iterrows()):
        four = trades[4 * k : 4 * k + 4]
        path = (bar.low, bar.high) if bar.close >= bar.open else (bar.high, bar.low)
        assert [p.price for p in four] == [float(bar.open), *map(float, path), float(bar.close)]
        assert [p.timestamp for p in four] == [
            (t + k * pd.Timedelta(seconds=15)).to_pydatetime() for k in range(4)
        ]
        assert sum(p.size for p in four) == pytest.approx(float(bar.volume))
        assert all(p.exchange == "V" and p.conditions == ["@"] for p in four)
    assert all(p.timestamp < now for p in trades)
    latest = stocks(spy.url).get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="SPY"))["SPY"]
    assert trades[-1] == latest


def test_stock_quotes_are_one_per_bar_at_its_close(spy):
    now = present(spy)
    rows = closed_rows(now).iloc[-20:]
    client = stocks(spy.url)
    quotes = client.get_stock_quotes(
        StockQuotesRequest(symbol_or_symbols="SPY", start=(rows.index[0] + MINUTE).to_pydatetime())
    )["SPY"]
    assert [q.timestamp for q in quotes] == [(t + MINUTE).to_pydatetime() for t in rows.index]
    for q, close in zip(quotes, rows["close"], strict=True):
        assert q.bid_price <= float(close) <= q.ask_price
        assert q.bid_size == q.ask_size == 100
    latest = client.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="SPY"))["SPY"]
    assert (quotes[-1].bid_price, quotes[-1].ask_price) == (latest.bid_price, latest.ask_price)


def test_descending_and_limit(spy):
    client = stocks(spy.url)
    asc = client.get_stock_trades(StockTradesRequest(symbol_or_symbols="SPY", start=DAY, limit=20_000))["SPY"]
    desc = client.get_stock_trades(
        StockTradesRequest(symbol_or_symbols="SPY", start=DAY, limit=9, sort=Sort.DESC)
    )["SPY"]
    assert desc == list(reversed(asc))[:9]
    assert len(asc) < 20_000  # the whole history since the start, not a page


@pytest.mark.parametrize("path", ["/stocks/trades", "/stocks/quotes"])
def test_pages_resume_where_the_token_says(alpaca_emulator, path):
    alpaca_emulator.control.reset(data=[f"SPY={SPY_FILE}", f"QQQ={SPY_FILE}"], history_bars=200)
    client = stocks(alpaca_emulator.url)
    key = path.rsplit("/", 1)[1]
    params = {"symbols": "SPY,QQQ", "start": "2013-10-04"}
    whole = client.get(path, {**params, "limit": 10_000})
    assert whole["next_page_token"] is None
    pages: dict[str, list] = {}
    token, count = None, 0
    while True:
        page = client.get(path, {**params, "limit": 137, **({"page_token": token} if token else {})})
        assert sum(len(v) for v in page[key].values()) <= 137
        for symbol, rows in page[key].items():
            pages.setdefault(symbol, []).extend(rows)
        token, count = page["next_page_token"], count + 1
        if token is None:
            break
    assert count > 2
    assert pages == whole[key]


def test_nothing_after_the_present(spy):
    client = stocks(spy.url)
    now = present(spy)
    far = dt.datetime(2013, 10, 30, tzinfo=dt.UTC)
    trades = client.get_stock_trades(StockTradesRequest(symbol_or_symbols="SPY", start=DAY, end=far))["SPY"]
    quotes = client.get_stock_quotes(StockQuotesRequest(symbol_or_symbols="SPY", start=DAY, end=far))["SPY"]
    assert trades[-1].timestamp < now.to_pydatetime()
    assert quotes[-1].timestamp <= now.to_pydatetime()
    spy.control.advance(bars=1)
    more = client.get_stock_trades(StockTradesRequest(symbol_or_symbols="SPY", start=DAY, end=far))["SPY"]
    assert len(more) == len(trades) + 4


def test_stock_snapshot_is_the_latest_data_and_the_daily_bars(spy):
    client = stocks(spy.url)
    snap = client.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols=["SPY", "AAPL"]))
    assert set(snap) == {"SPY"}  # no data for a ticker the emulator does not replay
    s = snap["SPY"]
    assert (
        s.latest_trade
        == client.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="SPY"))["SPY"]
    )
    assert (
        s.latest_quote
        == client.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="SPY"))["SPY"]
    )
    assert s.minute_bar == client.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols="SPY"))["SPY"]
    days = client.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=DAY)
    )["SPY"]
    assert [s.previous_daily_bar, s.daily_bar] == days[-2:]


def test_crypto_snapshot_trades_quotes_and_order_book(spy):
    client = crypto(spy.url)
    snap = client.get_crypto_snapshot(CryptoSnapshotRequest(symbol_or_symbols="BTC/USD"))["BTC/USD"]
    latest_trade = client.get_crypto_latest_trade(CryptoLatestTradeRequest(symbol_or_symbols="BTC/USD"))[
        "BTC/USD"
    ]
    latest_quote = client.get_crypto_latest_quote(CryptoLatestQuoteRequest(symbol_or_symbols="BTC/USD"))[
        "BTC/USD"
    ]
    assert (snap.latest_trade, snap.latest_quote) == (latest_trade, latest_quote)
    days = client.get_crypto_bars(
        CryptoBarsRequest(symbol_or_symbols="BTC/USD", timeframe=TimeFrame.Day, start=DAY)
    )["BTC/USD"]
    assert [snap.previous_daily_bar, snap.daily_bar] == days[-2:]
    start = latest_trade.timestamp - dt.timedelta(minutes=10)
    trades = client.get_crypto_trades(CryptoTradesRequest(symbol_or_symbols="BTC/USD", start=start))[
        "BTC/USD"
    ]
    assert trades[-1] == latest_trade
    assert all(t.timestamp >= start for t in trades)
    quotes = client.get_crypto_quotes(CryptoQuoteRequest(symbol_or_symbols="BTC/USD", start=start))["BTC/USD"]
    assert (quotes[-1].bid_price, quotes[-1].ask_price) == (latest_quote.bid_price, latest_quote.ask_price)
    book = client.get_crypto_latest_orderbook(CryptoLatestOrderbookRequest(symbol_or_symbols="BTC/USD"))[
        "BTC/USD"
    ]
    assert (book.bids[0].price, book.bids[0].size) == (latest_quote.bid_price, latest_quote.bid_size)
    assert (book.asks[0].price, book.asks[0].size) == (latest_quote.ask_price, latest_quote.ask_size)
    assert [b.price for b in book.bids] == sorted((b.price for b in book.bids), reverse=True)
    assert [a.price for a in book.asks] == sorted(a.price for a in book.asks)
    assert len(book.asks) == 20


def test_bad_parameters_get_the_data_apis_400(spy):
    for path, params in [
        ("/v2/stocks/trades", {"symbols": "SPY", "page_token": "bm9wZQ=="}),
        ("/v2/stocks/quotes", {"symbols": "SPY", "limit": "0"}),
        ("/v2/stocks/snapshots", {"symbols": "BTC/USD"}),
        ("/v2/stocks/trades", {"symbols": "SPY", "start": "2013-10-05", "end": "2013-10-04"}),
        ("/v1beta3/crypto/us/trades", {"symbols": "BTCUSD"}),
        ("/v1beta3/crypto/us/latest/orderbooks", {"symbols": "BTCUSD"}),
        ("/v1beta3/crypto/us/snapshots", {}),
    ]:
        r = raw(spy.url, "GET", path, params=params)
        assert r.status_code == 400, (path, r.text)
        assert set(r.json()) == {"message"}
    with pytest.raises(APIError) as e:
        crypto(spy.url).get_crypto_trades(CryptoTradesRequest(symbol_or_symbols="BTCUSD"))
    assert e.value.status_code == 400
