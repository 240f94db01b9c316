"""Alpaca's rate limit: requests per minute per account, told in ``X-RateLimit-*`` headers.

* The trading API allows 200 requests a minute per account, and so does the market data API
  (the free plan) on its own budget; ``EmulatorConfig.weight_limit`` (the ``weight_limit`` reset
  field) sets both, ``weight_window_ms`` the window (the metering is :mod:`..common.limits`, on the
  wall clock, so a fast replay does not make the budget tighter).
* Every answer carries ``X-RateLimit-Limit`` (the budget), ``X-RateLimit-Remaining`` (what is left in
  the window, this request counted) and ``X-RateLimit-Reset`` (the window's end, Unix seconds).
* Past the budget: 429 ``{"code": 42910000, "message": "rate limit exceeded"}`` with the same
  headers, until the window ends; Alpaca has no bans. A scripted ``rate_limit`` fault answers the same,
  its ``Reset`` the fault's retry hint from now (Alpaca sends no ``Retry-After``).
* Requests are counted per API key (the account); anonymous ones (crypto data) per client address.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ...http import Admission, RouteSpec
from ..common.limits import Verdict, WeightMeter
from . import errors
from .auth import KEY_HEADER
from .common import answer

if TYPE_CHECKING:
    from ...runtime import Emulator

REQUESTS_PER_MINUTE = 200
LIMIT = "X-RateLimit-Limit"
REMAINING = "X-RateLimit-Remaining"
RESET = "X-RateLimit-Reset"
DATA_PREFIXES = ("/v2/stocks/", "/v1beta3/")


def _meter(emulator: Emulator, api: str) -> WeightMeter:
    key = f"alpaca_rate_{api}"
    meter = emulator.wire_cache.get(key)
    if meter is None:
        cfg = emulator.config
        meter = WeightMeter(
            limit=cfg.weight_limit or REQUESTS_PER_MINUTE, window_ms=cfg.weight_window_ms, bans=False
        )
        emulator.wire_cache[key] = meter
    return meter


def headers(limit: int, remaining: int, reset_ms: int) -> dict[str, str]:
    return {LIMIT: str(limit), REMAINING: str(max(0, remaining)), RESET: str(math.ceil(reset_ms / 1000))}


def admit(emulator: Emulator, spec: RouteSpec, request: Request) -> Admission:
    """Count the request against its account's window; refuse it past the budget."""
    api = "data" if request.url.path.startswith(DATA_PREFIXES) else "trading"
    with emulator.lock:
        meter = _meter(emulator, api)
    key = request.headers.get(KEY_HEADER) or (request.client.host if request.client else "unknown")
    now = emulator.wall_ms()
    charge = meter.charge(f"{api}:{key[:256]}", 1, now)
    window_end = now - now % meter.window_ms + meter.window_ms
    out = headers(meter.limit, meter.limit - charge.used, window_end)
    if charge.verdict is Verdict.OK:
        return Admission(headers=out)
    refusal = answer(errors.RATE_LIMITED)
    refusal.headers.update(out)
    return Admission(refusal=refusal, headers=out)


def fault_answer(retry_after_s: float) -> Response:
    """What a scripted ``rate_limit`` fault answers: Alpaca's 429, nothing left until the fault's
    hint from now (on the wall clock, as every window)."""
    now = int(time.time() * 1000)
    response = answer(errors.RATE_LIMITED)
    response.headers.update(headers(REQUESTS_PER_MINUTE, 0, now + int(retry_after_s * 1000)))
    return response
