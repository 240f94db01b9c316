"""Binance's signed requests (``TRADE`` / ``USER_DATA`` security), verified as the venue does.

The signature is ``hex(HMAC-SHA256(secret, totalParams))`` where ``totalParams`` is the query
string concatenated with the request body, exactly as sent (still percent-encoded), without the
``signature`` parameter itself. The key travels in the ``X-MBX-APIKEY`` header.

Timing (Binance's rule): a request is accepted when ``serverTime - recvWindow <= timestamp <
serverTime + 1000``; ``recvWindow`` defaults to 5000 ms and may not exceed 60000. The emulator
accepts a ``timestamp`` close enough to either of two server times: the wall clock (ccxt signs with
its own clock) or the emulator's present (a client that synchronised with ``/fapi/v1/time``).
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

from ...params import Params, parse_int_text
from ..base import Credentials
from . import errors

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60_000
MAX_AHEAD_MS = 1000
# Binance's keys are 64 characters; anything printable of a sane length is looked up.
MAX_KEY_LEN = 256


def _without_signature(raw: bytes) -> tuple[bytes, bytes | None]:
    """``raw`` (a query or form text) without its ``signature=`` pairs, and the signature sent."""
    if not raw:
        return b"", None
    kept = []
    signature = None
    for part in raw.split(b"&"):
        if part.startswith(b"signature="):
            signature = part[len(b"signature=") :]
        else:
            kept.append(part)
    return b"&".join(kept), signature


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def authenticate(
    request: Request,
    body: bytes,
    params: Params,
    lookup: dict[str, Credentials],
    now_candidates: tuple[int, ...],
) -> Credentials:
    """The credentials behind a signed request, or the Binance error the venue would answer.

    ``params`` holds the request's parameters (query and form body merged); ``timestamp`` and
    ``recvWindow`` are read from it.
    """
    key = request.headers.get("X-MBX-APIKEY", "")
    if not key or len(key) > MAX_KEY_LEN or not key.isascii() or not key.isprintable():
        raise errors.API_KEY_FORMAT
    creds = lookup.get(key)
    if creds is None:
        raise errors.INVALID_API_KEY
    timestamp = params.raw("timestamp")
    if timestamp is None:
        raise errors.mandatory("timestamp")
    ts = parse_int_text(timestamp, negative=False) if isinstance(timestamp, str) else None
    if ts is None:
        raise errors.illegal("timestamp", errors.INTEGER_RANGE)
    window = params.raw("recvWindow")
    recv_window = DEFAULT_RECV_WINDOW_MS
    if window is not None:
        parsed = parse_int_text(window, negative=False) if isinstance(window, str) else None
        if parsed is None:
            raise errors.illegal("recvWindow", errors.INTEGER_RANGE)
        if not 0 < parsed <= MAX_RECV_WINDOW_MS:
            raise errors.invalid_data("recvWindow", f"must be in 1..{MAX_RECV_WINDOW_MS}")
        recv_window = parsed
    query, query_sig = _without_signature(request.scope["query_string"])
    form, form_sig = _without_signature(body)
    signature = query_sig if query_sig is not None else form_sig
    if not signature:
        raise errors.mandatory("signature")
    expected = sign(creds.api_secret.reveal(), query + form).encode()
    if not hmac.compare_digest(expected, signature.lower()):
        raise errors.BAD_SIGNATURE
    if not any(now - recv_window <= ts < now + MAX_AHEAD_MS for now in now_candidates):
        if all(ts >= now + MAX_AHEAD_MS for now in now_candidates):
            raise errors.AHEAD_OF_SERVER
        raise errors.OUTSIDE_RECV_WINDOW
    return creds
