"""Point real client libraries at an emulator (or any base URL).

Only the *addresses* change: the client, its signing and its parsing stay exactly as the library
ships them, which is the point of the emulator.
"""

from __future__ import annotations

from typing import Any

import ccxt

from ..ccxt_util import guard_secrets, point_ccxt
from .venues.base import Credentials, load_venue


def ccxt_client(
    base_url: str,
    venue: str = "bitget",
    credentials: Credentials | None = None,
    *,
    demo: bool = False,
    **config: Any,
) -> ccxt.Exchange:
    """A ccxt client of ``venue`` pointed at ``base_url``, with the emulator's default keys.

    ``config`` goes to the ccxt constructor (``timeout``, ``enableRateLimit``, ``options``...).
    Swap markets are the default type, since that is what the emulator lists.
    """
    creds = credentials or load_venue(venue).default_credentials
    options = {"defaultType": "swap", **config.pop("options", {})}
    params: dict[str, Any] = {
        "apiKey": creds.api_key,
        "secret": creds.api_secret.reveal(),
        "options": options,
        **config,
    }
    if creds.passphrase is not None:
        params["password"] = creds.passphrase.reveal()
    exchange = guard_secrets(getattr(ccxt, venue)(params))  # keys stay out of ccxt's logs and prints
    if demo:
        exchange.set_sandbox_mode(True)
    return point_ccxt(exchange, base_url)
