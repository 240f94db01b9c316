"""Strict field checks for the emulator's own inputs: its config, fault rules and control routes.

Each check takes the field's name and its value, returns the value in its one accepted Python type,
or raises :class:`FieldError` (a ``ValueError``) whose message starts with the field's name. They are
deliberately narrow: a bool is not an int, a float is not an int even when whole, a number is
finite, and a string is plain printable ASCII, so a typo never turns into a surprising value.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["FieldError", "ascii_text", "decimal", "integer", "number"]

# A decimal written the plain way: ASCII digits, an optional minus sign and point. No exponent, no
# underscores, no padding, no full-width or superscript digits (``str.isdigit`` accepts those).
_DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# Printable ASCII without whitespace: keys, account names, coins, route names and globs.
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")


class FieldError(ValueError):
    """A field with a value of the wrong type or out of range; the message names the field."""


def _show(value: Any) -> str:
    text = ascii(value)  # ascii(): no lone surrogate or control character reaches a JSON answer
    return text if len(text) <= 60 else text[:57] + "..."


def integer(name: str, value: Any, *, lo: int, hi: int) -> int:
    """An int (not a bool, not a float) in ``lo..hi``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"{name}={_show(value)}: must be an integer")
    if not lo <= value <= hi:
        raise FieldError(f"{name}={_show(value)}: must be in {lo}..{hi}")
    return value


def number(
    name: str,
    value: Any,
    *,
    lo: float,
    hi: float,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """A finite number (int, float or Decimal, not a bool, not a string) in the given interval."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FieldError(f"{name}={_show(value)}: must be a number")
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out) or (isinstance(value, Decimal) and not value.is_finite()):
        raise FieldError(f"{name}={_show(value)}: must be a finite number")
    low_ok = out > lo if lo_open else out >= lo
    high_ok = out < hi if hi_open else out <= hi
    if not (low_ok and high_ok):
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise FieldError(f"{name}={_show(value)}: must be in {interval}")
    return out


def decimal(name: str, value: Any, *, lo: Decimal, hi: Decimal) -> Decimal:
    """An exact amount in ``[lo, hi]``: a plain decimal string (``"10000"``, ``"0.0001"``), an int,
    a Decimal or a finite float (taken by its shortest repr)."""
    if isinstance(value, bool) or value is None:
        raise FieldError(f"{name}={_show(value)}: must be a number")
    if isinstance(value, str):
        if len(value) > 40 or not _DECIMAL_RE.fullmatch(value):
            raise FieldError(f'{name}={_show(value)}: must be a plain decimal number such as "10.5"')
        out = Decimal(value)
    elif isinstance(value, int | Decimal):
        out = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FieldError(f"{name}={_show(value)}: must be a finite number")
        out = Decimal(repr(value))
    else:
        raise FieldError(f"{name}={_show(value)}: must be a number")
    try:
        in_range = out.is_finite() and lo <= out <= hi
    except InvalidOperation:  # pragma: no cover - signalling NaN
        in_range = False
    if not in_range:
        raise FieldError(f"{name}={_show(value)}: must be a finite number in [{lo}, {hi}]")
    return out


def ascii_text(name: str, value: Any, *, max_len: int, pattern: re.Pattern[str] | None = None) -> str:
    """A non-empty string of printable ASCII without whitespace, at most ``max_len`` characters."""
    if not isinstance(value, str):
        raise FieldError(f"{name}={_show(value)}: must be a string")
    if not value or len(value) > max_len or not _TOKEN_RE.fullmatch(value):
        raise FieldError(
            f"{name}={_show(value)}: must be 1 to {max_len} printable ASCII characters, no spaces"
        )
    if pattern is not None and not pattern.fullmatch(value):
        raise FieldError(f"{name}={_show(value)}: must match {pattern.pattern}")
    return value
