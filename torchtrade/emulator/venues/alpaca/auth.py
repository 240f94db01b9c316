"""Alpaca's authentication: a key id and its secret in headers, compared as Alpaca compares them.

Alpaca signs nothing: every request carries ``APCA-API-KEY-ID`` and ``APCA-API-SECRET-KEY``
(alpaca-py's ``RESTClient._get_auth_headers``), or with ``use_basic_auth`` an
``Authorization: Basic base64(key:secret)`` header. Either way the pair must be a key the emulator
accepts and its secret, or the answer is 401 ``40110000``. Paper and live keys reach the same
emulator (the host is the only difference, and ``url_override`` replaces it). OAuth tokens
(``Authorization: Bearer``) are not emulated: they get the same 401.

The crypto market data needs no key (``CryptoHistoricalDataClient()`` sends none); a request that
does send one must send a valid one, as on Alpaca.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from ..base import Credentials
from . import errors

KEY_HEADER = "APCA-API-KEY-ID"
SECRET_HEADER = "APCA-API-SECRET-KEY"
MAX_KEY_LEN = 256


def _pair(request: Request) -> tuple[str, str] | None:
    """The (key, secret) the request presents, or None when it presents none at all."""
    key = request.headers.get(KEY_HEADER)
    secret = request.headers.get(SECRET_HEADER)
    if key is not None or secret is not None:
        return key or "", secret or ""
    auth = request.headers.get("Authorization")
    if auth is None:
        return None
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        return "", ""  # a Bearer token (OAuth) or junk: presented, and not accepted
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    key, _, secret = decoded.partition(":")
    return key, secret


def authenticate(
    request: Request, lookup: dict[str, Credentials], *, required: bool = True
) -> Credentials | None:
    """The credentials the request authenticates with; None for an anonymous request that may be.

    Raises:
        AlpacaError: 401 ``40110000`` for missing (when ``required``) or wrong credentials.
    """
    pair = _pair(request)
    if pair is None:
        if required:
            raise errors.UNAUTHORIZED
        return None
    key, secret = pair
    if not key or len(key) > MAX_KEY_LEN or not key.isascii() or len(secret) > MAX_KEY_LEN:
        raise errors.UNAUTHORIZED
    creds = lookup.get(key)
    if creds is None:
        raise errors.UNAUTHORIZED
    if not hmac.compare_digest(creds.api_secret.reveal().encode(), secret.encode("utf-8", "replace")):
        raise errors.UNAUTHORIZED
    return creds
