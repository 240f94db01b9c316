"""Point real client libraries at an emulator (or any base URL).

Only the *addresses* change: the client, its signing and its parsing stay exactly as the library
ships them, which is the point of the emulator.
"""

from __future__ import annotations

from typing import Any

import ccxt

from ..ccxt_util import guard_secrets, point_ccxt
from .venues.base import Credentials, load_venue

# ccxt's id for each emulated venue, and the ids users may pass for it.
VENUE_ALIASES = {"binanceusdm": "binance"}


def ccxt_client(
    base_url: str,
    venue: str = "bitget",
    credentials: Credentials | None = None,
    *,
    demo: bool = False,
    sandbox: bool = False,
    **config: Any,
) -> ccxt.Exchange:
    """A ccxt client of ``venue`` pointed at ``base_url``, with the emulator's default keys.

    Args:
        base_url: the emulator, e.g. ``http://127.0.0.1:8765``.
        venue: ``"bitget"`` (``ccxt.bitget``) or ``"binance"``/``"binanceusdm"`` (``ccxt.binanceusdm``).
        credentials: the key to use (default: the venue's emulator key).
        demo: the venue's practice mode as the SDK switches it on before the URLs are pointed:
            Bitget's demo trading (``set_sandbox_mode``), Binance's demo trading
            (``enable_demo_trading``, the ``demo-fapi`` host).
        sandbox: Binance only: its old futures testnet (``set_sandbox_mode``,
            ``testnet.binancefuture.com``). ccxt refuses private calls on that real host; against the
            emulator both practice modes work alike.
        **config: goes to the ccxt constructor (``timeout``, ``enableRateLimit``, ``options``...).
            Swap markets are the default type, since that is what the emulator lists.
    """
    name = VENUE_ALIASES.get(venue, venue)
    descriptor = load_venue(name)
    ccxt_id = getattr(descriptor, "ccxt_id", name)
    creds = credentials or descriptor.default_credentials
    options = {"defaultType": "swap", **config.pop("options", {})}
    params: dict[str, Any] = {
        "apiKey": creds.api_key,
        "secret": creds.api_secret.reveal(),
        "options": options,
        **config,
    }
    if creds.passphrase is not None:
        params["password"] = creds.passphrase.reveal()
    exchange = guard_secrets(getattr(ccxt, ccxt_id)(params))  # keys stay out of ccxt's logs and prints
    if ccxt_id == "binanceusdm":
        if demo and sandbox:
            raise ValueError("demo and sandbox are two different practice hosts: choose one")
        if demo:
            exchange.enable_demo_trading(True)
        elif sandbox:
            exchange.set_sandbox_mode(True)
    elif demo or sandbox:
        exchange.set_sandbox_mode(True)
    return point_ccxt(exchange, base_url)
