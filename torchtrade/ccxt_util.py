"""Small ccxt helpers shared by the envs and the emulator's clients."""

from __future__ import annotations

import ccxt


def point_ccxt(exchange: ccxt.Exchange, base_url: str) -> ccxt.Exchange:
    """Send every API group of a ccxt exchange to ``base_url`` (e.g. ``http://127.0.0.1:8765``).

    Only the addresses change: signing, parsing and error mapping stay exactly as ccxt ships them.
    """
    base = base_url.rstrip("/")
    api = exchange.urls["api"]
    if isinstance(api, dict):
        for key in api:
            api[key] = base
    else:
        exchange.urls["api"] = base
    return exchange
