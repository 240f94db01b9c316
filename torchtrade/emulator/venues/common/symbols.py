"""Reading a market symbol as a venue's emulator lists it: ``BASE/QUOTE:SETTLE`` or the venue id."""

from __future__ import annotations

import re

_UNIFIED = re.compile(r"^([A-Z0-9]+)/([A-Z0-9]+):([A-Z0-9]+)$")


def parse_perpetual(
    symbol: str, *, quotes: tuple[str, ...], kind: str, venue: str
) -> tuple[str, str, str, str]:
    """``(market_id, base, quote, settle)`` of a linear perpetual quoted and settled in one of ``quotes``.

    Accepts the unified ccxt symbol (``BTC/USDT:USDT``) or the venue id (``BTCUSDT``), any case.
    ``kind`` and ``venue`` name what the emulator lists in the messages (``"USDT-margined"``,
    ``"Bitget"``).

    Raises:
        ValueError: anything else, naming the symbol.
    """
    text = symbol.strip().upper()
    m = _UNIFIED.match(text)
    if m:
        base, quote, settle = m.groups()
    else:
        m = re.match(r"^([A-Z0-9]+?)(" + "|".join(map(re.escape, quotes)) + r")$", text)
        if not m:
            raise ValueError(
                f"symbol {symbol!r}: expected a {kind} perpetual such as BTC/USDT:USDT or BTCUSDT"
            )
        base, quote = m.groups()
        settle = quote
    if quote not in quotes or settle != quote:
        raise ValueError(f"symbol {symbol!r}: the {venue} emulator lists {kind} perpetuals only")
    return f"{base}{quote}", base, quote, settle
