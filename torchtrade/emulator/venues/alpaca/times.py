"""Alpaca's instants and dates as text: RFC-3339 out, RFC-3339 or a date in.

Answers carry UTC instants as ``2024-01-02T14:30:00Z`` (market data, whole seconds) or with
microseconds (orders: ``2024-01-02T14:30:00.123456Z``); the clock speaks New York time with its offset
(``2024-01-02T09:30:00-05:00``). Requests send RFC-3339 instants (alpaca-py: ``+00:00``) or, for market
data and the calendar, plain dates (``2024-01-02``: midnight New York for data, the date itself for
the calendar). Nothing else is read: no epoch numbers, no naive times, no week dates.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
_INSTANT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MIN_YEAR = 1970
MAX_YEAR = 2099


def _utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def rfc3339(ms: int) -> str:
    """Whole seconds in UTC (market data): ``2024-01-02T14:30:00Z``."""
    return _utc(ms - ms % 1000).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(ms: int) -> str:
    """Microseconds in UTC (orders): ``2024-01-02T14:30:00.123000Z``."""
    return _utc(ms).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_york(ms: int) -> str:
    """New York time with its offset (the clock): ``2024-01-02T09:30:00-05:00``."""
    return _utc(ms).astimezone(NEW_YORK).isoformat(timespec="seconds")


def local_date(ms: int, tz: ZoneInfo = NEW_YORK) -> dt.date:
    return _utc(ms).astimezone(tz).date()


def local_midnight_ms(day: dt.date, tz: ZoneInfo = NEW_YORK) -> int:
    return int(dt.datetime.combine(day, dt.time(), tz).timestamp() * 1000)


def date_text(day: dt.date) -> str:
    return day.isoformat()


def parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` (a real date from 1970 to 2099), else None."""
    m = _DATE.fullmatch(text) if isinstance(text, str) and text.isascii() else None
    if m is None:
        return None
    try:
        day = dt.date(*map(int, m.groups()))
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def parse_instant(text: str, *, dates: bool = False) -> int | None:
    """An RFC-3339 instant (or with ``dates`` a date: its New York midnight) in epoch ms, else None.

    Fractions finer than a millisecond are cut (the emulator's clock counts milliseconds).
    """
    if not isinstance(text, str) or not text.isascii() or len(text) > 40:
        return None
    if dates:
        day = parse_date(text)
        if day is not None:
            return local_midnight_ms(day)
    m = _INSTANT.fullmatch(text)
    if m is None:
        return None
    year, month, day_, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zone = m.group(7), m.group(8)
    try:
        if zone in ("Z", "z"):
            tz = dt.UTC
        else:
            sign = 1 if zone[0] == "+" else -1
            offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            if offset >= dt.timedelta(hours=24):
                return None
            tz = dt.timezone(sign * offset)
        stamp = dt.datetime(year, month, day_, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    if not MIN_YEAR <= stamp.astimezone(dt.UTC).year <= MAX_YEAR:
        return None
    ms = int(stamp.timestamp()) * 1000
    if fraction:
        ms += int((fraction[1:] + "00")[:3])
    return ms
