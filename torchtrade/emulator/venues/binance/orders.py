"""Binance private order routes (``/fapi/v1/order`` and friends): place, query, list, cancel, fills.

Conditional orders (STOP_MARKET, TAKE_PROFIT_MARKET, STOP, TAKE_PROFIT) are not taken here any
more: Binance moved them to the algo-order endpoints (:mod:`.algo`) and answers -4120 on this one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...engine import (
    Account,
    EngineError,
    Order,
    OrderRequest,
    OrderType,
    PositionMode,
    PositionSide,
    Reason,
    Side,
    TimeInForce,
)
from ...http import CallContext
from ...params import Params
from . import errors, wire
from .common import WEEK_MS, RoutesBase, ascending_page, endpoint, no_symbol

LIST_LIMIT_DEFAULT = 500
LIST_LIMIT_MAX = 1000
CANCEL_ALL_DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}
ORDER_PARAMS = {
    "symbol",
    "side",
    "positionSide",
    "type",
    "timeInForce",
    "quantity",
    "reduceOnly",
    "price",
    "newClientOrderId",
    "stopPrice",
    "closePosition",
    "activationPrice",
    "callbackRate",
    "workingType",
    "priceProtect",
    "newOrderRespType",
    "priceMatch",
    "selfTradePreventionMode",
    "goodTillDate",
}


class OrderRoutes(RoutesBase):
    def _order_row(self, acct: Account, order: Order) -> dict[str, Any]:
        trigger = acct.triggers.get(order.trigger_id) if order.trigger_id else None
        return wire.order_row(order, trigger)

    def _direction(self, acct: Account, p: Params, side: Side) -> tuple[PositionSide | None, bool]:
        """(hedge position, reduce-only) from ``positionSide`` and ``reduceOnly``.

        One-way mode takes ``BOTH`` (the default) and reads ``reduceOnly``; hedge mode needs
        ``LONG``/``SHORT`` (-4061 otherwise) and refuses ``reduceOnly`` (-1106): an order against
        its position side closes it, so it is reduce-only by nature.
        """
        named = p.choice("positionSide", wire.POSITION_SIDES, default="BOTH")
        reduce_only = self._bool(p, "reduceOnly")
        if acct.position_mode is PositionMode.HEDGE:
            if named == "BOTH":
                raise errors.POSITION_SIDE_MISMATCH
            if reduce_only:
                raise errors.not_required("reduceOnly")
            pos_side = wire.HEDGE_SIDES[named]  # type: ignore[index]
            return pos_side, side is not pos_side.opening_side
        if named != "BOTH":
            raise errors.POSITION_SIDE_MISMATCH
        return None, bool(reduce_only)

    def _check_hedge_close(
        self, acct: Account, symbol: str, pos_side: PositionSide | None, qty: Decimal
    ) -> None:
        """A hedge-mode close may not exceed its position (-2022), as a reduce-only order may not."""
        if pos_side is None:
            return
        pos = acct.positions.get((symbol, pos_side))
        if pos is None or not pos.is_open or qty > pos.qty:
            raise errors.REDUCE_ONLY_REJECTED

    @endpoint("place_order", "POST", "/fapi/v1/order", places_order=True, weight=1)
    def place_order(self, ctx: CallContext) -> Response:
        p = self._params(ctx, ORDER_PARAMS)
        inst = self._market(ctx, p)
        side = p.choice("side", wire.SIDES, required=True)
        type_text = p.str("type", required=True, max_len=32)
        if type_text in wire.ALGO_ORDER_TYPES:
            raise errors.USE_ALGO_ENDPOINT
        order_type = wire.ORDER_TYPES.get(type_text)  # type: ignore[arg-type]
        if order_type is None:
            raise errors.INVALID_TYPE
        acct = self._account(ctx)
        pos_side, reduce_only = self._direction(acct, p, side)  # type: ignore[arg-type]
        qty = self._quantity(p, inst)
        price = self._price(p, inst)
        tif = p.choice("timeInForce", wire.TIME_IN_FORCE)
        if order_type is OrderType.LIMIT:
            if price is None:
                raise errors.mandatory("price")
            if tif is None:
                raise errors.mandatory("timeInForce")
        elif price is not None:
            raise errors.not_required("price")
        if tif == "GTD":
            raise errors.invalid_data("timeInForce", "GTD is not emulated; use GTC, IOC, FOK or GTX")
        for name in ("closePosition",):
            if self._bool(p, name):
                raise errors.not_required(name)
        for name in ("stopPrice", "activationPrice", "callbackRate"):
            if p.raw(name) is not None:
                p.decimal(name)
                raise errors.not_required(name)
        client_id = self._client_id(p, "newClientOrderId")
        p.choice("workingType", wire.WORKING_TYPES)
        self._bool(p, "priceProtect")
        p.choice("newOrderRespType", wire.RESPONSE_TYPES)
        stp = p.choice("selfTradePreventionMode", wire.SELF_TRADE_MODES)
        match = p.choice("priceMatch", wire.PRICE_MATCH)
        if match not in (None, "NONE"):
            raise errors.invalid_data("priceMatch", "price matching is not emulated")
        p.int("goodTillDate", lo=0)
        if pos_side is not None and reduce_only:
            self._check_hedge_close(acct, inst.symbol, pos_side, qty)  # type: ignore[arg-type]
        ratio = ctx.fill_ratio
        order = self.emu.engine.place_order(
            acct.id,
            OrderRequest(
                symbol=inst.symbol,
                side=side,  # type: ignore[arg-type]
                type=order_type,
                qty=qty,  # type: ignore[arg-type]
                price=price if order_type is OrderType.LIMIT else None,
                tif=tif if isinstance(tif, TimeInForce) else TimeInForce.GTC,
                pos_side=pos_side,
                reduce_only=reduce_only,
                client_oid=client_id,
                fill_ratio=Decimal(str(ratio)) if ratio else None,
                meta={"selfTradePreventionMode": stp} if stp else None,
            ),
        )
        return self._ok(self._order_row(acct, order))

    def _order_lookup(self, ctx: CallContext, p: Params) -> tuple[Account, Order]:
        inst = self._market(ctx, p)
        order_id = self._id(p, "orderId")
        client_id = self._client_id(p, "origClientOrderId")
        if order_id is None and client_id is None:
            raise errors.either("orderId", "origClientOrderId")
        acct = self._account(ctx)
        order = self._find(acct, order_id, client_id, Order)
        if order.symbol != inst.symbol:
            raise EngineError(Reason.ORDER_NOT_FOUND, "order of another symbol")
        return acct, order

    @endpoint("query_order", "GET", "/fapi/v1/order", weight=1)
    def query_order(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "orderId", "origClientOrderId"})
        acct, order = self._order_lookup(ctx, p)
        return self._ok(self._order_row(acct, order))

    @endpoint("query_open_order", "GET", "/fapi/v1/openOrder", weight=1)
    def query_open_order(self, ctx: CallContext) -> Response:
        """An open order; a filled or cancelled one is "Order does not exist" (-2013), as on Binance."""
        p = self._params(ctx, {"symbol", "orderId", "origClientOrderId"})
        acct, order = self._order_lookup(ctx, p)
        if not order.status.is_open:
            raise errors.ORDER_DOES_NOT_EXIST
        return self._ok(self._order_row(acct, order))

    @endpoint(
        "cancel_order",
        "DELETE",
        "/fapi/v1/order",
        weight=1,
        overrides={Reason.ORDER_NOT_FOUND: errors.UNKNOWN_ORDER},
    )
    def cancel_order(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "orderId", "origClientOrderId"})
        acct, order = self._order_lookup(ctx, p)
        done = self.emu.engine.cancel_order(acct.id, order_id=order.id)
        return self._ok(self._order_row(acct, done))

    @endpoint("cancel_all_orders", "DELETE", "/fapi/v1/allOpenOrders", weight=1)
    def cancel_all_orders(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._market(ctx, p)
        self.emu.engine.cancel_all_orders(ctx.account, inst.symbol)  # type: ignore[arg-type]
        return self._ok(CANCEL_ALL_DONE)

    @endpoint("open_orders", "GET", "/fapi/v1/openOrders", weight=no_symbol(1, 40))
    def open_orders(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._symbol(ctx, p, required=False)
        acct = self._account(ctx)
        orders = sorted(
            (o for o in acct.working.values() if inst is None or o.symbol == inst.symbol),
            key=lambda o: (o.created_ms, int(o.id)),
        )
        return self._ok([self._order_row(acct, o) for o in orders])

    @endpoint("all_orders", "GET", "/fapi/v1/allOrders", weight=5)
    def all_orders(self, ctx: CallContext) -> Response:
        """Every order of a symbol (the last 7 days on Binance; all of them here), ascending;
        ``orderId`` pages forward from that order."""
        p = self._params(ctx, {"symbol", "orderId", "startTime", "endTime", "limit"})
        inst = self._symbol(ctx, p, required=False)
        from_id = p.int("orderId", lo=0)
        start, end = self._window(p, max_span_ms=WEEK_MS)
        limit = p.int("limit", default=LIST_LIMIT_DEFAULT, lo=1, hi=LIST_LIMIT_MAX) or LIST_LIMIT_DEFAULT
        acct = self._account(ctx)
        page = ascending_page(
            (o for o in acct.orders.values() if inst is None or o.symbol == inst.symbol),
            key=lambda o: o.created_ms,
            id_of=lambda o: int(o.id),
            start=start,
            end=end,
            from_id=from_id,
            limit=limit,
        )
        return self._ok([self._order_row(acct, o) for o in page])

    @endpoint("user_trades", "GET", "/fapi/v1/userTrades", weight=5)
    def user_trades(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "orderId", "startTime", "endTime", "fromId", "limit"})
        inst = self._market(ctx, p)
        order_id = self._id(p, "orderId")
        from_id = p.int("fromId", lo=0)
        start, end = self._window(p, max_span_ms=WEEK_MS)
        if from_id is not None and (start is not None or end is not None):
            raise errors.BinanceError(-1128, "Combination of optional parameters invalid.")
        limit = p.int("limit", default=LIST_LIMIT_DEFAULT, lo=1, hi=LIST_LIMIT_MAX) or LIST_LIMIT_DEFAULT
        acct = self._account(ctx)
        fills = (
            f for f in acct.fills if f.symbol == inst.symbol and (order_id is None or f.order_id == order_id)
        )
        page = ascending_page(
            fills,
            key=lambda f: f.t_ms,
            id_of=lambda f: int(f.id),
            start=start,
            end=end,
            from_id=from_id,
            limit=limit,
        )
        return self._ok(
            [wire.user_trade_row(f, hedge=acct.orders[f.order_id].pos_side is not None) for f in page]
        )
