"""Building the ccxt client of an env: keys, demo/testnet mode, base URL, timeout, log redaction."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import ccxt

from ....ccxt_util import guard_secrets, point_ccxt
from .credentials import ApiKeys
from .venue import VenueProfile

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_local(base_url: str | None) -> bool:
    return bool(base_url) and urlparse(base_url).hostname in LOCAL_HOSTS  # type: ignore[arg-type]


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
    The keys never reach a log line or a print in any form (:func:`~torchtrade.ccxt_util.guard_secrets`):
    the secret and passphrase show as ``***``, the API key as its first 4 characters at most.
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
    exchange = guard_secrets(getattr(ccxt, profile.ccxt_id)(config))
    if demo:
        if profile.practice_call == "demo_trading":
            exchange.enable_demo_trading(True)
        else:
            exchange.set_sandbox_mode(True)
    if base_url:
        point_ccxt(exchange, base_url)
    return exchange
