"""Request-weight metering: a budget per fixed wall-clock window, 429 past it, bans for persistence.

Simulation choices (the venue supplies the numbers and the answers; Binance's are in
``venues/binance/limits.py``):

* Windows are fixed and aligned on the **wall clock** (``start = now - now % window``), as a
  venue's per-minute counters reset at the start of each minute. Rate limits are about the client's
  real request rate: a replay at 600× must not make the budget 600× tighter, and a client told to
  wait must see the window end on its own clock.
* A request is charged its weight when admitted; a refused one costs nothing.
* Past the budget a request is refused (the venue's 429) with ``Retry-After``: the seconds until
  the window ends, rounded up to a whole second (as venues write it; with a window shorter than a
  second, which only tests configure, to the millisecond). A client that keeps going (more than
  :data:`STRIKES_BEFORE_BAN` refusals in one window) is banned: every request is refused (the
  venue's 418) until the ban ends. A first ban lasts two windows (Binance: 2 minutes), each further
  one twice as long as the previous, up to three days.
* Clients are told apart by their address (one counter per IP, as venues meter IP weight), or by
  whatever key the venue's wire passes (Alpaca meters per account).
* A venue without bans (Alpaca) builds its meter with ``bans=False``: past the budget every request
  is refused until the window ends, however many were refused before.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from enum import StrEnum

STRIKES_BEFORE_BAN = 5
MAX_BAN_MS = 3 * 86_400_000


class Verdict(StrEnum):
    OK = "ok"
    LIMITED = "limited"
    BANNED = "banned"


@dataclass(frozen=True, slots=True)
class Charge:
    """The meter's answer: ``used`` weight in the window after this request, and for a refusal the
    seconds to wait (``retry_after_s``) and, for a ban, its end (``banned_until_ms``)."""

    verdict: Verdict
    used: int
    retry_after_s: float = 0
    banned_until_ms: int = 0


@dataclass(slots=True)
class _Client:
    window: int = -1
    used: int = 0
    strikes: int = 0
    banned_until: int = 0
    bans: int = 0


@dataclass
class WeightMeter:
    """Per-client weight used in the current window (thread-safe)."""

    limit: int
    window_ms: int
    bans: bool = True
    _clients: dict[str, _Client] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def charge(self, client: str, weight: int, now_ms: int) -> Charge:
        with self._lock:
            c = self._clients.setdefault(client, _Client())
            if c.banned_until > now_ms:
                wait = c.banned_until - now_ms
                return Charge(Verdict.BANNED, c.used, self._seconds(wait), c.banned_until)
            window = now_ms - now_ms % self.window_ms
            if window != c.window:
                c.window, c.used, c.strikes = window, 0, 0
            if c.used + weight > self.limit:
                c.strikes += 1
                if self.bans and c.strikes > STRIKES_BEFORE_BAN:
                    ban = min(2 * self.window_ms * 2**c.bans, MAX_BAN_MS)
                    c.bans += 1
                    c.banned_until = now_ms + ban
                    c.strikes = 0
                    return Charge(Verdict.BANNED, c.used, self._seconds(ban), c.banned_until)
                wait = window + self.window_ms - now_ms
                return Charge(Verdict.LIMITED, c.used, self._seconds(wait))
            c.used += weight
            return Charge(Verdict.OK, c.used)

    def used(self, client: str, now_ms: int) -> int:
        """The weight ``client`` has used in the current window."""
        with self._lock:
            c = self._clients.get(client)
            if c is None or c.window != now_ms - now_ms % self.window_ms:
                return 0
            return c.used

    def _seconds(self, ms: int) -> float:
        if self.window_ms < 1000:
            return max(1, ms) / 1000
        return max(1, math.ceil(ms / 1000))
