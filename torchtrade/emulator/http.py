"""The venue-independent HTTP layer: one wrapper around every venue route.

Each request goes through the same steps, whatever the venue:

1. the body is read; the engine is brought up to the clock's present (bars that closed since the
   last request are replayed first, so a request always sees the venue as it is *now*);
2. a venue that meters requests (its wire has ``admit``, e.g. Binance's request weights) admits the
   request or refuses it (429/418) before anything else; the headers it returns (the weight used)
   go on every answer of the request, fault answers included (unless the answer sets them itself);
3. a fault rule may fire (:mod:`.faults`): answer 429/5xx, reset the connection, or hold the request;
4. the venue handler runs (auth, parse, engine verb, serialise) under the emulator's lock;
5. a ``drop_response`` fault resets the connection instead of answering;
6. the request, its status, any fault and the names of parameters the route ignored are appended to
   the ledger (never a credential, never a parameter's value).

A handler that raises anything unexpected yields the venue's generic error with HTTP 500 and a
``internal_error`` ledger entry; the wire tests assert that bad input never gets there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .faults import FaultKind, FaultRule

if TYPE_CHECKING:
    from .runtime import Emulator

logger = logging.getLogger(__name__)

TRANSPORT_KEY = "torchtrade.transport"


def _dumps_ascii(content: Any) -> bytes:
    # ensure_ascii escapes every non-ASCII character, lone surrogates included ("\\ud800"): valid
    # JSON text whatever the strings hold.
    return json.dumps(content, separators=(",", ":"), ensure_ascii=True).encode()


try:  # orjson (a ccxt dependency) is several times faster on candle-sized answers
    import orjson

    def _dumps(content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            # orjson refuses text that is not valid UTF-8 (a lone surrogate). The wire validates
            # request text before storing it, so this is a safety net: an answer or a ledger read
            # must never fail on a string, or one bad request would break every later read.
            logger.warning("an answer held text that is not valid UTF-8; sent escaped")
            return _dumps_ascii(content)

except ImportError:  # pragma: no cover
    _dumps = _dumps_ascii


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _dumps(content)


@dataclass(slots=True)
class CallContext:
    """What a venue handler gets: the request, its raw body, the emulator and the fault in effect."""

    request: Request
    body: bytes
    emulator: Emulator
    fault: FaultRule | None = None
    account: str | None = None  # set by the venue's auth once the caller is known
    ignored: list[str] | None = None  # parameter names the route ignored (set by the venue's wire)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fill_ratio(self) -> float | None:
        if self.fault is not None and self.fault.kind is FaultKind.PARTIAL_FILL:
            return self.fault.fill_ratio
        return None

    @property
    def stale_read(self) -> bool:
        return self.fault is not None and self.fault.kind is FaultKind.STALE_POSITION


Handler = Callable[[CallContext], Response]
#: A route's request weight: a constant, or computed from the request (Binance: by ``limit``).
Weight = int | Callable[[Request], int]


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One venue endpoint. ``name`` is what fault rules and the request log call it.

    ``weight`` is what the request costs a venue that meters requests (see :class:`Admission`);
    venues without weights ignore it.
    """

    name: str
    method: str
    path: str
    handler: Handler
    places_order: bool = False
    reads_position: bool = False
    weight: Weight = 1


@dataclass(frozen=True, slots=True)
class Admission:
    """A metering venue's decision on one request: ``refusal`` (answered instead, nothing executed)
    or None, and ``headers`` to put on the answer (e.g. ``X-MBX-USED-WEIGHT-1M``)."""

    refusal: Response | None = None
    headers: dict[str, str] = field(default_factory=dict)


class VenueWire(Protocol):
    """What the HTTP layer needs from a venue's wire module."""

    name: str

    # ``now_ms`` is the emulator's clock: every answer, error or not, is stamped with venue time.
    def rate_limited(self, rule: FaultRule, now_ms: int) -> Response: ...

    def server_error(self, rule: FaultRule) -> Response: ...

    def internal_error(self, now_ms: int) -> Response: ...

    def not_found(self, path: str, now_ms: int) -> Response: ...

    # Optional (looked up with getattr): a venue that meters requests admits each one first.
    # def admit(self, emulator: Emulator, spec: RouteSpec, request: Request) -> Admission: ...


async def abort_connection(request: Request) -> None:
    """Reset the client's TCP connection (RST, not FIN): what a crashed proxy or a dropped link does."""
    transport = request.scope.get("state", {}).get(TRANSPORT_KEY)
    if transport is None:  # pragma: no cover - only under a server without our protocol classes
        raise RuntimeError("connection reset needs the emulator's uvicorn protocol classes")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout makes close() send RST: the client sees "connection reset".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let uvicorn notice the disconnect before the app returns, so it does not try to answer.
    for _ in range(3):
        await asyncio.sleep(0)


