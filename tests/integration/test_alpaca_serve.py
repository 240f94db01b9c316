"""``torchtrade emulator serve --venue alpaca``: a standalone Alpaca that alpaca-py's clients use."""

from __future__ import annotations

from alpaca.data.requests import CryptoLatestBarRequest, StockBarsRequest
from alpaca.data.timeframe import TimeFrame

from tests.integration.alpaca_support import BTC_FILE, SPY_FILE, crypto, stocks, trading
from torchtrade.emulator.process import serve_in_subprocess


def test_serve_alpaca_with_stock_and_crypto_data():
    args = (
        "--venue",
        "alpaca",
        "--clock",
        "manual",
        "--data",
        f"SPY={SPY_FILE}",
        "--data",
        f"BTC/USD={BTC_FILE}",
    )
    with serve_in_subprocess(*args) as served:
        assert {a.symbol for a in trading(served.url).get_all_assets()} == {"SPY", "BTC/USD"}
        assert trading(served.url).get_clock().timestamp.year == 2013
        bars = stocks(served.url).get_stock_bars(
            StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Hour)
        )
        assert bars["SPY"]
        assert crypto(served.url).get_crypto_latest_bar(CryptoLatestBarRequest(symbol_or_symbols="BTC/USD"))
    assert "url_override" in served.output
    assert "emulator-secret" in served.output  # the default secret is printed, a given one never


def test_serve_alpaca_without_data_replays_the_bundled_candles():
    with serve_in_subprocess("--venue", "alpaca", "--clock", "manual") as served:
        symbols = {a.symbol for a in trading(served.url).get_all_assets()}
    assert "BTC/USD" in symbols
