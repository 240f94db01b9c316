"""An Alpaca emulator's configuration defaults: a paper account's cash and no leverage setting.

Minimal adapter: the runtime builds every venue's accounts from the same defaults (10,000 USDT,
leverage 20); until it asks the venue for its own, the CLI and the pytest fixtures pass these as
configuration fields. (The bundled candles an Alpaca emulator replays without ``--data`` are the
runtime's: ``torchtrade.data.default_data("alpaca")``.)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...engine import EngineConfig

#: An Alpaca paper account starts with $100,000 of cash.
BALANCES = {"USD": Decimal(100_000)}


def config_overrides() -> dict[str, Any]:
    """:class:`~...runtime.EmulatorConfig` fields for an Alpaca run."""
    return {
        "balances": dict(BALANCES),
        # Alpaca has no leverage setting: an account's margin is its multiplier, not an order's.
        "engine": EngineConfig(default_leverage=1),
    }
