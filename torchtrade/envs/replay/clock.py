"""The replay's clock: waiting for a bar is moving the in-process engine to it (no sleeping)."""

from __future__ import annotations

from ...emulator.runtime import Emulator


class ReplayClock:
    """An :class:`~torchtrade.envs.core.clock.EnvClock` over an in-process emulator.

    ``wait_until(t)`` replays every base bar closing up to ``t`` through the engine (its triggers,
    liquidations and funding, bar by bar) and moves the clock there: a step costs one bar of engine
    work, never wall time. The present is read live from the emulator (a restart moves it back).
    """

    def __init__(self, emulator: Emulator, market_id: str) -> None:
        self._emulator = emulator
        self._series = emulator.series[market_id]
        self.market_id = market_id

    def rebind(self, emulator: Emulator) -> None:
        """Follow the emulator's new run after a restart (its series object is new)."""
        self._emulator = emulator
        self._series = emulator.series[self.market_id]

    def now_ms(self) -> int:
        return self._emulator.clock.now_ms()

    def wait_until(self, t_ms: int) -> None:
        emulator = self._emulator
        t = min(int(t_ms), emulator.horizon_ms)
        if t <= emulator.clock.now_ms():
            return
        # The manual clock and the engine move together, as Emulator.advance does in slices.
        emulator.clock.reach(t)
        emulator.engine.advance_to(t)

    def wait_for_publication(self) -> bool:
        return False  # the replay has a bar the moment it closes

    @property
    def exhausted(self) -> bool:
        return self._series.exhausted(self._emulator.clock.now_ms())
