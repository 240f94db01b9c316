"""Alpaca's position and account routes: list, get, close one, close all; the account's figures.

* A position is found by its symbol (a crypto position by its slash-less symbol ``BTCUSD``: Alpaca
  answers ``/v2/positions/BTC/USD`` with a 404, alpaca-py#537, and so does the emulator) or by its
  asset id. No position: 404 ``40410000`` "position does not exist".
* ``DELETE /v2/positions/{symbol}``: a market order closing all of it, or ``qty`` of it, or
  ``percentage`` (0-100] of it; the answer is that order.
* ``DELETE /v2/positions``: 207 with one ``{"symbol", "status", "body"}`` per position: the closing
  order (200), or Alpaca's refusal (e.g. 403 when open orders hold the shares); ``cancel_orders``
  cancels every open order first.
* Under a ``stale_position`` fault a position read answers what the same read answered before
  (:func:`~..common.positions.stale_aware`).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from ...engine import EngineError
from ...http import CallContext
from ..common.positions import stale_aware
from . import errors
from .common import RoutesBase, endpoint
from .listing import CRYPTO, Symbol, asset_id, parse
from .order_request import flag
from .trading import account_row, order_row, position_row


class PositionRoutes(RoutesBase):
    def _position_symbol(self, text: str) -> Symbol:
        """The replayed market a path segment names (the slash-less crypto symbol, or an asset id)."""
        wanted = None
        if len(text) == 36:
            try:
                wanted = uuid.UUID(text)
            except ValueError:
                wanted = None
        for symbol in self._markets():
            if wanted is not None and asset_id(symbol.market_id) == wanted:
                return symbol
        found = parse(text) if wanted is None and "/" not in text else None
        if found is None or found.market_id not in self.emu.engine.instruments:
            raise errors.POSITION_NOT_FOUND
        return self._listed(found.market_id)

    def _rows(self, account: str) -> list[dict[str, Any]]:
        views = self.emu.engine.spot_positions(account)
        return [position_row(v, self._listed(v.symbol)) for v in views]

    @endpoint("positions", "GET", "/v2/positions", reads_position=True)
    def positions(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        account = ctx.account or ""
        return self._ok(stale_aware(self.emu, ctx, (account, "all"), self._rows(account), []))

    @endpoint("position", "GET", "/v2/positions/{symbol_or_id:path}", reads_position=True)
    def position(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        account = ctx.account or ""
        symbol = self._position_symbol(ctx.request.path_params["symbol_or_id"])
        try:
            fresh: dict[str, Any] | None = position_row(
                self.emu.engine.spot_position(account, symbol.market_id), symbol
            )
        except EngineError:
            fresh = None
        row = stale_aware(self.emu, ctx, (account, symbol.market_id), fresh, None)
        if row is None:
            raise errors.POSITION_NOT_FOUND
        return self._ok(row)

    @endpoint("close_position", "DELETE", "/v2/positions/{symbol_or_id:path}", places_order=True)
    def close_position(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"qty", "percentage"})
        symbol = self._position_symbol(ctx.request.path_params["symbol_or_id"])
        qty, percentage = p.decimal("qty"), p.decimal("percentage")
        if qty is not None and percentage is not None:
            raise errors.invalid_field("only one of qty or percentage is accepted")
        order = self.emu.engine.close_spot_position(
            ctx.account or "", symbol.market_id, qty=qty, percentage=percentage
        )
        return self._ok(order_row(order, symbol, None))

    @endpoint("close_positions", "DELETE", "/v2/positions", places_order=True)
    def close_positions(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"cancel_orders"})
        cancel = bool(flag(p, "cancel_orders"))
        results = self.emu.engine.close_all_spot_positions(ctx.account or "", cancel_orders=cancel)
        rows = []
        for market_id, outcome in results:
            symbol = self._listed(market_id)
            shown = symbol.legacy if symbol.asset_class == CRYPTO else symbol.market_id
            if isinstance(outcome, EngineError):
                err = errors.from_engine(outcome)
                rows.append({"symbol": shown, "status": err.status, "body": err.body()})
            else:
                rows.append({"symbol": shown, "status": 200, "body": order_row(outcome, symbol, None)})
        return self._ok(rows, status=207)

    # ------------------------------------------------------------------ account

    @endpoint("account", "GET", "/v2/account")
    def account(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        engine = self.emu.engine
        name = ctx.account or ""
        view = engine.spot_balance(name)
        acct = engine.spot_account(name)
        return self._ok(
            account_row(name, view, acct.created_ms, engine.now_ms, suspended=acct.orders_suspended)
        )
