"""The USDT-M perpetuals the Bitget emulator lists, with Bitget's contract facts.

Values follow ``GET /api/v2/mix/market/contracts`` for these symbols (tick from ``pricePlace`` and
``priceEndStep``, lot from ``volumePlace``/``sizeMultiplier``, ``minTradeNum``, ``minTradeUSDT``,
``maxLever``, fee rates) and the first tier of Bitget's position tiers for the maintenance margin
rate. A symbol the table does not know gets generic specs scaled to its price (see :func:`generic`).
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..base import InstrumentSpec

KNOWN: dict[str, InstrumentSpec] = {
    "BTCUSDT": InstrumentSpec(
        tick_size="0.1", lot_size="0.0001", min_qty="0.0001", max_leverage=125, mmr="0.004"
    ),
    "ETHUSDT": InstrumentSpec(
        tick_size="0.01", lot_size="0.01", min_qty="0.01", max_leverage=100, mmr="0.005"
    ),
    "SOLUSDT": InstrumentSpec(
        tick_size="0.001", lot_size="0.1", min_qty="0.1", max_leverage=100, mmr="0.005"
    ),
    "XRPUSDT": InstrumentSpec(tick_size="0.0001", lot_size="1", min_qty="1", max_leverage=100, mmr="0.005"),
    "DOGEUSDT": InstrumentSpec(tick_size="0.00001", lot_size="1", min_qty="1", max_leverage=75, mmr="0.01"),
}


def generic(price: Decimal) -> InstrumentSpec:
    """Specs for an unknown market: about 5 significant digits of price, lots worth ~0.5-5 USDT."""
    p = float(price) if price > 0 else 1.0
    tick_exp = math.floor(math.log10(p)) - 4
    lot_exp = min(0, math.floor(math.log10(5 / p)))
    tick = f"{Decimal(10) ** tick_exp:f}"
    lot = f"{Decimal(10) ** lot_exp:f}"
    return InstrumentSpec(tick_size=tick, lot_size=lot, min_qty=lot, max_leverage=50, mmr="0.01")


def spec_for(market_id: str, price: Decimal) -> InstrumentSpec:
    return KNOWN.get(market_id) or generic(price)
