"""Binance public routes: server time, exchange info, market data; and the start-up calls of
``load_markets`` outside the futures API (``/sapi``).

Weights are Binance's (ccxt's ``describe()`` lists them as ``cost`` per path); see :mod:`.limits`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...data import Period
from ...engine import Instrument
from ...http import CallContext
from ..common import market
from ..common.numbers import fixed, fmt
from . import errors, wire
from .common import RoutesBase, by_limit, endpoint, no_symbol
from .limits import WEIGHT_LIMIT_DEFAULT

KLINE_LIMIT_DEFAULT = 500
KLINE_LIMIT_MAX = 1500  # Binance's futures maximum; a larger limit is served as 1500
KLINE_WEIGHT = by_limit([(99, 1), (499, 2), (1000, 5), (10**9, 10)], KLINE_LIMIT_DEFAULT)
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
DEPTH_WEIGHT = by_limit([(50, 2), (100, 5), (500, 10), (1000, 20)], 500)
TRADES_LIMIT_DEFAULT = 500
TRADES_LIMIT_MAX = 1000
FUNDING_LIMIT_DEFAULT = 100
FUNDING_LIMIT_MAX = 1000
HOUR_MS = 3_600_000
INTEREST_RATE = "0.00010000"  # Binance's fixed interest component of the funding rate
FUNDING_CAP = "0.02000000"  # the adjusted funding rate cap/floor fundingInfo reports


class MarketRoutes(RoutesBase):
    # ------------------------------------------------------------------ start-up

    @endpoint("ping", "GET", "/fapi/v1/ping", signed=False)
    def ping(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        return self._ok({})

    @endpoint("time", "GET", "/fapi/v1/time", signed=False)
    def server_time(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        return self._ok({"serverTime": self.emu.engine.now_ms})

    @endpoint("exchange_info", "GET", "/fapi/v1/exchangeInfo", signed=False)
    def exchange_info(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        eng = self.emu.engine
        settles = sorted({i.settle for i in eng.instruments.values()})
        limit = self.emu.config.weight_limit or WEIGHT_LIMIT_DEFAULT
        return self._ok(
            {
                "timezone": "UTC",
                "serverTime": eng.now_ms,
                "futuresType": "U_MARGINED",
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": limit,
                    },
                    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
                ],
                "exchangeFilters": [],
                "assets": [
                    {"asset": c, "marginAvailable": True, "autoAssetExchange": "-10000"} for c in settles
                ],
                "symbols": [
                    wire.symbol_row(inst, self.emu.series[inst.symbol].first_open_ms)
                    for inst in eng.instruments.values()
                ],
            }
        )

    @endpoint("capital_config", "GET", "/sapi/v1/capital/config/getall", weight=0)
    def capital_config(self, ctx: CallContext) -> Response:
        """The coins of the wallet (ccxt ``fetch_currencies`` at start-up outside demo trading)."""
        self._params(ctx, set())
        coins: list[str] = []
        for inst in self.emu.engine.instruments.values():
            for c in (inst.settle, inst.base):
                if c not in coins:
                    coins.append(c)
        return self._ok([_coin_row(c) for c in coins])

    @endpoint("margin_pairs", "GET", "/sapi/v1/margin/allPairs", weight=0)
    def margin_pairs(self, ctx: CallContext) -> Response:
        self._params(ctx, {"symbol"})
        return self._ok([])  # no spot margin: the emulator lists USD-M perpetuals only

    # ------------------------------------------------------------------ candles

    def _klines(self, ctx: CallContext, kind: str) -> Response:
        p = self._params(ctx, {"symbol", "pair", "interval", "startTime", "endTime", "limit"})
        # Index klines name the pair (BTCUSDT) instead of the symbol; a perpetual's pair is its id.
        if kind == "index" and p.raw("symbol") is None and p.raw("pair") is not None:
            p.data["symbol"] = p.data["pair"]
        inst = self._market(ctx, p)
        interval = p.str("interval", required=True, max_len=8)
        if interval not in wire.INTERVALS:
            raise errors.INVALID_INTERVAL
        start, end = self._window(p)
        limit = min(p.int("limit", default=KLINE_LIMIT_DEFAULT, lo=1) or KLINE_LIMIT_DEFAULT, KLINE_LIMIT_MAX)
        period = Period.parse(interval)  # type: ignore[arg-type]
        now = self.emu.engine.now_ms
        try:
            candles = market.candle_window(
                self.emu.series[inst.symbol],
                period,
                now,
                start_ms=start,
                end_ms=end,
                limit=limit,
                from_start=True,
            )
        except ValueError as e:  # a period the base bars cannot build (e.g. 1m from 5m data)
            raise errors.invalid_data("interval", str(e)) from None
        if kind == "premium":
            # Mark = index = last in the emulator: the premium is 0 throughout.
            zero = "0.00000000"
            return self._ok(
                [
                    [c.t, zero, zero, zero, zero, "0", period.next(c.t) - 1, "0", 0, "0", "0", "0"]
                    for c in candles
                ]
            )
        key = (inst.symbol, interval, "price" if kind == "index" else "klines")
        rows = market.candle_rows(self.emu, key, period, candles, lambda c: wire.kline_row(c, period))
        if kind == "index":
            # Price klines carry no volumes.
            rows = [[r[0], r[1], r[2], r[3], r[4], "0", r[6], "0", 0, "0", "0", "0"] for r in rows]
        return self._ok(rows)

    @endpoint("klines", "GET", "/fapi/v1/klines", signed=False, weight=KLINE_WEIGHT)
    def klines(self, ctx: CallContext) -> Response:
        return self._klines(ctx, "trade")

    @endpoint("mark_price_klines", "GET", "/fapi/v1/markPriceKlines", signed=False, weight=KLINE_WEIGHT)
    def mark_price_klines(self, ctx: CallContext) -> Response:
        """Mark-price klines: the emulator's mark price is the last price (see the engine)."""
        return self._klines(ctx, "index")

    @endpoint("index_price_klines", "GET", "/fapi/v1/indexPriceKlines", signed=False, weight=KLINE_WEIGHT)
    def index_price_klines(self, ctx: CallContext) -> Response:
        return self._klines(ctx, "index")

    @endpoint("premium_index_klines", "GET", "/fapi/v1/premiumIndexKlines", signed=False, weight=KLINE_WEIGHT)
    def premium_index_klines(self, ctx: CallContext) -> Response:
        return self._klines(ctx, "premium")

    # ------------------------------------------------------------------ tickers and book

    def _ticker_row(self, inst: Instrument) -> dict[str, Any]:
        s = market.day_stats(self.emu, inst.symbol)
        series = self.emu.series[inst.symbol]
        last_bar = series.closed_count(s.now_ms) - 1
        first_id = market.PRINTS_PER_BAR * (last_bar - s.bars + 1) + 1
        last_id = market.PRINTS_PER_BAR * (last_bar + 1)
        return {
            "symbol": inst.symbol,
            "priceChange": fmt(s.change),
            "priceChangePercent": fixed(s.change_ratio * 100, 3),
            "weightedAvgPrice": fmt(s.vwap, inst.price_decimals + 2),
            "lastPrice": fmt(s.last),
            "lastQty": fmt(inst.min_qty),
            "openPrice": fmt(s.open),
            "highPrice": fmt(s.high),
            "lowPrice": fmt(s.low),
            "volume": fmt(s.base_volume),
            "quoteVolume": fmt(s.quote_volume, 4),
            "openTime": s.open_ms,
            "closeTime": s.now_ms,
            "firstId": first_id if s.bars else -1,
            "lastId": last_id if s.bars else -1,
            "count": last_id - first_id + 1 if s.bars else 0,
        }

    def _one_or_all(self, ctx: CallContext, p: Any, row: Any) -> Response:
        inst = self._symbol(ctx, p, required=False)
        if inst is not None:
            return self._ok(row(inst))
        return self._ok([row(i) for i in self.emu.engine.instruments.values()])

    @endpoint("ticker_24hr", "GET", "/fapi/v1/ticker/24hr", signed=False, weight=no_symbol(1, 40))
    def ticker_24hr(self, ctx: CallContext) -> Response:
        return self._one_or_all(ctx, self._params(ctx, {"symbol"}), self._ticker_row)

    def _price_row(self, inst: Instrument) -> dict[str, Any]:
        eng = self.emu.engine
        return {"symbol": inst.symbol, "price": fmt(eng.last_price(inst.symbol)), "time": eng.now_ms}

    @endpoint("ticker_price", "GET", "/fapi/v1/ticker/price", signed=False, weight=no_symbol(1, 2))
    def ticker_price(self, ctx: CallContext) -> Response:
        return self._one_or_all(ctx, self._params(ctx, {"symbol"}), self._price_row)

    @endpoint("ticker_price_v2", "GET", "/fapi/v2/ticker/price", signed=False, weight=no_symbol(1, 2))
    def ticker_price_v2(self, ctx: CallContext) -> Response:
        return self._one_or_all(ctx, self._params(ctx, {"symbol"}), self._price_row)

    def _book_row(self, inst: Instrument) -> dict[str, Any]:
        eng = self.emu.engine
        bid, ask = eng.book(inst.symbol)
        size = fmt(inst.min_qty * 10)
        return {
            "symbol": inst.symbol,
            "bidPrice": fmt(bid),
            "bidQty": size,
            "askPrice": fmt(ask),
            "askQty": size,
            "time": eng.now_ms,
            "lastUpdateId": eng.now_ms,
        }

    @endpoint("book_ticker", "GET", "/fapi/v1/ticker/bookTicker", signed=False, weight=no_symbol(2, 5))
    def book_ticker(self, ctx: CallContext) -> Response:
        return self._one_or_all(ctx, self._params(ctx, {"symbol"}), self._book_row)

    @endpoint("depth", "GET", "/fapi/v1/depth", signed=False, weight=DEPTH_WEIGHT)
    def depth(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "limit"})
        inst = self._market(ctx, p)
        levels = p.int("limit", default=500, lo=1)
        if levels not in DEPTH_LIMITS:
            raise errors.invalid_data("limit", f"one of {list(DEPTH_LIMITS)}")
        eng = self.emu.engine
        bid, ask = eng.book(inst.symbol)
        asks, bids = market.ladder(inst, bid, ask, levels)  # type: ignore[arg-type]
        return self._ok(
            {
                "lastUpdateId": eng.now_ms,
                "E": eng.now_ms,
                "T": eng.now_ms,
                "bids": [[fmt(px), fmt(q)] for px, q in bids],
                "asks": [[fmt(px), fmt(q)] for px, q in asks],
            }
        )

    # ------------------------------------------------------------------ funding and mark price

    def _premium_row(self, inst: Instrument) -> dict[str, Any]:
        eng = self.emu.engine
        last = fmt(eng.last_price(inst.symbol))
        return {
            "symbol": inst.symbol,
            "markPrice": last,
            "indexPrice": last,
            "estimatedSettlePrice": last,
            "lastFundingRate": fixed(eng.funding_rate(inst.symbol), 8),
            "interestRate": INTEREST_RATE,
            "nextFundingTime": eng.next_funding_ms(inst.symbol),
            "time": eng.now_ms,
        }

    @endpoint("premium_index", "GET", "/fapi/v1/premiumIndex", signed=False, weight=no_symbol(1, 10))
    def premium_index(self, ctx: CallContext) -> Response:
        return self._one_or_all(ctx, self._params(ctx, {"symbol"}), self._premium_row)

    @endpoint("funding_rate_history", "GET", "/fapi/v1/fundingRate", signed=False)
    def funding_rate_history(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "startTime", "endTime", "limit"})
        inst = self._symbol(ctx, p, required=False)
        start, end = self._window(p)
        limit = (
            p.int("limit", default=FUNDING_LIMIT_DEFAULT, lo=1, hi=FUNDING_LIMIT_MAX) or FUNDING_LIMIT_DEFAULT
        )
        eng = self.emu.engine
        rows = []
        for i in [inst] if inst is not None else list(eng.instruments.values()):
            series = self.emu.series[i.symbol]
            rate = fixed(eng.funding_rate(i.symbol), 8)
            for t in market.funding_instants(
                self.emu, i.symbol, start_ms=start, end_ms=end, limit=limit, newest=start is None
            ):
                rows.append(
                    {
                        "symbol": i.symbol,
                        "fundingTime": t,
                        "fundingRate": rate,
                        "markPrice": fmt(series.last_price(t)),
                    }
                )
        rows.sort(key=lambda r: (r["fundingTime"], r["symbol"]))
        return self._ok(rows[:limit] if start is not None else rows[-limit:])

    @endpoint("funding_info", "GET", "/fapi/v1/fundingInfo", signed=False)
    def funding_info(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        return self._ok(
            [
                {
                    "symbol": i.symbol,
                    "adjustedFundingRateCap": FUNDING_CAP,
                    "adjustedFundingRateFloor": "-" + FUNDING_CAP,
                    "fundingIntervalHours": i.funding_interval_h,
                    "disclaimer": False,
                }
                for i in self.emu.engine.instruments.values()
            ]
        )

    @endpoint("open_interest", "GET", "/fapi/v1/openInterest", signed=False)
    def open_interest(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._market(ctx, p)
        oi = market.open_interest(self.emu, inst.symbol)
        return self._ok(
            {
                "openInterest": fixed(oi, inst.qty_decimals),
                "symbol": inst.symbol,
                "time": self.emu.engine.now_ms,
            }
        )

    # ------------------------------------------------------------------ public trades

    @endpoint("trades", "GET", "/fapi/v1/trades", signed=False, weight=5)
    def trades(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "limit"})
        inst = self._market(ctx, p)
        limit = (
            p.int("limit", default=TRADES_LIMIT_DEFAULT, lo=1, hi=TRADES_LIMIT_MAX) or TRADES_LIMIT_DEFAULT
        )
        prints = market.public_trades(self.emu, inst.symbol, limit=limit)
        return self._ok(
            [
                {
                    "id": t.id,
                    "price": fmt(t.price),
                    "qty": fmt(t.qty),
                    "quoteQty": fmt(t.price * t.qty, 8),
                    "time": t.t_ms,
                    "isBuyerMaker": t.buyer_maker,
                }
                for t in prints
            ]
        )

    @endpoint("agg_trades", "GET", "/fapi/v1/aggTrades", signed=False, weight=20)
    def agg_trades(self, ctx: CallContext) -> Response:
        """Aggregate trades: every synthetic print is its own aggregate (``f == l == a``)."""
        p = self._params(ctx, {"symbol", "fromId", "startTime", "endTime", "limit"})
        inst = self._market(ctx, p)
        from_id = p.int("fromId", lo=0)
        start, end = self._window(p, max_span_ms=HOUR_MS)
        limit = (
            p.int("limit", default=TRADES_LIMIT_DEFAULT, lo=1, hi=TRADES_LIMIT_MAX) or TRADES_LIMIT_DEFAULT
        )
        prints = market.public_trades(
            self.emu, inst.symbol, start_ms=start, end_ms=end, from_id=from_id, limit=limit
        )
        return self._ok(
            [
                {
                    "a": t.id,
                    "p": fmt(t.price),
                    "q": fmt(t.qty),
                    "f": t.id,
                    "l": t.id,
                    "T": t.t_ms,
                    "m": t.buyer_maker,
                }
                for t in prints
            ]
        )


def _coin_row(coin: str) -> dict[str, Any]:
    zero = "0"
    return {
        "coin": coin,
        "name": coin,
        "depositAllEnable": True,
        "withdrawAllEnable": True,
        "free": zero,
        "locked": zero,
        "freeze": zero,
        "withdrawing": zero,
        "ipoing": zero,
        "ipoable": zero,
        "storage": zero,
        "isLegalMoney": False,
        "trading": True,
        "networkList": [
            {
                "network": coin,
                "coin": coin,
                "withdrawIntegerMultiple": "0.00000001",
                "isDefault": True,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "specialTips": "",
                "name": coin,
                "resetAddressStatus": False,
                "addressRegex": "",
                "memoRegex": "",
                "withdrawFee": zero,
                "withdrawMin": zero,
                "withdrawMax": "9999999999",
                "minConfirm": 1,
                "unLockConfirm": 0,
                "sameAddress": False,
                "estimatedArrivalTime": 1,
                "busy": False,
            }
        ],
    }
