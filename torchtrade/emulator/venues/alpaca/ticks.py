"""Alpaca's historical trades and quotes, stocks (``/v2/stocks/...``) and crypto (``/v1beta3/...``).

Both are derived from the replayed base bars, the same way as the latest trade and quote
(:mod:`.market`), so the newest row of a history is the latest one:

* **Trades** are the emulator's synthetic tape (:func:`~..common.market.public_trades`): every
  closed base bar prints four trades along its path (open, low, high, close for a rising bar; open,
  high, low, close for a falling one), a quarter of its volume each, a quarter of the bar apart, ids
  ``4 × bar index + k + 1``. A bar's prints are revealed when the bar closes (no look-ahead).
* **Quotes**: one per closed base bar, stamped at its close, the engine's touch around the bar's close
  (its price model's spread), a round lot (100 shares) a side for stocks, about $10,000 worth for
  crypto. Between two bar closes the quote does not change, so no other quote is served.

Parameters and paging are the bars' (:mod:`.market`): ``start`` (default the present's New York
midnight), ``end`` (default and at most the present), ``limit`` 1..10000 (default 1000) across all
symbols of a page, ``sort``, ``page_token`` (base64 of the symbol and the next row's time);
stocks also take ``feed``, ``asof`` and ``currency`` (USD only).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...http import CallContext
from ..common.market import bar_prints
from . import wire
from .common import endpoint
from .listing import CRYPTO, US_EQUITY, Symbol, stock_facts
from .market import LIMIT_DEFAULT, LIMIT_MAX, SORTS, MarketRoutes, Rows

STOCK_TICK_PARAMS = {"symbols", "start", "end", "limit", "page_token", "sort", "feed", "asof", "currency"}
CRYPTO_TICK_PARAMS = {"symbols", "start", "end", "limit", "page_token", "sort"}


class TickRoutes(MarketRoutes):
    # ------------------------------------------------------------------ rows

    def _bar_range(self, symbol: Symbol, first: int, end: int) -> range:
        """Indexes ``[first, end)`` of closed base bars (clipped to what has closed)."""
        closed = self.emu.series[symbol.market_id].closed_count(self.emu.engine.now_ms)
        return range(max(first, 0), min(end, closed))

    def _trades(
        self, symbol: Symbol, lo: int, hi: int, descending: bool
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        series = self.emu.series[symbol.market_id]
        # Bar i prints in [t_i, t_i + base): the bars opening in (lo - base, hi].
        bars = self._bar_range(symbol, series.closed_count(lo), series.closed_count(hi + series.base_ms))
        exchange = stock_facts(symbol.market_id).exchange if symbol.asset_class == US_EQUITY else ""
        for i in reversed(bars) if descending else bars:
            prints = bar_prints(self.emu, symbol.market_id, i)
            for t in reversed(prints) if descending else prints:
                if lo <= t.t_ms <= hi:
                    row = (
                        wire.crypto_trade_row(t)
                        if symbol.asset_class == CRYPTO
                        else wire.stock_trade_row(t, exchange)
                    )
                    yield t.t_ms, row

    def _quotes(
        self, symbol: Symbol, lo: int, hi: int, descending: bool
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        series = self.emu.series[symbol.market_id]
        base = series.base_ms
        # Bar i's quote is stamped at its close t_i + base: the bars closing in [lo, hi].
        bars = self._bar_range(symbol, series.closed_count(lo - 1), series.closed_count(hi))
        for i in reversed(bars) if descending else bars:
            bar = series.bar(i)
            yield bar.t + base, self._quote_row(symbol, bar.t + base, Decimal(bar.close))

    # ------------------------------------------------------------------ paging

    def _ticks(self, ctx: CallContext, asset_class: str, key: str, make: Rows) -> Response:
        p = self._query(ctx, STOCK_TICK_PARAMS if asset_class == US_EQUITY else CRYPTO_TICK_PARAMS)
        symbols = self._data_symbols(p, asset_class)
        start, end = self._window(p)
        limit = p.int("limit", lo=1, hi=LIMIT_MAX, default=LIMIT_DEFAULT) or LIMIT_DEFAULT
        descending = bool(p.choice("sort", SORTS, default=False))
        if asset_class == US_EQUITY:
            self._latest_options(p)  # feed and currency, checked; asof changes nothing
            p.str("asof", max_len=10)
        resume = self._resume(p, symbols)
        rows, token = self._page(symbols, start, end, limit, descending, resume, make)
        return self._ok({key: rows, "next_page_token": token})

    @endpoint("stock_trades", "GET", "/v2/stocks/trades", api="data")
    def stock_trades(self, ctx: CallContext) -> Response:
        return self._ticks(ctx, US_EQUITY, "trades", self._trades)

    @endpoint("stock_quotes", "GET", "/v2/stocks/quotes", api="data")
    def stock_quotes(self, ctx: CallContext) -> Response:
        return self._ticks(ctx, US_EQUITY, "quotes", self._quotes)

    @endpoint("crypto_trades", "GET", "/v1beta3/crypto/us/trades", api="data", auth=False)
    def crypto_trades(self, ctx: CallContext) -> Response:
        return self._ticks(ctx, CRYPTO, "trades", self._trades)

    @endpoint("crypto_quotes", "GET", "/v1beta3/crypto/us/quotes", api="data", auth=False)
    def crypto_quotes(self, ctx: CallContext) -> Response:
        return self._ticks(ctx, CRYPTO, "quotes", self._quotes)
