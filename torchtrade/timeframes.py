"""Bar sizes: one parser for every way users write them ("5min", "1h", ``TimeFrame(5, MINUTE)``).

Periods are aligned to UTC boundaries from the Unix epoch (a 4h bar opens at 00, 04, 08... UTC), as
the venues align their candles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class TimeFrameUnit(StrEnum):
    MINUTE = "Min"
    HOUR = "Hour"
    DAY = "Day"


_UNIT_MS = {TimeFrameUnit.MINUTE: 60_000, TimeFrameUnit.HOUR: 3_600_000, TimeFrameUnit.DAY: 86_400_000}
_UNIT_SUFFIX = {TimeFrameUnit.MINUTE: "min", TimeFrameUnit.HOUR: "h", TimeFrameUnit.DAY: "d"}
_CCXT_SUFFIX = {TimeFrameUnit.MINUTE: "m", TimeFrameUnit.HOUR: "h", TimeFrameUnit.DAY: "d"}
_ALIASES = {
    "m": TimeFrameUnit.MINUTE,
    "min": TimeFrameUnit.MINUTE,
    "mins": TimeFrameUnit.MINUTE,
    "minute": TimeFrameUnit.MINUTE,
    "minutes": TimeFrameUnit.MINUTE,
    "t": TimeFrameUnit.MINUTE,
    "h": TimeFrameUnit.HOUR,
    "hr": TimeFrameUnit.HOUR,
    "hour": TimeFrameUnit.HOUR,
    "hours": TimeFrameUnit.HOUR,
    "d": TimeFrameUnit.DAY,
    "day": TimeFrameUnit.DAY,
    "days": TimeFrameUnit.DAY,
}
_PATTERN = re.compile(r"^\s*([0-9]+)\s*([A-Za-z]+)\s*$")


@dataclass(frozen=True, slots=True)
class TimeFrame:
    """A bar size such as 5 minutes: ``TimeFrame(5, TimeFrameUnit.MINUTE)`` or ``TimeFrame.parse("5min")``."""

    amount: int
    unit: TimeFrameUnit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise ValueError(f"TimeFrame amount must be a positive integer, got {self.amount!r}")
        unit = TimeFrameUnit(self.unit)
        amount = self.amount
        # One spelling per duration: 60min is 1h and 24h is 1d (equal, same key, a ccxt timeframe).
        if unit is TimeFrameUnit.MINUTE and amount % 60 == 0:
            unit, amount = TimeFrameUnit.HOUR, amount // 60
        if unit is TimeFrameUnit.HOUR and amount % 24 == 0:
            unit, amount = TimeFrameUnit.DAY, amount // 24
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "amount", amount)

    @classmethod
    def parse(cls, value: str | TimeFrame) -> TimeFrame:
        """``"1min"``, ``"5min"``, ``"15Min"``, ``"1h"``, ``"4hour"``, ``"1d"``, ``"5m"`` or a TimeFrame.

        ``"1M"`` (a month in ccxt) is refused rather than read as a minute.
        """
        if isinstance(value, TimeFrame):
            return value
        if not isinstance(value, str):
            raise ValueError(f"timeframe {value!r}: expected a string such as '5min' or a TimeFrame")
        m = _PATTERN.match(value)
        if not m or m.group(2) == "M":
            raise ValueError(f"timeframe {value!r}: expected e.g. '1min', '5min', '15min', '1h', '4h', '1d'")
        unit = _ALIASES.get(m.group(2).lower())
        amount = int(m.group(1))
        if unit is None or amount < 1:
            raise ValueError(f"timeframe {value!r}: expected e.g. '1min', '5min', '15min', '1h', '4h', '1d'")
        return cls(amount, unit)

    @property
    def ms(self) -> int:
        return self.amount * _UNIT_MS[self.unit]

    @property
    def key(self) -> str:
        """The short name used in observation keys: ``"5min"``, ``"1h"``, ``"1d"``."""
        return f"{self.amount}{_UNIT_SUFFIX[self.unit]}"

    def to_ccxt(self) -> str:
        """ccxt's unified timeframe string: ``"5m"``, ``"1h"``, ``"1d"``."""
        return f"{self.amount}{_CCXT_SUFFIX[self.unit]}"

    def floor(self, t_ms: int) -> int:
        """Open time of the bar that contains ``t_ms``."""
        return t_ms - t_ms % self.ms

    def __str__(self) -> str:
        return self.key
