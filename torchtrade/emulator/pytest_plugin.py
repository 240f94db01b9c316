"""pytest fixtures for the emulator (registered as a pytest plugin when torchtrade is installed).

* ``emulator_server``: one emulator served in-process on a free port for the whole session (manual
  clock, bundled data), stopped cleanly at the end. With ``TORCHTRADE_EMULATOR_URL`` set, the session
  uses that already running emulator instead (``torchtrade emulator serve ...``).
* ``emulator``: the same server, reset to a clean state (fresh accounts, ledger and faults) before the
  test: every test starts from the same venue.
* ``binance_emulator_server`` / ``binance_emulator``: the same pair for the Binance USD-M futures wire
  (a second in-process server; ``TORCHTRADE_BINANCE_EMULATOR_URL`` points them at a running
  ``torchtrade emulator serve --venue binance``). Clients: ``ccxt_client(url, "binanceusdm")``.
* ``binance_exchange``: a plain ``ccxt.binanceusdm`` (demo trading, ccxt's own throttle off) on a
  freshly reset ``binance_emulator``, markets loaded.
* ``alpaca_emulator_server`` / ``alpaca_emulator``: the same pair for the Alpaca wire (trading and
  market data on one URL; ``TORCHTRADE_ALPACA_EMULATOR_URL`` points them at a running
  ``torchtrade emulator serve --venue alpaca``). Clients: alpaca-py's ``TradingClient``,
  ``StockHistoricalDataClient`` and ``CryptoHistoricalDataClient`` with ``url_override=url``.

Example::

    def test_balance(emulator):
        exchange = ccxt_client(emulator.url)
        assert exchange.fetch_balance()["USDT"]["total"] == 10000
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .clients import ccxt_client
from .control import ControlClient
from .runtime import Emulator
from .server import EmulatorServer

URL_ENV = "TORCHTRADE_EMULATOR_URL"
BINANCE_URL_ENV = "TORCHTRADE_BINANCE_EMULATOR_URL"
ALPACA_URL_ENV = "TORCHTRADE_ALPACA_EMULATOR_URL"


@dataclass
class RemoteEmulator:
    """A running emulator reached over HTTP only (no in-process ``emulator`` attribute)."""

    url: str
    control: ControlClient
    emulator: Emulator | None = None


def _serve(url_env: str, venue: str, **overrides: Any) -> Iterator[EmulatorServer | RemoteEmulator]:
    url = os.environ.get(url_env)
    if url:
        client = ControlClient(url)
        yield RemoteEmulator(url=url.rstrip("/"), control=client)
        client.close()
        return
    with EmulatorServer(venue=venue, clock="manual", **overrides) as server:
        yield server


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer | RemoteEmulator]:
    yield from _serve(URL_ENV, "bitget")


@pytest.fixture
def emulator(emulator_server: EmulatorServer | RemoteEmulator) -> EmulatorServer | RemoteEmulator:
    emulator_server.control.reset()
    return emulator_server


@pytest.fixture(scope="session")
def binance_emulator_server() -> Iterator[EmulatorServer | RemoteEmulator]:
    yield from _serve(BINANCE_URL_ENV, "binance")


@pytest.fixture
def binance_emulator(
    binance_emulator_server: EmulatorServer | RemoteEmulator,
) -> EmulatorServer | RemoteEmulator:
    binance_emulator_server.control.reset()
    return binance_emulator_server


@pytest.fixture
def binance_exchange(binance_emulator: EmulatorServer | RemoteEmulator) -> Any:
    ex = ccxt_client(binance_emulator.url, "binanceusdm", demo=True, enableRateLimit=False, timeout=5000)
    ex.load_markets()
    return ex


@pytest.fixture(scope="session")
def alpaca_emulator_server() -> Iterator[EmulatorServer | RemoteEmulator]:
    yield from _serve(ALPACA_URL_ENV, "alpaca")


@pytest.fixture
def alpaca_emulator(
    alpaca_emulator_server: EmulatorServer | RemoteEmulator,
) -> EmulatorServer | RemoteEmulator:
    alpaca_emulator_server.control.reset()
    return alpaca_emulator_server
