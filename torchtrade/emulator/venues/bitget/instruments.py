"""The USDT-M perpetuals the Bitget emulator lists, with Bitget's contract facts.

Values follow ``GET /api/v2/mix/market/contracts`` for these symbols (tick from ``pricePlace`` and
``priceEndStep``, lot from ``volumePlace``/``sizeMultiplier``, ``minTradeNum``, ``minTradeUSDT``,
``maxLever``, fee rates) and the first tier of Bitget's position tiers for the maintenance margin
rate. A symbol the table does not know gets generic specs scaled to its price
(:func:`..common.instruments.generic`), with the fees and minimum notional that
:class:`~..base.InstrumentSpec` defaults to (Bitget's).
"""

from __future__ import annotations

from decimal import Decimal

from ..base import InstrumentSpec
from ..common.instruments import generic

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


def spec_for(market_id: str, price: Decimal) -> InstrumentSpec:
    return KNOWN.get(market_id) or generic(price)
