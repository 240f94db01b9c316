"""Bitget's request signature, verified exactly as the venue does.

Prehash (https://www.bitget.com/api-doc/common/signature):
``timestamp + METHOD + requestPath + ("?" + queryString if any) + body``, HMAC-SHA256 with the API
secret, base64. The query string is signed *as the client wrote it before percent-encoding*: ccxt
sorts the keys and signs the raw values, then percent-encodes them in the URL, so we unquote the
received query (``unquote``, not ``unquote_plus``: a ``+`` in a client order id is a plus).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

from starlette.requests import Request

from ...params import parse_int_text
from ..base import Credentials
from . import errors

# Bitget rejects a request whose ACCESS-TIMESTAMP is more than 30 s away from its server time.
TIMESTAMP_WINDOW_MS = 30_000


def prehash(timestamp: str, method: str, path: str, query: str, body: bytes) -> str:
    text = timestamp + method.upper() + path
    if query:
        text += "?" + urllib.parse.unquote(query)
    return text + body.decode("utf-8", errors="replace")


def sign(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def authenticate(
    request: Request, body: bytes, lookup: dict[str, Credentials], now_candidates: tuple[int, ...]
) -> Credentials:
    """The credentials behind a signed request, or the Bitget error the venue would answer.

    ``now_candidates`` are the instants the timestamp may be close to: the wall clock (ccxt signs with
    it) and the emulator's present (a client that synced its clock to our server time signs with that).
    """
    headers = request.headers
    key = headers.get("ACCESS-KEY", "")
    signature = headers.get("ACCESS-SIGN", "")
    timestamp = headers.get("ACCESS-TIMESTAMP", "")
    passphrase = headers.get("ACCESS-PASSPHRASE", "")
    if not key:
        raise errors.missing_header("ACCESS_KEY")
    if not signature:
        raise errors.missing_header("ACCESS_SIGN")
    # Milliseconds since the epoch in the one number grammar (ASCII digits: "²" passes isdigit()).
    ts = parse_int_text(timestamp, negative=False)
    if ts is None or len(timestamp) > 16:
        raise errors.BAD_TIMESTAMP
    if not passphrase:
        raise errors.missing_header("ACCESS_PASSPHRASE")
    creds = lookup.get(key)
    if creds is None:
        raise errors.UNKNOWN_KEY
    if all(abs(ts - now) > TIMESTAMP_WINDOW_MS for now in now_candidates):
        raise errors.TIMESTAMP_EXPIRED
    if creds.passphrase is not None and creds.passphrase != passphrase:
        raise errors.BAD_PASSPHRASE
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    text = prehash(
        timestamp,
        request.method,
        raw_path.decode("latin-1"),
        request.scope["query_string"].decode("latin-1"),
        body,
    )
    expected = sign(creds.api_secret.reveal(), text)
    if not hmac.compare_digest(expected, signature):
        raise errors.BAD_SIGNATURE
    return creds
