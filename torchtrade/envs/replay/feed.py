"""Candles straight from the replayed series, with the semantics of ccxt's ``fetch_ohlcv``.

:func:`series_fetcher` gives the live :class:`~torchtrade.envs.live.shared.feed.CandleFeed` a
``fetch_ohlcv`` that reads the emulator's series in-process: closed base bars only (the feed never
sees a forming bar), numbers exactly as the venue's wire writes them (so the observation is the
HTTP env's, bit for bit). Higher timeframes are aggregated by the feed from base bars, as it does
when the venue does not serve them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...emulator.runtime import Emulator
from ...emulator.venues.common.numbers import fmt


def series_fetcher(
    emulator_of: Callable[[], Emulator], market_id: str, keep: Callable[[int], bool] | None = None
) -> Callable[..., list[list[float]]]:
    """``fetch_ohlcv(symbol, timeframe, since=, limit=, params=)`` over the current run's series.

    ``emulator_of`` returns the session's emulator (a restart replaces its run). Only the base
    timeframe is served (the feed is told so and aggregates the rest). ``keep``: ``(bar open ms) ->
    bool``, the bars served (None: all), as Alpaca's bars source keeps a stock's sessions; ``limit``
    then counts the bars scanned, as a page of the venue's bars is cut before the filter.
    """

    def fetch_ohlcv(
        symbol: str,
        timeframe: str,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[list[float]]:
        emulator = emulator_of()
        series = emulator.series[market_id]
        now = emulator.clock.now_ms()
        until = (params or {}).get("until")
        base = series.base_ms
        lo = series.closed_count(int(since) + base - 1) if since is not None else 0
        hi = series.closed_count(now)
        if until is not None:
            hi = min(hi, series.closed_count(int(until) + base))
        if limit is not None:
            hi = min(hi, lo + int(limit))
        rows = []
        for i in range(lo, hi):
            b = series.bar(i)
            if keep is not None and not keep(b.t):
                continue
            rows.append(
                [
                    b.t,
                    float(fmt(b.open)),
                    float(fmt(b.high)),
                    float(fmt(b.low)),
                    float(fmt(b.close)),
                    float(fmt(b.volume)),
                ]
            )
        return rows

    return fetch_ohlcv
