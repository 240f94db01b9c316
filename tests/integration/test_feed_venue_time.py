"""The candle feed asks for candles at the venue's present, whatever the client's clock says.

ccxt's Bitget ``fetch_ohlcv`` ends a recent ``since`` window at the client's wall clock and clamps
``until`` to it; ``torchtrade emulator serve --speed 600 --start now`` runs ahead of that clock
(ten minutes of market per second), and a user's clock can drift on a real venue. Each case runs
through a real ccxt.bitget over HTTP and checks what the feed observes against an independent pandas
resample of the replayed file, at the present the feed was given (see ``test_feed.py``):

1. the venue hours ahead of the client (a realtime emulator jumped ahead, or started in the future);
2. the venue behind it (the manual emulator on its 2022 dates);
3. the client's clock drifting far off (``exchange.milliseconds`` replaced on the instance).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from tests.conftest import BTC, bundled_frame
from tests.integration.test_feed import assert_observes, candle_requests, last_seq
from torchtrade.emulator.clients import ccxt_client
from torchtrade.emulator.server import EmulatorServer
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig
from torchtrade.envs.live.shared.feed import CandleFeed
from torchtrade.timeframes import TimeFrame

P = TimeFrame.parse
MIN = 60_000
HOUR = 3_600_000
HISTORY = {"1min": 30, "5min": 12, "15min": 8, "1h": 4}


def wall_ms() -> int:
    return int(time.time() * 1000)


def shifted_frame(control) -> pd.DataFrame:
    """The bundled BTC file where the emulator replays it (``start`` shifts it onto the timeline)."""
    frame = bundled_frame()
    first_open = control.status()["symbols"]["BTCUSDT"]["first_open"]
    frame.index = frame.index + pd.Timedelta(first_open - int(frame.index[0].value // 1_000_000), "ms")
    return frame


class Recorder:
    """ccxt's fetch_ohlcv, keeping the query string of every candle request it sent."""

    def __init__(self, exchange) -> None:
        self.exchange = exchange
        self.queries: list[dict[str, str]] = []

    def __call__(self, symbol, timeframe, since=None, limit=None, params=None):
        rows = self.exchange.fetch_ohlcv(symbol, timeframe, since=since, limit=limit, params=params or {})
        query = parse_qs(urlparse(self.exchange.last_request_url).query)
        self.queries.append({k: v[0] for k, v in query.items()})
        return rows


def recorded_feed(exchange, history=HISTORY) -> tuple[Recorder, CandleFeed]:
    rec = Recorder(exchange)
    feed = CandleFeed(
        rec,
        BTC,
        P("1min"),
        [P(tf) for tf in history],
        {P(tf): n for tf, n in history.items()},
        venue_timeframes=exchange.timeframes,
    )
    return rec, feed


def assert_at_the_present(feed, frame: pd.DataFrame, now: int) -> None:
    """The feed's newest base bar is the last bar closed at ``now``: its close is the file's."""
    assert_observes(feed, frame, now)
    assert feed.last_closed_ms == P("1min").floor(now)
    last_bar = frame.loc[pd.Timestamp(P("1min").floor(now) - MIN, unit="ms", tz="UTC")]
    assert feed.candles(P("1min"))["close"].iloc[-1] == last_bar["close"]


@pytest.fixture(params=["jumped-ahead", "started-in-the-future"])
def ahead(request) -> Iterator[EmulatorServer]:
    """A realtime emulator at speed 600 whose present is hours past the client's wall clock."""
    if request.param == "jumped-ahead":
        server = EmulatorServer(clock="realtime", speed=600, start="now")
    else:
        server = EmulatorServer(clock="realtime", speed=600, start=wall_ms() + 6 * HOUR)
    with server:
        if request.param == "jumped-ahead":
            server.control.advance(ms=5 * HOUR)
        yield server


