"""The live envs' candle feed (``envs/live/shared/feed.py``) on a real ccxt.bitget against the emulator.

What the env observes is checked against an independent pandas resample of the replayed data file
(label and closed left, UTC), restricted to the bars closed at the venue's present: timestamps and
prices exactly, volume to 1e-9. Requests are counted twice, by the feed and in the emulator's ledger.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import ccxt
import numpy as np
import pandas as pd
import pytest

from tests.conftest import BTC, SHARED_DATA, bundled_frame
from torchtrade.envs.live.shared.feed import COLUMNS, CandleFeed
from torchtrade.timeframes import TimeFrame

P = TimeFrame.parse
FILE_BAR_MS = 60_000  # every file replayed here holds 1-minute bars
GAPPY_FILE = SHARED_DATA / "coinbase_btcusd_1m_2016-10-07_09.csv"
CANDLE_ROUTES = {"candles", "history_candles"}
AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
# Bars to advance between two updates: single bars, none, several, and more than a page (200).
STEPS = [1, 1, 0, 1, 3, 1, 14, 1, 0, 2, 45, 1, 1, 59, 1, 7, 1, 120, 1, 250, 1, 1, 5]


def ms_of(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((index - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(1, "ms"), dtype=np.int64)


def read_frame(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df.set_index("timestamp")


def write_frame(df: pd.DataFrame, path: Path) -> Path:
    out = df.copy()
    out.index = out.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index_label="timestamp")
    return path


def expected(frame: pd.DataFrame, now: int, tf: TimeFrame, n: int) -> pd.DataFrame:
    """The last ``n`` closed candles of ``tf`` at ``now``, by pandas alone."""
    closed = frame[ms_of(frame.index) + FILE_BAR_MS <= now]
    candles = closed.resample(tf.key, label="left", closed="left").agg(AGG).dropna()
    return candles[ms_of(candles.index) + tf.ms <= now].tail(n)


def assert_observes(feed: CandleFeed, frame: pd.DataFrame, now: int) -> None:
    for tf in feed.timeframes:
        got, want = feed.candles(tf), expected(frame, now, tf, feed.history[tf])
        where = f"{tf} at {pd.Timestamp(now, unit='ms', tz='UTC')}"
        assert got.index.name == "timestamp"
        assert str(got.index.tz) == "UTC"
        assert list(got.columns) == list(COLUMNS)
        assert (got.dtypes == np.float64).all()
        assert ms_of(got.index).tolist() == ms_of(want.index).tolist(), where
        for col in ("open", "high", "low", "close"):
            assert got[col].tolist() == want[col].tolist(), f"{col} of {where}"
        np.testing.assert_allclose(got["volume"], want["volume"], rtol=1e-9, atol=1e-12, err_msg=where)
        # No look-ahead, whatever the comparison above says: every candle has closed.
        assert (ms_of(got.index) + tf.ms <= now).all(), where


def candle_requests(emulator, since: int) -> list[dict]:
    return [e for e in emulator.control.ledger("request", since=since) if e["route"] in CANDLE_ROUTES]


def last_seq(emulator) -> int:
    events = emulator.control.ledger()
    return events[-1]["seq"] if events else 0


def make_feed(exchange, base: str, history: dict[str, int], **kwargs) -> CandleFeed:
    return CandleFeed(
        exchange.fetch_ohlcv,
        BTC,
        P(base),
        [P(tf) for tf in history],
        {P(tf): n for tf, n in history.items()},
        **kwargs,
    )


def replay(emulator, exchange, feed: CandleFeed, frame: pd.DataFrame, steps: Sequence[int]) -> Iterator[int]:
    """Primes ``feed``, then advances the emulator by each step and updates; checks after each call.

    Yields the present after each update, for extra checks by the caller.
    """
    now = exchange.fetch_time()
    feed.prime(now)
    assert_observes(feed, frame, now)
    for bars in steps:
        if emulator.control.advance(bars=bars)["exhausted"]:
            break
        now = exchange.fetch_time()
        feed.update(now)
        assert_observes(feed, frame, now)
        yield now


HISTORIES = {
    "short": {"1min": 30, "5min": 12, "15min": 8, "1h": 6},
    "paged": {"1min": 250, "5min": 100, "15min": 40, "1h": 12},  # more than the venue holds, some
    "higher_only": {"5min": 6, "1h": 3},
}


class TestObservationTruth:
    @pytest.mark.parametrize("history", HISTORIES.values(), ids=HISTORIES.keys())
    def test_bundled_gapless_file(self, emulator, exchange, history):
        feed = make_feed(exchange, "1min", history)
        frame = bundled_frame()
        for now in replay(emulator, exchange, feed, frame, STEPS):
            assert feed.last_closed_ms == now  # gapless: the newest base bar closed right now

    @pytest.mark.skipif(not GAPPY_FILE.exists(), reason=f"{GAPPY_FILE} is not there")
    @pytest.mark.parametrize("history", HISTORIES.values(), ids=HISTORIES.keys())
    def test_file_with_gaps(self, emulator, exchange, history):
        emulator.control.reset(data=[f"{BTC}={GAPPY_FILE}"], history_bars=700)
        feed = make_feed(exchange, "1min", history)
        list(replay(emulator, exchange, feed, read_frame(GAPPY_FILE), STEPS))

    def test_whole_periods_missing_and_a_gap_longer_than_a_page(self, emulator, exchange, tmp_path):
        """Real bars with holes cut in: the data starts mid-period (00:07), whole 15m and 1h periods
        are empty, and 270 bars (more than a page) are missing ahead of the present."""
        frame = bundled_frame()
        t = frame.index.strftime("%H:%M")
        holes = (t < "00:07") | t.to_series().between("01:13", "01:47").to_numpy()
        holes |= t.to_series().between("05:00", "06:05").to_numpy()
        holes |= t.to_series().between("09:00", "13:29").to_numpy()
        frame = frame[~holes]
        path = write_frame(frame, tmp_path / "btc_with_holes.csv")
        emulator.control.reset(data=[f"{BTC}={path}"], history_bars=500)  # present: 08:27
        history = {"1min": 250, "5min": 90, "15min": 40, "1h": 10}
        feeds = [
            make_feed(exchange, "1min", history),
            # The venue serves no 1h candles: 1h is aggregated from 1m bars back to the data's start.
            make_feed(exchange, "1min", {"1h": 10}, venue_timeframes={"1m", "5m", "15m"}),
        ]
        for feed in feeds:
            emulator.control.reset(data=[f"{BTC}={path}"], history_bars=500)
            list(replay(emulator, exchange, feed, frame, [1, 2, 30, 1, 300, 1, 0, 1, 15, 200, 3]))
            assert len(feed.candles(P("1h"))) == 10

    def test_prime_inside_a_gap_longer_than_a_page(self, emulator, exchange, tmp_path):
        frame = bundled_frame()
        t = frame.index.strftime("%H:%M").to_series()
        frame = frame[~t.between("05:00", "09:59").to_numpy()]
        path = write_frame(frame, tmp_path / "btc_5h_hole.csv")
        emulator.control.reset(data=[f"{BTC}={path}"], history_bars=8 * 60 + 30)  # present 08:30
        feed = make_feed(exchange, "1min", {"1min": 60, "15min": 10, "1h": 4})
        list(replay(emulator, exchange, feed, frame, [1, 60, 29, 1, 1, 45]))

    def test_base_of_5min_observing_15min_and_1h(self, emulator, exchange):
        feed = make_feed(exchange, "5min", {"15min": 8, "1h": 4})
        frame = bundled_frame()
        now = exchange.fetch_time()
        feed.prime(now)
        assert_observes(feed, frame, now)
        assert feed.requests == 1  # 4 hours of 5m bars fit in one page: 15m and 1h are aggregated
        for bars in [1, 4, 5, 0, 3, 2, 13, 60, 1, 1, 1, 1, 1, 47, 120]:
            before = feed.requests
            prev_floor = P("5min").floor(now)
            now = emulator.control.advance(bars=bars)["now"]
            feed.update(now)
            assert_observes(feed, frame, now)
            # A request only when a 5m bar can have closed since the last one.
            assert feed.requests - before == (1 if P("5min").floor(now) > prev_floor else 0)
        with pytest.raises(ValueError, match="5min"):
            feed.candles(P("5min"))  # the base is not observed

    def test_recent_endpoint_and_a_present_inside_a_bar(self, emulator, exchange):
        """As on the real venue: the client's clock is the venue's, and the present is mid-bar.

        ccxt then picks Bitget's recent endpoint (whose answers can hold the forming candle)
        instead of the history endpoint it uses for replayed 2022 dates. The emulator's manual
        clock runs apart from the wall clock, so the client reads the emulator's present instead:
        the only change to the client, and to its clock only.
        """
        frame = bundled_frame()
        start = int(ms_of(frame.index[:1])[0]) + 500 * FILE_BAR_MS + 17_345
        emulator.control.reset(start=start, history_bars=500)
        clock = {"now": exchange.fetch_time()}
        exchange.milliseconds = lambda: clock["now"]
        seq = last_seq(emulator)
        feed = make_feed(exchange, "1min", {"1min": 40, "5min": 10, "15min": 6, "1h": 3})
        feed.prime(clock["now"])
        assert_observes(feed, frame, clock["now"])
        for step_ms in [60_000, 60_000, 125_000, 0, 30_000, 30_000, 1_000, 300_000, 59_000, 3_600_000]:
            clock["now"] = emulator.control.advance(ms=step_ms)["now"]
            feed.update(clock["now"])
            assert_observes(feed, frame, clock["now"])
        routes = {e["route"] for e in candle_requests(emulator, seq)}
        assert routes == {"candles"}


class TestRequests:
    @pytest.mark.parametrize(
        "history",
        [{"1min": 100}, {"1min": 60, "15min": 16, "1h": 6}, {"5min": 24, "15min": 16, "1h": 6}],
        ids=["1 timeframe", "3 timeframes", "3 timeframes above the base"],
    )
    def test_each_update_costs_one_request(self, emulator, exchange, history):
        feed = make_feed(exchange, "1min", history)
        seq = last_seq(emulator)
        feed.prime(exchange.fetch_time())
        assert len(candle_requests(emulator, seq)) == feed.requests
        for bars in [1, 1, 1, 2, 5, 1, 15, 60, 1, 199]:
            emulator.control.advance(bars=bars)
            now = exchange.fetch_time()
            seq, before = last_seq(emulator), feed.requests
            assert feed.update(now) == bars
            assert feed.requests - before == 1
            (request,) = candle_requests(emulator, seq)
            assert request["status"] == 200

    def test_no_request_when_no_bar_closed(self, emulator, exchange):
        feed = make_feed(exchange, "1min", {"1min": 10, "1h": 2})
        feed.prime(exchange.fetch_time())
        before, seq = feed.requests, last_seq(emulator)
        assert feed.update(exchange.fetch_time()) == 0
        emulator.control.advance(ms=59_999)
        assert feed.update(exchange.fetch_time()) == 0
        assert feed.requests == before
        assert candle_requests(emulator, seq) == []

    def test_more_than_a_page_of_missed_bars_is_paged(self, emulator, exchange):
        feed = make_feed(exchange, "1min", {"1min": 300, "1h": 2}, page_limit=100)
        feed.prime(exchange.fetch_time())
        emulator.control.advance(bars=250)
        before = feed.requests
        assert feed.update(exchange.fetch_time()) == 250
        assert feed.requests - before == 3
        assert_observes(feed, bundled_frame(), exchange.fetch_time())

    @pytest.mark.parametrize(
        ("history", "requests"),
        [
            ({"1min": 100}, 1),
            ({"1min": 500}, 3),  # 200 1m bars per request
            # The design sketch's example (time_frames 5min/15min, windows 6/32, execute_on 1min):
            # one page of 1m bars holds the 5m window; 15m × 32 is one request of 15m candles.
            ({"5min": 6, "15min": 32}, 2),
            # 6 h of 1m bars (2 pages) hold every higher window: all aggregated.
            ({"1min": 60, "5min": 24, "15min": 16, "1h": 6}, 2),
            # 1 page of 1m bars holds 5m and 15m; 1h × 8 would need 3 pages: 1 request of 1h.
            ({"1min": 60, "5min": 36, "15min": 12, "1h": 8}, 2),
            # 15m × 24 needs 2 pages, 1h × 8 3 pages: 3 pages of 1m bars, or 1 + 1 + 1 (a tie,
            # which goes to aggregation).
            ({"1min": 60, "5min": 36, "15min": 24, "1h": 8}, 3),
        ],
        ids=["1m", "1m-paged", "5m+15m", "4tf-aggregated", "4tf-1h-direct", "4tf-tie"],
    )
    def test_prime_requests_on_typical_configs(self, emulator, exchange, history, requests):
        feed = make_feed(exchange, "1min", history)
        now = exchange.fetch_time()
        assert feed.plan(now).requests == requests
        seq = last_seq(emulator)
        feed.prime(now)
        assert feed.requests == requests
        assert len(candle_requests(emulator, seq)) == requests
        assert_observes(feed, bundled_frame(), now)

    def test_ccxts_lower_limit_for_a_timeframe_sizes_the_windows(self, emulator, exchange):
        """ccxt lowers ``limit`` per timeframe (Bitget swap: 1d to 90); here 1h to 5, on this client.

        A window sized for a larger ``limit`` would come back without its oldest candles; the feed
        reads ccxt's caps from the exchange and pages 1h candles 5 at a time.
        """
        emulator.control.reset(history_bars=1000)
        exchange.options["fetchOHLCV"]["swap"]["maxLimitPerTimeframe"]["1h"] = 5
        feed = make_feed(exchange, "1min", {"1min": 10, "1h": 14})
        now = exchange.fetch_time()
        plan = feed.plan(now)
        assert plan.direct == (P("1h"),)
        assert plan.requests == 1 + 3  # one page of 1m bars, 14 hours in pages of 5 (aggregated: 5)
        feed.prime(now)
        assert feed.requests == plan.requests
        assert_observes(feed, bundled_frame(), now)
        for bars in [1, 60, 3]:
            now = emulator.control.advance(bars=bars)["now"]
            feed.update(now)
            assert_observes(feed, bundled_frame(), now)


class TestRobustness:
    def test_duplicated_reordered_and_stale_candles_and_failed_requests(self, emulator, exchange):
        """The venue's real answers, perturbed: reversed, every candle twice, an old candle and the
        forming candle mixed in; and every third request fails after reaching the venue (the feed
        must stay as it was)."""
        calls = 0

        def perturbed(symbol, timeframe, since=None, limit=None, params=None):
            nonlocal calls
            calls += 1
            rows = exchange.fetch_ohlcv(symbol, timeframe, since=since, limit=limit, params=params)
            if calls > 1 and calls % 3 == 0:
                raise ccxt.NetworkError("connection reset (test)")
            first = since if since is not None else (rows[0][0] if rows else emulator.control.status()["now"])
            old = exchange.fetch_ohlcv(symbol, timeframe, since=first - 10 * 60_000, limit=1)
            newest = exchange.fetch_ohlcv(symbol, timeframe, limit=2)  # ends with the forming candle
            assert newest[-1][0] + P("1min").ms > emulator.control.status()["now"]
            return [*newest, *reversed(rows), *rows, *old]

        history = {"1min": 30, "5min": 6, "15min": 4}
        feed = CandleFeed(
            perturbed, BTC, P("1min"), [P(tf) for tf in history], {P(k): v for k, v in history.items()}
        )
        frame = bundled_frame()
        now = exchange.fetch_time()
        feed.prime(now)
        assert_observes(feed, frame, now)
        failures = 0
        for bars in [1, 1, 1, 2, 1, 1, 7, 1, 1, 4, 1]:
            now = emulator.control.advance(bars=bars)["now"]
            held = {tf: feed.candles(tf) for tf in feed.timeframes}
            try:
                feed.update(now)
            except ccxt.NetworkError:
                failures += 1
                for tf in feed.timeframes:
                    pd.testing.assert_frame_equal(feed.candles(tf), held[tf])
                feed.update(now)  # the retry gets everything
            assert_observes(feed, frame, now)
        assert failures >= 3

    def test_a_failed_prime_leaves_the_feed_as_it_was(self, emulator, exchange):
        calls, fail_at = 0, 0

        def flaky(symbol, timeframe, since=None, limit=None, params=None):
            nonlocal calls
            calls += 1
            if calls == fail_at:
                raise ccxt.RequestTimeout("timed out (test)")
            return exchange.fetch_ohlcv(symbol, timeframe, since=since, limit=limit, params=params)

        history = {P("1min"): 300, P("15min"): 4}  # 2 pages of 1m bars; 15m aggregated from them
        feed = CandleFeed(flaky, BTC, P("1min"), list(history), history)
        frame = bundled_frame()
        feed.prime(exchange.fetch_time())
        assert feed.requests == 2
        held = {tf: feed.candles(tf) for tf in history}
        now = emulator.control.advance(bars=5)["now"]
        fail_at = calls + 2  # the second page of the next prime
        with pytest.raises(ccxt.RequestTimeout):
            feed.prime(now)
        for tf in history:
            pd.testing.assert_frame_equal(feed.candles(tf), held[tf])
        assert feed.update(now) == 5
        assert_observes(feed, frame, now)

    def test_the_data_ends(self, emulator, exchange):
        """Past the last bar the venue answers with nothing, and 0 new bars is a normal update."""
        emulator.control.reset(history_bars=1400)  # 40 bars left
        feed = make_feed(exchange, "1min", {"1min": 30, "15min": 4, "1h": 2})
        frame = bundled_frame()
        feed.prime(exchange.fetch_time())
        # The update that runs into the end gets 4 bars where 61 closed: an update asks for every bar
        # since the last one in one window, so that one answer already says nothing follows them.
        for bars, new, requests in [(10, 10, 1), (25, 25, 1), (1, 1, 1), (61, 4, 1), (5, 0, 1), (60, 0, 1)]:
            now = emulator.control.advance(bars=bars)["now"]
            before = feed.requests
            assert feed.update(now) == new
            assert feed.requests - before == requests
            assert_observes(feed, frame, now)
        assert feed.last_closed_ms == int(ms_of(frame.index[-1:])[0]) + FILE_BAR_MS
        assert feed.candles(P("1h")).index[-1] == frame.index[-1].floor("1h")


class TestConfiguration:
    def test_a_timeframe_that_is_not_a_multiple_of_the_base_is_named(self, exchange):
        with pytest.raises(ValueError, match="7min"):
            make_feed(exchange, "5min", {"15min": 4, "7min": 4})
        with pytest.raises(ValueError, match="1min"):
            make_feed(exchange, "5min", {"1min": 4})

    def test_bad_history_and_page_limit_are_named(self, exchange):
        with pytest.raises(ValueError, match=r"history\[1h\]"):
            CandleFeed(exchange.fetch_ohlcv, BTC, P("1min"), [P("1min"), P("1h")], {P("1min"): 10})
        with pytest.raises(ValueError, match=r"history\[1min\]=0"):
            make_feed(exchange, "1min", {"1min": 0})
        with pytest.raises(ValueError, match="page_limit"):
            make_feed(exchange, "1min", {"1min": 5}, page_limit=0)

    def test_update_before_prime_and_an_unknown_timeframe(self, exchange):
        feed = make_feed(exchange, "1min", {"1min": 5})
        with pytest.raises(RuntimeError, match="prime"):
            feed.update(exchange.fetch_time())
        with pytest.raises(ValueError, match="1h"):
            feed.candles(P("1h"))
        assert feed.requests == 0
        assert feed.candles(P("1min")).empty
