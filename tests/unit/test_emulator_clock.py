"""Tests for torchtrade.emulator.clock: manual and realtime×speed clocks, with no sleeping."""

from __future__ import annotations

import math
import threading

import pytest

from torchtrade.emulator.clock import MAX_SPEED, Clock, ManualClock, RealtimeClock

T0 = 1_670_889_600_000  # 2022-12-13T00:00:00Z


class FakeMonotonic:
    """An injectable wall-time source (seconds) that moves only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


# --------------------------------------------------------------------------- manual


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.kind == "manual"
    assert isinstance(clock, Clock)
    assert clock.now_ms() == T0
    assert clock.now_ms() == T0
    assert clock.advance(0) == T0
    assert clock.advance(60_000) == T0 + 60_000
    assert clock.now_ms() == T0 + 60_000
    assert clock.advance_to(T0 + 60_000) == T0 + 60_000  # staying put is allowed
    assert clock.advance_to(T0 + 3_600_000) == T0 + 3_600_000
    assert clock.now_ms() == T0 + 3_600_000
    assert "ManualClock" in repr(clock)


def test_manual_clock_never_goes_back() -> None:
    clock = ManualClock(T0)
    with pytest.raises(ValueError, match="ms=-1"):
        clock.advance(-1)
    with pytest.raises(ValueError, match=f"t_ms={T0 - 1}"):
        clock.advance_to(T0 - 1)
    assert clock.now_ms() == T0


@pytest.mark.parametrize("bad", [1.5, "60000", None, True])
def test_manual_clock_wants_integer_ms(bad: object) -> None:
    clock = ManualClock(T0)
    with pytest.raises(TypeError, match="must be an int"):
        clock.advance(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        clock.advance_to(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="start_ms"):
        ManualClock(bad)  # type: ignore[arg-type]


def test_manual_clock_is_thread_safe() -> None:
    clock = ManualClock(0)
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(2000):
            clock.advance(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert clock.now_ms() == 16_000  # no lost update


# --------------------------------------------------------------------------- realtime


def test_realtime_clock_follows_the_wall_clock_times_speed() -> None:
    wall = FakeMonotonic()
    clock = RealtimeClock(T0, monotonic=wall)
    assert clock.kind == "realtime"
    assert isinstance(clock, Clock)
    assert clock.speed == 1.0
    assert clock.now_ms() == T0
    wall.t += 1.5
    assert clock.now_ms() == T0 + 1500
    wall.t += 0.0004  # sub-millisecond progress is floored: time is integer ms
    assert clock.now_ms() == T0 + 1500
    wall.t += 0.0006
    assert clock.now_ms() == T0 + 1501


def test_realtime_clock_speed() -> None:
    wall = FakeMonotonic()
    clock = RealtimeClock(T0, speed=60.0, monotonic=wall)
    wall.t += 1.0
    assert clock.now_ms() == T0 + 60_000  # one wall second is one emulator minute
    wall.t += 0.001
    assert clock.now_ms() == T0 + 60_060  # float noise in 1001.001 - 1000.0 does not lose a ms
    slow = RealtimeClock(T0, speed=0.5, monotonic=wall)
    wall.t += 10.0
    assert slow.now_ms() == T0 + 5000


def test_realtime_clock_never_decreases() -> None:
    wall = FakeMonotonic()
    clock = RealtimeClock(T0, monotonic=wall)
    wall.t += 2.0
    assert clock.now_ms() == T0 + 2000
    wall.t -= 1.0  # a misbehaving source must not make the emulator's time run backwards
    assert clock.now_ms() == T0 + 2000
    wall.t += 1.5
    assert clock.now_ms() == T0 + 2500
    assert all(isinstance(clock.now_ms(), int) for _ in range(3))


@pytest.mark.parametrize(
    "speed", [0, 0.0, -1.0, math.nan, math.inf, -math.inf, "2", None, True, 1e308, MAX_SPEED * 1.000001]
)
def test_realtime_clock_rejects_bad_speed(speed: object) -> None:
    with pytest.raises(ValueError, match="speed"):
        RealtimeClock(T0, speed=speed)  # type: ignore[arg-type]
    clock = RealtimeClock(T0, monotonic=FakeMonotonic())
    with pytest.raises(ValueError, match="speed"):
        clock.speed = speed  # type: ignore[assignment]
    assert clock.speed == 1.0


def test_realtime_clock_advance_moves_the_base() -> None:
    wall = FakeMonotonic()
    clock = RealtimeClock(T0, speed=2.0, monotonic=wall)
    wall.t += 1.0
    assert clock.advance(60_000) == T0 + 2000 + 60_000
    assert clock.now_ms() == T0 + 62_000
    wall.t += 0.5  # keeps running from the new point at the same speed
    assert clock.now_ms() == T0 + 63_000
    assert clock.advance_to(T0 + 3_600_000) == T0 + 3_600_000
    wall.t += 0.25
    assert clock.now_ms() == T0 + 3_600_500
    with pytest.raises(ValueError, match="ms=-5"):
        clock.advance(-5)
    with pytest.raises(ValueError, match="before the present"):
        clock.advance_to(T0)
    with pytest.raises(TypeError, match="must be an int"):
        clock.advance(0.5)  # type: ignore[arg-type]
    assert clock.now_ms() == T0 + 3_600_500


def test_realtime_clock_speed_change_keeps_the_present() -> None:
    wall = FakeMonotonic()
    clock = RealtimeClock(T0, monotonic=wall)
    wall.t += 10.0
    clock.speed = 100
    assert clock.speed == 100.0
    assert clock.now_ms() == T0 + 10_000  # no jump when the rate changes
    wall.t += 1.0
    assert clock.now_ms() == T0 + 110_000
    assert "speed=100.0" in repr(clock)


def test_realtime_clock_with_the_real_monotonic_source() -> None:
    clock = RealtimeClock(T0, speed=1000.0)
    readings = [clock.now_ms() for _ in range(100)]
    assert readings == sorted(readings)
    assert readings[0] >= T0


def test_the_fastest_realtime_clock_still_counts() -> None:
    wall = FakeMonotonic()
    clock = RealtimeClock(T0, speed=MAX_SPEED, monotonic=wall)
    wall.t += 3600.0  # an hour of wall time: 114 years of market
    assert clock.now_ms() == T0 + 3_600_000 * int(MAX_SPEED)


def test_reach_moves_forward_only_and_never_complains() -> None:
    manual = ManualClock(T0)
    assert manual.reach(T0 - 1) == T0  # already past: no move, no error
    assert manual.reach(T0 + 5) == T0 + 5
    wall = FakeMonotonic()
    realtime = RealtimeClock(T0, speed=10.0, monotonic=wall)
    wall.t += 1.0
    assert realtime.reach(T0 + 5_000) == T0 + 10_000  # the running clock passed it already
    assert realtime.reach(T0 + 60_000) == T0 + 60_000
    wall.t += 0.1
    assert realtime.now_ms() == T0 + 61_000  # and keeps running from there
    for clock in (manual, realtime):
        with pytest.raises(TypeError, match="must be an int"):
            clock.reach(1.5)  # type: ignore[arg-type]
