"""Shared fixtures. The emulator fixtures (``emulator_server``, ``emulator``) come from torchtrade's
pytest plugin (``torchtrade.emulator.pytest_plugin``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ccxt
import pandas as pd
import pytest
from hypothesis import settings

from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.emulator.clients import ccxt_client

# Property tests draw the same examples on every run (and in CI): a failure is reproducible as is.
settings.register_profile("torchtrade", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("torchtrade")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BTC = "BTC/USDT:USDT"


@pytest.fixture
def exchange(emulator) -> Iterator[ccxt.bitget]:
    """A plain ccxt.bitget on a freshly reset emulator, markets loaded (ccxt's own throttle off)."""
    ex = ccxt_client(emulator.url, enableRateLimit=False, timeout=5000)
    ex.load_markets()
    return ex


def bundled_frame(symbol: str = BTC) -> pd.DataFrame:
    """The bundled candle file of ``symbol``, indexed by bar open time (UTC)."""
    df = pd.read_csv(bundled(DEFAULT_DATA[symbol]))
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df.set_index("timestamp")
