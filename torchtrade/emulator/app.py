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

    async def not_found(request: Request, exc: Exception) -> Response:
        return venue.wire.not_found(request.url.path, emulator.clock.now_ms())

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
