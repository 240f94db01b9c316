"""Shared by the Alpaca wire tests: alpaca-py clients pointed at an emulator, the replayed files.

Every client is alpaca-py's own, unmodified, over real HTTP (``url_override``). Its automatic retry
of a 429 / 504 (3 tries, 3 s apart) is switched off so a test that provokes one sees it at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import CryptoHistoricalDataClient, StockHistoricalDataClient
from alpaca.trading.client import TradingClient

from torchtrade.data import bundled

KEY, SECRET = "emulator-key", "emulator-secret"
# What an Alpaca emulator replays by default (torchtrade.data.default_data("alpaca")).
SPY_FILE = bundled("nyse_spy_1m_2013-10-04_11.csv.gz")
BTC_FILE = bundled("coinbase_btcusd_1m_2016-10-07_09.csv.gz")
TIMEOUT = (2, 5)


def _no_retry(client: Any) -> Any:
    client._retry = 0  # alpaca-py sleeps 3 s between retries of a 429/504
    return client


def trading(url: str, key: str = KEY, secret: str = SECRET) -> TradingClient:
    return _no_retry(TradingClient(key, secret, paper=True, url_override=url))


def stocks(url: str, key: str = KEY, secret: str = SECRET) -> StockHistoricalDataClient:
    return _no_retry(StockHistoricalDataClient(key, secret, url_override=url))


def crypto(url: str, key: str | None = None, secret: str | None = None) -> CryptoHistoricalDataClient:
    return _no_retry(CryptoHistoricalDataClient(key, secret, url_override=url))


def stock_data(srv: Any, *, history_bars: int = 1000, **overrides: Any) -> None:
    """Reset ``srv`` to replay SPY (the real 1-minute file, at its own dates) and BTC/USD (shifted
    onto SPY's timeline), ``history_bars`` SPY bars closed: 1000 is Monday 2013-10-07 09:59 ET."""
    data = [f"SPY={SPY_FILE}", f"BTC/USD={BTC_FILE}"]
    srv.control.reset(data=data, history_bars=history_bars, **overrides)


def frame(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df.set_index("timestamp")


def api_error(excinfo: pytest.ExceptionInfo[APIError]) -> tuple[int | None, int | None, str]:
    """(HTTP status, Alpaca code or None, message) of an alpaca-py APIError."""
    err = excinfo.value
    body = err.response.json() if err.response is not None else {}
    return err.status_code, body.get("code"), body.get("message", "")


def raw(url: str, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
    """A request with the Alpaca headers (or none): for what alpaca-py cannot send."""
    headers = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET} if auth else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, url + path, headers=headers, timeout=TIMEOUT, **kwargs)
