"""An Alpaca emulator's configuration defaults: a paper account's cash and no leverage setting.

The runtime asks the venue for these (``AlpacaVenue.defaults``) when the configuration leaves
``balances`` or ``engine`` unset, so ``EmulatorServer(venue="alpaca")`` is a paper account as it
starts on Alpaca. (The bundled candles an Alpaca emulator replays without ``--data`` are the
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
