"""Closed candles of several timeframes for one symbol, fetched incrementally through ccxt.

The feed is what a live env observes, so it keeps three promises above all:

* **No look-ahead.** A candle of timeframe ``tf`` opened at ``t`` is closed iff ``t + tf.ms <= now``;
  the forming candle is never returned, whatever the venue's endpoint answers (Bitget's recent-candles
  endpoint includes it, its history endpoint does not, and ccxt chooses between them with the
  client's wall clock, which says nothing about a replayed 2022 emulator timeline).
* **The venue's present, not the client's.** Every request names its whole window, both ends,
  from the ``now_ms`` the caller passes (the venue's time): ``since`` and ``limit``, and
  ``params={"until": ..., "endTime": ...}`` for its last millisecond. ``until`` is ccxt's unified
  name; ccxt's Bitget ``fetch_ohlcv`` clamps it to the client's own wall clock (and without it ends
  a recent ``since`` window there), so the venue's own ``endTime`` goes along and wins. The answer
  is then the same whatever the client's clock says, the emulator's speed or its ``--start``.
* **Few requests.** :meth:`CandleFeed.prime` fetches the windows once (each higher timeframe either
  directly or aggregated from base bars, whichever costs fewer requests). After that,
  :meth:`CandleFeed.update` makes one request for the base bars closed since the last one and
  aggregates every higher timeframe locally, exactly as the venue aligns its candles (UTC, from the
  epoch: :meth:`TimeFrame.floor`).

Example:
    >>> exchange = ccxt_client(url)  # doctest: +SKIP
    >>> feed = CandleFeed(exchange.fetch_ohlcv, "BTC/USDT:USDT", TimeFrame.parse("1min"),
    ...                   [TimeFrame.parse("1min"), TimeFrame.parse("1h")],
    ...                   {TimeFrame.parse("1min"): 60, TimeFrame.parse("1h"): 24})  # doctest: +SKIP
    >>> feed.prime(exchange.fetch_time())  # doctest: +SKIP
    >>> feed.update(exchange.fetch_time())  # one request  # doctest: +SKIP
    1
    >>> feed.candles(TimeFrame.parse("1h"))  # the last 24 closed hours  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import ccxt
import numpy as np
import pandas as pd

from ....ccxt_util import ohlcv_limits
from ....timeframes import TimeFrame

__all__ = ["COLUMNS", "CandleFeed", "FetchOHLCV", "FetchPlan"]

logger = logging.getLogger(__name__)

FetchOHLCV = Callable[..., list[list[float]]]
"""ccxt's ``exchange.fetch_ohlcv(symbol, timeframe, since=None, limit=None, params={})``: the feed
always passes ``since``, ``limit`` and ``params`` (the window's end) by keyword."""

COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")

# (open time in ms, open, high, low, close, volume)
_Row = tuple[int, float, float, float, float, float]
_open_time = itemgetter(0)


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """How :meth:`CandleFeed.prime` gets each window, and what that costs in requests on gapless data."""

    base_bars: int  # base bars to fetch back from the forming base bar
    aggregated: tuple[TimeFrame, ...]  # higher timeframes built from those base bars
    direct: tuple[TimeFrame, ...]  # higher timeframes fetched from the venue as they are
    requests: int


class CandleFeed:
    """Closed candles of several timeframes for one symbol, fetched incrementally through ccxt.

    Args:
        fetch_ohlcv: ccxt's ``exchange.fetch_ohlcv`` (or anything with its signature and semantics:
            candles with open time in ``[since, params["until"]]``, at most ``limit``, oldest first).
        symbol: The unified symbol (``"BTC/USDT:USDT"``).
        base: The timeframe fetched on every :meth:`update`; every other timeframe is aggregated from
            it. It need not be in ``timeframes``.
        timeframes: The timeframes observed; each must be a multiple of ``base``.
        history: Closed candles to keep per observed timeframe (the observation window).
        page_limit: Candles per request. It must not exceed what the venue serves per request on
            every endpoint ccxt may pick: Bitget's history endpoint serves 200, and for a larger
            ``limit`` ccxt asks it for the *last* 200 candles of the window, which forward paging
            would silently skip.
        venue_timeframes: The ccxt timeframe strings the venue serves (``exchange.timeframes``); a
            higher timeframe outside it is always aggregated, never fetched directly. None: taken from
            ``fetch_ohlcv.__self__.timeframes`` when ``fetch_ohlcv`` is a bound ccxt method, else every
            timeframe is assumed to be served.
        timeframe_limits: Lower caps per ccxt timeframe string (``{"1d": 90}``): ccxt lowers a larger
            ``limit`` to these, so a window is never sized beyond them. None: ccxt's own caps
            (:func:`~torchtrade.ccxt_util.ohlcv_limits`) of the exchange ``fetch_ohlcv`` is bound
            to, or of the ``exchange`` attribute of the object it is bound to (the env's trader);
            none if neither is a ccxt exchange.
        end_param: The venue's own name for the window's end, sent with ccxt's ``until`` (see the
            module docstring); None sends ``until`` alone.

    Attributes:
        symbol: The symbol.
        base: The base timeframe.
        timeframes: The observed timeframes, deduplicated, in the given order.
        history: Rows kept per observed timeframe.
        page_limit: Candles per request.
        last_closed_ms: Close time (open + ``base.ms``) of the newest closed base bar held, or None.
        requests: ``fetch_ohlcv`` calls made so far (for requests-per-step accounting).

    Raises:
        ValueError: Naming the offending timeframe or field: a timeframe that is not a multiple of
            ``base``, a missing or non-positive ``history`` entry, ``page_limit < 1``, no timeframes.
    """

    def __init__(
        self,
        fetch_ohlcv: FetchOHLCV,
        symbol: str,
        base: TimeFrame,
        timeframes: Sequence[TimeFrame],
        history: Mapping[TimeFrame, int],
        *,
        page_limit: int = 200,
        venue_timeframes: Collection[str] | None = None,
        timeframe_limits: Mapping[str, int] | None = None,
        end_param: str | None = "endTime",
    ) -> None:
        self._fetch_ohlcv = fetch_ohlcv
        self.symbol = symbol
        self.base = TimeFrame.parse(base)
        self.timeframes: tuple[TimeFrame, ...] = tuple(
            dict.fromkeys(TimeFrame.parse(tf) for tf in timeframes)
        )
        if not self.timeframes:
            raise ValueError("timeframes: at least one timeframe is needed")
        for tf in self.timeframes:
            if tf.ms % self.base.ms:
                raise ValueError(
                    f"timeframe {tf} is not a multiple of the base timeframe {self.base}: "
                    f"it cannot be aggregated from {self.base} bars"
                )
        given = {TimeFrame.parse(tf): n for tf, n in history.items()}
        self.history: dict[TimeFrame, int] = {}
        for tf in self.timeframes:
            n = given.get(tf)
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"history[{tf}]={n!r}: must be an int >= 1")
            self.history[tf] = n
        if isinstance(page_limit, bool) or not isinstance(page_limit, int) or page_limit < 1:
            raise ValueError(f"page_limit={page_limit!r}: must be an int >= 1")
        self.page_limit = page_limit
        if timeframe_limits is None:
            exchange = _exchange_of(fetch_ohlcv)
            timeframe_limits = ohlcv_limits(exchange, symbol) if exchange is not None else {}
        self._caps = dict(timeframe_limits)
        self._end_param = end_param
        if venue_timeframes is None:
            venue_timeframes = getattr(getattr(fetch_ohlcv, "__self__", None), "timeframes", None)
        self._served: frozenset[str] | None = (
            frozenset(venue_timeframes) if isinstance(venue_timeframes, Collection) else None
        )
        self._observes_base = self.base in self.history
        self._higher: tuple[TimeFrame, ...] = tuple(tf for tf in self.timeframes if tf != self.base)

        self.requests = 0
        self.last_closed_ms: int | None = None
        self._primed = False
        # Base bars, oldest first: the base window (if observed) plus every bar of each higher
        # timeframe's forming period, which update() folds into that timeframe once the period closes.
        self._base: list[_Row] = []
        # Open time of the first base bar not seen yet: where the next update() asks from.
        self._next_base = 0
        # Per higher timeframe: its closed candles, and the start of its first period not emitted yet.
        self._closed: dict[TimeFrame, list[_Row]] = {tf: [] for tf in self._higher}
        self._pending_from: dict[TimeFrame, int] = {}

    def __repr__(self) -> str:
        tfs = ", ".join(f"{tf}×{self.history[tf]}" for tf in self.timeframes)
        return f"CandleFeed({self.symbol!r}, base={self.base}, [{tfs}], last_closed_ms={self.last_closed_ms})"

    # ------------------------------------------------------------------ public API

    def prime(self, now_ms: int) -> None:
        """Fetches every window: the last ``history[tf]`` closed candles of each timeframe at ``now_ms``.

        Also fetches the base bars of each higher timeframe's forming period, so that :meth:`update`
        can aggregate it locally. Any state from an earlier prime is dropped. Costs
        ``ceil(bars / limit)`` requests per fetched window on gapless data (see
        :meth:`plan`); one more per window when the venue holds fewer candles than asked for, to
        find that out.

        Args:
            now_ms: The venue's present (ms since the epoch), e.g. ``exchange.fetch_time()``.
        """
        now = int(now_ms)
        before = self.requests
        plan = self.plan(now)
        # Everything is fetched before any state changes: a failed request leaves the feed as it was.
        rows: list[_Row] = []
        next_base = self.base.floor(now)
        covered_from: int | None = next_base
        if plan.base_bars:

            def enough(rows: list[_Row], covered_from: int | None) -> bool:
                if self._observes_base and len(rows) < self.history[self.base]:
                    return False
                return all(
                    len(_aggregate(_complete(rows, tf, covered_from, now), tf)) >= self.history[tf]
                    for tf in plan.aggregated
                )

            rows, next_base, covered_from = self._fetch_window(
                self.base, plan.base_bars, now, enough, whole_pages=True
            )
        closed = {tf: _aggregate(_complete(rows, tf, covered_from, now), tf) for tf in plan.aggregated}
        for tf in plan.direct:
            n = self.history[tf]
            closed[tf], _, _ = self._fetch_window(
                tf, n, now, lambda rows, _, n=n: len(rows) >= n, whole_pages=False
            )
        fetched = len(rows)
        self._base, self._next_base, self._closed = rows, next_base, closed
        self._pending_from = {tf: tf.floor(now) for tf in self._higher}
        self.last_closed_ms = None
        self._primed = True
        self._trim()
        logger.info(
            "primed %s %s at %d: %d requests (%d base bars; aggregated %s; fetched directly %s)",
            self.symbol,
            "/".join(map(str, self.timeframes)),
            now,
            self.requests - before,
            fetched,
            [str(tf) for tf in plan.aggregated] or "none",
            [str(tf) for tf in plan.direct] or "none",
        )

    def update(self, now_ms: int) -> int:
        """Fetches the base bars closed since the last one and folds the closed periods into each timeframe.

        One request when base bars may have closed since the last call (several only when more than
        ``page_limit`` are missing): the window from the first bar not seen yet to the base bar
        forming at ``now_ms``, exclusive; none when no base bar can have closed (``now_ms`` is still
        inside the base bar after the newest one seen). A higher-timeframe period is emitted once it
        has ended (its end <= ``now_ms``), from the base bars the venue has for it; a period with no
        base bar at all (a gap in the data) yields no candle.

        Args:
            now_ms: The venue's present (ms since the epoch).

        Returns:
            How many new closed base bars arrived.

        Raises:
            RuntimeError: If :meth:`prime` has not been called.
        """
        if not self._primed:
            raise RuntimeError("CandleFeed.update() before prime(): call prime(now_ms) first")
        now = int(now_ms)
        base_floor = self.base.floor(now)
        new: list[_Row] = []
        missing = (base_floor - self._next_base) // self.base.ms
        if 0 < missing <= self._limit(self.base):
            # One request, even when the answer is short (the data ended, or the venue is late with
            # a bar): the next update asks again from the first bar not received.
            raw = self._request(self.base, self._next_base, missing)
            new = _closed_rows(raw, self.base, self._next_base, now)
        elif missing > 0:
            new, cursor, _ = self._page_forward(self.base, self._next_base, base_floor, now)
            self._next_base = max(self._next_base, cursor)
        if new:
            self._base.extend(new)
            self._next_base = max(self._next_base, new[-1][0] + self.base.ms)
        for tf in self._higher:
            start, end = self._pending_from[tf], tf.floor(now)
            if end > start:
                lo = bisect_left(self._base, start, key=_open_time)
                hi = bisect_left(self._base, end, key=_open_time)
                self._closed[tf].extend(_aggregate(self._base[lo:hi], tf))
                self._pending_from[tf] = end
        self._trim()
        logger.debug("%s update at %d: %d new %s bars", self.symbol, now, len(new), self.base)
        return len(new)

    def candles(self, tf: TimeFrame | str) -> pd.DataFrame:
        """The closed candles of ``tf``, oldest first.

        Args:
            tf: One of the feed's timeframes.

        Returns:
            At most ``history[tf]`` rows (fewer only when the venue has no more history): a
            ``DatetimeIndex`` of open times (UTC, named ``"timestamp"``) and float64 columns
            ``open, high, low, close, volume``. A new frame on every call.

        Raises:
            ValueError: If ``tf`` is not one of the feed's timeframes.
        """
        tf = TimeFrame.parse(tf)
        if tf not in self.history:
            raise ValueError(
                f"timeframe {tf} is not observed by this feed ({', '.join(map(str, self.timeframes))})"
            )
        rows = self._base[-self.history[tf] :] if tf == self.base else self._closed[tf]
        times = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        values = np.array([r[1:] for r in rows], dtype=np.float64).reshape(len(rows), len(COLUMNS))
        index = pd.DatetimeIndex(times.astype("datetime64[ms]"), name="timestamp").tz_localize("UTC")
        return pd.DataFrame(values, index=index, columns=list(COLUMNS))

    def plan(self, now_ms: int) -> FetchPlan:
        """What :meth:`prime` at ``now_ms`` fetches, and how many requests that takes on gapless data.

        A higher timeframe costs ``ceil(history / limit)`` requests fetched directly (``limit``: the
        ``page_limit``, or the timeframe's lower cap in ``timeframe_limits``), or nothing
        beyond the base fetch when the base window already spans its periods. Aggregating a timeframe
        makes aggregating every timeframe with a shorter span free, so the candidates are the
        prefixes of the timeframes sorted by span; ties go to aggregation, which yields candles built
        exactly as :meth:`update` builds them afterwards. A timeframe the venue does not serve
        (``venue_timeframes``) is always aggregated.

        Args:
            now_ms: The venue's present (ms since the epoch).

        Returns:
            The cheapest :class:`FetchPlan`.
        """
        now = int(now_ms)
        base_floor = self.base.floor(now)

        def bars_since(t: int) -> int:
            return (base_floor - t) // self.base.ms

        # Base bars needed anyway: the base window, and each higher timeframe's forming period.
        needed = self.history[self.base] if self._observes_base else 0
        needed = max([needed, *(bars_since(tf.floor(now)) for tf in self._higher)])
        span = {tf: bars_since(tf.floor(now) - self.history[tf] * tf.ms) for tf in self._higher}
        by_span = sorted(self._higher, key=span.__getitem__)
        best: FetchPlan | None = None
        for k in range(len(by_span) + 1):
            aggregated, direct = tuple(by_span[:k]), tuple(by_span[k:])
            if self._served is not None and any(tf.to_ccxt() not in self._served for tf in direct):
                continue
            bars = max([needed, *(span[tf] for tf in aggregated)])
            cost = self._pages(bars, self.base) + sum(self._pages(self.history[tf], tf) for tf in direct)
            if best is None or cost <= best.requests:
                best = FetchPlan(bars, aggregated, direct, cost)
        assert best is not None  # k = len(by_span) aggregates everything, which is always possible
        return best

    # ------------------------------------------------------------------ fetching

    def _limit(self, tf: TimeFrame) -> int:
        """Candles per request for ``tf``: the page limit, or ccxt's lower cap for that timeframe."""
        return min(self.page_limit, self._caps.get(tf.to_ccxt(), self.page_limit))

    def _pages(self, n: int, tf: TimeFrame) -> int:
        return -(-n // self._limit(tf))

    def _fetch_window(
        self,
        tf: TimeFrame,
        n: int,
        now: int,
        enough: Callable[[list[_Row], int | None], bool],
        *,
        whole_pages: bool,
    ) -> tuple[list[_Row], int, int | None]:
        """At least the last ``n`` periods of ``tf`` closed at ``now``, and older ones until ``enough``.

        While ``enough(rows, covered_from)`` is false (gaps, or the venue's history is shorter), the
        window grows backward a page at a time until a whole page comes back empty, which is taken
        to mean that the venue has no older history.

        Args:
            whole_pages: Round the window up to whole pages: the extra candles cost no request and
                absorb gaps in the data. Only for the base: a directly fetched timeframe gets
                exactly its window.

        Returns:
            ``(rows, cursor, covered_from)``: the closed candles, oldest first; the open time of the
            first candle not seen yet; and the time from which every candle the venue has is in
            ``rows`` (None: all of the venue's history is).
        """
        until = tf.floor(now)
        page = self._limit(tf)
        start = until - (self._pages(n, tf) * page if whole_pages else n) * tf.ms
        rows, cursor, first_empty = self._page_forward(tf, start, until, now)
        # An empty first answer says "no older history" only if it covered a whole page.
        whole_page_empty = first_empty and (until - start) // tf.ms >= page
        covered_from: int | None = None if whole_page_empty else start
        while covered_from is not None and not enough(rows, covered_from):
            end, covered_from = covered_from, covered_from - page * tf.ms
            older, _, _ = self._page_forward(tf, covered_from, end, now)
            if not older:
                covered_from = None
                break
            rows = older + rows
        return rows, cursor, covered_from

    def _page_forward(self, tf: TimeFrame, since: int, until: int, now: int) -> tuple[list[_Row], int, bool]:
        """The closed candles of ``tf`` with open time in ``[since, until)``, paging forward.

        Each request continues from the newest candle received + ``tf``. An empty answer ends the
        paging, except for a full page that ends before ``until``: the venue answered that the
        whole page is empty (a gap in the data, or time before its history starts), so the cursor
        moves past it instead of asking for it forever.

        Each request's window is ``[cursor, cursor + limit × tf)``, ``limit`` being the candles
        wanted (within the timeframe's limit), so it holds exactly ``limit`` candles and ends at the
        latest where the forming candle begins: the same answer from Bitget's recent endpoint
        (newest ``limit`` candles in the window) and its history endpoint (the ``limit`` candles
        ending at ``endTime``), whichever ccxt picks.

        Returns:
            ``(rows, cursor, first_empty)``: closed candles at or after ``since``, oldest first and
            unique; the open time of the first candle not seen yet; whether the first request got
            nothing.
        """
        found: dict[int, _Row] = {}
        cursor = since
        first_empty: bool | None = None
        while cursor < until:
            limit = max(1, min((until - cursor) // tf.ms, self._limit(tf)))
            fresh = _closed_rows(self._request(tf, cursor, limit), tf, cursor, now)
            if first_empty is None:
                first_empty = not fresh
            if fresh:
                found.update((r[0], r) for r in fresh)
                cursor = fresh[-1][0] + tf.ms
            elif cursor + limit * tf.ms < until:
                cursor += limit * tf.ms
            else:
                break
        return [found[t] for t in sorted(found)], cursor, bool(first_empty)

    def _request(self, tf: TimeFrame, since: int, limit: int) -> list[list[float]]:
        """The candles of ``[since, since + limit × tf)``, the window's end named as the venue's time.

        ``until`` (ccxt's, inclusive) and the venue's ``end_param`` are the window's last
        millisecond: one candle short of the next open, so an inclusive or an exclusive end on the
        venue's side gives the same ``limit`` candles.
        """
        self.requests += 1
        last = since + limit * tf.ms - 1
        params: dict[str, int] = {"until": last}
        if self._end_param:
            params[self._end_param] = last
        logger.debug(
            "fetch_ohlcv(%s, %s, since=%d, limit=%d, until=%d)", self.symbol, tf.to_ccxt(), since, limit, last
        )
        return self._fetch_ohlcv(self.symbol, tf.to_ccxt(), since=since, limit=limit, params=params) or []

    # ------------------------------------------------------------------ buffers

    def _trim(self) -> None:
        """Drops what no window and no pending aggregation needs."""
        for tf in self._higher:
            del self._closed[tf][: -self.history[tf]]
        if self._base:
            self.last_closed_ms = max(self.last_closed_ms or 0, self._base[-1][0] + self.base.ms)
        drop = len(self._base)
        if self._observes_base:
            drop = min(drop, max(len(self._base) - self.history[self.base], 0))
        if self._pending_from:
            drop = min(drop, bisect_left(self._base, min(self._pending_from.values()), key=_open_time))
        del self._base[:drop]


def _exchange_of(fetch_ohlcv: FetchOHLCV) -> ccxt.Exchange | None:
    """The ccxt exchange behind ``fetch_ohlcv``: its ``__self__``, or that object's ``exchange``."""
    owner = getattr(fetch_ohlcv, "__self__", None)
    for candidate in (owner, getattr(owner, "exchange", None)):
        if isinstance(candidate, ccxt.Exchange):
            return candidate
    return None


def _closed_rows(raw: Iterable[Sequence[float]], tf: TimeFrame, since: int, now: int) -> list[_Row]:
    """The candles of a response that opened at or after ``since`` and are closed at ``now``.

    Sorted and unique by open time (a venue may repeat or reorder candles; the last copy wins).
    """
    rows: dict[int, _Row] = {}
    for c in raw:
        if len(c) < 6 or any(x is None for x in c[:6]):
            logger.warning("ignoring a malformed %s candle: %r", tf, c)
            continue
        t = int(c[0])
        if t >= since and t + tf.ms <= now:
            rows[t] = (t, float(c[1]), float(c[2]), float(c[3]), float(c[4]), float(c[5]))
    return [rows[t] for t in sorted(rows)]


def _complete(rows: list[_Row], tf: TimeFrame, covered_from: int | None, now: int) -> list[_Row]:
    """The base bars of the closed ``tf`` periods that lie wholly in the fetched range.

    A period that starts before ``covered_from`` may have bars the feed never asked for, so its
    candle would be wrong; unless ``covered_from`` is None (the venue has nothing older).
    """
    lo = 0 if covered_from is None else bisect_left(rows, -(-covered_from // tf.ms) * tf.ms, key=_open_time)
    hi = bisect_left(rows, tf.floor(now), key=_open_time)
    return rows[lo:hi]


def _aggregate(rows: Iterable[_Row], tf: TimeFrame) -> list[_Row]:
    """Candles of ``tf`` from sorted base bars, as the venue builds them.

    Open of the first bar, highest high, lowest low, close of the last bar, summed volume; a period
    with no bar yields no candle.
    """
    out: list[_Row] = []
    for t, o, h, lo, c, v in rows:
        start = tf.floor(t)
        if out and out[-1][0] == start:
            p = out[-1]
            out[-1] = (start, p[1], max(p[2], h), min(p[3], lo), c, p[5] + v)
        else:
            out.append((start, o, h, lo, c, v))
    return out
