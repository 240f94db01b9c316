"""Building the alpaca-py clients of an env: keys, paper or live, one base URL, timeouts, counting.

Three alpaca-py clients serve an env: ``TradingClient`` (account, orders, positions, clock),
``StockHistoricalDataClient`` or ``CryptoHistoricalDataClient`` (bars). With ``base_url`` (an
emulator, a proxy) all of them are pointed there through their ``url_override``: one address serves
the trading and the data routes.

alpaca-py leaves three things to its caller, which the env cannot leave open:

* **No timeout**: its ``requests.Session`` waits forever for an answer. Each client gets a session
  that applies ``request_timeout_ms`` to every request (a hung venue becomes a timeout, which the
  env retries).
* **Its own retries**: it sleeps 3 s and retries on 429 and 504, three times, invisibly. They are
  switched off (``_retry = 0``, no retry codes), so the env's retry policy, which honours the
  venue's hint and counts what it does, is the only one.
* **Counting**: the env reports the HTTP requests of each step; the sessions count them (a data
  call that follows ``next_page_token`` is several requests).

The keys are registered with the log redactor at once (:data:`torchtrade.secrets.REDACTOR`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from alpaca.data.historical.crypto import CryptoHistoricalDataClient
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.trading.client import TradingClient

from ....secrets import REDACTOR, install
from ..shared.credentials import ApiKeys

#: loggers that may carry request URLs (never headers) at DEBUG
HTTP_LOGGERS = ("urllib3.connectionpool", "requests", "alpaca")


@dataclass(slots=True)
class RequestCounter:
    """HTTP requests sent by an env's clients (every attempt counts)."""

    count: int = 0


class CountingSession(requests.Session):
    """A ``requests.Session`` that applies a default timeout and counts every request it sends."""

    def __init__(self, timeout_s: float, counter: RequestCounter) -> None:
        super().__init__()
        self.timeout_s = timeout_s
        self.counter = counter

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout_s)
        self.counter.count += 1
        return super().request(method, url, *args, **kwargs)


@dataclass
class AlpacaClients:
    """The alpaca-py clients of one env, sharing one request counter."""

    trading: TradingClient
    data: StockHistoricalDataClient | CryptoHistoricalDataClient
    counter: RequestCounter = field(default_factory=RequestCounter)

    @property
    def requests(self) -> int:
        return self.counter.count


def _tame(client: Any, timeout_s: float, counter: RequestCounter) -> Any:
    """No hidden retries, a timeout on every request, every request counted (see the module doc)."""
    client._session = CountingSession(timeout_s, counter)
    client._retry = 0
    client._retry_codes = []
    return client


def build_clients(
    keys: ApiKeys, *, paper: bool, crypto: bool, base_url: str | None, timeout_ms: int
) -> AlpacaClients:
    """The trading client and the symbol's data client, paper or live, pointed at ``base_url`` if given.

    Bars come back as alpaca-py's raw data (dicts): the feed reads a few fields of thousands of
    bars, which alpaca-py's models would parse one by one.
    """
    REDACTOR.add(keys.api_key, kind="key")
    REDACTOR.add(keys.api_secret, kind="secret")
    install(*HTTP_LOGGERS)
    secret = keys.api_secret.reveal()
    base = base_url.rstrip("/") if base_url else None
    counter = RequestCounter()
    timeout_s = timeout_ms / 1000
    trading = TradingClient(keys.api_key, secret, paper=paper, url_override=base)
    data_class = CryptoHistoricalDataClient if crypto else StockHistoricalDataClient
    data = data_class(keys.api_key, secret, raw_data=True, url_override=base)
    return AlpacaClients(
        trading=_tame(trading, timeout_s, counter), data=_tame(data, timeout_s, counter), counter=counter
    )
