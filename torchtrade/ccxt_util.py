"""Small ccxt helpers shared by the envs and the emulator's clients."""

from __future__ import annotations

import urllib.parse

import ccxt

from .secrets import REDACTOR, install, redacted_print

# Every logger a ccxt REST call writes to: ccxt's own (``logging.getLogger(__name__)`` in
# ccxt/base/exchange.py, which the async exchanges inherit) and the HTTP stacks under it (URLs
# with query strings at DEBUG). Filters see only their own logger's records, hence each by name.
CCXT_LOGGERS: tuple[str, ...] = (
    "ccxt.base.exchange",
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests",
    "aiohttp.client",
)
# ccxt's credential attributes (``Exchange.requiredCredentials``): identifiers and signing material.
_KEY_FIELDS = ("apiKey", "uid", "login", "accountId")
_SECRET_FIELDS = ("secret", "password", "privateKey", "twofa", "token")


def point_ccxt(exchange: ccxt.Exchange, base_url: str) -> ccxt.Exchange:
    """Send every API group of a ccxt exchange to ``base_url``'s scheme and host, keeping each URL's path.

    Bitget's URLs are bare hosts (``https://api.bitget.com``); Binance's carry the API's version
    prefix (``https://demo-fapi.binance.com/fapi/v1``), which the emulator serves as such. ``base_url``
    may carry a path prefix of its own (a proxy). Only the addresses change: signing, parsing and
    error mapping stay exactly as ccxt ships them.
    """
    base = urllib.parse.urlsplit(base_url.rstrip("/"))

    def rebase(url: str) -> str:
        path = urllib.parse.urlsplit(url).path
        return urllib.parse.urlunsplit((base.scheme, base.netloc, base.path + path, "", ""))

    api = exchange.urls["api"]
    if isinstance(api, dict):
        for key, url in api.items():
            if isinstance(url, str):
                api[key] = rebase(url)
    else:
        exchange.urls["api"] = rebase(api)
    return exchange


def guard_secrets(exchange: ccxt.Exchange) -> ccxt.Exchange:
    """Keeps ``exchange``'s credentials out of every log line and print, in any escaped form.

    Registers its keys (masked, see :func:`torchtrade.secrets.mask_key`) and secrets with the
    process-wide :data:`~torchtrade.secrets.REDACTOR`; puts the redacting filter on
    :data:`CCXT_LOGGERS` and on ``exchange.logger``; and routes ccxt's ``verbose=True`` output
    (``Exchange.log``, a plain ``print`` in ccxt) through
    :func:`~torchtrade.secrets.redacted_print`: still printed to stdout as ccxt does (its DEBUG
    log already carries the same lines for logging users), minus the secrets.

    Call it on every exchange built with real credentials, right after construction.
    """
    for name in _KEY_FIELDS:
        value = getattr(exchange, name, None)
        if isinstance(value, str):
            REDACTOR.add(value, kind="key")
    for name in _SECRET_FIELDS:
        value = getattr(exchange, name, None)
        if isinstance(value, str):
            REDACTOR.add(value, kind="secret")
    install(*CCXT_LOGGERS)
    if getattr(exchange, "logger", None) is not None:
        install(exchange.logger)
    exchange.log = redacted_print  # ccxt calls self.log(*args): the instance attribute wins
    return exchange


def ohlcv_limits(exchange: ccxt.Exchange, symbol: str) -> dict[str, int]:
    """The per-timeframe caps ccxt puts on ``fetch_ohlcv``'s ``limit`` for ``symbol``'s market type.

    ccxt silently lowers a larger ``limit`` to these (Bitget swap: ``1d`` at 90, ``12h`` at 180):
    a window sized for the larger ``limit`` would come back without its oldest candles. Read from
    ccxt's own ``options["fetchOHLCV"][<spot|swap>]["maxLimitPerTimeframe"]``; empty when the
    exchange has none. The market type is taken from the unified symbol (``BASE/QUOTE:SETTLE`` is
    a derivative), so no request is made.
    """
    options = getattr(exchange, "options", None) or {}
    by_type = options.get("fetchOHLCV") or {}
    if not isinstance(by_type, dict):
        return {}
    caps = (by_type.get("swap" if ":" in symbol else "spot") or {}).get("maxLimitPerTimeframe") or {}
    return {tf: int(n) for tf, n in caps.items() if isinstance(n, int) and n > 0}
