"""Candle files bundled with the package (see ATTRIBUTION.md): the emulator's default data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: unified symbol -> bundled file, in the order the emulator loads them (the first is the default).
DEFAULT_DATA: dict[str, str] = {
    "BTC/USDT:USDT": "binance_btcbusd_1m_2022-12-13.csv",
    "ETH/USDT:USDT": "coinbase_ethusd_1m_2018-04-04_05.csv",
}


def bundled(name: str) -> Path:
    """Path of a bundled data file."""
    path = resources.files(__name__) / name
    return Path(str(path))
