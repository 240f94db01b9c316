"""Alpaca's snapshots (stocks and crypto) and the latest crypto order book, at the emulator's present.

A snapshot gathers what the other routes serve, so the two always agree (nothing after the present):

* ``latestTrade`` / ``latestQuote``: the latest trade and quote (:mod:`.market`).
* ``minuteBar``: the latest bar (the newest closed base bar that traded).
* ``dailyBar``: the newest daily bar that traded, the present's day while it forms (a stock's regular
  session so far, a crypto pair's UTC day so far); ``prevDailyBar`` the one before it.

Stocks (``/v2/stocks/snapshots``) answer the symbols at the top level, crypto
(``/v1beta3/crypto/us/snapshots``) under ``snapshots``, as alpaca-py reads them. A symbol the
emulator does not replay has no entry.

**Order book** (``/v1beta3/crypto/us/latest/orderbooks``): synthetic, as every emulated book. Its
best bid and ask are the latest quote's (price and size); :data:`LEVELS` levels a side, one price
increment apart, each holding half the touch's size more than the one before. Fills never walk it
(the engine fills at the touch).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...http import CallContext
from . import times, wire
from .bars import Timeframe, buckets
from .common import endpoint
from .listing import CRYPTO, US_EQUITY, Symbol
from .market import CRYPTO_LATEST_PARAMS, STOCK_LATEST_PARAMS, MarketRoutes

DAY = Timeframe(1, "Day")
LEVELS = 20
TWO = Decimal(2)


class SnapshotRoutes(MarketRoutes):
    def _daily_bars(self, symbol: Symbol) -> list[dict[str, Any]]:
        """The newest two daily bars that traded, newest first."""
        series = self.emu.series[symbol.market_id]
        tz = times.UTC if symbol.asset_class == CRYPTO else times.NEW_YORK
        now = self.emu.engine.now_ms
        out = []
        for bucket in buckets(series, DAY, tz, now, start_ms=0, end_ms=now, descending=True):
            out.append(wire.bar_row(bucket))
            if len(out) == 2:
                break
        return out

    def _snapshot(self, symbol: Symbol) -> dict[str, Any]:
        days = self._daily_bars(symbol)
        return {
            "latestTrade": self._latest_trade(symbol),
            "latestQuote": self._latest_quote(symbol),
            "minuteBar": self._latest_bar(symbol),
            "dailyBar": days[0] if days else None,
            "prevDailyBar": days[1] if len(days) > 1 else None,
        }

    def _snapshots(self, ctx: CallContext, asset_class: str) -> dict[str, Any]:
        p = self._query(ctx, STOCK_LATEST_PARAMS if asset_class == US_EQUITY else CRYPTO_LATEST_PARAMS)
        symbols = self._data_symbols(p, asset_class)
        if asset_class == US_EQUITY:
            self._latest_options(p)
        return {s.market_id: self._snapshot(s) for s in symbols if self._replayed(s)}

    @endpoint("stock_snapshots", "GET", "/v2/stocks/snapshots", api="data")
    def stock_snapshots(self, ctx: CallContext) -> Response:
        return self._ok(self._snapshots(ctx, US_EQUITY))

    @endpoint("crypto_snapshots", "GET", "/v1beta3/crypto/us/snapshots", api="data", auth=False)
    def crypto_snapshots(self, ctx: CallContext) -> Response:
        return self._ok({"snapshots": self._snapshots(ctx, CRYPTO)})

    # ------------------------------------------------------------------ order book

    def _book(self, symbol: Symbol) -> dict[str, Any]:
        eng = self.emu.engine
        inst = eng.spot_instruments[symbol.market_id]
        bid, ask = self._touch(symbol.market_id)
        touch = self._crypto_size(symbol, ask)
        step = touch / TWO
        asks = [(ask + i * inst.tick(ask), touch + i * step) for i in range(LEVELS)]
        bids = [(bid - i * inst.tick(bid), touch + i * step) for i in range(LEVELS)]
        return {
            "t": times.rfc3339_micro(eng.now_ms),
            "b": [{"p": wire.number(p), "s": wire.number(inst.floor_qty(s))} for p, s in bids if p > 0],
            "a": [{"p": wire.number(p), "s": wire.number(inst.floor_qty(s))} for p, s in asks],
        }

    @endpoint(
        "crypto_latest_orderbooks", "GET", "/v1beta3/crypto/us/latest/orderbooks", api="data", auth=False
    )
    def crypto_latest_orderbooks(self, ctx: CallContext) -> Response:
        p = self._query(ctx, CRYPTO_LATEST_PARAMS)
        symbols = self._data_symbols(p, CRYPTO)
        return self._ok({"orderbooks": {s.market_id: self._book(s) for s in symbols if self._replayed(s)}})
