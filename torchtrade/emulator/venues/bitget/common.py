"""What every Bitget route shares: the ``endpoint`` declaration, error answers, request helpers.

Route handlers are parse -> engine call -> serialise. They live by concern in :mod:`.market`
(public data and start-up), :mod:`.account` (balances, positions, account settings, bills) and
:mod:`.orders`; :mod:`.routes` assembles them.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ...engine import (
    Account,
    EngineError,
    Instrument,
    Reason,
)
from ...http import CallContext, JSONResponse
from ...params import ParamError, Params, Problem, parse_int_text, parse_json_object
from . import errors, wire
from .auth import authenticate
from .errors import BitgetError

if TYPE_CHECKING:
    from ...runtime import Emulator


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


def _param_error(e: ParamError) -> BitgetError:
    if e.problem is Problem.MISSING:
        return errors.empty(e.name)
    if e.problem is Problem.NOT_JSON:
        return errors.verification_failed(e.detail)
    return errors.bad_param(e.name, e.detail)


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
    """Declare a route; errors of every kind become Bitget's error answer."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handler(self: RoutesBase, ctx: CallContext) -> Response:
            now = self.emu.engine.now_ms
            try:
                if private:
                    creds = authenticate(ctx.request, ctx.body, self.emu.credentials, self._now_candidates())
                    ctx.account = creds.account
                return fn(self, ctx)
            except BitgetError as e:
                return bitget_error(e, now)
            except ParamError as e:
                return bitget_error(_param_error(e), now)
            except EngineError as e:
                return bitget_error(errors.from_engine(e, overrides), now)
            finally:
                ignored = sorted({n for params in ctx.extra.get("params", ()) for n in params.ignored})
                ctx.ignored = ignored[:MAX_IGNORED_LISTED] or None

        handler.route = (name, method, path, places_order, reads_position)  # type: ignore[attr-defined]
        return handler

    return wrap


# Enough to spot a misspelt field in the ledger; a body of ten thousand junk keys is not listed whole.
MAX_IGNORED_LISTED = 20


class RoutesBase:
    """The Bitget wire over one emulator: the helpers every group of routes uses."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def _now_candidates(self) -> tuple[int, ...]:
        return int(time.time() * 1000), self.emu.engine.now_ms

    def _ok(self, data: Any) -> Response:
        return _response(wire.envelope(data, self.emu.engine.now_ms))

    # Bitget ignores parameters an endpoint does not read (ccxt relies on it: it sends marginCoin to
    # the bill route and passes a user's marginMode through set_leverage). Params lists them; the
    # endpoint wrapper records the names in the request's ledger entry.
    @staticmethod
    def _query(ctx: CallContext, known: set[str]) -> Params:
        return remember_params(ctx, Params(dict(ctx.request.query_params), known))

    @staticmethod
    def _json(ctx: CallContext, known: set[str]) -> Params:
        return remember_params(ctx, Params(parse_json_object(ctx.body), known))

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

    def _account(self, ctx: CallContext) -> Account:
        return self.emu.engine.account(ctx.account)  # type: ignore[arg-type]

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


def remember_params(ctx: CallContext, params: Params) -> Params:
    """Keep ``params`` on the call, so the endpoint wrapper can list what the route ignored."""
    ctx.extra.setdefault("params", []).append(params)
    return params
