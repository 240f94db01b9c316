"""Strict reading of request parameters, shared by every venue's wire.

Venues answer bad input with their own codes; this module only says *what* is wrong with *which*
parameter (:class:`ParamError`), so a malformed request is refused before it reaches the engine and
never changes state: missing or empty values, malformed, non-finite, absurdly large or precise
numbers, zero or negative sizes, text that is not valid Unicode, bodies that are not a JSON object.

**One number grammar.** A number written as text (a query value, a JSON string, a header such as a
request timestamp) must match ``-?[0-9]+(\\.[0-9]+)?`` exactly: ASCII digits, an optional leading
``-`` (refused by the caller where a negative makes no sense), at most one decimal point with digits
on both sides. No ``+``, no whitespace (``" 5"`` is not ``5``), no exponent, no ``_`` separators, no
other Unicode digits (``"²"``, ``"５"``), none of ``NaN``/``Infinity``. Python's ``int()`` and
``Decimal()`` accept all of those, which is why nothing here calls them on unchecked text. Leading
zeros (``"007"``) are accepted, as the venues' Java number parsers accept them. A JSON *number*
token is already a number by JSON's own strict grammar (RFC 8259: ASCII only, no ``+``, no leading
zeros), exponent included; it is read exactly and bounded like any other number. ccxt sends such
tokens, e.g. a ``triggerPrice`` passed through ``params`` as a Python float.

**Unknown parameters are ignored, not refused**, because that is what the venues do (ccxt sends
fields an endpoint does not document, e.g. ``marginCoin`` on Bitget's account bills). A parameter the
endpoint knows is validated strictly; the names it ignored are in :attr:`Params.ignored`, which the
HTTP layer records in the request's ledger entry (names only, never values), so a typo stays
visible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")

# Numbers a venue could plausibly accept: at most 1e15 in size and 18 decimals of precision.
MAX_ABS = Decimal("1e15")
MAX_DECIMALS = 18
# Longer number text is refused before it is parsed (1e15 with 18 decimals needs 35 characters).
MAX_NUMBER_TEXT = 40
# A signed 64-bit integer has at most 19 digits: what the venues' ids and timestamps fit in.
MAX_INT_DIGITS = 19

_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_INTEGER_TEXT = re.compile(r"-?[0-9]+")


class Problem(StrEnum):
    MISSING = "missing"
    INVALID = "invalid"
    NOT_JSON = "not_json"


class ParamError(ValueError):
    def __init__(self, problem: Problem, name: str, detail: str = "") -> None:
        super().__init__(f"{problem.value} parameter {name}" + (f": {detail}" if detail else ""))
        self.problem = problem
        self.name = name
        self.detail = detail


def parse_decimal_text(text: str) -> Decimal | None:
    """``text`` as a Decimal when it matches the number grammar exactly, else None."""
    if len(text) > MAX_NUMBER_TEXT or not _DECIMAL_TEXT.fullmatch(text):
        return None
    return Decimal(text)


def parse_int_text(text: str, *, negative: bool = True) -> int | None:
    """``text`` as an int when it is an integer of the number grammar (at most 19 digits), else None."""
    if not negative and text.startswith("-"):
        return None
    if len(text.removeprefix("-")) > MAX_INT_DIGITS or not _INTEGER_TEXT.fullmatch(text):
        return None
    return int(text)


def is_valid_text(text: str) -> bool:
    """False for text no UTF-8 encoder (hence no JSON answer or ledger) can carry: lone surrogates.

    A JSON body can smuggle them in as ``"\\ud800"`` escapes, which Python decodes without complaint.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str, max_len: int = 40) -> str:
    """``text`` clipped and made safe to echo in an answer, a log line or the ledger.

    Printable ASCII is kept as is; anything else (control characters, non-ASCII, lone surrogates)
    becomes its Python escape (``\\n``, ``\\x00``, ``\\ud800``), so the result is always plain ASCII.
    """
    clipped = text[:max_len]
    if not (clipped.isascii() and clipped.isprintable()):
        clipped = ascii(clipped)[1:-1]
    return clipped + ("..." if len(text) > max_len else "")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON object body (empty body: ``{}``); numbers are read as exact Decimals."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, ArithmeticError, RecursionError):  # Decimal("1e99999999999999999999") too
        raise ParamError(Problem.NOT_JSON, "body", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ParamError(Problem.NOT_JSON, "body", "the body must be a JSON object")
    return data


class Params:
    """Typed access to one request's parameters.

    Args:
        data: query parameters, the JSON body, or one object inside it.
        known: every parameter the endpoint reads; any other is ignored and listed in :attr:`ignored`.
        prefix: put before the names in :attr:`ignored` (``"orderIdList[]."`` for a list's entries).
    """

    def __init__(self, data: Mapping[str, Any], known: set[str] | frozenset[str], prefix: str = "") -> None:
        self.data = dict(data)
        self.known = known
        self.prefix = prefix

    @property
    def ignored(self) -> list[str]:
        """Names of the parameters the endpoint does not know, printable (values are never kept)."""
        return sorted(self.prefix + printable(str(name)) for name in self.data if name not in self.known)

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        return value

    def str(
        self, name: str, *, required: bool = False, default: str | None = None, max_len: int = 64
    ) -> str | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise ParamError(Problem.MISSING, name)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ParamError(Problem.INVALID, name, "expected a string")
        text = str(value)
        if len(text) > max_len:
            raise ParamError(Problem.INVALID, name, f"longer than {max_len} characters")
        if not is_valid_text(text):
            raise ParamError(Problem.INVALID, name, "not valid text")
        return text

    def ascii_code(self, name: str, *, required: bool = False, max_len: int = 40) -> str | None:
        """An identifier such as a symbol or a coin, upper-cased; None for anything but ASCII.

        Upper-casing non-ASCII text can yield ASCII (``"uſdt".upper() == "USDT"``): such a value must
        match nothing, so callers treat None-for-non-ASCII as "no such symbol/coin".
        """
        text = self.str(name, required=required, max_len=max_len)
        if text is None or not text.isascii():
            return None
        return text.upper()

    def decimal(
        self, name: str, *, required: bool = False, positive: bool = True, allow_zero: bool = False
    ) -> Decimal | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise ParamError(Problem.MISSING, name)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ParamError(Problem.INVALID, name, "expected a number")
        if isinstance(value, str):
            number = parse_decimal_text(value)
            if number is None:
                raise ParamError(Problem.INVALID, name, f"'{printable(value)}' is not a number")
        else:  # a JSON number token (int, or Decimal from parse_float)
            number = Decimal(value)
            if not number.is_finite():
                raise ParamError(Problem.INVALID, name, "not a finite number")
        # copy_abs, not abs(): no arithmetic context, so 1e1000000 cannot overflow the comparison.
        if number.copy_abs() >= MAX_ABS:
            raise ParamError(Problem.INVALID, name, "number too large")
        if number != 0 and number.as_tuple().exponent < -MAX_DECIMALS:  # type: ignore[operator]
            raise ParamError(Problem.INVALID, name, "too many decimals")
        if positive and (number < 0 or (number == 0 and not allow_zero)):
            raise ParamError(Problem.INVALID, name, "must be > 0" if not allow_zero else "must be >= 0")
        return number

    def int(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        lo: int | None = None,
        hi: int | None = None,
    ) -> int | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise ParamError(Problem.MISSING, name)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ParamError(Problem.INVALID, name, "expected an integer")
        number = parse_int_text(value) if isinstance(value, str) else value
        if number is None:
            raise ParamError(Problem.INVALID, name, "expected an integer")
        if abs(number) >= 10**MAX_INT_DIGITS:
            raise ParamError(Problem.INVALID, name, "integer too large")
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise ParamError(Problem.INVALID, name, f"must be in [{lo}, {hi}]")
        return number

    def choice(
        self, name: str, choices: Mapping[str, T], *, required: bool = False, default: T | None = None
    ) -> T | None:
        """One of ``choices`` (matched case-insensitively, as venues do; ASCII only)."""
        value = self.raw(name)
        if value is None:
            if required:
                raise ParamError(Problem.MISSING, name)
            return default
        if not isinstance(value, str):
            raise ParamError(Problem.INVALID, name, "expected a string")
        # ASCII only: str.lower() maps some non-ASCII letters to ASCII ("\u212a" KELVIN SIGN -> "k").
        lowered = {k.lower(): v for k, v in choices.items()}
        found = lowered.get(value.lower()) if value.isascii() else None
        if found is None:
            raise ParamError(Problem.INVALID, name, f"'{printable(value)}' is not one of {sorted(choices)}")
        return found

    def list(self, name: str) -> list[Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ParamError(Problem.INVALID, name, "expected a list")
        return value
