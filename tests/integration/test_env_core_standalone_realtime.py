"""Issue 8's acceptance run: ``torchtrade emulator serve --speed 600 --start now``, then an env built
later with ``base_url`` alone (the default VenueClock), observes the emulator's present and truncates
its episode at the end of the data.

"Later" is simulated by jumping the realtime emulator ahead (its clock keeps running at 600x): the
emulator is then hours ahead of the client's wall clock, which is what 60 s of serving at 600x does.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from torchtrade.emulator.server import EmulatorServer
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig

MIN = 60_000


@pytest.fixture
def realtime_server():
    with EmulatorServer(clock="realtime", speed=600, start="now") as server:
        yield server


def test_an_env_built_later_sees_the_present_and_truncates_at_the_end(realtime_server):
    control = realtime_server.control
    status = control.status()
    last_close = status["symbols"]["BTCUSDT"]["last_close"]
    # Ten hours of market later (60 s at 600x), then on to 20 bars before the data ends.
    control.advance(ms=10 * 3_600_000)
    control.advance(to=last_close - 20 * MIN)
    env = BitgetFuturesTorchTradingEnv(
        BitgetFuturesTradingEnvConfig(base_url=realtime_server.url, time_frames=["1min"], window_sizes=[10])
    )
    td = env.reset()
    now = control.status()["now"]
    newest_closed_open = (now // MIN) * MIN - MIN  # the bar that closed last at the venue's present
    last_seen = env.feed.candles("1min").index[-1].value // 1_000_000
    assert last_seen in (newest_closed_open, newest_closed_open - MIN)  # a bar may close meanwhile
    assert td["market_data_1min_10"].shape == (10, 5)
    done, steps, info, seen = False, 0, {}, [last_seen]
    while not done and steps < 60:
        _, _, done, info = env.step(1)
        steps += 1
        seen.append(env.feed.candles("1min").index[-1].value // 1_000_000)
    assert done
    assert info["truncated"]
    assert info["data_exhausted"]
    # Every step before the last moved on by at least one bar (none replayed, none invented), the last
    # step found no new bar because the data had ended, and the env had then seen the last bar. How many
    # steps that takes depends on how fast this machine steps against the venue's 600x clock.
    moved = [b - a for a, b in pairwise(seen[:-1])]
    assert all(m >= MIN for m in moved), moved
    assert seen[-1] == seen[-2] == last_close - MIN
