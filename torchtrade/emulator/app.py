"""The ASGI app: the venue's routes plus the control routes, over one :class:`~.runtime.Emulator`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from .control import control_routes
from .http import make_route
from .runtime import Emulator


def create_app(emulator: Emulator) -> Starlette:
    """Build the app. Unknown paths get the venue's own "not found" answer, never a traceback."""
    venue = emulator.venue
    routes = [make_route(emulator, venue.wire, spec) for spec in venue.routes(emulator)]
    routes += control_routes(emulator)

    # A wire whose "not found" names the method too (Binance's -5000 "Path ..., Method ... is
    # invalid") offers ``not_found_for(path, method, now_ms)``.
    not_found_for = getattr(venue.wire, "not_found_for", None)

    async def not_found(request: Request, exc: Exception) -> Response:
        now = emulator.clock.now_ms()
        if not_found_for is not None:
            return not_found_for(request.url.path, request.method, now)
        return venue.wire.not_found(request.url.path, now)

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
