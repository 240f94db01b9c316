"""An in-process feed that keeps the replayed candles as numpy arrays and builds observation windows
without pandas: the hot path of a training step.

Every candle of every observed timeframe is computed once per run from the series (numbers as the
venue's wire writes them, higher timeframes aggregated from base bars on UTC boundaries, exactly as
:class:`~torchtrade.envs.live.shared.feed.CandleFeed` aggregates them: open of the first bar,
highest high, lowest low, close of the last, volume summed in bar order). A step then only moves a
cursor: the window is a slice, and the default features (:func:`~torchtrade.envs.core.observation.
default_features`) are the same float64 operations on it, so the observation is the HTTP env's to
the bit. :meth:`ArrayFeed.candles` still answers DataFrames for everything else (a user's
``feature_preprocessing_fn``, client-side levels).

Simulation choice: a higher-timeframe period is the aggregate of *every* base bar of the file in it,
the first period of the file included. ``CandleFeed`` primes a window by whole pages back from the
present and drops a period that starts before its first page; with the history the replay keeps
before the first step, both see the same candles (the parity tests check it).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...emulator.runtime import Emulator
from ...emulator.venues.common.numbers import fmt
from ...timeframes import TimeFrame
from ..core.observation import FeatureBuilder

COLUMNS = ["open", "high", "low", "close", "volume"]


class _Table:
    """One timeframe's candles: open times (int64) and OHLCV (float64), oldest first."""

    def __init__(self, times: np.ndarray, values: np.ndarray) -> None:
        self.times = times
        self.values = values
        self.opens = times.tolist()


def _base_table(emulator: Emulator, market_id: str, keep: Callable[[int], bool] | None = None) -> _Table:
    series = emulator.series[market_id]
    bars = [series.bar(i) for i in range(len(series))]
    if keep is not None:  # a stock's sessions: only the bars the live feed keeps (see AlpacaBars)
        bars = [b for b in bars if keep(b.t)]
    times = np.array([b.t for b in bars], dtype=np.int64)
    values = np.array(
        [[float(fmt(x)) for x in (b.open, b.high, b.low, b.close, b.volume)] for b in bars], dtype=np.float64
    ).reshape(len(bars), 5)
    return _Table(times, values)


def _aggregate(base: _Table, tf: TimeFrame) -> _Table:
    rows: list[tuple[int, float, float, float, float, float]] = []
    for t, (o, h, lo, c, v) in zip(base.opens, base.values.tolist(), strict=True):
        start = tf.floor(t)
        if rows and rows[-1][0] == start:
            p = rows[-1]
            rows[-1] = (start, p[1], max(p[2], h), min(p[3], lo), c, p[5] + v)
        else:
            rows.append((start, o, h, lo, c, v))
    times = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([r[1:] for r in rows], dtype=np.float64).reshape(len(rows), 5)
    return _Table(times, values)


