"""Contract specs for a market that a venue's own table does not list."""

from __future__ import annotations

import math
from decimal import Decimal

from ..base import InstrumentSpec


def generic(price: Decimal, **overrides: str | int) -> InstrumentSpec:
    """Specs scaled to ``price``: about 5 significant digits of price, lots worth ~0.5-5 quote units.

    ``overrides`` replace fields (a venue's own fees or minimum notional).
    """
    p = float(price) if price > 0 else 1.0
    tick_exp = math.floor(math.log10(p)) - 4
    lot_exp = min(0, math.floor(math.log10(5 / p)))
    tick = f"{Decimal(10) ** tick_exp:f}"
    lot = f"{Decimal(10) ** lot_exp:f}"
    fields: dict[str, str | int] = {
        "tick_size": tick,
        "lot_size": lot,
        "min_qty": lot,
        "max_leverage": 50,
        "mmr": "0.01",
    }
    fields.update(overrides)
    return InstrumentSpec(**fields)  # type: ignore[arg-type]
