"""Binance conditional orders (the algo-order endpoints, ``algoType=CONDITIONAL``).

ccxt sends every linear STOP_MARKET / TAKE_PROFIT_MARKET / STOP / TAKE_PROFIT order here
(``create_order`` with ``stopLossPrice``, ``takeProfitPrice``, ``triggerPrice`` or ``stopPrice``),
and queries, lists and cancels them with ``params={"trigger": True}``.

Binance's rules, as its New Order documentation states them (ccxt links it beside
``create_order``; ccxt's error table quotes -4137 "Quantity must be zero with closePosition equals
true" and -2021 "Order would immediately trigger"), applied here:

* **When it fires.** STOP / STOP_MARKET: a BUY fires when the price reaches ``triggerPrice`` from
  below (price >= trigger), a SELL from above (price <= trigger). TAKE_PROFIT /
  TAKE_PROFIT_MARKET: the other way round (BUY: price <= trigger; SELL: price >= trigger). An order
  whose condition already holds at placement is refused: -2021 "Order would immediately trigger".
  ``workingType`` MARK_PRICE and CONTRACT_PRICE are the same price in the emulator (its mark price
  is the last price); the trigger fires along the bar path the engine assumes (see
  ``engine/intrabar.py``).
* **closePosition** ("Close-All, used with STOP_MARKET or TAKE_PROFIT_MARKET"): no ``quantity``
  (-4137 "Quantity must be zero with closePosition equals true"), no ``reduceOnly`` (-1106); in
  hedge mode no BUY for the LONG side nor SELL for the SHORT side. When it fires it closes *all of
  the current* position in its direction (its size then, not at placement). It is not tied to a
  position: it stays open when the position closes (the documentation ties it to "the current"
  position at trigger time, not to the one it was placed for; the client cancels it), and one that
  fires with nothing to close does nothing and ends EXPIRED. At most one open
  closePosition order per symbol, side, position side and order type: a second is -4130 "An open
  stop or take profit order with GTE and closePosition in the direction is existing". Its
  time in force reads ``GTE_GTC`` (good till the position is closed, as Binance reports it).
* **reduceOnly** with a ``quantity``: on firing it places a reduce-only market (or limit) order;
  with nothing left to reduce that order is refused and the conditional order ends EXPIRED.
* TRAILING_STOP_MARKET is listed (as Binance lists it) but not emulated: refused with -1130.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...engine import (
    Account,
    Direction,
    EngineError,
    PositionMode,
    PositionSide,
    Reason,
    Side,
    TriggerKind,
    TriggerOrder,
    TriggerRequest,
    TriggerStatus,
)
from ...http import CallContext
from ...params import Params
from . import errors, wire
from .common import WEEK_MS, RoutesBase, ascending_page, endpoint, no_symbol

LIST_LIMIT_DEFAULT = 500
LIST_LIMIT_MAX = 1000
CANCEL_ALL_DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}
MARKET_TYPES = {"STOP_MARKET", "TAKE_PROFIT_MARKET"}
STOP_TYPES = {"STOP", "STOP_MARKET"}
LIMIT_TIF = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK", "GTX": "GTX"}
ALGO_PARAMS = {
    "algoType",
    "symbol",
    "side",
    "positionSide",
    "type",
    "timeInForce",
    "quantity",
    "price",
    "triggerPrice",
    "workingType",
    "priceMatch",
    "closePosition",
    "priceProtect",
    "reduceOnly",
    "activatePrice",
    "callbackRate",
    "clientAlgoId",
    "newOrderRespType",
    "selfTradePreventionMode",
    "goodTillDate",
}


def direction_of(order_type: str, side: Side) -> Direction:
    """Which way the price must move for a Binance conditional order to fire (see the module doc)."""
    rises = side is Side.BUY
    if order_type not in STOP_TYPES:  # take-profit orders fire the other way round
        rises = not rises
    return Direction.RISE if rises else Direction.FALL


class AlgoRoutes(RoutesBase):
    def _algo_row(self, acct: Account, trig: TriggerOrder) -> dict[str, Any]:
        child = acct.orders.get(trig.order_id) if trig.order_id else None
        return wire.algo_row(trig, child)

    def _algo_direction(
        self, acct: Account, p: Params, side: Side, close_all: bool
    ) -> tuple[PositionSide | None, bool]:
        """(hedge position side, reduce-only) for a conditional order (the rules of ``/order``)."""
        named = p.choice("positionSide", wire.POSITION_SIDES, default="BOTH")
        reduce_only = self._bool(p, "reduceOnly")
        if close_all and reduce_only:
            raise errors.not_required("reduceOnly")
        if acct.position_mode is PositionMode.HEDGE:
            if named == "BOTH":
                raise errors.POSITION_SIDE_MISMATCH
            if reduce_only:
                raise errors.not_required("reduceOnly")
            pos_side = wire.HEDGE_SIDES[named]  # type: ignore[index]
            if close_all and side is pos_side.opening_side:
                # "In Hedge Mode, cannot be used for BUY orders in LONG position side..."
                raise errors.POSITION_SIDE_MISMATCH
            return pos_side, side is not pos_side.opening_side
        if named != "BOTH":
            raise errors.POSITION_SIDE_MISMATCH
        return None, bool(reduce_only)

    @endpoint("place_algo_order", "POST", "/fapi/v1/algoOrder", places_order=True, weight=1)
    def place_algo_order(self, ctx: CallContext) -> Response:
        p = self._params(ctx, ALGO_PARAMS)
        p.choice("algoType", {"CONDITIONAL": "CONDITIONAL"}, required=True)
        inst = self._market(ctx, p)
        side = p.choice("side", wire.SIDES, required=True)
        order_type = p.str("type", required=True, max_len=32)
        if order_type not in wire.ALGO_ORDER_TYPES:
            raise errors.INVALID_TYPE
        if order_type == "TRAILING_STOP_MARKET":
            raise errors.invalid_data("type", "TRAILING_STOP_MARKET is not emulated")
        close_all = bool(self._bool(p, "closePosition"))
        if close_all and order_type not in MARKET_TYPES:
            raise errors.not_required("closePosition")
        acct = self._account(ctx)
        pos_side, reduce_only = self._algo_direction(acct, p, side, close_all)  # type: ignore[arg-type]
        if close_all and p.raw("quantity") is not None:
            raise errors.CLOSE_POSITION_QUANTITY
        qty = None if close_all else self._quantity(p, inst)
        trigger = self._price(p, inst, "triggerPrice", required=True)
        price = self._price(p, inst)
        tif = p.choice("timeInForce", LIMIT_TIF)
        if order_type in MARKET_TYPES:
            if price is not None:
                raise errors.not_required("price")
        elif price is None:
            raise errors.mandatory("price")
        working = p.choice("workingType", wire.WORKING_TYPES, default="CONTRACT_PRICE")
        protect = self._bool(p, "priceProtect")
        for name in ("activatePrice", "callbackRate"):
            if p.raw(name) is not None:
                p.decimal(name)
                raise errors.not_required(name)
        match = p.choice("priceMatch", wire.PRICE_MATCH)
        if match not in (None, "NONE"):
            raise errors.invalid_data("priceMatch", "price matching is not emulated")
        stp = p.choice("selfTradePreventionMode", wire.SELF_TRADE_MODES)
        p.choice("newOrderRespType", wire.RESPONSE_TYPES)
        p.int("goodTillDate", lo=0)
        client_id = self._client_id(p, "clientAlgoId")
        if close_all and self._close_position_exists(acct, inst.symbol, side, pos_side, order_type):  # type: ignore[arg-type]
            raise errors.CLOSE_POSITION_EXISTS
        tif_text = "GTE_GTC" if close_all else (tif or "GTC")
        meta = {
            "orderType": order_type,
            "workingType": working,
            "timeInForce": tif_text,
            "priceProtect": "true" if protect else "false",
        }
        if stp:
            meta["selfTradePreventionMode"] = stp
        trig = self.emu.engine.place_trigger(
            acct.id,
            TriggerRequest(
                symbol=inst.symbol,
                kind=TriggerKind.PLAN,
                trigger_price=trigger,  # type: ignore[arg-type]
                side=side,
                qty=qty,
                execute_price=price if order_type not in MARKET_TYPES else None,
                pos_side=pos_side,
                reduce_only=reduce_only,
                client_oid=client_id,
                meta=meta,  # type: ignore[arg-type]
                direction=direction_of(order_type, side),  # type: ignore[arg-type]
                close_all=close_all,
            ),
        )
        return self._ok(self._algo_row(acct, trig))

    @staticmethod
    def _close_position_exists(
        acct: Account, symbol: str, side: Side, pos_side: PositionSide | None, order_type: str
    ) -> bool:
        return any(
            t.close_all
            and t.symbol == symbol
            and t.side is side
            and (t.pos_side if t.hedge else None) is pos_side
            and t.meta.get("orderType") == order_type
            for t in acct.live.values()
        )

    def _algo_lookup(self, ctx: CallContext, p: Params) -> tuple[Account, TriggerOrder]:
        inst = self._symbol(ctx, p, required=False)
        algo_id = self._id(p, "algoId")
        client_id = self._client_id(p, "clientAlgoId")
        if algo_id is None and client_id is None:
            raise errors.either("algoId", "clientAlgoId")
        acct = self._account(ctx)
        trig = self._find(acct, algo_id, client_id, TriggerOrder)
        if inst is not None and trig.symbol != inst.symbol:
            raise EngineError(Reason.ORDER_NOT_FOUND, "conditional order of another symbol")
        return acct, trig

    @endpoint("query_algo_order", "GET", "/fapi/v1/algoOrder", weight=1)
    def query_algo_order(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "algoId", "clientAlgoId"})
        acct, trig = self._algo_lookup(ctx, p)
        return self._ok(self._algo_row(acct, trig))

    @endpoint(
        "cancel_algo_order",
        "DELETE",
        "/fapi/v1/algoOrder",
        weight=1,
        overrides={Reason.ORDER_NOT_FOUND: errors.UNKNOWN_ORDER},
    )
    def cancel_algo_order(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "algoId", "clientAlgoId"})
        acct, trig = self._algo_lookup(ctx, p)
        if trig.status is not TriggerStatus.LIVE:
            raise errors.UNKNOWN_ORDER
        done = self.emu.engine.cancel_trigger(acct.id, trigger_id=trig.id)
        return self._ok(
            {"algoId": int(done.id), "clientAlgoId": done.client_oid, "code": "200", "msg": "success"}
        )

    @endpoint("cancel_all_algo_orders", "DELETE", "/fapi/v1/algoOpenOrders", weight=1)
    def cancel_all_algo_orders(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._market(ctx, p)
        self.emu.engine.cancel_all_triggers(ctx.account, inst.symbol)  # type: ignore[arg-type]
        return self._ok(CANCEL_ALL_DONE)

    @endpoint("open_algo_orders", "GET", "/fapi/v1/openAlgoOrders", weight=no_symbol(1, 40))
    def open_algo_orders(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "algoType", "algoId"})
        inst = self._symbol(ctx, p, required=False)
        p.choice("algoType", {"CONDITIONAL": "CONDITIONAL"})
        algo_id = self._id(p, "algoId")
        acct = self._account(ctx)
        live = sorted(
            (
                t
                for t in acct.live.values()
                if (inst is None or t.symbol == inst.symbol) and (algo_id is None or t.id == algo_id)
            ),
            key=lambda t: (t.created_ms, int(t.id)),
        )
        return self._ok([self._algo_row(acct, t) for t in live])

    @endpoint("all_algo_orders", "GET", "/fapi/v1/allAlgoOrders", weight=5)
    def all_algo_orders(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "algoId", "startTime", "endTime", "page", "limit"})
        inst = self._symbol(ctx, p, required=False)
        from_id = p.int("algoId", lo=0)
        start, end = self._window(p, max_span_ms=WEEK_MS)
        p.int("page", lo=1)
        limit = p.int("limit", default=LIST_LIMIT_DEFAULT, lo=1, hi=LIST_LIMIT_MAX) or LIST_LIMIT_DEFAULT
        acct = self._account(ctx)
        page = ascending_page(
            (t for t in acct.triggers.values() if inst is None or t.symbol == inst.symbol),
            key=lambda t: t.created_ms,
            id_of=lambda t: int(t.id),
            start=start,
            end=end,
            from_id=from_id,
            limit=limit,
        )
        return self._ok([self._algo_row(acct, t) for t in page])
