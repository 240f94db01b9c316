"""The venue facts of the batched env, taken from the emulator's own venue profile and engine config.

Only Bitget USDT-M perpetuals for now (the emulator's Bitget instruments: tick, lot, minimum amount,
minimum notional, fees, maximum leverage, maintenance margin rate; the engine's default spread,
slippage and funding rate, which are the emulator's Bitget defaults).
"""

from __future__ import annotations

from decimal import Decimal

from ...emulator.engine import EngineConfig, Instrument
from ...emulator.venues.bitget.instruments import spec_for
from .accounts import Market


def bitget_instrument(symbol: str, price: float) -> Instrument:
    """The emulator's Bitget instrument for ``symbol`` (``"BTCUSDT"``): the one its engine lists."""
    base = symbol.removesuffix("USDT")
    return spec_for(symbol, Decimal(repr(price))).build(symbol, base, "USDT", "USDT")


def market_of(inst: Instrument, config: EngineConfig) -> Market:
    pm = config.price_model
    rate = (config.funding_rates or {}).get(inst.symbol, config.funding_rate)
    return Market(
        tick=float(inst.tick_size),
        lot=float(inst.lot_size),
        min_qty=float(inst.min_qty),
        min_notional=float(inst.min_notional),
        taker_fee=float(inst.taker_fee),
        mmr=float(inst.mmr),
        spread=float(pm.spread_bps) / 10_000,
        slippage=float(pm.slippage_bps) / 10_000,
        funding_rate=float(rate),
    )
