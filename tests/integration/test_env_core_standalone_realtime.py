"""Issue 8's acceptance run: ``torchtrade emulator serve --speed 600 --start now``, then an env built
later with ``base_url`` alone (the default VenueClock), observes the emulator's present and truncates
its episode at the end of the data.

"Later" is simulated by jumping the realtime emulator ahead (its clock keeps running at 600x): the
emulator is then hours ahead of the client's wall clock, which is what 60 s of serving at 600x does.
"""

from __future__ import annotations

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
    left = (last_close - now) // MIN  # bars still to close when the episode starts
    done, steps, info = False, 0, {}
    while not done and steps < 60:
        _, _, done, info = env.step(1)
        steps += 1
    assert done
    assert info["truncated"]
    assert info["data_exhausted"]
    # At most the bars left (a bar may close between the read and the first step); fewer when this
    # machine steps slower than the venue's 600x clock closes bars (the env then skips to the newest).
    assert 1 <= steps <= left + 2
