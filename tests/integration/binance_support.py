"""Shared by the Binance wire tests: independently signed raw requests, error codes of ccxt errors.

Raw requests are signed here from Binance's documented rule (``hex(HMAC-SHA256(secret, query +
body))``, the ``signature`` parameter last), independently of the emulator's code, with the
emulator's default keys, so every byte reaches the venue as written.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from typing import Any

import requests

KEY, SECRET = "emulator-key", "emulator-secret"
BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"
TIMEOUT = (2, 5)  # connect, read (s): a hang fails the test instead of stalling it


def sign(query: str) -> str:
    return hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()


def raw(
    base: str,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    signed: bool = True,
    key: str | None = KEY,
    timestamp: Any = None,
    in_body: bool | None = None,
    session: requests.Session | None = None,
    spoil_signature: bool = False,
) -> requests.Response:
    """One request as Binance's documentation says to send it (form body for POST by default)."""
    items = [(k, v if isinstance(v, str) else str(v)) for k, v in (params or {}).items()]
    if signed:
        ts = str(int(time.time() * 1000)) if timestamp is None else str(timestamp)
        items.append(("timestamp", ts))
    query = urllib.parse.urlencode(items, errors="surrogatepass")
    if signed:
        signature = sign(query)
        if spoil_signature:
            signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        query += "&signature=" + signature
    body = in_body if in_body is not None else method in ("POST", "PUT")
    headers = {"X-MBX-APIKEY": key} if key is not None else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    http = session or requests
    url = base + path + ("" if body or not query else "?" + query)
    return http.request(method, url, data=query if body else None, headers=headers, timeout=TIMEOUT)


def code_of(error: Exception) -> int | None:
    """The Binance code in a ccxt error's message (``binanceusdm {"code":-2019,...}``)."""
    text = str(error)
    marker = '"code":'
    at = text.find(marker)
    if at < 0:
        return None
    digits = text[at + len(marker) :].split(",", 1)[0].strip()
    return int(digits)
