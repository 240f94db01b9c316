"""pytest fixtures for the emulator (registered as a pytest plugin when torchtrade is installed).

* ``emulator_server``: one emulator served in-process on a free port for the whole session (manual
  clock, bundled data), stopped cleanly at the end. With ``TORCHTRADE_EMULATOR_URL`` set, the session
  uses that already running emulator instead (``torchtrade emulator serve ...``).
* ``emulator``: the same server, reset to a clean state (fresh accounts, ledger and faults) before the
  test: every test starts from the same venue.

Example::

    def test_balance(emulator):
        exchange = ccxt_client(emulator.url)
        assert exchange.fetch_balance()["USDT"]["total"] == 10000
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .control import ControlClient
from .runtime import Emulator
from .server import EmulatorServer

URL_ENV = "TORCHTRADE_EMULATOR_URL"


@dataclass
class RemoteEmulator:
    """A running emulator reached over HTTP only (no in-process ``emulator`` attribute)."""

    url: str
    control: ControlClient
    emulator: Emulator | None = None


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer | RemoteEmulator]:
    url = os.environ.get(URL_ENV)
    if url:
        client = ControlClient(url)
        yield RemoteEmulator(url=url.rstrip("/"), control=client)
        client.close()
        return
    with EmulatorServer(clock="manual") as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer | RemoteEmulator) -> EmulatorServer | RemoteEmulator:
    emulator_server.control.reset()
    return emulator_server
