"""Route plumbing every venue wire shares: declaring routes, collecting them, reading parameters.

A venue groups its handlers in classes by concern (market, account, orders) over
:class:`VenueRoutes`. Each handler is declared with :func:`declare` (name, method, path, what it does
for fault targeting, its request weight), usually through the venue's own ``endpoint`` decorator,
which adds authentication and the venue's error answers around it. :func:`collect` turns the declared
handlers of a routes object into the :class:`~...http.RouteSpec` list the HTTP layer serves.

:func:`guarded` runs a handler and turns every refusal into the venue's answer: the venue's own
:class:`~.errors.WireError`, a parameter :class:`~...params.ParamError` or an engine refusal
(:class:`~...engine.EngineError`), each translated by the venue's table.

Parameters are read with :class:`~...params.Params` (one strict number grammar for every venue).
Unknown parameters are ignored, as the venues ignore them; every :class:`Params` a handler builds
is remembered on the call (:func:`remember`), and :func:`ignored_names` lists what was ignored for
the request's ledger entry (names only, never values).
"""

from __future__ import annotations

import functools
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ...engine import Account, EngineError
from ...http import CallContext, RouteSpec, Weight
from ...params import ParamError, Params, Problem, parse_json_object
from .errors import WireError

if TYPE_CHECKING:
    from ...runtime import Emulator

# Enough to spot a misspelt field in the ledger; a body of ten thousand junk keys is not listed whole.
MAX_IGNORED_LISTED = 20
# A form body or query of more parameters than this is not a request any client sends.
MAX_FORM_FIELDS = 1000


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """A handler's declaration: what :func:`collect` turns into a :class:`~...http.RouteSpec`."""

    name: str
    method: str
    path: str
    places_order: bool = False
    reads_position: bool = False
    weight: Weight = 1


F = Callable[..., Any]


def declare(info: RouteInfo, fn: F) -> F:
    """Mark ``fn`` (a handler taking ``(self, ctx)``) as the route ``info``."""
    fn.route_info = info  # type: ignore[attr-defined]
    return fn


def collect(routes: object) -> list[RouteSpec]:
    """Every declared handler of ``routes`` (its class and bases), bound to it, as route specs."""
    out = []
    cls = type(routes)
    for attr in dir(cls):
        fn = getattr(cls, attr)
        info = getattr(fn, "route_info", None)
        if not isinstance(info, RouteInfo):
            continue
        out.append(
            RouteSpec(
                info.name,
                info.method,
                info.path,
                functools.partial(fn, routes),
                info.places_order,
                info.reads_position,
                info.weight,
            )
        )
    return out


class VenueRoutes:
    """The base of a venue's route classes: the emulator they serve, and helpers every venue needs.

    A venue's route groups (market, account, orders) derive from it, through the venue's own base
    of helpers; the class that joins the groups lists their routes with :meth:`specs`.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def specs(self) -> list[RouteSpec]:
        return collect(self)

    def _now_candidates(self) -> tuple[int, ...]:
        """The instants a signed request's timestamp may be near: the wall clock (ccxt signs with
        it) and the emulator's present (a client that synced its clock to our server time)."""
        return int(time.time() * 1000), self.emu.engine.now_ms

    def _account(self, ctx: CallContext) -> Account:
        """The engine account of the credentials the request was authenticated with."""
        return self.emu.engine.account(ctx.account)  # type: ignore[arg-type]


def guarded(
    ctx: CallContext,
    run: Callable[[], Response],
    *,
    answer: Callable[[WireError], Response],
    from_param: Callable[[ParamError], WireError],
    from_engine: Callable[[EngineError], WireError],
) -> Response:
    """``run()``, or the venue's answer to what it raised; the names it ignored go on the call."""
    try:
        return run()
    except WireError as e:
        return answer(e)
    except ParamError as e:
        return answer(from_param(e))
    except EngineError as e:
        return answer(from_engine(e))
    finally:
        ctx.ignored = ignored_names(ctx)


def remember(ctx: CallContext, params: Params) -> Params:
    """Keep ``params`` on the call, so the endpoint wrapper can list what the route ignored."""
    ctx.extra.setdefault("params", []).append(params)
    return params


def ignored_names(ctx: CallContext) -> list[str] | None:
    """The names of the parameters the request's handler ignored (sorted, at most 20), or None."""
    names = sorted({n for params in ctx.extra.get("params", ()) for n in params.ignored})
    return names[:MAX_IGNORED_LISTED] or None


def query_params(ctx: CallContext, known: set[str] | frozenset[str]) -> Params:
    """The query string's parameters (the last value of a repeated name)."""
    return remember(ctx, Params(dict(ctx.request.query_params), known))


def json_params(ctx: CallContext, known: set[str] | frozenset[str]) -> Params:
    """The JSON object body's parameters (numbers read exactly; ``ParamError`` if not an object)."""
    return remember(ctx, Params(parse_json_object(ctx.body), known))


def parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (empty body: ``{}``).

    Raises:
        ParamError: NOT_JSON-class problem (the body is not form text: not UTF-8, or absurdly many
            fields); venues answer it as a malformed request.
    """
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise ParamError(Problem.NOT_JSON, "body", "the body is not form-encoded text") from None
    return dict(pairs)


def form_and_query_params(ctx: CallContext, known: set[str] | frozenset[str]) -> Params:
    """A form body's parameters merged with the query string's; the query wins a name in both.

    That is Binance's rule ("if a parameter is sent in both the query string and the request body,
    the query string parameter will be used"); ccxt sends everything in one of the two.
    """
    data = parse_form(ctx.body)
    data.update(dict(ctx.request.query_params))
    return remember(ctx, Params(data, known))
