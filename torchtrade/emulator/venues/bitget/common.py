"""What every Bitget route shares: the ``endpoint`` declaration, error answers, request helpers.

Route handlers are parse -> engine call -> serialise. They live by concern in :mod:`.market`
(public data and start-up), :mod:`.contract` (tiers, open interest, prices, public fills),
:mod:`.account` (balances, positions, account settings, bills) and :mod:`.orders`; :mod:`.routes`
assembles them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from ...engine import Account, Instrument, Reason
from ...http import CallContext, JSONResponse
from ...params import Params, parse_int_text
from ..common import routing
from . import errors, wire
from .auth import authenticate
from .errors import BitgetError

Handler = Callable[["RoutesBase", CallContext], Response]

PAGE_MAX = 100
# The largest ``limit`` a paged private list accepts. ccxt's cursor pagination asks for 1000 rows a
# page (its default ``maxEntriesPerRequest``) on routes whose page holds 100: Bitget serves such a
# limit as its page maximum. Beyond LIMIT_MAX the emulator answers 40020 (Parameter limit error).
LIMIT_MAX = 1000
# Bitget's client order ids: letters, digits and - + _ #, shorter than 50 characters (its error 40305:
# "Client_oid length is not greater than 50, and cannot be Martian characters").
CLIENT_OID = re.compile(r"[0-9a-zA-Z\-+_#]{1,49}")
# Order, trigger, trade and bill ids are Java longs on Bitget: up to 19 ASCII digits.
MAX_ID_DIGITS = 19


def _response(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def bitget_error(err: BitgetError, now_ms: int) -> Response:
    return _response(wire.error_body(err.code, err.msg, now_ms), err.status)


def client_oid(p: Params, name: str = "clientOid") -> str | None:
    """A client order id in Bitget's alphabet and length, or 40305 (ccxt: BadRequest).

    Checked on every route that takes one, lookups included, before the engine is touched: a client
    id is stored with the order and echoed in every answer and ledger entry that names it.
    """
    value = p.raw(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.BAD_CLIENT_OID
    text = str(value)
    if not CLIENT_OID.fullmatch(text):
        raise errors.BAD_CLIENT_OID
    return text


def order_id(p: Params, name: str = "orderId") -> str | None:
    """An order id: digits only, as Bitget's ids are numbers ("Parameter orderId error" otherwise)."""
    value = p.raw(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.bad_param(name)
    text = str(value)
    if parse_int_text(text, negative=False) is None or len(text) > MAX_ID_DIGITS:
        raise errors.bad_param(name)
    return text


def endpoint(
    name: str,
    method: str,
    path: str,
    *,
    private: bool = True,
    places_order: bool = False,
    reads_position: bool = False,
    overrides: dict[Reason, tuple[str, str]] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a route; errors of every kind become Bitget's error answer.

    ``private``: a signed route (key, passphrase, timestamp and signature checked first).
    ``overrides``: this route's own code and text for some engine reasons.
    """

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handler(self: RoutesBase, ctx: CallContext) -> Response:
            now = self.emu.engine.now_ms  # an error's requestTime: the present the request came in

            def run() -> Response:
                if private:
                    creds = authenticate(ctx.request, ctx.body, self.emu.credentials, self._now_candidates())
                    ctx.account = creds.account
                return fn(self, ctx)

            return routing.guarded(
                ctx,
                run,
                answer=lambda e: bitget_error(e, now),  # type: ignore[arg-type]
                from_param=errors.from_param,
                from_engine=lambda e: errors.from_engine(e, overrides),
            )

        return routing.declare(routing.RouteInfo(name, method, path, places_order, reads_position), handler)

    return wrap


class RoutesBase(routing.VenueRoutes):
    """The Bitget wire over one emulator: the helpers every group of routes uses."""

    def _ok(self, data: Any) -> Response:
        return _response(wire.envelope(data, self.emu.engine.now_ms))

    # Bitget ignores parameters an endpoint does not read (ccxt relies on it: it sends marginCoin to
    # the bill route and passes a user's marginMode through set_leverage). Params lists them; the
    # endpoint wrapper records the names in the request's ledger entry.
    _query = staticmethod(routing.query_params)
    _json = staticmethod(routing.json_params)

    def _product_type(self, p: Params, *, required: bool = True) -> str | None:
        return p.choice("productType", wire.PRODUCT_TYPES, required=required)

    def _instrument(self, p: Params, product_type: str | None, *, required: bool = True) -> Instrument | None:
        symbol = p.str("symbol", required=required, max_len=40)
        if symbol is None:
            return None
        code = p.ascii_code("symbol")
        inst = self.emu.engine.instruments.get(code) if code is not None else None
        if inst is None or (product_type is not None and product_type != wire.SERVED_PRODUCT_TYPE):
            raise errors.unknown_symbol(symbol)
        return inst

    def _check_margin_coin(self, p: Params, inst: Instrument | None) -> None:
        coin = p.str("marginCoin", max_len=16)
        if coin is not None and inst is not None and p.ascii_code("marginCoin") != inst.settle:
            raise errors.bad_param("marginCoin", f"{inst.symbol} is margined in {inst.settle}")

    def _market(self, p: Params) -> Instrument:
        """The instrument a request must name: the ``symbol`` of a listed market, in its ``productType``."""
        inst = self._instrument(p, self._product_type(p))
        assert inst is not None  # a required symbol: _instrument raised otherwise
        return inst

    def _order_target(self, ctx: CallContext, p: Params) -> tuple[Instrument, Account]:
        """The instrument an order names (symbol, product type, margin coin checked) and the account."""
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        return inst, self._account(ctx)

    @staticmethod
    def _page(
        rows: list[Any],
        p: Params,
        key: Callable[[Any], int],
        id_of: Callable[[Any], str],
        default: int = PAGE_MAX,
    ) -> list[Any]:
        """Newest first; ``startTime``/``endTime`` filter on ``key``, ``idLessThan`` pages back, ``limit``."""
        start = p.int("startTime", lo=0)
        end = p.int("endTime", lo=0)
        before = p.int("idLessThan", lo=0)
        limit = min(p.int("limit", default=default, lo=1, hi=LIMIT_MAX) or default, PAGE_MAX)
        out = []
        for row in sorted(rows, key=lambda r: (key(r), int(id_of(r))), reverse=True):
            if start is not None and key(row) < start:
                continue
            if end is not None and key(row) > end:
                continue
            if before is not None and int(id_of(row)) >= before:
                continue
            out.append(row)
            if len(out) == limit:
                break
        return out
