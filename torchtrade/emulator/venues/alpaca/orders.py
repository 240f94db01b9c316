"""Alpaca's order routes: place, get (by id or client id), list, replace, cancel one, cancel all.

Handlers parse (:mod:`.order_request`), call the engine's spot verbs and serialise
(:mod:`.trading`). What the engine decides about an order (admission, queueing while the market is
closed, fills, legs) is documented in ``engine/spot``; what is the wire's own:

* ``GET /v2/orders``: ``status`` open (default), closed or all; ``limit`` 1..500 (default 50);
  ``after``/``until`` RFC-3339 (exclusive); ``direction`` desc (default) or asc; ``symbols`` a comma
  list (``BTC/USD`` or ``BTCUSD``); ``side``; ``nested``: a bracket's legs under its ``legs`` instead
  of listed as orders of their own (they are listed either way on ``status=all``).
* ``GET /v2/orders/{id}``: ``nested`` puts the legs under the order, else ``legs`` is null. An id that
  is not a UUID is a 422 (Alpaca-API#135), an unknown one a 404.
* ``DELETE /v2/orders/{id}``: 204 with no body; an order no longer open is a 422.
* ``DELETE /v2/orders``: 207 with one ``{"id", "status": 200, "body": <order>}`` per order canceled.
* A ``partial_fill`` fault on ``place_order`` fills that part of a quantity order at once and the
  rest on a later bar (``partially_filled`` meanwhile).
"""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...engine.spot.models import SpotOrder
from ...engine.spot.types import OrderQueryStatus
from ...engine.types import Side
from ...http import CallContext
from ...params import Params
from ..common import routing
from . import errors
from .common import RoutesBase, endpoint
from .configurations import check_fractions
from .listing import parse
from .order_request import ORDER_FIELDS, REPLACE_FIELDS, flag, order_request, replace_terms
from .trading import order_row

STATUSES = {s.value: s for s in OrderQueryStatus}
DIRECTIONS = {"asc": True, "desc": False}
SIDES = {"buy": Side.BUY, "sell": Side.SELL}
LIST_LIMIT_DEFAULT = 50
LIST_LIMIT_MAX = 500
LIST_FIELDS = {"status", "limit", "after", "until", "direction", "nested", "symbols", "side"}
MAX_SYMBOLS_TEXT = 4096


class OrderRoutes(RoutesBase):
    def _order(self, order: SpotOrder, *, nested: bool) -> dict[str, Any]:
        legs = None
        if nested and order.legs:
            kids = self.emu.engine.spot_order_legs(order.account, order)
            legs = [order_row(k, self._listed(k.symbol), None) for k in kids]
        return order_row(order, self._listed(order.symbol), legs)

    @staticmethod
    def _order_id(ctx: CallContext) -> str:
        text = ctx.request.path_params["order_id"]
        try:
            return str(uuid.UUID(text)) if len(text) == 36 else _bad_id()
        except ValueError:
            return _bad_id()

    # ------------------------------------------------------------------ place

    @endpoint("place_order", "POST", "/v2/orders", places_order=True)
    def place_order(self, ctx: CallContext) -> Response:
        p = self._body(ctx, set(ORDER_FIELDS))
        req, symbol, nested = order_request(p)
        for inner in nested:
            routing.remember(ctx, inner)
        check_fractions(self.emu, ctx.account or "", req, symbol.asset_class)
        if ctx.fill_ratio is not None:  # a partial_fill fault: part now, the rest on a later bar
            req = dataclasses.replace(req, fill_ratio=Decimal(str(ctx.fill_ratio)))
        order = self.emu.engine.submit_spot_order(ctx.account, req)  # type: ignore[arg-type]
        return self._ok(self._order(order, nested=True))

    # ------------------------------------------------------------------ read

    @endpoint("orders", "GET", "/v2/orders")
    def orders(self, ctx: CallContext) -> Response:
        p = self._query(ctx, LIST_FIELDS)
        status = p.choice("status", STATUSES, default=OrderQueryStatus.OPEN)
        limit = p.int("limit", lo=1, hi=LIST_LIMIT_MAX, default=LIST_LIMIT_DEFAULT)
        nested = bool(flag(p, "nested"))
        rows = self.emu.engine.list_spot_orders(
            ctx.account,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            limit=limit,
            after_ms=self._instant(p, "after"),
            until_ms=self._instant(p, "until"),
            ascending=bool(p.choice("direction", DIRECTIONS, default=False)),
            symbols=self._symbols_filter(p),
            side=p.choice("side", SIDES),
            nested=nested,
        )
        return self._ok([self._order(o, nested=nested) for o in rows])

    @staticmethod
    def _symbols_filter(p: Params) -> list[str] | None:
        text = p.str("symbols", max_len=MAX_SYMBOLS_TEXT)
        if text is None:
            return None
        out = []
        for item in text.split(","):
            found = parse(item.strip())
            if found is not None:  # a symbol the account cannot have ordered matches nothing
                out.append(found.market_id)
        return out

    @endpoint("order", "GET", "/v2/orders/{order_id}")
    def order(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"nested"})
        order_id = self._order_id(ctx)
        order = self.emu.engine.get_spot_order(ctx.account, order_id=order_id)  # type: ignore[arg-type]
        return self._ok(self._order(order, nested=bool(flag(p, "nested"))))

    @endpoint("order_by_client_id", "GET", "/v2/orders:by_client_order_id")
    def order_by_client_id(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"client_order_id", "nested"})
        client_id = p.str("client_order_id", required=True, max_len=256)
        order = self.emu.engine.get_spot_order(ctx.account, client_order_id=client_id)  # type: ignore[arg-type]
        return self._ok(self._order(order, nested=bool(flag(p, "nested"))))

    # ------------------------------------------------------------------ change

    @endpoint("replace_order", "PATCH", "/v2/orders/{order_id}", places_order=True)
    def replace_order(self, ctx: CallContext) -> Response:
        p = self._body(ctx, set(REPLACE_FIELDS))
        order_id = self._order_id(ctx)
        terms = replace_terms(p)
        engine = self.emu.engine
        old = engine.get_spot_order(ctx.account, order_id=order_id)  # type: ignore[arg-type]
        if not old.is_open:
            raise errors.order_in_state(old.status.value)
        new = engine.replace_spot_order(ctx.account, order_id, **terms)  # type: ignore[arg-type]
        return self._ok(self._order(new, nested=True))

    @endpoint("cancel_order", "DELETE", "/v2/orders/{order_id}")
    def cancel_order(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        order_id = self._order_id(ctx)
        engine = self.emu.engine
        order = engine.get_spot_order(ctx.account, order_id=order_id)  # type: ignore[arg-type]
        if not order.is_open:
            raise errors.order_in_state(order.status.value)
        engine.cancel_spot_order(ctx.account, order_id)  # type: ignore[arg-type]
        return Response(status_code=204)

    @endpoint("cancel_orders", "DELETE", "/v2/orders")
    def cancel_orders(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        canceled = self.emu.engine.cancel_all_spot_orders(ctx.account)  # type: ignore[arg-type]
        rows = [{"id": o.id, "status": 200, "body": self._order(o, nested=False)} for o in canceled]
        return self._ok(rows, status=207)


def _bad_id() -> str:
    raise errors.invalid_field("order_id is missing")
