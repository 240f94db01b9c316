"""Binance's request weights: ``X-MBX-USED-WEIGHT-1M`` on every answer, 429 past the budget, 418
for a client that keeps going (the metering itself is :mod:`..common.limits`).

* The budget is Binance USD-M's 2400 weight per minute per IP (``exchangeInfo.rateLimits`` says
  so), or ``EmulatorConfig.weight_limit`` / the ``weight_limit`` reset field; the window is a wall
  clock minute, or ``weight_window_ms`` (tests shorten it). The header reports the weight used in
  the current window, this request included.
* Each route's weight is declared beside it (``weight=`` in its ``endpoint``): Binance's, as
  ccxt's ``describe()`` lists them (``cost`` per fapi path, klines and depth by ``limit``, the
  whole-market variants of tickers and open orders heavier), with Binance's documented 5 for the
  v2/v3 account, balance and positionRisk reads. Placing, cancelling and settings weigh 1 (they
  count against Binance's separate order-rate limits, which are not emulated). The ``/sapi``
  start-up calls weigh 0: they belong to another API's budget.
* A 429 says ``Retry-After: <seconds to the window's end>``; the 418 of a ban says the seconds
  until the ban ends. Both answer Binance's ``-1003`` body, which ccxt raises as DDoSProtection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from ...http import Admission, JSONResponse, RouteSpec
from ..common.limits import Verdict, WeightMeter
from . import errors, wire

if TYPE_CHECKING:
    from ...runtime import Emulator

WEIGHT_LIMIT_DEFAULT = 2400
USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"


def _meter(emulator: Emulator) -> WeightMeter:
    cfg = emulator.config
    meter = emulator.wire_cache.get("weights")
    if meter is None:
        meter = WeightMeter(limit=cfg.weight_limit or WEIGHT_LIMIT_DEFAULT, window_ms=cfg.weight_window_ms)
        emulator.wire_cache["weights"] = meter
    return meter


def weight_of(spec: RouteSpec, request: Request) -> int:
    return spec.weight(request) if callable(spec.weight) else spec.weight


def admit(emulator: Emulator, spec: RouteSpec, request: Request) -> Admission:
    """Charge the request's weight to its client's window; refuse it past the budget."""
    with emulator.lock:
        meter = _meter(emulator)
    ip = request.client.host if request.client is not None else "unknown"
    charge = meter.charge(ip, weight_of(spec, request), emulator.wall_ms())
    headers = {USED_WEIGHT_HEADER: str(charge.used)}
    if charge.verdict is Verdict.OK:
        return Admission(headers=headers)
    if charge.verdict is Verdict.LIMITED:
        err = errors.too_many_requests(ip, meter.limit)
    else:
        err = errors.banned(ip, charge.banned_until_ms)
    refusal = JSONResponse(wire.error_body(err.code, err.msg), status_code=err.status)
    refusal.headers.update({**headers, "Retry-After": f"{charge.retry_after_s:g}"})
    return Admission(refusal=refusal, headers=headers)
