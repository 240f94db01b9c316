"""The one place where ccxt's exceptions become torchtrade's (see :mod:`torchtrade.errors`).

ccxt's classes say what failed; ours say what to do next: retry (:class:`TransientVenueError`,
:class:`RateLimited`), report and go on (:class:`OrderRejected`), or stop (:class:`AuthError`).
Every translation keeps the venue's code and chains the original (``raise ... from e``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

import ccxt

from ....errors import (
    AuthError,
    InsufficientMargin,
    OrderRejected,
    RateLimited,
    TransientVenueError,
    VenueError,
)

_CODE = re.compile(r'"code"\s*:\s*"?([0-9A-Za-z_-]+)"?')


def venue_code(err: BaseException) -> str | None:
    """The venue's own error code inside a ccxt message (``bitget {"code":"40762",...}``)."""
    m = _CODE.search(str(err))
    return m.group(1) if m else None


def _retry_after(exchange: Any) -> float | None:
    headers = getattr(exchange, "last_response_headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


#: the names a venue profile's ``error_codes`` may use
ERROR_CLASSES: dict[str, type[VenueError]] = {
    "insufficient_margin": InsufficientMargin,
    "order_rejected": OrderRejected,
    "transient": TransientVenueError,
    "auth": AuthError,
}


@contextlib.contextmanager
def translate_errors(
    exchange: Any, venue: str, op: str, *, order: bool = False, codes: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Run a ccxt call, re-raising its failure as a torchtrade error.

    Args:
        exchange: the ccxt exchange (its last response headers carry the 429 retry hint).
        venue: venue name, for messages.
        op: what is being done (``"create_order"``), for messages and logs.
        order: the call places an order: a venue refusal is then an :class:`OrderRejected`.
        codes: the venue's own codes and what they mean (names of :data:`ERROR_CLASSES`): they win
            over ccxt's class, which for some venues depends on the host the client talks to.
    """
    try:
        with _translate(exchange, venue, op, order=order):
            yield
    except VenueError as e:
        cls = ERROR_CLASSES.get((codes or {}).get(e.code or "", ""))
        if cls is None or isinstance(e, cls):
            raise
        # The ccxt error stays the cause (callers look at it, e.g. for OrderNotFound).
        raise cls(str(e), venue=venue, op=op, code=e.code) from e.__cause__


@contextlib.contextmanager
def _translate(exchange: Any, venue: str, op: str, *, order: bool) -> Iterator[None]:
    try:
        yield
    except (ccxt.DDoSProtection, ccxt.RateLimitExceeded) as e:
        raise RateLimited(
            f"{venue} {op}: rate limited",
            retry_after=_retry_after(exchange),
            venue=venue,
            op=op,
            code=venue_code(e),
        ) from e
    except ccxt.NetworkError as e:  # timeouts, resets, 5xx, maintenance, nonce/clock trouble
        raise TransientVenueError(
            f"{venue} {op}: {type(e).__name__}", venue=venue, op=op, code=venue_code(e)
        ) from e
    except ccxt.AuthenticationError as e:
        raise AuthError(
            f"{venue} {op}: authentication failed ({type(e).__name__})",
            venue=venue,
            op=op,
            code=venue_code(e),
        ) from e
    except ccxt.InsufficientFunds as e:
        raise InsufficientMargin(
            f"{venue} {op}: insufficient margin", venue=venue, op=op, code=venue_code(e)
        ) from e
    except ccxt.ExchangeError as e:
        cls = OrderRejected if order else VenueError
        raise cls(f"{venue} {op}: {_reason(e)}", venue=venue, op=op, code=venue_code(e)) from e
    except ccxt.BaseError as e:
        raise TransientVenueError(f"{venue} {op}: {type(e).__name__}", venue=venue, op=op) from e
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
        # ccxt could not parse the answer (a proxy's error page, a truncated body): worth another try,
        # and never a raw exception out of the env.
        raise TransientVenueError(
            f"{venue} {op}: unexpected answer ({type(e).__name__})", venue=venue, op=op
        ) from e


def _reason(err: BaseException) -> str:
    """The venue's message without the URL (which could carry query parameters)."""
    m = re.search(r'"msg"\s*:\s*"([^"]*)"', str(err))
    return m.group(1) if m else type(err).__name__