async def _hold(request: Request, delay_s: float) -> None:
    """Hold a request past the client's patience: until the client hangs up, or ``delay_s`` at most.

    Then it is executed as usual, as a venue does with a request that reached it: the client saw a
    timeout, yet the order exists. Waiting for the hang-up (not a fixed delay) keeps tests fast and
    deterministic: the request lands right after the client's timeout fires.

    The hang-up is awaited as an event (the ASGI ``http.disconnect`` message), not polled, so the
    request executes in the event loop's next turn after the connection closes: before the client's
    follow-up on a new connection (a lookup by client id) can be served. On a venue that keeps client
    ids unique among *open* orders only (Binance), a lookup that overtook the order it looks for would
    let a resend through; the real venue processes a request that reached it first first.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + delay_s
    while (left := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(request.receive(), timeout=left)
        except TimeoutError:
            return
        if message.get("type") == "http.disconnect":
            return


def make_route(emulator: Emulator, wire: VenueWire, spec: RouteSpec) -> Route:
    admit: Callable[[Emulator, RouteSpec, Request], Admission] | None = getattr(wire, "admit", None)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        headers: dict[str, str] = {}
        if admit is not None:
            admission = admit(emulator, spec, request)
            headers = admission.headers
            if admission.refusal is not None:
                return _logged(emulator, wire, spec, request, admission.refusal, None, None)
        response = await _serve(emulator, wire, spec, request, body, path)
        for name, value in headers.items():
            # An answer's own header wins: a scripted rate_limit fault says its own reset time.
            if name not in response.headers:
                response.headers[name] = value
        return response

    return Route(spec.path, endpoint, methods=[spec.method], name=f"{wire.name}.{spec.name}")


async def _serve(
    emulator: Emulator, wire: VenueWire, spec: RouteSpec, request: Request, body: bytes, path: str
) -> Response:
    """Steps 3-6 of the module docstring: faults, the handler under the lock, the ledger."""
    fault = emulator.faults.draw(
        spec.name, path, places_order=spec.places_order, reads_position=spec.reads_position
    )
    if fault is not None:
        emulator.ledger.append(
            "fault",
            emulator.clock.now_ms(),
            venue=wire.name,
            route=spec.name,
            path=path,
            fault=fault.kind,
            rule_id=fault.id,
        )
        if fault.kind is FaultKind.RATE_LIMIT:
            answer = wire.rate_limited(fault, emulator.clock.now_ms())
            return _logged(emulator, wire, spec, request, answer, None, fault)
        if fault.kind is FaultKind.SERVER_ERROR:
            return _logged(emulator, wire, spec, request, wire.server_error(fault), None, fault)
        if fault.kind is FaultKind.CONNECTION_RESET:
            _log_request(emulator, wire, spec, request, 0, None, fault)
            await abort_connection(request)
            return Response(status_code=204)  # never sent: the connection is gone
    held = fault is not None and fault.kind is FaultKind.TIMEOUT
    if held:
        emulator.held_requests += 1
        await _hold(request, fault.delay_s)  # type: ignore[union-attr]
    ctx = CallContext(request=request, body=body, emulator=emulator, fault=fault)
    try:
        with emulator.lock:
            emulator.sync()
            response = spec.handler(ctx)
    except Exception:
        logger.exception("unexpected error in %s %s", wire.name, spec.name)
        emulator.ledger.append(
            "internal_error", emulator.clock.now_ms(), venue=wire.name, route=spec.name, path=path
        )
        response = wire.internal_error(emulator.clock.now_ms())
    finally:
        if held:
            emulator.held_requests -= 1
    if fault is not None and fault.kind is FaultKind.DROP_RESPONSE:
        _log_request(emulator, wire, spec, request, 0, ctx.account, fault, ctx.ignored)
        await abort_connection(request)
        return response
    return _logged(emulator, wire, spec, request, response, ctx.account, fault, ctx.ignored)


def _logged(
    emulator: Emulator,
    wire: VenueWire,
    spec: RouteSpec,
    request: Request,
    response: Response,
    account: str | None,
    fault: FaultRule | None,
    ignored: list[str] | None = None,
) -> Response:
    _log_request(emulator, wire, spec, request, response.status_code, account, fault, ignored)
    return response


def _log_request(
    emulator: Emulator,
    wire: VenueWire,
    spec: RouteSpec,
    request: Request,
    status: int,
    account: str | None,
    fault: FaultRule | None,
    ignored: list[str] | None = None,
) -> None:
    # Only the route, never headers or the body: they carry keys and signatures. Parameters the
    # route ignored are listed by name (never value), so a misspelt field stays visible.
    fields: dict[str, Any] = {"ignored": ignored} if ignored else {}
    emulator.ledger.append(
        "request",
        emulator.clock.now_ms(),
        venue=wire.name,
        route=spec.name,
        method=request.method,
        path=request.url.path,
        status=status,
        account=account,
        fault=fault.kind if fault else None,
        **fields,
    )


# --------------------------------------------------------------------------- uvicorn protocol hooks
# A connection reset needs the TCP transport, which ASGI does not expose. uvicorn copies its
# ``app_state`` into every request's ``scope["state"]``; giving each connection its own copy that
# holds the transport is the least invasive way to reach it.


class ResettableHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.app_state = {**self.app_state, TRANSPORT_KEY: transport}
        super().connection_made(transport)


class ResettableH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.app_state = {**self.app_state, TRANSPORT_KEY: transport}
        super().connection_made(transport)
