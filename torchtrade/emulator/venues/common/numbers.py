"""Venue numbers as text: what every REST wire sends for prices, sizes and amounts."""

from __future__ import annotations

from decimal import Decimal

_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 19)}


def fmt(value: Decimal | int | None, places: int = 8) -> str:
    """A venue number: plain notation (never ``1E+1``), at most ``places`` decimals, no trailing zeros.

    ``None`` is ``""``. Hot path (every number of every candle row): ``str()`` is already plain for
    the values we hold, so the general ``format``/``quantize`` route runs only when it is not.
    """
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    dot = text.find(".")
    if dot >= 0:
        if len(text) - dot - 1 > places:
            text = format(value.quantize(_QUANTUM[places]), "f")
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(value: Decimal | int, places: int) -> str:
    """``value`` with exactly ``places`` decimals (``"0.00000000"``), as Binance writes amounts."""
    return format(Decimal(value).quantize(_QUANTUM[places]), "f")
