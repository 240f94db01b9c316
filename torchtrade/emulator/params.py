"""Strict reading of request parameters, shared by every venue's wire.

Venues answer bad input with their own codes; this module only says *what* is wrong with *which*
parameter (:class:`ParamError`), so a malformed request is refused before it reaches the engine and
never changes state: missing or empty values, non-numeric or non-finite numbers, zero or negative
sizes, absurdly large or precise numbers, unknown fields, bodies that are not a JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")

# Numbers a venue could plausibly accept: at most 1e15 in size and 18 decimals of precision.
MAX_ABS = Decimal("1e15")
MAX_DECIMALS = 18


class Problem(StrEnum):
    MISSING = "missing"
    INVALID = "invalid"
    UNKNOWN = "unknown"
    NOT_JSON = "not_json"


class ParamError(ValueError):
    def __init__(self, problem: Problem, name: str, detail: str = "") -> None:
        super().__init__(f"{problem.value} parameter {name}" + (f": {detail}" if detail else ""))
        self.problem = problem
        self.name = name
        self.detail = detail


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON object body (empty body: ``{}``); numbers are read as exact Decimals."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ParamError(Problem.NOT_JSON, "body", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ParamError(Problem.NOT_JSON, "body", "the body must be a JSON object")
    return data


class Params:
    """Typed access to one request's parameters, remembering which ones were read.

    Args:
        data: query parameters or the JSON body.
        allowed: every parameter the endpoint knows; :meth:`finish` refuses any other.
    """

    def __init__(self, data: Mapping[str, Any], allowed: set[str] | frozenset[str]) -> None:
        self.data = dict(data)
        self.allowed = allowed

    def finish(self) -> None:
        """Refuse parameters the endpoint does not know (a typo must not be silently ignored)."""
        for name in self.data:
            if name not in self.allowed:
                raise ParamError(Problem.UNKNOWN, name, "unknown parameter")

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
        return text

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
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ParamError(Problem.INVALID, name, f"{str(value)[:40]!r} is not a number") from None
        if not number.is_finite():
            raise ParamError(Problem.INVALID, name, "not a finite number")
        if abs(number) >= MAX_ABS:
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
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isdigit() or (text.startswith("-") and text[1:].isdigit())):
            raise ParamError(Problem.INVALID, name, "expected an integer")
        if len(text) > 19:
            raise ParamError(Problem.INVALID, name, "integer too large")
        number = int(text)
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise ParamError(Problem.INVALID, name, f"must be in [{lo}, {hi}]")
        return number

    def choice(
        self, name: str, choices: Mapping[str, T], *, required: bool = False, default: T | None = None
    ) -> T | None:
        """One of ``choices`` (matched case-insensitively, as venues do)."""
        value = self.raw(name)
        if value is None:
            if required:
                raise ParamError(Problem.MISSING, name)
            return default
        if not isinstance(value, str):
            raise ParamError(Problem.INVALID, name, "expected a string")
        lowered = {k.lower(): v for k, v in choices.items()}
        found = lowered.get(value.lower())
        if found is None:
            raise ParamError(Problem.INVALID, name, f"{value[:40]!r} is not one of {sorted(choices)}")
        return found

    def list(self, name: str) -> list[Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ParamError(Problem.INVALID, name, "expected a list")
        return value
