"""What every Binance route shares: the ``endpoint`` declaration, error answers, request helpers.

Route handlers are parse -> engine call -> serialise. They live by concern in :mod:`.market`
(public data and start-up), :mod:`.account` (balances, positions, settings, income), :mod:`.orders`
and :mod:`.algo` (conditional orders); :mod:`.routes` assembles them.

Parameters come from the query string or, for POST/PUT, an ``x-www-form-urlencoded`` body (the
query wins a name sent in both, as on Binance). Signed routes take ``timestamp``, ``recvWindow``
and ``signature`` on top of their own; unknown parameters are ignored and listed in the ledger.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.responses import Response

from ...engine import Account, EngineError, Instrument, Order, Reason, TriggerOrder
from ...http import CallContext, JSONResponse, Weight
from ...params import Params
from ..common import routing
from ..common.numbers import fmt
from . import errors, wire
from .auth import authenticate
from .errors import BinanceError
from .instruments import price_precision

if TYPE_CHECKING:
    from ...runtime import Emulator

Handler = Callable[["RoutesBase", CallContext], Response]
T = TypeVar("T")

# Binance's client order ids (newClientOrderId, clientAlgoId): "^[\.A-Z\:/a-z0-9_-]{1,36}$".
CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")
SIGNED_PARAMS = frozenset({"timestamp", "recvWindow", "signature"})
WEEK_MS = 7 * 86_400_000


def answer(err: BinanceError) -> Response:
    return JSONResponse(wire.error_body(err.code, err.msg), status_code=err.status)


def endpoint(
    name: str,
    method: str,
    path: str,
    *,
    signed: bool = True,
    places_order: bool = False,
    reads_position: bool = False,
    weight: Weight = 1,
    overrides: dict[Reason, BinanceError] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a route; errors of every kind become Binance's error answer.

    ``signed``: ``TRADE``/``USER_DATA`` security (key, timestamp and HMAC signature checked first).
    """

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handler(self: RoutesBase, ctx: CallContext) -> Response:
            def run() -> Response:
                if signed:
                    ctx.extra["signed"] = True
                    params = Params(routing.parse_form(ctx.body) | dict(ctx.request.query_params), set())
                    creds = authenticate(
                        ctx.request, ctx.body, params, self.emu.credentials, self._now_candidates()
                    )
                    ctx.account = creds.account
                return fn(self, ctx)

            def from_engine(e: EngineError) -> BinanceError:
                inst = ctx.extra.get("instrument")
                return errors.from_engine(e, overrides, fmt(inst.min_notional) if inst is not None else "")

            return routing.guarded(
                ctx,
                run,
                answer=answer,
                from_param=errors.from_param,
                from_engine=from_engine,  # type: ignore[arg-type]
            )

        return routing.declare(
            routing.RouteInfo(name, method, path, places_order, reads_position, weight), handler
        )

    return wrap


def by_limit(steps: Iterable[tuple[int, int]], default_limit: int) -> Callable[[Any], int]:
    """A weight that grows with ``limit`` (Binance's klines and depth): the weight of the first step
    whose bound is >= the limit asked (the default limit when none or an unreadable one is sent)."""
    table = sorted(steps)

    def weight(request: Any) -> int:
        text = request.query_params.get("limit", "")
        limit = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else default_limit
        for bound, w in table:
            if limit <= bound:
                return w
        return table[-1][1]

    return weight


def no_symbol(with_symbol: int, without: int) -> Callable[[Any], int]:
    """A weight that is higher for the whole market (``symbol`` omitted)."""

    def weight(request: Any) -> int:
        return with_symbol if request.query_params.get("symbol") else without

    return weight


