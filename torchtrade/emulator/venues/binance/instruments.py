"""The USD-M perpetuals the Binance emulator lists, with Binance's contract facts.

Values follow ``GET /fapi/v1/exchangeInfo`` for these symbols (``PRICE_FILTER.tickSize``,
``LOT_SIZE.stepSize``/``minQty``, ``MIN_NOTIONAL.notional``, the legacy ``pricePrecision``), the
first bracket of ``GET /fapi/v1/leverageBracket`` (maximum leverage and maintenance margin rate) and
Binance's regular USD-M fee rates (0.02 % maker, 0.05 % taker). A symbol the table does not know gets
generic specs scaled to its price, with Binance's fees and a 5 USDT minimum notional.

Simulation choice: one leverage bracket per symbol (the engine has one maintenance tier), served
by the leverage-bracket route with a notional cap that no emulated position reaches.
"""

from __future__ import annotations

from decimal import Decimal

from ..base import InstrumentSpec
from ..common.instruments import generic

MAKER = "0.0002"
TAKER = "0.0005"


def _spec(
    tick: str, lot: str, notional: str, leverage: int, mmr: str, price_precision: int
) -> InstrumentSpec:
    return InstrumentSpec(
        tick_size=tick,
        lot_size=lot,
        min_qty=lot,
        max_leverage=leverage,
        mmr=mmr,
        min_notional=notional,
        maker_fee=MAKER,
        taker_fee=TAKER,
        extra={"pricePrecision": str(price_precision)},
    )


KNOWN: dict[str, InstrumentSpec] = {
    "BTCUSDT": _spec("0.1", "0.001", "100", 125, "0.004", 2),
    "ETHUSDT": _spec("0.01", "0.001", "20", 125, "0.004", 2),
    "SOLUSDT": _spec("0.01", "1", "5", 100, "0.005", 4),
    "XRPUSDT": _spec("0.0001", "0.1", "5", 100, "0.005", 4),
    "DOGEUSDT": _spec("0.00001", "1", "5", 75, "0.005", 6),
}


def spec_for(market_id: str, price: Decimal) -> InstrumentSpec:
    return KNOWN.get(market_id) or generic(price, min_notional="5", maker_fee=MAKER, taker_fee=TAKER)


def price_precision(market_id: str, tick_decimals: int) -> int:
    """The most decimals a price may carry (Binance's ``pricePrecision``; -1111 beyond it)."""
    spec = KNOWN.get(market_id)
    return int(spec.extra["pricePrecision"]) if spec is not None else tick_decimals
