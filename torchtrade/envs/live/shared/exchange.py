"""Building the ccxt client of an env: keys, demo/testnet mode, base URL, timeout, log redaction."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

import ccxt

from ....ccxt_util import point_ccxt
from ....secrets import MASK
from .credentials import ApiKeys
from .venue import VenueProfile

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_local(base_url: str | None) -> bool:
    return bool(base_url) and urlparse(base_url).hostname in LOCAL_HOSTS  # type: ignore[arg-type]


class RedactSecrets(logging.Filter):
    """Masks secret values in log records (ccxt logs request headers, passphrase included, at DEBUG)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for s in self.secrets:
                message = message.replace(s, MASK)
            record.msg, record.args = message, ()
        return True


# One filter on ccxt's logger, holding every secret an env of this process uses.
_REDACTOR = RedactSecrets()
logging.getLogger("ccxt.base.exchange").addFilter(_REDACTOR)


def build_exchange(
    profile: VenueProfile,
    keys: ApiKeys,
    *,
    demo: bool,
    base_url: str | None,
    timeout_ms: int,
    rate_limit: bool = True,
    options: dict[str, Any] | None = None,
) -> ccxt.Exchange:
    """A ccxt client for the venue: demo/testnet mode when ``demo``, pointed at ``base_url`` if given.

    ``rate_limit`` keeps ccxt's own client-side throttle (what protects a real account from bans).
    """
    config: dict[str, Any] = {
        "apiKey": keys.api_key,
        "secret": keys.api_secret.reveal(),
        "timeout": timeout_ms,
        "enableRateLimit": rate_limit,
        "options": {**profile.ccxt_options, **(options or {})},
    }
    if keys.passphrase is not None:
        config["password"] = keys.passphrase.reveal()
    exchange = getattr(ccxt, profile.ccxt_id)(config)
    if demo:
        exchange.set_sandbox_mode(True)
    if base_url:
        point_ccxt(exchange, base_url)
    _REDACTOR.secrets.update(
        s for s in (keys.api_secret.reveal(), keys.passphrase and keys.passphrase.reveal()) if s
    )
    return exchange
