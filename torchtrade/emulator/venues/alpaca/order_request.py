"""Reading ``POST /v2/orders`` and ``PATCH /v2/orders/{id}`` bodies into the engine's spot requests.

The wire checks what a body *is* (types, enums, numbers, the nested ``take_profit``/``stop_loss``
objects), answering Alpaca's 422 ``40010001`` ("qty is required", "invalid side"...); what an order
*may be* (a fractional short, extended hours on a market order, a bracket on crypto...) is the
engine's admission (``engine/spot/rules.py``), whose reasons :mod:`.errors` turns into Alpaca's codes.

Accepted as alpaca-py sends them: numbers as JSON numbers or decimal strings (``1.5``, ``"1.5"``),
``extended_hours`` as a JSON boolean (or ``"true"``/``"false"``), ``order_class`` ``""`` as simple.
Not emulated, and refused with a 422 saying so: ``trailing_stop`` orders and ``mleg`` (options)
orders. ``position_intent`` is checked and echoed, not interpreted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...engine.spot.types import (
    OrderClass,
    SpotOrderRequest,
    SpotOrderType,
    SpotTimeInForce,
    StopLoss,
    TakeProfit,
)
from ...engine.types import Side
from ...params import ParamError, Params, Problem, is_valid_text
from . import errors
from .listing import Symbol, parse

CLIENT_ID_MAX = 128  # Alpaca: "client_order_id ... up to 128 characters"
SIDES = {"buy": Side.BUY, "sell": Side.SELL}
TYPES = {t.value: t for t in SpotOrderType} | {"trailing_stop": "trailing_stop"}
TIFS = {t.value: t for t in SpotTimeInForce}
CLASSES = {c.value: c for c in OrderClass} | {"": OrderClass.SIMPLE, "mleg": "mleg"}
INTENTS = {i: i for i in ("buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close")}
ORDER_FIELDS = frozenset(
    {
        "symbol",
        "qty",
        "notional",
        "side",
        "type",
        "time_in_force",
        "limit_price",
        "stop_price",
        "trail_price",
        "trail_percent",
        "extended_hours",
        "client_order_id",
        "order_class",
        "take_profit",
        "stop_loss",
        "position_intent",
        "legs",
    }
)
REPLACE_FIELDS = frozenset({"qty", "time_in_force", "limit_price", "stop_price", "trail", "client_order_id"})


def flag(p: Params, name: str) -> bool | None:
    """A boolean: JSON ``true``/``false``, or the text ``true``/``false`` in any case."""
    value = p.raw(name)
    if value is None or isinstance(value, bool):
        return value
    return p.choice(name, {"true": True, "false": False})


def client_order_id(p: Params) -> str | None:
    value = p.raw("client_order_id")
    if value is None:
        return None
    if not isinstance(value, str) or not is_valid_text(value):
        raise ParamError(Problem.INVALID, "client_order_id")
    if len(value) > CLIENT_ID_MAX:
        raise errors.invalid_field(f"client_order_id must be no more than {CLIENT_ID_MAX} characters")
    return value


def order_symbol(p: Params) -> Symbol:
    text = p.str("symbol", required=True, max_len=40)
    found = parse(text or "")
    if found is None:
        raise errors.invalid_field(f"asset {text!r} not found")
    return found


def _nested(p: Params, name: str, known: frozenset[str]) -> Params | None:
    value = p.raw(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParamError(Problem.INVALID, name)
    return Params(value, known, prefix=f"{name}.")


def order_request(p: Params) -> tuple[SpotOrderRequest, Symbol, list[Params]]:
    """The order a body describes, its symbol, and the nested objects read (for the ignored list).

    Raises:
        ParamError | AlpacaError: a field missing or malformed (422 ``40010001``), or a kind of order
            the emulator does not carry out (422 ``42210000``).
    """
    symbol = order_symbol(p)
    side = p.choice("side", SIDES, required=True)
    kind = p.choice("type", TYPES, required=True)
    tif = p.choice("time_in_force", TIFS, required=True)
    order_class = p.choice("order_class", CLASSES, default=OrderClass.SIMPLE)
    if kind == "trailing_stop":
        raise errors.unprocessable("trailing_stop orders are not supported by the emulator")
    if order_class == "mleg" or p.raw("legs") is not None:
        raise errors.unprocessable("mleg orders are for options, which the emulator does not list")
    qty = p.decimal("qty")
    notional = p.decimal("notional")
    if qty is None and notional is None:
        raise errors.invalid_field("qty or notional is required")
    if qty is not None and notional is not None:
        raise errors.invalid_field("only one of qty or notional is accepted")
    nested: list[Params] = []
    take_profit = stop_loss = None
    tp = _nested(p, "take_profit", frozenset({"limit_price"}))
    if tp is not None:
        nested.append(tp)
        price = tp.decimal("limit_price")
        if price is None:
            raise errors.invalid_field("take_profit.limit_price is required")
        take_profit = TakeProfit(limit_price=price)
    sl = _nested(p, "stop_loss", frozenset({"stop_price", "limit_price"}))
    if sl is not None:
        nested.append(sl)
        stop = sl.decimal("stop_price")
        if stop is None:
            raise errors.invalid_field("stop_loss.stop_price is required")
        stop_loss = StopLoss(stop_price=stop, limit_price=sl.decimal("limit_price"))
    limit_price = p.decimal("limit_price")
    if order_class is OrderClass.OCO and limit_price is None and take_profit is not None:
        limit_price = take_profit.limit_price  # alpaca-py may leave the OCO's limit to take_profit
    intent = p.choice("position_intent", INTENTS)
    meta = {"position_intent": intent} if intent else None
    req = SpotOrderRequest(
        symbol=symbol.market_id,
        side=side,  # type: ignore[arg-type]
        type=kind,  # type: ignore[arg-type]
        qty=qty,
        notional=notional,
        tif=tif,  # type: ignore[arg-type]
        limit_price=limit_price,
        stop_price=p.decimal("stop_price"),
        extended_hours=bool(flag(p, "extended_hours")),
        client_order_id=client_order_id(p),
        order_class=order_class,  # type: ignore[arg-type]
        take_profit=take_profit,
        stop_loss=stop_loss,
        meta=meta,
    )
    return req, symbol, nested


def replace_terms(p: Params) -> dict[str, Any]:
    """The new terms of ``PATCH /v2/orders/{id}`` as keyword arguments of the engine's replace."""
    if p.raw("trail") is not None:
        raise errors.unprocessable("trailing_stop orders are not supported by the emulator")
    terms: dict[str, Decimal | SpotTimeInForce | str | None] = {
        "qty": p.decimal("qty"),
        "limit_price": p.decimal("limit_price"),
        "stop_price": p.decimal("stop_price"),
        "tif": p.choice("time_in_force", TIFS),
        "client_order_id": client_order_id(p),
    }
    return {k: v for k, v in terms.items() if v is not None}
