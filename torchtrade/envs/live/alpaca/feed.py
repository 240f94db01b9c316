"""Alpaca's bars for the shared candle feed: stock bars (v2) or crypto bars (v1beta3) through alpaca-py.

The shared :class:`~torchtrade.envs.live.shared.feed.CandleFeed` does the incremental work (one
request per step for the bars closed since the last one, higher timeframes aggregated locally, no
look-ahead); this module only answers its ``fetch_ohlcv`` with Alpaca's bars, and keeps a stock's
bars to its sessions:

* Alpaca's stock bars include pre- and post-market trades; an env trading the regular session only
  (``extended_hours=False``) observes only bars of regular sessions, so that its windows are the
  bars it could have traded on (a 09:31 observation never shows 08:15's pre-market bar).
* Bars exist only where the source had trades: a minute without a trade has no bar (the feed leaves
  the gap). Nights, weekends and holidays have none, and the env does not step there (see
  :class:`~torchtrade.envs.core.schedule.SessionBars`).

Every timeframe is aggregated from the execution timeframe's bars (Alpaca's own higher bars are
never asked for), so that every window is built from the same session-filtered bars.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alpaca.data.enums import DataFeed
from alpaca.data.requests import CryptoBarsRequest, StockBarsRequest
from alpaca.data.timeframe import TimeFrame as AlpacaTimeFrame
from alpaca.data.timeframe import TimeFrameUnit as AlpacaUnit

from ....timeframes import TimeFrame, TimeFrameUnit

_UNITS = {
    TimeFrameUnit.MINUTE: AlpacaUnit.Minute,
    TimeFrameUnit.HOUR: AlpacaUnit.Hour,
    TimeFrameUnit.DAY: AlpacaUnit.Day,
}


def alpaca_timeframe(tf: TimeFrame) -> AlpacaTimeFrame:
    """Ours as alpaca-py's (``5min`` → ``TimeFrame(5, Minute)``); alpaca-py refuses what Alpaca does."""
    return AlpacaTimeFrame(tf.amount, _UNITS[tf.unit])


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


class AlpacaBars:
    """``fetch_ohlcv(symbol, timeframe, since=..., limit=..., params={"until": ...})`` over Alpaca's bars.

    Args:
        call: the trader's ``call(op, fn, *args)`` (retries, error translation).
        data_client: alpaca-py's stock or crypto historical data client, built with ``raw_data=True``.
        crypto: the symbol is a crypto pair.
        data_feed: the stock feed (``"iex"``, ``"sip"``...; None: the account's default).
        in_session: ``(bar open ms) -> bool``: keep only bars of open sessions (None: keep all).
    """

    def __init__(
        self,
        call: Callable[..., Any],
        data_client: Any,
        *,
        crypto: bool,
        data_feed: str | None = None,
        in_session: Callable[[int], bool] | None = None,
    ) -> None:
        self._call = call
        self._client = data_client
        self.crypto = crypto
        self.data_feed = data_feed
        self.in_session = in_session

    def __call__(
        self,
        symbol: str,
        timeframe: str,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[list[float]]:
        until = (params or {}).get("until")
        fields: dict[str, Any] = {
            "symbol_or_symbols": symbol,
            "timeframe": alpaca_timeframe(TimeFrame.parse(timeframe)),
            "start": _utc(since) if since is not None else None,
            "end": _utc(until) if until is not None else None,
            "limit": limit,
        }
        if self.crypto:
            raw = self._call("get_crypto_bars", self._client.get_crypto_bars, CryptoBarsRequest(**fields))
        else:
            if self.data_feed is not None:
                fields["feed"] = DataFeed(self.data_feed)
            raw = self._call("get_stock_bars", self._client.get_stock_bars, StockBarsRequest(**fields))
        rows = []
        for bar in (raw or {}).get(symbol) or []:
            t = _ms(bar["t"])
            if self.in_session is None or self.in_session(t):
                rows.append(
                    [t, float(bar["o"]), float(bar["h"]), float(bar["l"]), float(bar["c"]), float(bar["v"])]
                )
        return rows
