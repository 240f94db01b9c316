"""Env clocks: when is the next bar closed, and how to get there.

``VenueClock`` follows the venue's server time at the venue's own pace, so the same env works
against a real venue (1× wall time) and a standalone emulator replaying at 600×, found by measuring.
``EmulatorClock`` drives an emulator's clock instead: waiting is an instant jump (tests, fast
rollouts, the demo).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from ...errors import TorchTradeError

logger = logging.getLogger(__name__)


class EnvClock(Protocol):
    def now_ms(self) -> int:
        """The venue's present, in epoch milliseconds."""
        ...

    def wait_until(self, t_ms: int) -> None:
        """Return once the venue's present is at least ``t_ms``."""
        ...

    def wait_for_publication(self) -> bool:
        """Pause briefly before asking again for a bar that should have closed; False: do not ask again
        (the venue publishes bars at once, as the emulator does)."""
        ...

    @property
    def exhausted(self) -> bool:
        """True when the market has no more bars to give (a replay ran out); never for a real venue."""
        ...


class VenueClock:
    """The system clock synced to the venue's server time, running at the venue's rate.

    At construction it samples the server time twice (``probe_s`` apart) to learn the offset and the
    rate: a real venue runs at 1× (a measured rate within 2 % of 1 is taken as exactly 1); an emulator
    at ``--speed 600`` runs at 600×, and the env then waits 0.1 s per minute bar, not 60 s.

    Args:
        fetch_time: the venue's server time in ms (``exchange.fetch_time``).
        settle_ms: wait this long past a bar's close before reading it (venues publish a closed bar a
            moment after its close).
        probe_s: wall seconds between the two samples.
        sleep / wall: injectable for tests.
    """

    def __init__(
        self,
        fetch_time: Callable[[], int],
        *,
        settle_ms: int = 1500,
        probe_s: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_time = fetch_time
        self._sleep = sleep
        self._wall = wall
        self.settle_ms = settle_ms
        self.rate = 1.0
        self.sync(probe_s)

    def _sample(self) -> tuple[float, int]:
        before = self._wall()
        server = self._fetch_time()
        after = self._wall()
        return (before + after) / 2, server  # the server read its clock around the middle of the round trip

    def sync(self, probe_s: float = 0.25) -> None:
        w1, s1 = self._sample()
        self._sleep(probe_s)
        w2, s2 = self._sample()
        measured = (s2 - s1) / 1000 / (w2 - w1) if w2 > w1 else 1.0
        if measured <= 0:
            # A real venue's clock always moves; a frozen one is an emulator on a manual clock, and
            # waiting for its next bar would wait forever.
            raise TorchTradeError(
                "the venue's clock did not move while we watched it: is it an emulator on a manual clock? "
                "Use clock=EmulatorClock(...) to drive it, or serve it with a realtime clock"
            )
        self.rate = 1.0 if abs(measured - 1.0) < 0.02 else measured
        self._wall0, self._server0 = w2, s2
        if self.rate != 1.0:
            logger.info("venue clock runs at %.1fx wall time", self.rate)

    def now_ms(self) -> int:
        return int(self._server0 + (self._wall() - self._wall0) * 1000 * self.rate)

    def wait_until(self, t_ms: int) -> None:
        # The publication lag is a wall-time matter of real venues; a replay at N× has none.
        settle = self.settle_ms if self.rate == 1.0 else 0
        remaining_ms = t_ms + settle - self.now_ms()
        if remaining_ms > 0:
            self._sleep(remaining_ms / 1000 / self.rate)

    def wait_for_publication(self) -> bool:
        # Half a second of wall time on a real venue; a replay at N× publishes at once.
        if self.rate != 1.0:
            return False
        self._sleep(0.5)
        return True

    @property
    def exhausted(self) -> bool:
        return False


class EmulatorClock:
    """Jumps an emulator's clock to the requested instant (it must run a manual clock).

    Args:
        control: an in-process :class:`~torchtrade.emulator.runtime.Emulator` or a
            :class:`~torchtrade.emulator.control.ControlClient` of a running one.
        market_id: the venue id of the traded market (``"BTCUSDT"``); the env binds it. The replay is
            exhausted for the env when *that* market's data has run out.
    """

    def __init__(self, control: Any, market_id: str | None = None) -> None:
        self._control = control
        self._market_id = market_id
        self._exhausted = False

    def bind(self, market_id: str | None) -> None:
        if market_id:
            self._market_id = market_id

    def now_ms(self) -> int:
        if hasattr(self._control, "clock"):  # in-process emulator
            return int(self._control.clock.now_ms())
        return int(self._control.status()["now"])

    def wait_until(self, t_ms: int) -> None:
        if t_ms <= self.now_ms():
            return
        if hasattr(self._control, "clock"):
            self._control.advance(to_ms=t_ms)
        else:
            self._control.advance(to=t_ms)

    def wait_for_publication(self) -> bool:
        return False  # the emulator publishes a bar the moment it closes

    @property
    def exhausted(self) -> bool:
        """No bar of the bound market is left to replay (all markets, if none is bound)."""
        if hasattr(self._control, "clock"):  # in-process emulator
            now = self._control.clock.now_ms()
            series = self._control.series
            if self._market_id in series:
                return bool(series[self._market_id].exhausted(now))
            return bool(self._control.exhausted())
        status = self._control.status()
        symbol = status["symbols"].get(self._market_id)
        if symbol is not None:
            return bool(status["now"] >= symbol["last_close"])
        return bool(status["exhausted"])
