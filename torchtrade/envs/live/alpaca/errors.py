"""The one place where alpaca-py's (and requests') exceptions become torchtrade's.

alpaca-py raises :class:`alpaca.common.exceptions.APIError` for every HTTP error, carrying the
response (status, headers) and Alpaca's JSON body ``{"code": 40310000, "message": "..."}``; the
network below it raises ``requests`` exceptions. What the status and code mean decides the class,
and the class decides what the caller does (see :mod:`torchtrade.errors`):

========================  ======================================================================
401, 403 ``forbidden``    :class:`AuthError` (wrong keys, or paper keys on the live API): stop
403 buying power          :class:`InsufficientMargin` (code 40310000, "insufficient buying power")
403 / 404 / 422 / 400     :class:`OrderRejected` for order calls (PDT protection 40310100, not
                          shortable, wash trade, qty...), :class:`VenueError` otherwise
429                       :class:`RateLimited`, with the ``Retry-After`` hint, else the time left
                          until ``X-RateLimit-Reset``
5xx, network, timeouts    :class:`TransientVenueError` (retried)
========================  ======================================================================

Every translation keeps Alpaca's code and chains the original (``raise ... from e``). Messages carry
Alpaca's message, never the request's headers (the keys travel there).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import requests
from alpaca.common.exceptions import APIError

from ....errors import (
    AuthError,
    InsufficientMargin,
    OrderRejected,
    RateLimited,
    TransientVenueError,
    VenueError,
)

VENUE = "alpaca"

#: Alpaca's codes the envs act on (https://docs.alpaca.markets/reference/ error bodies)
DUPLICATE_CLIENT_ID_MESSAGE = "client_order_id must be unique"
NOT_FOUND_CODE = "40410000"
#: the longest wait taken from ``X-RateLimit-Reset`` (a clock skew must not stall the env)
MAX_RESET_WAIT_S = 60.0


def body(err: APIError) -> tuple[str | None, str]:
    """Alpaca's ``(code, message)`` of an error; the raw text (cut short) when it is not JSON."""
    raw = str(getattr(err, "_error", "") or err)
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None, raw.strip()[:200]
    if not isinstance(parsed, dict):
        return None, raw.strip()[:200]
    code = parsed.get("code")
    return (str(code) if code is not None else None), str(parsed.get("message") or "").strip()


def status_of(err: APIError) -> int | None:
    try:
        return err.status_code
    except Exception:  # an APIError built without a response
        return None


def is_duplicate_client_id(err: APIError) -> bool:
    return DUPLICATE_CLIENT_ID_MESSAGE in body(err)[1].lower()


def is_not_found(err: BaseException) -> bool:
    """A 404 (no such order, no position in the symbol)."""
    cause = err if isinstance(err, APIError) else err.__cause__
    return isinstance(cause, APIError) and (status_of(cause) == 404 or body(cause)[0] == NOT_FOUND_CODE)


def _retry_after(err: APIError) -> float | None:
    response = getattr(err, "response", None)
    headers: Any = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    if value is not None:
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
    reset = headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            return min(max(float(reset) - time.time(), 0.0), MAX_RESET_WAIT_S)
        except ValueError:
            return None
    return None


@contextlib.contextmanager
def translate_errors(op: str, *, order: bool = False) -> Iterator[None]:
    """Run an alpaca-py call, re-raising its failure as a torchtrade error.

    Args:
        op: what is being done (``"submit_order"``), for messages and logs.
        order: the call places an order: a venue refusal is then an :class:`OrderRejected`.
    """
    try:
        yield
    except APIError as e:
        raise _translated(e, op, order) from e
    except requests.RequestException as e:  # connection refused or reset, timeouts, broken bodies
        raise TransientVenueError(f"{VENUE} {op}: {type(e).__name__}", venue=VENUE, op=op) from e
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
        # alpaca-py could not parse the answer (a proxy's error page, a truncated body): worth
        # another try, and never a raw exception out of the env. pydantic's ValidationError is a
        # ValueError.
        raise TransientVenueError(
            f"{VENUE} {op}: unexpected answer ({type(e).__name__})", venue=VENUE, op=op
        ) from e


def _translated(err: APIError, op: str, order: bool) -> VenueError:
    status = status_of(err)
    code, message = body(err)
    text = f"{VENUE} {op}: {message or 'HTTP ' + str(status)}"
    kw: dict[str, Any] = {"venue": VENUE, "op": op, "code": code}
    if status == 429:
        return RateLimited(f"{VENUE} {op}: rate limited", retry_after=_retry_after(err), **kw)
    if status is None or status >= 500:
        return TransientVenueError(text, **kw)
    if status == 401 or (status == 403 and message.lower().rstrip(".") == "forbidden"):
        return AuthError(f"{VENUE} {op}: authentication failed ({message or status})", **kw)
    if order and status == 403 and "buying power" in message.lower():
        return InsufficientMargin(text, **kw)
    if order:
        return OrderRejected(text, **kw)
    return VenueError(text, **kw)
