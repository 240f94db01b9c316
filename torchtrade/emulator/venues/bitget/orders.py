"""Bitget private order routes: place (plain, plan, TP/SL), look up, list, cancel, close, fills."""

from __future__ import annotations

from collections.abc import Callable
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
    TriggerKind,
    TriggerOrder,
    TriggerRequest,
)
from ...http import CallContext
from ...params import Params
from ..common import routing
from . import common, errors, wire
from .common import RoutesBase, endpoint
from .errors import BitgetError

# Self-trade prevention modes: accepted and ignored (one account never trades against itself here).
STP_MODES = {"none": 0, "cancel_taker": 1, "cancel_maker": 2, "cancel_both": 3}


def _cancelled(done: list[Order] | list[TriggerOrder]) -> dict[str, list[dict[str, str]]]:
    return {"successList": [{"orderId": o.id, "clientOid": o.client_oid} for o in done], "failureList": []}


class OrderRoutes(RoutesBase):
    def _plan_row(self, acct: Account, trig: TriggerOrder) -> dict[str, Any]:
        inst = self.emu.engine.instruments[trig.symbol]
        pos = acct.positions.get((trig.symbol, trig.pos_side)) if trig.pos_side else None
        child = acct.orders.get(trig.order_id) if trig.order_id else None
        return wire.plan_row(trig, inst, pos.qty if pos else None, child)

    # ------------------------------------------------------------------ private: orders

    def _direction(self, acct: Account, p: Params) -> tuple[Side, PositionSide | None, bool]:
        """(trade side, hedge position, reduce-only) from Bitget's side/tradeSide/reduceOnly.

        Hedge mode names the position: ``buy`` + ``open`` opens a long, ``buy`` + ``close`` closes it
        (a sell on the market). One-way mode ignores tradeSide and reads reduceOnly.
        """
        side = p.choice("side", wire.SIDES, required=True)
        trade_side = p.choice("tradeSide", wire.TRADE_SIDES)
        reduce_only = p.choice("reduceOnly", wire.YES_NO, default=False)
        assert side is not None
        if acct.position_mode is PositionMode.HEDGE:
            if trade_side is None:
                raise errors.empty("tradeSide")
            pos_side = PositionSide.of(side)
            if trade_side == "close":
                return side.opposite, pos_side, True
            return side, pos_side, False
        return side, None, bool(reduce_only)

    @endpoint("place_order", "POST", "/api/v2/mix/order/place-order", places_order=True)
    def place_order(self, ctx: CallContext) -> Response:
        p = self._json(
            ctx,
            {
                "symbol",
                "productType",
                "marginMode",
                "marginCoin",
                "size",
                "price",
                "side",
                "tradeSide",
                "orderType",
                "force",
                "clientOid",
                "reduceOnly",
                "presetStopSurplusPrice",
                "presetStopLossPrice",
                "presetStopSurplusExecutePrice",
                "presetStopLossExecutePrice",
                "stpMode",
            },
        )
        inst, acct = self._order_target(ctx, p)
        margin_mode = p.choice("marginMode", wire.MARGIN_MODES, required=True)
        size = p.decimal("size", required=True)
        order_type = p.choice("orderType", wire.ORDER_TYPES, required=True)
        price = p.decimal("price")
        if order_type is OrderType.LIMIT and price is None:
            raise errors.empty("price")
        force = p.choice("force", wire.FORCES, default=wire.FORCES["gtc"])
        side, pos_side, reduce_only = self._direction(acct, p)
        client_oid = common.client_oid(p)
        tp = p.decimal("presetStopSurplusPrice")
        sl = p.decimal("presetStopLossPrice")
        tp_limit = p.decimal("presetStopSurplusExecutePrice", allow_zero=True) or None
        sl_limit = p.decimal("presetStopLossExecutePrice", allow_zero=True) or None
        p.choice("stpMode", STP_MODES)
        ratio = ctx.fill_ratio
        order = self.emu.engine.place_order(
            acct.id,
            OrderRequest(
                symbol=inst.symbol,
                side=side,
                type=order_type,
                qty=size,
                price=price if order_type is OrderType.LIMIT else None,
                tif=force,
                pos_side=pos_side,
                reduce_only=reduce_only,
                margin_mode=margin_mode,
                client_oid=client_oid,
                take_profit=tp,
                stop_loss=sl,
                take_profit_limit=tp_limit,
                stop_loss_limit=sl_limit,
                fill_ratio=Decimal(str(ratio)) if ratio else None,
            ),
        )  # type: ignore[arg-type]
        return self._ok({"orderId": order.id, "clientOid": order.client_oid})

    @endpoint("place_plan_order", "POST", "/api/v2/mix/order/place-plan-order", places_order=True)
    def place_plan_order(self, ctx: CallContext) -> Response:
        p = self._json(
            ctx,
            {
                "planType",
                "symbol",
                "productType",
                "marginMode",
                "marginCoin",
                "size",
                "price",
                "callbackRatio",
                "triggerPrice",
                "triggerType",
                "side",
                "tradeSide",
                "orderType",
                "clientOid",
                "reduceOnly",
                "executePrice",
                "force",
                "stopSurplusTriggerPrice",
                "stopSurplusExecutePrice",
                "stopSurplusTriggerType",
                "stopLossTriggerPrice",
                "stopLossExecutePrice",
                "stopLossTriggerType",
                "stpMode",
            },
        )
        inst, acct = self._order_target(ctx, p)
        plan_type = p.choice(
            "planType", {"normal_plan": "normal_plan", "track_plan": "track_plan"}, required=True
        )
        if plan_type == "track_plan":
            raise BitgetError(
                "40017", "Parameter verification failed: trailing (track_plan) orders are not emulated"
            )
        margin_mode = p.choice("marginMode", wire.MARGIN_MODES, required=True)
        size = p.decimal("size", required=True)
        order_type = p.choice("orderType", wire.ORDER_TYPES, required=True)
        trigger = p.decimal("triggerPrice", required=True)
        trigger_type = p.choice("triggerType", wire.TRIGGER_TYPES, required=True)
        execute = p.decimal("executePrice", allow_zero=True) or p.decimal("price", allow_zero=True) or None
        if order_type is OrderType.LIMIT and execute is None:
            raise errors.empty("executePrice")
        side, pos_side, reduce_only = self._direction(acct, p)
        client_oid = common.client_oid(p)
        tp = p.decimal("stopSurplusTriggerPrice")
        sl = p.decimal("stopLossTriggerPrice")
        for name in ("stopSurplusExecutePrice", "stopLossExecutePrice"):
            p.decimal(name, allow_zero=True)
        for name in ("stopSurplusTriggerType", "stopLossTriggerType"):
            p.choice(name, wire.TRIGGER_TYPES)
        p.choice("force", wire.FORCES)
        p.decimal("callbackRatio")
        p.choice("stpMode", STP_MODES)
        trig = self.emu.engine.place_trigger(
            acct.id,
            TriggerRequest(
                symbol=inst.symbol,
                kind=TriggerKind.PLAN,
                trigger_price=trigger,
                side=side,
                qty=size,  # type: ignore[arg-type]
                execute_price=execute if order_type is OrderType.LIMIT else None,
                pos_side=pos_side,
                reduce_only=reduce_only,
                margin_mode=margin_mode,
                client_oid=client_oid,
                take_profit=tp,
                stop_loss=sl,
                meta={"triggerType": trigger_type},  # type: ignore[dict-item]
            ),
        )
        return self._ok({"orderId": trig.id, "clientOid": trig.client_oid})

    @endpoint(
        "place_tpsl_order",
        "POST",
        "/api/v2/mix/order/place-tpsl-order",
        places_order=True,
        overrides={
            Reason.NO_POSITION: ("40891", "Insufficient position, can not set take profit or stop loss")
        },
    )
    def place_tpsl_order(self, ctx: CallContext) -> Response:
        p = self._json(
            ctx,
            {
                "marginCoin",
                "productType",
                "symbol",
                "planType",
                "triggerPrice",
                "triggerType",
                "executePrice",
                "holdSide",
                "size",
                "rangeRate",
                "clientOid",
                "orderType",
                "force",
                "stpMode",
            },
        )
        inst, acct = self._order_target(ctx, p)
        kind = p.choice("planType", wire.TPSL_PLAN_TYPES, required=True)
        trigger = p.decimal("triggerPrice", required=True)
        trigger_type = p.choice("triggerType", wire.TRIGGER_TYPES, default="mark_price")
        execute = p.decimal("executePrice", allow_zero=True) or None
        hold = p.choice("holdSide", wire.HOLD_SIDES, required=True)
        size = p.decimal("size")
        client_oid = common.client_oid(p)
        order_type = p.choice("orderType", wire.ORDER_TYPES)
        p.choice("force", wire.FORCES)
        p.decimal("rangeRate")
        p.choice("stpMode", STP_MODES)
        if kind in (TriggerKind.PARTIAL_PROFIT, TriggerKind.PARTIAL_LOSS) and size is None:
            raise errors.empty("size")
        trig = self.emu.engine.place_trigger(
            acct.id,
            TriggerRequest(
                symbol=inst.symbol,
                kind=kind,
                trigger_price=trigger,
                qty=size,  # type: ignore[arg-type]
                execute_price=execute if order_type is not OrderType.MARKET else None,
                pos_side=hold,
                client_oid=client_oid,
                meta={"triggerType": trigger_type},  # type: ignore[dict-item]
            ),
        )
        return self._ok({"orderId": trig.id, "clientOid": trig.client_oid})

    @endpoint("order_detail", "GET", "/api/v2/mix/order/detail")
    def order_detail(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "orderId", "clientOid"})
        inst = self._market(p)
        order_id = common.order_id(p)
        client_oid = common.client_oid(p)
        if order_id is None and client_oid is None:
            raise errors.empty("orderId")
        acct = self._account(ctx)
        found = self.emu.engine.find_order(acct.id, order_id=order_id, client_oid=client_oid)
        if not isinstance(found, Order) or found.symbol != inst.symbol:
            # Plan orders have no detail endpoint; an order of another symbol is "not found" too.
            raise EngineError(Reason.ORDER_NOT_FOUND, "")
        return self._ok(wire.order_row(found, inst, "state"))

    def _order_list(self, ctx: CallContext, *, open_: bool) -> Response:
        p = self._query(
            ctx,
            {
                "symbol",
                "productType",
                "orderId",
                "clientOid",
                "status",
                "idLessThan",
                "startTime",
                "endTime",
                "limit",
            },
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        order_id = common.order_id(p)
        client_oid = common.client_oid(p)
        status = (
            p.choice("status", {"live": "live", "partially_filled": "partially_filled"}) if open_ else None
        )
        acct = self._account(ctx)
        orders = [
            o
            for o in (acct.working.values() if open_ else acct.orders.values())
            if (open_ or not o.status.is_open)
            and (inst is None or o.symbol == inst.symbol)
            and (order_id is None or o.id == order_id)
            and (client_oid is None or o.client_oid == client_oid)
            and (status is None or o.status.value == status)
        ]
        page = self._page(orders, p, key=lambda o: o.created_ms, id_of=lambda o: o.id)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = [wire.order_row(o, self.emu.engine.instruments[o.symbol], "status") for o in page]
        return self._ok({"entrustedList": rows or None, "endId": rows[-1]["orderId"] if rows else None})

    @endpoint("orders_pending", "GET", "/api/v2/mix/order/orders-pending")
    def orders_pending(self, ctx: CallContext) -> Response:
        return self._order_list(ctx, open_=True)

    @endpoint("orders_history", "GET", "/api/v2/mix/order/orders-history")
    def orders_history(self, ctx: CallContext) -> Response:
        return self._order_list(ctx, open_=False)

    def _plan_list(self, ctx: CallContext, *, live: bool) -> Response:
        p = self._query(
            ctx,
            {
                "symbol",
                "productType",
                "planType",
                "orderId",
                "clientOid",
                "idLessThan",
                "startTime",
                "endTime",
                "limit",
                "planStatus",
            },
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        kinds = p.choice("planType", {k: v for k, v in wire.PLAN_FILTERS.items()}, required=True)
        order_id = common.order_id(p)
        client_oid = common.client_oid(p)
        p.choice("planStatus", {"executed": 1, "fail_trigger": 2, "cancelled": 3})
        acct = self._account(ctx)
        triggers = [
            t
            for t in (acct.live.values() if live else acct.triggers.values())
            if (live or t.id not in acct.live)
            and t.kind in kinds  # type: ignore[operator]
            and (inst is None or t.symbol == inst.symbol)
            and (order_id is None or t.id == order_id)
            and (client_oid is None or t.client_oid == client_oid)
        ]
        page = self._page(triggers, p, key=lambda t: t.created_ms, id_of=lambda t: t.id)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = [self._plan_row(acct, t) for t in page]
        return self._ok({"entrustedList": rows or None, "endId": rows[-1]["orderId"] if rows else None})

    @endpoint("orders_plan_pending", "GET", "/api/v2/mix/order/orders-plan-pending")
    def orders_plan_pending(self, ctx: CallContext) -> Response:
        return self._plan_list(ctx, live=True)

    @endpoint("orders_plan_history", "GET", "/api/v2/mix/order/orders-plan-history")
    def orders_plan_history(self, ctx: CallContext) -> Response:
        return self._plan_list(ctx, live=False)

    @endpoint(
        "cancel_order",
        "POST",
        "/api/v2/mix/order/cancel-order",
        overrides={Reason.ORDER_NOT_FOUND: errors.CANCEL_NOT_FOUND},
    )
    def cancel_order(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "orderId", "clientOid"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        order_id = common.order_id(p)
        client_oid = common.client_oid(p)
        if order_id is None and client_oid is None:
            raise errors.empty("orderId")
        acct = self._account(ctx)
        found = self.emu.engine.find_order(acct.id, order_id=order_id, client_oid=client_oid)
        if not isinstance(found, Order) or found.symbol != inst.symbol:
            raise EngineError(Reason.ORDER_NOT_FOUND, "")
        order = self.emu.engine.cancel_order(acct.id, order_id=found.id)
        return self._ok({"orderId": order.id, "clientOid": order.client_oid})

    def _cancel_listed(
        self,
        ctx: CallContext,
        acct: Account,
        items: list[Any],
        *,
        match: Callable[[Order | TriggerOrder], bool],
        cancel: Callable[[str], Order | TriggerOrder],
        failure: tuple[str, str],
    ) -> dict[str, list[dict[str, str]]]:
        """Cancel each ``{"orderId"|"clientOid"}`` of an ``orderIdList``; what cannot be cancelled goes to
        the failure list with the venue's code, as Bitget's batch answers do.

        Every entry is validated before the first is cancelled: a refused request changes nothing.
        """
        if not items or len(items) > 50:
            raise errors.bad_param("orderIdList", "1 to 50 entries")
        wanted: list[tuple[str | None, str | None]] = []
        for item in items:
            if not isinstance(item, dict):
                raise errors.bad_param("orderIdList", "each entry is an object")
            entry = routing.remember(ctx, Params(item, {"orderId", "clientOid"}, prefix="orderIdList[]."))
            ids = (common.order_id(entry), common.client_oid(entry))
            if ids == (None, None):
                raise errors.bad_param("orderIdList", "each entry needs orderId or clientOid")
            wanted.append(ids)
        success: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        for order_id, client_oid in wanted:
            try:
                found = self.emu.engine.find_order(acct.id, order_id=order_id, client_oid=client_oid)
                if not match(found):
                    raise EngineError(Reason.ORDER_NOT_FOUND, "")
                done = cancel(found.id)
                success.append({"orderId": done.id, "clientOid": done.client_oid})
            except EngineError:
                code, msg = failure
                failed.append(
                    {
                        "orderId": order_id or "",
                        "clientOid": client_oid or "",
                        "errorMsg": msg,
                        "errorCode": code,
                    }
                )
        return {"successList": success, "failureList": failed}

    @endpoint("cancel_plan_order", "POST", "/api/v2/mix/order/cancel-plan-order")
    def cancel_plan_order(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "orderIdList", "planType"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        self._check_margin_coin(p, inst)
        # Without planType Bitget means normal_plan; ccxt users cancelling a TP/SL by id often omit it,
        # so an id is matched across every plan type (a lookup by id cannot pick the wrong order).
        kinds = p.choice("planType", wire.PLAN_FILTERS)
        items = p.list("orderIdList")
        acct = self._account(ctx)
        eng = self.emu.engine
        if items is None:
            wanted = kinds if kinds is not None else wire.PLAN_FILTERS["normal_plan"]
            done = eng.cancel_all_triggers(acct.id, inst.symbol if inst else None, wanted)
            return self._ok(_cancelled(done))
        return self._ok(
            self._cancel_listed(
                ctx,
                acct,
                items,
                match=lambda o: (
                    isinstance(o, TriggerOrder)
                    and (inst is None or o.symbol == inst.symbol)
                    and (kinds is None or o.kind in kinds)
                ),
                cancel=lambda oid: eng.cancel_trigger(acct.id, trigger_id=oid),
                failure=("43025", "notExistend"),
            )
        )

    @endpoint("batch_cancel", "POST", "/api/v2/mix/order/batch-cancel-orders")
    def batch_cancel(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "orderIdList"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        self._check_margin_coin(p, inst)
        items = p.list("orderIdList")
        acct = self._account(ctx)
        eng = self.emu.engine
        if items is None:
            if inst is None:
                raise errors.empty("symbol")
            return self._ok(_cancelled(eng.cancel_all_orders(acct.id, inst.symbol)))
        return self._ok(
            self._cancel_listed(
                ctx,
                acct,
                items,
                match=lambda o: isinstance(o, Order) and (inst is None or o.symbol == inst.symbol),
                cancel=lambda oid: eng.cancel_order(acct.id, order_id=oid),
                failure=("40768", "Order does not exist"),
            )
        )

    @endpoint("close_positions", "POST", "/api/v2/mix/order/close-positions", places_order=True)
    def close_positions(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "holdSide"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        hold = p.choice("holdSide", {"long": PositionSide.LONG, "short": PositionSide.SHORT})
        acct = self._account(ctx)
        eng = self.emu.engine
        if acct.position_mode is PositionMode.ONE_WAY:
            hold = None  # holdSide is ignored in one-way mode
        symbols = [inst.symbol] if inst else sorted({p_.symbol for p_ in acct.open_positions()})
        targets = [
            s for s in symbols if any(hold is None or pos.side is hold for pos in acct.open_positions(s))
        ]
        if not targets:
            raise EngineError(Reason.NO_POSITION, "")
        success = []
        for s in targets:
            for order in eng.close_positions(acct.id, s, hold):
                success.append({"orderId": order.id, "clientOid": order.client_oid, "symbol": s})
        return self._ok({"successList": success, "failureList": []})

    def _fills(self, ctx: CallContext) -> Response:
        p = self._query(
            ctx, {"symbol", "productType", "orderId", "idLessThan", "startTime", "endTime", "limit"}
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        order_id = common.order_id(p)
        acct = self._account(ctx)
        fills = [
            f
            for f in acct.fills
            if (inst is None or f.symbol == inst.symbol) and (order_id is None or f.order_id == order_id)
        ]
        page = self._page(fills, p, key=lambda f: f.t_ms, id_of=lambda f: f.id)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = []
        for f in page:
            order = acct.orders[f.order_id]
            rows.append(wire.fill_row(f, hedge=order.pos_side is not None))
        return self._ok({"fillList": rows or None, "endId": rows[-1]["tradeId"] if rows else None})

    @endpoint("fills", "GET", "/api/v2/mix/order/fills")
    def fills(self, ctx: CallContext) -> Response:
        return self._fills(ctx)

    @endpoint("fill_history", "GET", "/api/v2/mix/order/fill-history")
    def fill_history(self, ctx: CallContext) -> Response:
        return self._fills(ctx)
