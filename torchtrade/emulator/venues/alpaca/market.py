"""Alpaca's market data routes: historical bars (paged), latest bar, trade and quote, stocks and crypto.

Historical trades and quotes (:mod:`.ticks`) and snapshots and the order book (:mod:`.snapshots`)
build on this module: its symbols, window, paging and latest rows.

Stocks are served under ``/v2/stocks/...`` and crypto under ``/v1beta3/crypto/us/...``, from the
replayed candles (:mod:`.bars` for how bars are built). Simulation choices:

* **Symbols without data.** A well-formed symbol the emulator does not replay has no entry in the
  answer (Alpaca answers symbols without trades the same way); a malformed one is a 400.
* **Window.** ``start`` defaults to the start of the present's day in New York (Alpaca: "the
  beginning of the current day"), ``end`` to the present; both take RFC-3339 or ``YYYY-MM-DD``.
  Nothing after the present exists, whatever ``end`` says.
* **Paging.** ``limit`` (1..10000, default 1000) counts bars across all symbols of a page; symbols
  are served in alphabetical order, each ascending (``sort=desc``: newest first). When bars remain,
  ``next_page_token`` names where the next page resumes (opaque to clients: base64 of the symbol and
  the bar time); a token that names no requested symbol is a 400.
* **Feeds, adjustments, currency.** Every stock feed (``iex``, ``sip``, ...) serves the same replayed
  trades, with no delay for recent data; there are no corporate actions to adjust for, so every
  ``adjustment`` is ``raw``; ``asof`` changes nothing. Only ``USD`` prices are served (the emulator has
  no exchange rates): another ``currency`` is a 400.
* **Latest.** The latest bar is the newest closed base bar that traded; the latest trade is the newest
  print of the emulator's synthetic tape (:func:`~..common.market.public_trades`), from IEX (``x: V``);
  the latest quote is the engine's touch at the present (its spread), a round lot (100 shares) on
  each side for stocks and about $10,000 worth for crypto.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...data import Candle
from ...http import CallContext
from ...params import Params
from ..common import market
from . import errors, times, wire
from .bars import Bucket, Timeframe, buckets, parse_timeframe
from .common import RoutesBase, endpoint
from .listing import CRYPTO, CRYPTO_DATA_SYMBOL, US_EQUITY, Symbol, parse, stock_facts

LIMIT_DEFAULT = 1000
LIMIT_MAX = 10_000
MAX_SYMBOLS_TEXT = 4096
FEEDS = {f: f for f in ("iex", "sip", "delayed_sip", "otc", "boats", "overnight")}
ADJUSTMENTS = {a: a for a in ("raw", "split", "dividend", "spin-off", "all")}
SORTS = {"asc": False, "desc": True}
CURRENCIES = {"USD": "USD"}
_BARS_COMMON = {"symbols", "timeframe", "start", "end", "limit", "page_token", "sort"}
STOCK_BARS_PARAMS = _BARS_COMMON | {"feed", "adjustment", "asof", "currency"}
CRYPTO_BARS_PARAMS = _BARS_COMMON
STOCK_LATEST_PARAMS = {"symbols", "feed", "currency"}
CRYPTO_LATEST_PARAMS = {"symbols"}
ROUND_LOT = Decimal(100)
#: A symbol's rows in a window, ``(symbol, lo, hi, descending) -> (time, row), ...`` in time order.
Rows = Callable[[Symbol, int, int, bool], Iterator[tuple[int, dict[str, Any]]]]
QUOTE_VALUE = Decimal(10_000)


def encode_token(market_id: str, t_ms: int) -> str:
    return base64.b64encode(f"{market_id}|{t_ms}".encode()).decode()


def decode_token(token: str) -> tuple[str, int] | None:
    try:
        text = base64.b64decode(token.encode("ascii"), validate=True).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    market_id, _, t = text.partition("|")
    return (market_id, int(t)) if t.isdigit() and len(t) < 16 else None


class MarketRoutes(RoutesBase):
    # ------------------------------------------------------------------ parameters

    def _data_symbols(self, p: Params, asset_class: str) -> list[Symbol]:
        text = p.str("symbols", required=True, max_len=MAX_SYMBOLS_TEXT)
        assert text is not None
        out: dict[str, Symbol] = {}
        for raw in text.split(","):
            item = raw.strip()
            if asset_class == CRYPTO:
                if not CRYPTO_DATA_SYMBOL.fullmatch(item):
                    raise errors.invalid_crypto_symbol(item)
                symbol = parse(item, legacy_crypto=False)
                if symbol is None:  # a pair of a quote Alpaca does not list: no data
                    continue
            else:
                symbol = parse(item, legacy_crypto=False)
                if symbol is None or symbol.asset_class != US_EQUITY:
                    raise errors.data_error(f"invalid symbol: {item[:40]}")
            out[symbol.market_id] = symbol
        return sorted(out.values(), key=lambda s: s.market_id)

    def _stock_options(self, p: Params) -> None:
        """The stock-only parameters: checked, and changing nothing (see the module docstring)."""
        p.choice("feed", FEEDS)
        p.choice("adjustment", ADJUSTMENTS)
        p.str("asof", max_len=10)
        if p.raw("currency") is not None and p.choice("currency", CURRENCIES) is None:
            raise errors.data_error("invalid currency")

    def _window(self, p: Params) -> tuple[int, int]:
        """``[start, end]`` in epoch ms: by default from the present's New York midnight to the
        present, never past the present."""
        now = self.emu.engine.now_ms
        start = self._instant(p, "start", dates=True)
        end = self._instant(p, "end", dates=True)
        if start is None:
            start = times.local_midnight_ms(times.local_date(now))
        if end is not None and start > end:
            raise errors.data_error("end should not be before start")
        return start, now if end is None else min(end, now)

    @staticmethod
    def _latest_options(p: Params) -> None:
        """The stock-only parameters of the latest-data routes: checked, changing nothing."""
        p.choice("feed", FEEDS)
        if p.raw("currency") is not None and p.choice("currency", CURRENCIES) is None:
            raise errors.data_error("invalid currency")

    def _replayed(self, symbol: Symbol) -> bool:
        return symbol.market_id in self.emu.series

    # ------------------------------------------------------------------ bars

    def _bars(self, ctx: CallContext, asset_class: str) -> Response:
        known = STOCK_BARS_PARAMS if asset_class == US_EQUITY else CRYPTO_BARS_PARAMS
        p = self._query(ctx, known)
        symbols = self._data_symbols(p, asset_class)
        tf = parse_timeframe(p.str("timeframe", required=True) or "")
        if tf is None:
            raise errors.data_error("invalid timeframe")
        start, end = self._window(p)
        limit = p.int("limit", lo=1, hi=LIMIT_MAX, default=LIMIT_DEFAULT)
        descending = p.choice("sort", SORTS, default=False)
        if asset_class == US_EQUITY:
            self._stock_options(p)
        resume = self._resume(p, symbols)
        rows, token = self._page(
            symbols, start, end, limit or LIMIT_DEFAULT, bool(descending), resume, self._bar_rows(tf)
        )
        return self._ok({"bars": rows, "next_page_token": token})

    @staticmethod
    def _resume(p: Params, symbols: list[Symbol]) -> tuple[str, int] | None:
        token = p.str("page_token", max_len=200)
        if token is None:
            return None
        found = decode_token(token)
        if found is None or found[0] not in {s.market_id for s in symbols}:
            raise errors.data_error("invalid page token")
        return found

    def _page(
        self,
        symbols: list[Symbol],
        start: int,
        end: int,
        limit: int,
        descending: bool,
        resume: tuple[str, int] | None,
        make: Rows,
    ) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
        """One page of rows across ``symbols`` (alphabetical; each in time order, ``limit`` in all)
        and the token of the next page, or None. ``make(symbol, lo, hi, descending)`` yields a
        symbol's ``(time, row)`` in ``[lo, hi]``; a page resumes at the time its token names."""
        rows: dict[str, list[dict[str, Any]]] = {}
        left = limit
        for symbol in (s for s in symbols if self._replayed(s)):
            if resume is not None and symbol.market_id < resume[0]:
                continue
            lo, hi = start, end
            if resume is not None and symbol.market_id == resume[0]:
                lo, hi = (lo, min(hi, resume[1])) if descending else (max(lo, resume[1]), hi)
            out: list[dict[str, Any]] = []
            for t, row in make(symbol, lo, hi, descending):
                if left == 0:
                    if out:
                        rows[symbol.market_id] = out
                    return rows, encode_token(symbol.market_id, t)
                out.append(row)
                left -= 1
            if out:
                rows[symbol.market_id] = out
        return rows, None

    def _bar_rows(self, tf: Timeframe) -> Rows:
        def make(symbol: Symbol, lo: int, hi: int, descending: bool) -> Iterator[tuple[int, dict[str, Any]]]:
            series = self.emu.series[symbol.market_id]
            tz = times.UTC if symbol.asset_class == CRYPTO else times.NEW_YORK
            now = self.emu.engine.now_ms
            for bucket in buckets(series, tf, tz, now, start_ms=lo, end_ms=hi, descending=descending):
                yield bucket.candle.t, wire.bar_row(bucket)

        return make

    @endpoint("stock_bars", "GET", "/v2/stocks/bars", api="data")
    def stock_bars(self, ctx: CallContext) -> Response:
        return self._bars(ctx, US_EQUITY)

    @endpoint("crypto_bars", "GET", "/v1beta3/crypto/us/bars", api="data", auth=False)
    def crypto_bars(self, ctx: CallContext) -> Response:
        return self._bars(ctx, CRYPTO)

    # ------------------------------------------------------------------ latest

    def _latest(self, ctx: CallContext, asset_class: str, key: str) -> Response:
        p = self._query(ctx, STOCK_LATEST_PARAMS if asset_class == US_EQUITY else CRYPTO_LATEST_PARAMS)
        symbols = self._data_symbols(p, asset_class)
        if asset_class == US_EQUITY:
            self._latest_options(p)
        make = {"bars": self._latest_bar, "trades": self._latest_trade, "quotes": self._latest_quote}[key]
        out = {}
        for symbol in symbols:
            if self._replayed(symbol):
                row = make(symbol)
                if row is not None:
                    out[symbol.market_id] = row
        return self._ok({key: out})

    def _latest_bar(self, symbol: Symbol) -> dict[str, Any] | None:
        series = self.emu.series[symbol.market_id]
        for i in _newest_first(series.closed_count(self.emu.engine.now_ms)):
            bar = series.bar(i)
            if bar.volume > 0:
                quote = bar.close * bar.volume
                return wire.bar_row(Bucket(Candle(bar.t, *bar[1:], quote), 1))
        return None

    def _latest_trade(self, symbol: Symbol) -> dict[str, Any] | None:
        prints = market.public_trades(self.emu, symbol.market_id, limit=1)
        if not prints:
            return None
        if symbol.asset_class == CRYPTO:
            return wire.crypto_trade_row(prints[-1])
        return wire.stock_trade_row(prints[-1], stock_facts(symbol.market_id).exchange)

    def _latest_quote(self, symbol: Symbol) -> dict[str, Any]:
        return self._quote_row(symbol, self.emu.engine.now_ms, self._last(symbol.market_id))

    def _quote_row(self, symbol: Symbol, t_ms: int, last: Decimal) -> dict[str, Any]:
        """The quote at ``t_ms`` when ``last`` was the last price: the engine's touch around it."""
        eng = self.emu.engine
        inst = eng.spot_instruments[symbol.market_id]
        bid, ask = eng.config.price_model.book(inst, last)
        if symbol.asset_class == CRYPTO:
            size = self._crypto_size(symbol, ask)
            return wire.crypto_quote_row(t_ms, bid, size, ask, size)
        exchange = stock_facts(symbol.market_id).exchange
        return wire.stock_quote_row(t_ms, bid, ROUND_LOT, ask, ROUND_LOT, exchange)

    def _crypto_size(self, symbol: Symbol, price: Decimal, value: Decimal = QUOTE_VALUE) -> Decimal:
        """About ``value`` dollars of a crypto pair at ``price``, on its quantity step."""
        inst = self.emu.engine.spot_instruments[symbol.market_id]
        return inst.floor_qty(value / price) if price > 0 else Decimal(0)

    @endpoint("stock_latest_bars", "GET", "/v2/stocks/bars/latest", api="data")
    def stock_latest_bars(self, ctx: CallContext) -> Response:
        return self._latest(ctx, US_EQUITY, "bars")

    @endpoint("stock_latest_trades", "GET", "/v2/stocks/trades/latest", api="data")
    def stock_latest_trades(self, ctx: CallContext) -> Response:
        return self._latest(ctx, US_EQUITY, "trades")

    @endpoint("stock_latest_quotes", "GET", "/v2/stocks/quotes/latest", api="data")
    def stock_latest_quotes(self, ctx: CallContext) -> Response:
        return self._latest(ctx, US_EQUITY, "quotes")

    @endpoint("crypto_latest_bars", "GET", "/v1beta3/crypto/us/latest/bars", api="data", auth=False)
    def crypto_latest_bars(self, ctx: CallContext) -> Response:
        return self._latest(ctx, CRYPTO, "bars")

    @endpoint("crypto_latest_trades", "GET", "/v1beta3/crypto/us/latest/trades", api="data", auth=False)
    def crypto_latest_trades(self, ctx: CallContext) -> Response:
        return self._latest(ctx, CRYPTO, "trades")

    @endpoint("crypto_latest_quotes", "GET", "/v1beta3/crypto/us/latest/quotes", api="data", auth=False)
    def crypto_latest_quotes(self, ctx: CallContext) -> Response:
        return self._latest(ctx, CRYPTO, "quotes")


def _newest_first(closed: int, depth: int = 100_000) -> Iterable[int]:
    """Indexes of closed bars, newest first, at most ``depth`` of them (an idle market's last trade
    is never further back than a few days of bars)."""
    return range(closed - 1, max(-1, closed - 1 - depth), -1)
