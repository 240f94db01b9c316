"""An env pointed at a standalone ``torchtrade emulator serve`` by ``base_url`` alone.

No keys (the emulator's default keys are used for a local base_url), no injected clock: the env's
default clock measures the venue's pace, so at ``--speed 600`` a 1-minute step takes ~0.1 s, not 60 s.
"""

from __future__ import annotations

import itertools
import time

import pytest
import requests

from torchtrade.emulator.process import serve_in_subprocess
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig
from torchtrade.envs.core.clock import VenueClock


@pytest.fixture
def standalone():
    with serve_in_subprocess("--speed", "600", "--start", "now") as served:
        yield served.url


def test_steps_at_the_emulators_pace(standalone, monkeypatch, tmp_path):
    for name in ("BITGETACCESSAPIKEY", "BITGETSECRETKEY", "BITGETPASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env: the local emulator's default keys apply
    env = BitgetFuturesTorchTradingEnv(
        BitgetFuturesTradingEnvConfig(
            base_url=standalone, time_frames=["1min", "5min"], window_sizes=[10, 4], quantity_per_trade=0.01
        )
    )
    assert isinstance(env.clock, VenueClock)
    assert env.clock.rate > 100  # it measured the replay's speed (600x)
    env.reset()
    start = time.monotonic()
    closes = []
    for action in (2, 1, 1, 0, 1):
        _, _, _, info = env.step(action)
        closes.append(env.feed.last_closed_ms)
        assert "stale_market_data" not in info
    elapsed = time.monotonic() - start
    # Five 1-minute steps: ~0.5 s at 600x, five minutes at 1x. A generous bound: this checks that the
    # env does not wait in wall time, not how fast it is (bench/ measures speed).
    assert elapsed < 30
    assert all(b > a for a, b in itertools.pairwise(closes))  # every step saw a new bar
    assert [o["action"] for o in env.last_info["orders"]] == []
    positions = requests.get(standalone + "/_emulator/positions", timeout=5).json()
    assert positions == []  # opened at the first step, closed at the fourth
    orders = requests.get(standalone + "/_emulator/ledger", params={"kind": "order"}, timeout=5).json()
    assert len(orders) == 2
