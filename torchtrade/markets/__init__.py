"""Market hours and bar times shared by the emulator and the envs (no venue, no I/O)."""

from .bars import (
    DAILY_MS,
    bar_closes,
    bar_open,
    bar_period_ms,
    is_session_bar,
    last_bar_close,
    next_bar_close,
)
from .calendar import (
    ALWAYS_OPEN,
    AlwaysOpen,
    CalendarRangeError,
    MarketClock,
    Session,
    SessionHours,
    has_sessions,
    hours_for,
    market_clock,
    us_equity_hours,
)

__all__ = [
    "ALWAYS_OPEN",
    "DAILY_MS",
    "AlwaysOpen",
    "CalendarRangeError",
    "MarketClock",
    "Session",
    "SessionHours",
    "bar_closes",
    "bar_open",
    "bar_period_ms",
    "has_sessions",
    "hours_for",
    "is_session_bar",
    "last_bar_close",
    "market_clock",
    "next_bar_close",
    "us_equity_hours",
]
