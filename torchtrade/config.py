"""Validation helpers shared by every env config: each failure names the field."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .errors import ConfigError
from .timeframes import TimeFrame


def require(ok: bool, owner: str, field: str, value: Any, why: str) -> None:
    """Raise ``ConfigError("Owner.field=value: why")`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"{owner}.{field}={value!r}: {why}")


def positive_number(owner: str, field: str, value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    require(ok, owner, field, value, "must be a number > 0")
    return float(value)


def timeframe(owner: str, field: str, value: Any) -> TimeFrame:
    try:
        return TimeFrame.parse(value)
    except ValueError as e:
        raise ConfigError(f"{owner}.{field}={value!r}: {e}") from None


def timeframes(owner: str, field: str, values: Any) -> tuple[TimeFrame, ...]:
    if isinstance(values, str | TimeFrame):
        values = [values]
    require(
        isinstance(values, Sequence) and len(values) > 0, owner, field, values, "must be a non-empty list"
    )
    out = tuple(timeframe(owner, field, v) for v in values)
    require(len(set(out)) == len(out), owner, field, values, "lists a timeframe twice")
    return out


def window_sizes(owner: str, field: str, values: Any, count: int) -> tuple[int, ...]:
    if isinstance(values, int) and not isinstance(values, bool):
        values = [values]
    require(isinstance(values, Sequence), owner, field, values, "must be a list of integers")
    for v in values:
        require(
            isinstance(v, int) and not isinstance(v, bool) and v > 0,
            owner,
            field,
            values,
            "every window size must be an integer > 0",
        )
    require(
        len(values) == count,
        owner,
        field,
        values,
        f"has {len(values)} entries but time_frames has {count}: give one window size per timeframe",
    )
    return tuple(values)
