"""Rewards. The default is the log return of portfolio value over the step; any callable
``reward_fn(previous_value, current_value, info) -> float`` replaces it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

RewardFn = Callable[[float, float, Mapping[str, Any]], float]


def log_return(previous_value: float, current_value: float, info: Mapping[str, Any]) -> float:
    """``log(current / previous)``; 0 when either value is not positive (a bankrupt account)."""
    if previous_value <= 0 or current_value <= 0:
        return 0.0
    return math.log(current_value / previous_value)
