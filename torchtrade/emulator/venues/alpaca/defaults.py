"""An Alpaca emulator's configuration defaults: a paper account's cash, no leverage setting, and the
bundled candles it replays without ``--data``.

Minimal adapter: the runtime builds every venue from the same defaults (USDT balances, futures
leverage, the bundled perpetual candles); until it asks the venue for its own, the CLI and the
pytest fixtures pass these as configuration fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ....data import bundled
from ...engine import EngineConfig
from ...runtime import DataSpec

#: An Alpaca paper account starts with $100,000 of cash.
BALANCES = {"USD": Decimal(100_000)}
#: Bundled candles an Alpaca emulator replays without ``--data`` (symbol -> bundled file).
DATA = {"BTC/USD": "binance_btcbusd_1m_2022-12-13.csv"}


def data_specs() -> tuple[DataSpec, ...]:
    return tuple(DataSpec(symbol, bundled(name)) for symbol, name in DATA.items())


def config_overrides(*, data: bool = True) -> dict[str, Any]:
    """:class:`~...runtime.EmulatorConfig` fields for an Alpaca run (``data``: the bundled candles)."""
    out: dict[str, Any] = {
        "balances": dict(BALANCES),
        # Alpaca has no leverage setting: an account's margin is its multiplier, not an order's.
        "engine": EngineConfig(default_leverage=1),
    }
    if data:
        out["data"] = data_specs()
    return out
