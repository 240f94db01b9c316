"""Alpaca's watchlists: create, list, get, replace, add an asset, remove one, delete, per account.

Watchlists live in the wire's per-run state (gone on a reset, as every account is) and hold the
assets the emulator lists, i.e. the symbols it replays (``/v2/assets``):

* ``POST /v2/watchlists`` ``{name, symbols}``: a name of 1-64 characters, unique in the account (else
  422 ``40010001`` "watchlist name must be unique"); every symbol a listed asset (else 422
  ``40010001`` "asset not found: ZZZZ", Alpaca-API#91). A symbol given twice is kept once.
* ``GET /v2/watchlists``: every watchlist, oldest first, without its assets (as Alpaca answers the
  list); ``GET /v2/watchlists/{id}`` one, with its assets. An unknown id is a 404 ``40410000``
  "watchlist not found"; an id that is not a UUID a 422.
* ``PUT /v2/watchlists/{id}`` ``{name?, symbols?}``: replaces the name and/or the whole list.
* ``POST /v2/watchlists/{id}`` ``{symbol}``: appends it (already there: unchanged).
* ``DELETE /v2/watchlists/{id}/{symbol}``: removes it and answers the watchlist; a symbol not on it
  is a 404 ``40410000`` (the emulator's text). ``DELETE /v2/watchlists/{id}``: 204.

Ids are UUIDs derived from the account, the run and a counter (the same on every run of a test).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from ...http import CallContext
from ...params import ParamError, Params, Problem, is_valid_text, printable
from . import errors, times
from .assets import AssetRoutes
from .common import endpoint
from .listing import Symbol, parse
from .trading import account_id

NAME_MAX = 64
SYMBOLS_MAX = 1000
_NAMESPACE = uuid.UUID("3f1c2b9e-1d55-4f7a-8f0e-2a6c4b8d9e10")  # the emulator's watchlists


@dataclass(slots=True)
class Watchlist:
    id: str
    account: str
    name: str
    created_ms: int
    updated_ms: int
    symbols: list[str] = field(default_factory=list)


class WatchlistRoutes(AssetRoutes):
    """Over the assets routes: a watchlist answers its assets as ``/v2/assets`` does."""

    # ------------------------------------------------------------------ state

    def _lists(self, account: str) -> dict[str, Watchlist]:
        table = self.emu.wire_cache.setdefault("watchlists", {})
        return table.setdefault(account, {})

    def _find_list(self, ctx: CallContext) -> Watchlist:
        text = ctx.request.path_params["watchlist_id"]
        try:
            wanted = str(uuid.UUID(text)) if len(text) == 36 else None
        except ValueError:
            wanted = None
        if wanted is None:
            raise errors.invalid_field("invalid watchlist_id")
        found = self._lists(ctx.account or "").get(wanted)
        if found is None:
            raise errors.WATCHLIST_NOT_FOUND
        return found

    # ------------------------------------------------------------------ parameters

    def _asset(self, value: Any) -> Symbol:
        """A listed asset named by ``value`` (``SPY``, ``BTC/USD`` or ``BTCUSD``)."""
        text = value if isinstance(value, str) and is_valid_text(value) else ""
        found = parse(text)
        if found is None or found.market_id not in self.emu.engine.instruments:
            raise errors.invalid_field(f"asset not found: {printable(text)}")
        return self._listed(found.market_id)

    def _watched(self, p: Params) -> list[str] | None:
        values = p.list("symbols")
        if values is None:
            return None
        if len(values) > SYMBOLS_MAX:
            raise ParamError(Problem.INVALID, "symbols")
        out: list[str] = []
        for v in values:
            market_id = self._asset(v).market_id
            if market_id not in out:
                out.append(market_id)
        return out

    def _name(self, p: Params, account: str, *, required: bool, keep: str | None = None) -> str | None:
        name = p.str("name", required=required, max_len=NAME_MAX)
        if name is not None and any(w.name == name and w.id != keep for w in self._lists(account).values()):
            raise errors.invalid_field("watchlist name must be unique")
        return name

    # ------------------------------------------------------------------ answers

    def _row(self, w: Watchlist, *, assets: bool = True) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": w.id,
            "account_id": str(account_id(w.account)),
            "name": w.name,
            "created_at": times.rfc3339_micro(w.created_ms),
            "updated_at": times.rfc3339_micro(w.updated_ms),
        }
        if assets:
            row["assets"] = [self._asset_row(self._listed(s)) for s in w.symbols]
        return row

    # ------------------------------------------------------------------ routes

    @endpoint("create_watchlist", "POST", "/v2/watchlists")
    def create_watchlist(self, ctx: CallContext) -> Response:
        p = self._body(ctx, {"name", "symbols"})
        account = ctx.account or ""
        name = self._name(p, account, required=True)
        symbols = self._watched(p) or []
        lists = self._lists(account)
        serial = self.emu.wire_cache.setdefault("watchlist_serial", [0])
        serial[0] += 1
        wid = str(uuid.uuid5(_NAMESPACE, f"{account}/{self.emu.run_id}/{serial[0]}"))
        now = self.emu.engine.now_ms
        lists[wid] = Watchlist(wid, account, name or "", now, now, symbols)
        return self._ok(self._row(lists[wid]))

    @endpoint("watchlists", "GET", "/v2/watchlists")
    def watchlists(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        return self._ok([self._row(w, assets=False) for w in self._lists(ctx.account or "").values()])

    @endpoint("watchlist", "GET", "/v2/watchlists/{watchlist_id}")
    def watchlist(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        return self._ok(self._row(self._find_list(ctx)))

    @endpoint("update_watchlist", "PUT", "/v2/watchlists/{watchlist_id}")
    def update_watchlist(self, ctx: CallContext) -> Response:
        p = self._body(ctx, {"name", "symbols"})
        w = self._find_list(ctx)
        name = self._name(p, w.account, required=False, keep=w.id)
        symbols = self._watched(p)
        if name is None and symbols is None:
            raise errors.invalid_field("name or symbols is required")
        w.name = name if name is not None else w.name
        w.symbols = symbols if symbols is not None else w.symbols
        w.updated_ms = self.emu.engine.now_ms
        return self._ok(self._row(w))

    @endpoint("add_to_watchlist", "POST", "/v2/watchlists/{watchlist_id}")
    def add_to_watchlist(self, ctx: CallContext) -> Response:
        p = self._body(ctx, {"symbol"})
        w = self._find_list(ctx)
        if p.raw("symbol") is None:
            raise ParamError(Problem.MISSING, "symbol")
        market_id = self._asset(p.raw("symbol")).market_id
        if market_id not in w.symbols:
            w.symbols.append(market_id)
            w.updated_ms = self.emu.engine.now_ms
        return self._ok(self._row(w))

    @endpoint("remove_from_watchlist", "DELETE", "/v2/watchlists/{watchlist_id}/{symbol:path}")
    def remove_from_watchlist(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        w = self._find_list(ctx)
        text = ctx.request.path_params["symbol"]
        found = parse(text)
        if found is None or found.market_id not in w.symbols:
            raise errors.AlpacaError(40410000, f"{printable(text)} is not in the watchlist", status=404)
        w.symbols.remove(found.market_id)
        w.updated_ms = self.emu.engine.now_ms
        return self._ok(self._row(w))

    @endpoint("delete_watchlist", "DELETE", "/v2/watchlists/{watchlist_id}")
    def delete_watchlist(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        w = self._find_list(ctx)
        del self._lists(w.account)[w.id]
        return Response(status_code=204)