class RoutesBase:
    """The Binance wire over one emulator: the helpers every group of routes uses."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def _now_candidates(self) -> tuple[int, ...]:
        return int(time.time() * 1000), self.emu.engine.now_ms

    @staticmethod
    def _ok(data: Any) -> Response:
        return JSONResponse(data)

    @staticmethod
    def _params(ctx: CallContext, known: set[str]) -> Params:
        if ctx.extra.get("signed"):
            known = known | SIGNED_PARAMS
        return routing.form_and_query_params(ctx, known)

    def _symbol(self, ctx: CallContext, p: Params, *, required: bool = True) -> Instrument | None:
        """The listed market ``symbol`` names (-1121 otherwise), remembered for error texts."""
        text = p.str("symbol", required=required, max_len=40)
        if text is None:
            return None
        code = p.ascii_code("symbol")
        inst = self.emu.engine.instruments.get(code) if code is not None else None
        if inst is None:
            raise errors.INVALID_SYMBOL
        ctx.extra["instrument"] = inst
        return inst

    def _market(self, ctx: CallContext, p: Params) -> Instrument:
        inst = self._symbol(ctx, p)
        assert inst is not None  # a required symbol: _symbol raised otherwise
        return inst

    def _account(self, ctx: CallContext) -> Account:
        return self.emu.engine.account(ctx.account)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ typed parameters

    @staticmethod
    def _client_id(p: Params, name: str) -> str | None:
        """A client order id in Binance's alphabet and length, or -1100 naming the parameter."""
        value = p.raw(name)
        if value is None:
            return None
        if not isinstance(value, str) or not CLIENT_ID.fullmatch(value):
            raise errors.illegal(name, errors.CLIENT_ID_RANGE)
        return value

    @staticmethod
    def _id(p: Params, name: str) -> str | None:
        """An order, algo or trade id: a non-negative integer (-1100 otherwise)."""
        value = p.int(name, lo=0)
        return None if value is None else str(value)

    @staticmethod
    def _bool(p: Params, name: str) -> bool | None:
        return p.choice(name, wire.BOOLS)

    @staticmethod
    def _quantity(
        p: Params, inst: Instrument, name: str = "quantity", *, required: bool = True
    ) -> Decimal | None:
        """An order size: -4003 for zero, -1111 for more decimals than the market's quantity
        precision, -4005 above the maximum (the engine checks the step and the minimum)."""
        qty = p.decimal(name, required=required, allow_zero=True)
        if qty is None:
            return None
        if qty == 0:
            raise errors.QTY_NOT_POSITIVE
        if _decimals(qty) > inst.qty_decimals:
            raise errors.PRECISION
        if qty > inst.max_qty:
            raise errors.QTY_ABOVE_MAX
        return qty

    @staticmethod
    def _price(p: Params, inst: Instrument, name: str = "price", *, required: bool = False) -> Decimal | None:
        """A price: -4001 for zero, -1111 for more decimals than the market's price precision."""
        price = p.decimal(name, required=required, allow_zero=True)
        if price is None:
            return None
        if price == 0:
            raise errors.PRICE_NOT_POSITIVE
        if _decimals(price) > price_precision(inst.symbol, inst.price_decimals):
            raise errors.PRECISION
        return price

    @staticmethod
    def _window(p: Params, *, max_span_ms: int | None = None) -> tuple[int | None, int | None]:
        """``startTime``/``endTime``: -1023 if the start is after the end, -1127 if further apart
        than the route allows."""
        start = p.int("startTime", lo=0)
        end = p.int("endTime", lo=0)
        if start is not None and end is not None:
            if start > end:
                raise errors.START_AFTER_END
            if max_span_ms is not None and end - start > max_span_ms:
                hours = max_span_ms // 3_600_000
                raise BinanceError(-1127, f"More than {hours} hours between startTime and endTime.")
        return start, end

    # ------------------------------------------------------------------ lookups

    def _find(self, acct: Account, order_id: str | None, client_id: str | None, kind: type[T]) -> T:
        """The newest order (or conditional order, by ``kind``) with that venue id or client id.

        Binance keeps orders and conditional (algo) orders apart, each with its own client ids: an
        id of the other kind is "not found". Raises EngineError(ORDER_NOT_FOUND).
        """
        if order_id is not None:
            store: dict[str, Any] = acct.orders if kind is Order else acct.triggers
            found = store.get(order_id)
            if found is not None and (client_id is None or found.client_oid == client_id):
                return found  # type: ignore[no-any-return]
            raise EngineError(Reason.ORDER_NOT_FOUND, "order does not exist")
        held = acct.client_oids.get(client_id or "")
        candidate = acct.orders.get(held or "") if kind is Order else acct.triggers.get(held or "")
        if candidate is not None:
            return candidate  # type: ignore[no-any-return]
        # The id was reused by the other kind: scan this kind's history, newest first.
        pool: Iterable[Order | TriggerOrder] = (
            acct.orders.values() if kind is Order else acct.triggers.values()
        )
        for item in reversed(list(pool)):
            if item.client_oid == client_id:
                return item  # type: ignore[return-value]
        raise EngineError(Reason.ORDER_NOT_FOUND, "order does not exist")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def ascending_page(
    rows: Iterable[T],
    *,
    key: Callable[[T], int],
    id_of: Callable[[T], int],
    start: int | None,
    end: int | None,
    from_id: int | None,
    limit: int,
) -> list[T]:
    """Binance's paging of histories: ascending by time; with ``fromId`` or ``startTime`` the first
    ``limit`` from there, otherwise the most recent ``limit``."""
    kept = sorted(
        (
            r
            for r in rows
            if (start is None or key(r) >= start)
            and (end is None or key(r) <= end)
            and (from_id is None or id_of(r) >= from_id)
        ),
        key=lambda r: (key(r), id_of(r)),
    )
    if from_id is not None or start is not None:
        return kept[:limit]
    return kept[-limit:] if limit else []
