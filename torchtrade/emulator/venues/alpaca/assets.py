"""Alpaca's assets routes: the list (filtered) and one asset by symbol or id.

The emulator lists what it replays (each data file is one asset, all ``active`` and ``tradable``):
a symbol it does not replay is "asset not found" (404), as an unknown one is on Alpaca. Flags come
from the listing (:mod:`.listing`), sizes from the engine's instruments (what orders are held to).
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from ...http import CallContext
from . import errors, wire
from .common import RoutesBase, endpoint
from .listing import Symbol, asset_id, facts, parse

STATUSES = {"active": "active", "inactive": "inactive"}
CLASSES = {c: c for c in ("us_equity", "us_option", "crypto", "crypto_perp")}
EXCHANGES = {
    e: e
    for e in ("AMEX", "ARCA", "ASCX", "BATS", "NYSE", "NASDAQ", "NYSEARCA", "OTC", "CRYPTO", "FTXU", "CBSE")
}
MAX_ATTRIBUTES_TEXT = 512


class AssetRoutes(RoutesBase):
    def _asset_row(self, symbol: Symbol) -> dict[str, object]:
        engine = self.emu.engine
        inst = engine.spot_instruments[symbol.market_id]
        return wire.asset_row(symbol, facts(symbol), inst, self._last(symbol.market_id))

    @endpoint("assets", "GET", "/v2/assets")
    def assets(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"status", "asset_class", "exchange", "attributes"})
        status = p.choice("status", STATUSES)
        asset_class = p.choice("asset_class", CLASSES)
        exchange = p.choice("exchange", EXCHANGES)
        attributes = p.str("attributes", max_len=MAX_ATTRIBUTES_TEXT) or ""
        wanted = {a.strip() for a in attributes.split(",")} - {""}
        rows = []
        for symbol in self._markets():
            row = self._asset_row(symbol)
            if status is not None and row["status"] != status:
                continue
            if asset_class is not None and row["class"] != asset_class:
                continue
            if exchange is not None and row["exchange"] != exchange:
                continue
            if wanted and not wanted & set(row["attributes"]):  # type: ignore[call-overload]
                continue
            rows.append(row)
        return self._ok(rows)

    def _find(self, text: str) -> Symbol:
        """The replayed market a path segment names: its symbol (``BTC/USD`` or ``BTCUSD``) or asset id."""
        try:
            wanted = uuid.UUID(text) if len(text) == 36 else None
        except ValueError:
            wanted = None
        for symbol in self._markets():
            if wanted is not None and asset_id(symbol.market_id) == wanted:
                return symbol
        found = parse(text) if wanted is None else None
        if found is None or found.market_id not in self.emu.engine.instruments:
            raise errors.ASSET_NOT_FOUND
        return self._listed(found.market_id)

    @endpoint("asset", "GET", "/v2/assets/{symbol_or_id:path}")
    def asset(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        return self._ok(self._asset_row(self._find(ctx.request.path_params["symbol_or_id"])))