class TestVenueAheadOfTheClient:
    def test_prime_and_updates_observe_the_venues_present(self, ahead):
        exchange = ccxt_client(ahead.url, enableRateLimit=False, timeout=5000)
        exchange.load_markets()
        frame = shifted_frame(ahead.control)
        now = exchange.fetch_time()
        assert now - wall_ms() > 4 * HOUR  # the venue really is hours ahead of the client
        rec, feed = recorded_feed(exchange)
        feed.prime(now)
        assert_at_the_present(feed, frame, now)
        for bars in [1, 0, 3, 1, 17, 1]:
            ahead.control.advance(bars=bars)
            before, prev = feed.requests, feed.last_closed_ms
            now = exchange.fetch_time()
            feed.update(now)
            assert_at_the_present(feed, frame, now)
            # A hold step's update is one request (none when no bar can have closed), and its
            # window ends where the bar forming at the venue's present begins.
            assert feed.requests - before == (1 if P("1min").floor(now) > prev else 0)
            if feed.requests > before:
                assert int(rec.queries[-1]["endTime"]) == P("1min").floor(now) - 1
        assert all("endTime" in q for q in rec.queries)

    def test_an_env_built_with_base_url_alone_observes_the_present(self, ahead):
        """README §3: ``serve --speed 600 --start now``, then a new env (which failed with "the
        venue returned no closed 1min candle" once the emulator was 200 minutes ahead)."""
        config = BitgetFuturesTradingEnvConfig(
            base_url=ahead.url, time_frames=["1min", "5min"], window_sizes=[10, 6]
        )
        frame = shifted_frame(ahead.control)
        t0 = ahead.control.status()["now"]
        env = BitgetFuturesTorchTradingEnv(config)
        env.reset()
        t1 = ahead.control.status()["now"]
        last = env.feed.last_closed_ms
        assert P("1min").floor(t0) <= last <= P("1min").floor(t1)
        assert_observes(env.feed, frame, last)
        env.close()


class TestVenueBehindTheClient:
    def test_a_2022_replay_still_pages_through_the_history_endpoint(self, emulator, exchange):
        now = exchange.fetch_time()
        assert wall_ms() - now > 365 * 24 * HOUR
        seq = last_seq(emulator)
        rec, feed = recorded_feed(exchange, {"1min": 250, "15min": 8, "1h": 4})
        feed.prime(now)
        frame = bundled_frame()
        assert_at_the_present(feed, frame, now)
        for bars in [1, 2, 0, 60, 1]:
            now = emulator.control.advance(bars=bars)["now"]
            before = feed.requests
            feed.update(now)
            assert_at_the_present(feed, frame, now)
            if feed.requests > before:
                assert int(rec.queries[-1]["endTime"]) == P("1min").floor(now) - 1
        assert {e["route"] for e in candle_requests(emulator, seq)} == {"history_candles"}


CLIENT_CLOCKS = {
    "year 2000": lambda venue: 946_684_800_000,
    "year 2100": lambda venue: 4_102_444_800_000,
    "90 days behind": lambda venue: venue - 90 * 24 * HOUR,
    "3 hours ahead": lambda venue: venue + 3 * HOUR,
    "venue's own": lambda venue: venue,
}


class TestADriftingClientClock:
    @pytest.mark.parametrize("clock", CLIENT_CLOCKS, ids=CLIENT_CLOCKS)
    def test_what_the_feed_returns_does_not_depend_on_the_clients_clock(self, emulator, exchange, clock):
        frame = bundled_frame()
        venue_now = exchange.fetch_time() + 17_345  # mid-bar
        emulator.control.advance(ms=17_345)
        offset = CLIENT_CLOCKS[clock](venue_now) - wall_ms()
        exchange.milliseconds = lambda: wall_ms() + offset  # a client clock that runs, but off
        history = {"1min": 250, "5min": 40, "15min": 8, "1h": 6}
        _, feed = recorded_feed(exchange, history)
        feed.prime(venue_now)
        assert_observes(feed, frame, venue_now)
        for step_ms in [MIN, 0, 3 * MIN, 45_000, HOUR]:
            venue_now = emulator.control.advance(ms=step_ms)["now"]
            before = feed.requests
            feed.update(venue_now)
            assert feed.requests - before <= 1
            assert_observes(feed, frame, venue_now)

    def test_on_a_venue_ahead_too(self, ahead):
        """Feeds whose clients' clocks are right, 5 hours slow and 2 days fast all observe the
        venue's present (it moves on between them: each is checked at its own)."""
        frame = shifted_frame(ahead.control)
        for drift in (None, -5 * HOUR, 48 * HOUR):
            exchange = ccxt_client(ahead.url, enableRateLimit=False, timeout=5000)
            exchange.load_markets()
            if drift is not None:
                exchange.milliseconds = lambda d=drift: wall_ms() + d
            now = ahead.control.status()["now"]
            _, feed = recorded_feed(exchange)
            feed.prime(now)
            assert_at_the_present(feed, frame, now)
            now = ahead.control.advance(bars=2)["now"]
            feed.update(now)
            assert_at_the_present(feed, frame, now)