class ArrayFeed:
    """The :class:`~torchtrade.envs.core.protocols.Feed` of a replay, over precomputed arrays.

    Args:
        emulator_of: the session's current emulator (a restart rebuilds the tables if the data moved).
        market_id: the replayed market.
        base: the timeframe the env steps on; every observed timeframe is a multiple of it.
        timeframes / history: the observed timeframes and the candles kept of each.
        keep: ``(bar open ms) -> bool``, the base bars observed (None: all; a stock: its sessions'),
            as the live feed's bars source filters them.
    """

    requests = 0  # never a venue request
    #: Memory the window cache may take (a million-bar file's windows would not fit): 64 MB.
    CACHE_BYTES = 64 * 2**20

    def __init__(
        self,
        emulator_of: Callable[[], Emulator],
        market_id: str,
        base: TimeFrame,
        timeframes: Sequence[TimeFrame],
        history: Mapping[TimeFrame, int],
        keep: Callable[[int], bool] | None = None,
    ) -> None:
        self._emulator_of = emulator_of
        self._keep = keep
        self.market_id = market_id
        self.base = base
        self.timeframes = tuple(dict.fromkeys(timeframes))
        self.history = dict(history)
        self.last_closed_ms: int | None = None
        self._key: tuple[Any, ...] | None = None
        self._tables: dict[TimeFrame, _Table] = {}
        self._closed: dict[TimeFrame, int] = {}
        self._build()

    def _build(self) -> None:
        emulator = self._emulator_of()
        series = emulator.series[self.market_id]
        key = (series.source, series.shift_ms, len(series))
        if key == self._key:
            return
        base = _base_table(emulator, self.market_id, self._keep)
        if series.base_ms != self.base.ms:
            raise ValueError(f"the replayed bars are {series.base_ms} ms, the env steps on {self.base}")
        self._tables = {tf: base if tf == self.base else _aggregate(base, tf) for tf in self.history}
        self._windows: dict[tuple[Any, ...], np.ndarray] = {}
        self._cached_bytes = 0
        self._key = key

    # ------------------------------------------------------------------ Feed protocol

    def prime(self, now_ms: int) -> None:
        self._build()
        self._closed = {}
        self.last_closed_ms = None
        self.update(now_ms)

    def update(self, now_ms: int) -> int:
        now = int(now_ms)
        before = self._closed.get(self.base, 0)
        for tf, table in self._tables.items():
            if tf == self.base:
                self._closed[tf] = bisect_left(table.opens, now - tf.ms + 1)
            else:
                self._closed[tf] = bisect_left(table.opens, tf.floor(now))
        count = self._closed[self.base]
        if count:
            self.last_closed_ms = max(
                self.last_closed_ms or 0, int(self._tables[self.base].opens[count - 1]) + self.base.ms
            )
        return max(count - before, 0)

    def _rows(self, tf: TimeFrame) -> tuple[np.ndarray, np.ndarray]:
        table = self._tables[tf]
        hi = self._closed.get(tf, 0)
        lo = max(hi - self.history[tf], 0)
        return table.times[lo:hi], table.values[lo:hi]

    def candles(self, tf: TimeFrame | str) -> pd.DataFrame:
        """The closed candles of ``tf`` as the live feed's DataFrame (for anything but the hot path)."""
        tf = TimeFrame.parse(tf)
        if tf not in self.history:
            raise ValueError(f"timeframe {tf} is not observed by this feed")
        times, values = self._rows(tf)
        index = pd.DatetimeIndex(times.astype("datetime64[ms]"), name="timestamp").tz_localize("UTC")
        return pd.DataFrame(values.copy(), index=index, columns=COLUMNS)

    # ------------------------------------------------------------------ the hot path (env hooks)

    def last_close(self) -> float:
        """Close of the last closed base bar (what the env acts on)."""
        hi = self._closed.get(self.base, 0)
        return float(self._tables[self.base].values[hi - 1, 3])

    def window(self, tf: TimeFrame, builder: FeatureBuilder) -> np.ndarray | None:
        """The observation window of ``tf`` with the default features, built as
        :meth:`FeatureBuilder.build` builds it; None when a feature function is set (it needs the
        DataFrame)."""
        if builder.fn is not None:
            return None
        # A window depends only on how many candles have closed: replayed again and again in training
        # (episodes from random starts), each is computed once per run and then looked up.
        key = (tf, self._closed.get(tf, 0), builder.window, builder.include_base_features)
        cached = self._windows.get(key)
        if cached is None:
            cached = self._window(tf, builder)
            if self._cached_bytes + cached.nbytes <= self.CACHE_BYTES:  # a long file: the rest on the fly
                self._windows[key] = cached
                self._cached_bytes += cached.nbytes
                return cached.copy()  # the env's tensor shares its array: never the cached one
            return cached
        return cached.copy()

    def _window(self, tf: TimeFrame, builder: FeatureBuilder) -> np.ndarray:
        _, rows = self._rows(tf)
        rows = rows[-builder.window :]
        n = len(rows)
        values = np.empty((n, 5), dtype=np.float64)
        last_close = float(rows[-1, 3]) if n else 0.0
        if last_close:
            np.subtract(rows[:, :4] / last_close, 1.0, out=values[:, :4])
        else:
            values[:, :4] = 0.0
        mean_volume = float(rows[:, 4].mean()) if n else 0.0
        values[:, 4] = rows[:, 4] / mean_volume - 1.0 if mean_volume else 0.0
        if not builder.columns:
            builder.columns = [f"features_{c}" for c in COLUMNS]
        if builder.include_base_features:
            values = np.concatenate([values, rows], axis=1)
        if n == builder.window and np.isfinite(values).all():
            return values.astype(np.float32)
        # The rare cases (NaN, a short window) as the builder handles them.
        return builder.finish(values)
