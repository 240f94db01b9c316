"""When an instrument trades: the market-hours protocol the engine takes per spot instrument.

The engine never reads a calendar itself (it does not import exchange-calendars): each spot
instrument comes with an object of this protocol. The real US-equity one is built on
exchange-calendars (XNYS) in :mod:`torchtrade.markets.calendar`; :data:`ALWAYS_OPEN` is crypto's.
"""

from __future__ import annotations

import datetime
from typing import Protocol

from ...markets.calendar import ALWAYS_OPEN as _ALWAYS_OPEN


class MarketHours(Protocol):
    """When an instrument trades. All instants are epoch milliseconds UTC."""

    def is_open(self, t_ms: int, *, extended: bool = False) -> bool:
        """The regular session (or pre/post market too when ``extended``) contains ``t_ms``
        (open <= t < close)."""
        ...

    def next_open(self, t_ms: int, *, extended: bool = False) -> int:
        """``t_ms`` itself when open, else the first instant after ``t_ms`` when the market opens."""
        ...

    def session_close(self, t_ms: int, *, extended: bool = False) -> int | None:
        """End of the session containing ``t_ms`` (the early close on early-close days); None when
        closed."""
        ...

    def session_date(self, t_ms: int) -> datetime.date:
        """The trading day ``t_ms`` belongs to (the next session's date when the market is closed)."""
        ...

    def sessions_back(self, day: datetime.date, n: int) -> datetime.date:
        """The trading date ``n`` sessions before ``day`` (for the pattern-day-trader window)."""
        ...


# One always-open market for the whole package (torchtrade.markets has no dependency of its own to
# load: exchange-calendars is imported only when a US calendar is first built).
ALWAYS_OPEN: MarketHours = _ALWAYS_OPEN
