"""Shared by the markets tests: the US equity hours and wall-clock instants in New York and UTC."""

from __future__ import annotations

import datetime as dt

from torchtrade.markets import us_equity_hours
from torchtrade.markets.calendar import NEW_YORK

HOURS = us_equity_hours()
MIN = 60_000
HOUR = 3_600_000


def et(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    """Epoch ms of a New York wall-clock time."""
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=NEW_YORK).timestamp()) * 1000


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    """Epoch ms of a UTC time."""
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=dt.UTC).timestamp()) * 1000
