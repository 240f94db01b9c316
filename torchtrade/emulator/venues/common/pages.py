"""The answer of a load balancer in front of a venue: an HTML page with a 5xx, not venue JSON."""

from __future__ import annotations

from starlette.responses import Response

REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def gateway_error(status: int) -> Response:
    """What a ``server_error`` fault answers on every venue (clients must not parse it as JSON)."""
    title = f"{status} {REASONS.get(status, 'Server Error')}"
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return Response(body, status_code=status, media_type="text/html")
