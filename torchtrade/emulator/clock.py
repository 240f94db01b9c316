"""The emulator's only source of "now": manual (tests, fast rollouts) or realtime × speed (demos).

Everything in the emulator (candle replay, triggers, funding, signatures' recv windows) asks the
clock, never ``time.time()``, so a test can jump a day ahead without sleeping and a run is
reproducible. Times are integer milliseconds since the epoch (UTC) on the emulator timeline.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

__all__ = ["MAX_SPEED", "Clock", "ManualClock", "RealtimeClock"]

#: The fastest realtime clock: a million market ms per wall ms (a year of market in ~32 wall
#: seconds). Faster says nothing a manual clock cannot, and far faster overflows the arithmetic.
MAX_SPEED = 1_000_000.0


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the emulator's present time."""

    def now_ms(self) -> int:
        """The present, in ms since the epoch (UTC) on the emulator timeline; never decreases."""
        ...


def _check_int(name: str, value: int) -> None:
    # bool is an int subclass; advance(True) is a bug, not one millisecond.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}={value!r}: must be an int (ms)")


class ManualClock:
    """A clock that moves only when told to.

    Used by tests and fast rollouts: the env jumps the emulator to the next bar close through a
    control route instead of sleeping. Thread-safe, since the server's handlers and the control
    routes may run on different threads.

    Args:
        start_ms: The initial present (ms since the epoch).

    Example:
        >>> clock = ManualClock(1_670_889_600_000)
        >>> clock.advance(60_000)
        1670889660000
    """

    kind: Literal["manual"] = "manual"

    def __init__(self, start_ms: int) -> None:
        _check_int("start_ms", start_ms)
        self._now = start_ms
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ManualClock(now_ms={self.now_ms()})"

    def now_ms(self) -> int:
        """The present (ms)."""
        # One attribute read is atomic: the lock orders the writers (advance, reach), not this.
        return self._now

    def advance(self, ms: int) -> int:
        """Moves the present forward by ``ms`` and returns the new present.

        Raises:
            ValueError: If ``ms < 0``: the timeline never runs backwards (revealed bars stay revealed).
            TypeError: If ``ms`` is not an int.
        """
        _check_int("ms", ms)
        if ms < 0:
            raise ValueError(f"ms={ms}: cannot advance by a negative amount")
        with self._lock:
            self._now += ms
            return self._now

    def advance_to(self, t_ms: int) -> int:
        """Moves the present to ``t_ms`` (a no-op if already there) and returns it.

        Raises:
            ValueError: If ``t_ms`` is before the present.
            TypeError: If ``t_ms`` is not an int.
        """
        _check_int("t_ms", t_ms)
        with self._lock:
            if t_ms < self._now:
                raise ValueError(f"t_ms={t_ms}: is before the present {self._now}; the clock never goes back")
            self._now = t_ms
            return self._now

    def reach(self, t_ms: int) -> int:
        """Moves the present to ``t_ms`` if it is earlier (never back) and returns the present.

        Raises:
            TypeError: If ``t_ms`` is not an int.
        """
        _check_int("t_ms", t_ms)
        with self._lock:
            self._now = max(self._now, t_ms)
            return self._now


class RealtimeClock:
    """A clock that runs with the wall clock, ``speed`` times faster.

    ``now = base_ms + (monotonic() - base_monotonic) * 1000 * speed``. A monotonic source, not
    ``time.time()``, so an NTP step of the host clock cannot move the emulator backwards.
    :meth:`advance`, :meth:`advance_to` and setting :attr:`speed` move the base, so the clock keeps
    running from the new point without a jump (useful for control routes in a demo).

    Args:
        start_ms: The present at construction (ms since the epoch).
        speed: Emulator milliseconds per wall millisecond; finite, > 0 and at most :data:`MAX_SPEED`.
        monotonic: The wall-time source in seconds; injectable so tests need no sleeping.

    Raises:
        ValueError: If ``speed`` is not a finite number in (0, MAX_SPEED] (the message names ``speed``).
    """

    kind: Literal["realtime"] = "realtime"

    def __init__(
        self,
        start_ms: int,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_int("start_ms", start_ms)
        self._speed = self._checked_speed(speed)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._base_ms = start_ms
        self._base_wall = monotonic()
        self._last = start_ms

    def __repr__(self) -> str:
        return f"RealtimeClock(now_ms={self.now_ms()}, speed={self._speed})"

    @staticmethod
    def _checked_speed(speed: float) -> float:
        if (
            isinstance(speed, bool)
            or not isinstance(speed, int | float)
            or not math.isfinite(speed)
            or not 0 < speed <= MAX_SPEED
        ):
            raise ValueError(f"speed={speed!r}: must be a finite number in (0, {MAX_SPEED:g}]")
        return float(speed)

    def _now_locked(self) -> int:
        elapsed_ms = (self._monotonic() - self._base_wall) * 1000.0 * self._speed
        # Round to the nanosecond before flooring: 1000.001 - 1000.0 is 0.99999999997 ms in binary
        # floating point, and sub-nanosecond noise must not cost a whole millisecond.
        now = self._base_ms + math.floor(round(elapsed_ms, 6))
        # Float rounding (or a misbehaving injected source) must never make time run backwards.
        if now > self._last:
            self._last = now
        return self._last

    def _rebase_locked(self, base_ms: int) -> None:
        self._base_ms = base_ms
        self._base_wall = self._monotonic()
        self._last = max(self._last, base_ms)

    def now_ms(self) -> int:
        """The present (ms): integer, never decreasing."""
        with self._lock:
            return self._now_locked()

    @property
    def speed(self) -> float:
        """Emulator ms per wall ms. Setting it keeps the present and changes only the rate from now on."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        checked = self._checked_speed(value)
        with self._lock:
            self._rebase_locked(self._now_locked())
            self._speed = checked

    def advance(self, ms: int) -> int:
        """Jumps the present forward by ``ms``; the clock keeps running from there. Returns the new present.

        Raises:
            ValueError: If ``ms < 0``.
            TypeError: If ``ms`` is not an int.
        """
        _check_int("ms", ms)
        if ms < 0:
            raise ValueError(f"ms={ms}: cannot advance by a negative amount")
        with self._lock:
            self._rebase_locked(self._now_locked() + ms)
            return self._last

    def advance_to(self, t_ms: int) -> int:
        """Jumps the present to ``t_ms``; the clock keeps running from there. Returns the new present.

        Raises:
            ValueError: If ``t_ms`` is before the present.
            TypeError: If ``t_ms`` is not an int.
        """
        _check_int("t_ms", t_ms)
        with self._lock:
            now = self._now_locked()
            if t_ms < now:
                raise ValueError(f"t_ms={t_ms}: is before the present {now}; the clock never goes back")
            self._rebase_locked(t_ms)
            return self._last

    def reach(self, t_ms: int) -> int:
        """Jumps the present to ``t_ms`` if it is earlier (never back) and returns the present.

        Unlike :meth:`advance_to`, an instant the running clock has already passed is not an error:
        the race between reading the present and asking for a jump is the clock's to settle.

        Raises:
            TypeError: If ``t_ms`` is not an int.
        """
        _check_int("t_ms", t_ms)
        with self._lock:
            now = self._now_locked()
            if t_ms > now:
                self._rebase_locked(t_ms)
            return self._last
