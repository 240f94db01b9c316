"""What every Alpaca route shares: the ``endpoint`` declaration, the error answer, typed parameters.

Route handlers are parse -> engine call -> serialise, grouped by concern: :mod:`.market` (market
data), :mod:`.assets`, :mod:`.clock` (clock and calendar), and the account, orders and positions
routes; :mod:`.routes` joins them. GET and DELETE routes read the query string, POST and PATCH a JSON object
body (what alpaca-py sends, see :mod:`.reference`). Unknown parameters are ignored and listed in
the ledger, as everywhere in the emulator.

Two APIs share the one base URL: the trading API (``/v2/account``, ``/v2/orders``...) answers
errors as ``{"code", "message"}``, the market data API (``/v2/stocks/...``, ``/v1beta3/crypto/...``)
bad parameters as ``{"message"}`` (see :mod:`.errors`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from starlette.responses import Response

from ...engine import Reason
from ...http import CallContext, JSONResponse
from ...params import ParamError, Params, Problem, printable
from ..common import routing
from . import errors, times
from .auth import authenticate
from .errors import AlpacaError
from .listing import Symbol, parse

if TYPE_CHECKING:
    from ...runtime import Emulator

Handler = Callable[["RoutesBase", CallContext], Response]
Api = Literal["trading", "data"]
BOOLS = {"true": True, "false": False}


def answer(err: AlpacaError) -> Response:
    return JSONResponse(err.body(), status_code=err.status)


def endpoint(
    name: str,
    method: str,
    path: str,
    *,
    api: Api = "trading",
    auth: bool = True,
    places_order: bool = False,
    reads_position: bool = False,
    overrides: dict[Reason, AlpacaError] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a route; every refusal becomes Alpaca's error answer.

    ``auth``: the request must authenticate (False: it may; a key it sends must still be valid, as
    on Alpaca's crypto market data).
    """
    from_param = errors.from_param if api == "trading" else errors.data_from_param

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handler(self: RoutesBase, ctx: CallContext) -> Response:
            def run() -> Response:
                creds = authenticate(ctx.request, self.emu.credentials, required=auth)
                ctx.account = creds.account if creds is not None else None
                return fn(self, ctx)

            return routing.guarded(
                ctx,
                run,
                answer=answer,  # type: ignore[arg-type]
                from_param=from_param,
                from_engine=lambda e: errors.from_engine(e, overrides),  # type: ignore[arg-type]
            )

        return routing.declare(routing.RouteInfo(name, method, path, places_order, reads_position), handler)

    return wrap


class RoutesBase(routing.VenueRoutes):
    """The Alpaca wire over one emulator: the helpers every group of routes uses."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
        self._symbols: dict[str, Symbol] = {}

    @staticmethod
    def _ok(data: Any, status: int = 200) -> Response:
        return JSONResponse(data, status_code=status)

    @staticmethod
    def _query(ctx: CallContext, known: set[str]) -> Params:
        return routing.query_params(ctx, known)

    @staticmethod
    def _body(ctx: CallContext, known: set[str]) -> Params:
        return routing.json_params(ctx, known)

    def _listed(self, market_id: str) -> Symbol:
        """The symbol of a market the emulator replays (its market id is its Alpaca symbol)."""
        found = self._symbols.get(market_id)
        if found is None:
            found = parse(market_id)
            assert found is not None, market_id  # the venue only replays symbols it parsed
            self._symbols[market_id] = found
        return found

    def _last(self, market_id: str) -> Decimal:
        """The last price of a replayed market: the close of its last closed bar (what the engine
        marks holdings at)."""
        return self.emu.series[market_id].last_price(self.emu.engine.now_ms)

    def _touch(self, market_id: str) -> tuple[Decimal, Decimal]:
        """The synthetic best bid and ask the engine's spot orders trade at (its price model)."""
        engine = self.emu.engine
        return engine.config.price_model.book(engine.spot_instruments[market_id], self._last(market_id))

    def _markets(self) -> list[Symbol]:
        """Every replayed market, in the engine's order."""
        return [self._listed(m) for m in self.emu.engine.instruments]

    # ------------------------------------------------------------------ typed parameters

    @staticmethod
    def _flag(p: Params, name: str) -> bool | None:
        """A boolean: JSON ``true``/``false`` in a body, ``true``/``false`` in any case in a query
        (alpaca-py writes Python's ``True``)."""
        value = p.raw(name)
        if value is None or isinstance(value, bool):
            return value
        return p.choice(name, BOOLS)

    @staticmethod
    def _instant(p: Params, name: str, *, dates: bool = False) -> int | None:
        """An RFC-3339 instant (or with ``dates`` a ``YYYY-MM-DD`` date) in epoch ms."""
        text = p.str(name, max_len=40)
        if text is None:
            return None
        ms = times.parse_instant(text, dates=dates)
        if ms is None:
            raise ParamError(Problem.INVALID, name, f"'{printable(text)}' is not an RFC-3339 time")
        return ms

    @staticmethod
    def _decimal_field(p: Params, name: str, *, required: bool = False) -> Decimal | None:
        """A positive amount sent as a JSON number or a decimal string (``1.5`` or ``"1.5"``)."""
        return p.decimal(name, required=required)
