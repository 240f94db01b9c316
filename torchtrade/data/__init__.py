"""Candle files bundled with the package (see ATTRIBUTION.md): the emulator's default data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: unified symbol -> bundled file, in the order the emulator loads them (the first is the default).
DEFAULT_DATA: dict[str, str] = {
    "BTC/USDT:USDT": "binance_btcbusd_1m_2022-12-13.csv",
    "ETH/USDT:USDT": "coinbase_ethusd_1m_2018-04-04_05.csv",
}

#: The defaults of venues that do not replay the futures pair above: Alpaca serves a stock and a
#: crypto spot pair. SPY plays at its own dates (2013-10-04..11, six sessions with pre/post-market);
#: BTC/USD is shifted onto that timeline (see ``torchtrade.emulator.data.plan_timeline``).
VENUE_DEFAULT_DATA: dict[str, dict[str, str]] = {
    "alpaca": {
        "SPY": "nyse_spy_1m_2013-10-04_11.csv.gz",
        "BTC/USD": "coinbase_btcusd_1m_2016-10-07_09.csv.gz",
    },
}


def default_data(venue: str) -> dict[str, str]:
    """The bundled files a venue's emulator replays when given no ``--data``: symbol -> file name."""
    return VENUE_DEFAULT_DATA.get(venue, DEFAULT_DATA)


def bundled(name: str) -> Path:
    """Path of a bundled data file."""
    path = resources.files(__name__) / name
    return Path(str(path))
