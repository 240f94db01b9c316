"""Bitget public routes: server time, the start-up calls of ``load_markets``, market data."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...data import Period
from ...engine import Instrument
from ...http import CallContext
from ..common import market
from . import errors, wire
from .common import RoutesBase, endpoint

# Bitget's kline granularities; the non-"utc" 6H..1M variants are aligned to UTC+8 on the venue, which
# the emulator does not reproduce: it serves the UTC-aligned ones (what ccxt asks for).
GRANULARITIES = {
    "1m": "1m",
    "3m": "3m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1H": "1h",
    "2H": "2h",
    "4H": "4h",
    "6Hutc": "6h",
    "12Hutc": "12h",
    "1Dutc": "1d",
    "3Dutc": "3d",
    "1Wutc": "1w",
    "1Mutc": "1M",
}
CANDLE_LIMITS = {"candles": 1000, "history-candles": 200}
DEPTH_LEVELS = {"1": 1, "5": 5, "15": 15, "50": 50, "max": 150}


class MarketRoutes(RoutesBase):
    # ------------------------------------------------------------------ public: start-up

    @endpoint("time", "GET", "/api/v2/public/time", private=False)
    def server_time(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        return self._ok({"serverTime": str(self.emu.engine.now_ms)})

    @endpoint("coins", "GET", "/api/v2/spot/public/coins", private=False)
    def coins(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"coin"})
        coins: list[str] = []
        for inst in self.emu.engine.instruments.values():
            for c in (inst.settle, inst.base):
                if c not in coins:
                    coins.append(c)
        wanted = p.str("coin")
        return self._ok([wire.coin_row(c, i + 1) for i, c in enumerate(coins) if wanted in (None, c)])

    @endpoint("uta_settings", "GET", "/api/v3/account/settings")
    def uta_settings(self, ctx: CallContext) -> Response:
        # Accounts here are classic accounts: the unified-account API answers 40084, which is how
        # ccxt (and Bitget's own SDKs) tell a classic key from a unified one.
        raise errors.CLASSIC_ACCOUNT

    @endpoint("spot_symbols", "GET", "/api/v2/spot/public/symbols", private=False)
    def spot_symbols(self, ctx: CallContext) -> Response:
        self._query(ctx, {"symbol"})
        return self._ok([])  # no spot markets: the emulator lists USDT-M perpetuals only

    @endpoint("margin_currencies", "GET", "/api/v2/margin/currencies", private=False)
    def margin_currencies(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        return self._ok([])

    @endpoint("spot_assets", "GET", "/api/v2/spot/account/assets")
    def spot_assets(self, ctx: CallContext) -> Response:
        self._query(ctx, {"coin", "assetType"})
        return self._ok([])  # the spot wallet is empty: every account's funds are in USDT-M futures

    @endpoint("contracts", "GET", "/api/v2/mix/market/contracts", private=False)
    def contracts(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType", "symbol"})
        product_type = self._product_type(p)
        symbol = p.str("symbol", max_len=40)
        code = p.ascii_code("symbol")
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        rows = [
            wire.contract_row(inst)
            for inst in self.emu.engine.instruments.values()
            if symbol is None or inst.symbol == code
        ]
        if symbol is not None and not rows:
            raise errors.unknown_symbol(symbol)
        return self._ok(rows)

    # ------------------------------------------------------------------ public: market data

    def _candles(self, ctx: CallContext, which: str) -> Response:
        p = self._query(
            ctx, {"symbol", "productType", "granularity", "startTime", "endTime", "limit", "kLineType"}
        )
        inst = self._market(p)
        granularity = p.str("granularity", required=True, max_len=8)
        unified = GRANULARITIES.get(granularity)  # type: ignore[arg-type]
        if unified is None:
            raise errors.bad_param(
                "granularity", f"{granularity!r} is not served; use one of {list(GRANULARITIES)}"
            )
        p.choice("kLineType", {"market": "market", "mark": "mark", "index": "index"})
        start = p.int("startTime", lo=0)
        end = p.int("endTime", lo=0)
        limit = min(p.int("limit", default=100, lo=1) or 100, CANDLE_LIMITS[which])  # type: ignore[type-var]
        now = self.emu.engine.now_ms
        period = Period.parse(unified)
        series = self.emu.series[inst.symbol]
        # endTime is exclusive: [startTime, endTime) holds exactly `limit` candles when ccxt asks for
        # `since + limit × timeframe`, and the candle still forming at `now` counts as before it.
        upper = None if end is None else end - 1
        try:
            if which == "history-candles":
                # The history endpoint holds finished candles only.
                last_finished = period.floor(now) - 1
                upper = last_finished if upper is None else min(upper, last_finished)
            # The newest `limit` candles of the window (Bitget counts back from its end).
            candles = market.candle_window(
                series, period, now, start_ms=start, end_ms=upper, limit=limit, from_start=False
            )
        except ValueError as e:
            raise errors.bad_param("granularity", str(e)) from None
        key = (inst.symbol, unified, "candles")
        return self._ok(market.candle_rows(self.emu, key, period, candles, wire.candle_row))

    @endpoint("candles", "GET", "/api/v2/mix/market/candles", private=False)
    def candles(self, ctx: CallContext) -> Response:
        return self._candles(ctx, "candles")

    @endpoint("history_candles", "GET", "/api/v2/mix/market/history-candles", private=False)
    def history_candles(self, ctx: CallContext) -> Response:
        return self._candles(ctx, "history-candles")

    # ccxt asks these for mark or index candles older than the recent endpoint holds (freqtrade does,
    # for funding fees). The emulator's mark and index prices are its last price: the same candles.
    @endpoint("history_mark_candles", "GET", "/api/v2/mix/market/history-mark-candles", private=False)
    def history_mark_candles(self, ctx: CallContext) -> Response:
        return self._candles(ctx, "history-candles")

    @endpoint("history_index_candles", "GET", "/api/v2/mix/market/history-index-candles", private=False)
    def history_index_candles(self, ctx: CallContext) -> Response:
        return self._candles(ctx, "history-candles")

    def _ticker_row(self, inst: Instrument) -> dict[str, Any]:
        s = market.day_stats(self.emu, inst.symbol)
        last = wire.fmt(s.last)
        return {
            "symbol": inst.symbol,
            "lastPr": last,
            "askPr": wire.fmt(s.ask),
            "bidPr": wire.fmt(s.bid),
            "bidSz": "1.5",
            "askSz": "1.5",
            "high24h": wire.fmt(s.high),
            "low24h": wire.fmt(s.low),
            "ts": str(s.now_ms),
            "change24h": wire.fmt(s.change_ratio, 5),
            "baseVolume": wire.fmt(s.base_volume),
            "quoteVolume": wire.fmt(s.quote_volume, 4),
            "usdtVolume": wire.fmt(s.quote_volume, 4),
            "openUtc": wire.fmt(s.open_utc),
            "changeUtc24h": wire.fmt(s.change_ratio_utc, 5),
            "indexPrice": last,
            "fundingRate": wire.fmt(self.emu.engine.funding_rate(inst.symbol)),
            "holdingAmount": wire.fmt(market.open_interest(self.emu, inst.symbol)),
            "deliveryStartTime": None,
            "deliveryTime": None,
            "deliveryStatus": "",
            "open24h": wire.fmt(s.open),
            "markPrice": last,
        }

    @endpoint("ticker", "GET", "/api/v2/mix/market/ticker", private=False)
    def ticker(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        return self._ok([self._ticker_row(inst)])

    @endpoint("tickers", "GET", "/api/v2/mix/market/tickers", private=False)
    def tickers(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType"})
        product_type = self._product_type(p)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        return self._ok([self._ticker_row(i) for i in self.emu.engine.instruments.values()])

    @endpoint("depth", "GET", "/api/v2/mix/market/merge-depth", private=False)
    def depth(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "limit", "precision"})
        inst = self._market(p)
        limit_text = p.str("limit", max_len=8) or "100"
        levels = DEPTH_LEVELS.get(limit_text.lower()) if limit_text.isascii() else None
        if levels is None:
            # Not one of Bitget's named depths: a level count (more than 150 is served as 150).
            levels = min(p.int("limit", lo=1) or 1, 150)
        p.str("precision", max_len=8)
        bid, ask = self.emu.engine.book(inst.symbol)
        asks, bids = market.ladder(inst, bid, ask, levels)  # synthetic: see common.market
        return self._ok(
            {
                "asks": [[wire.fmt(px), wire.fmt(q)] for px, q in asks],
                "bids": [[wire.fmt(px), wire.fmt(q)] for px, q in bids],
                "ts": str(self.emu.engine.now_ms),
                "scale": wire.fmt(inst.tick_size),
                "precision": "scale0",
                "isMaxPrecision": "NO",
            }
        )

    @endpoint("funding_rate", "GET", "/api/v2/mix/market/current-fund-rate", private=False)
    def funding_rate(self, ctx: CallContext) -> Response:
        """The current funding rate of one market, or of every market without ``symbol``
        (``fetch_funding_rate``, and ``fetch_funding_intervals``, which names none)."""
        p = self._query(ctx, {"symbol", "productType"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        eng = self.emu.engine
        markets = [inst] if inst is not None else list(eng.instruments.values())
        return self._ok(
            [
                {
                    "symbol": i.symbol,
                    "fundingRate": wire.fmt(eng.funding_rate(i.symbol)),
                    "fundingRateInterval": str(i.funding_interval_h),
                    "nextUpdate": str(eng.next_funding_ms(i.symbol)),
                    "minFundingRate": "-0.003",
                    "maxFundingRate": "0.003",
                }
                for i in markets
            ]
        )

    @endpoint("funding_time", "GET", "/api/v2/mix/market/funding-time", private=False)
    def funding_time(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        return self._ok(
            [
                {
                    "symbol": inst.symbol,
                    "nextFundingTime": str(self.emu.engine.next_funding_ms(inst.symbol)),
                    "ratePeriod": str(inst.funding_interval_h),
                }
            ]
        )

    @endpoint("funding_history", "GET", "/api/v2/mix/market/history-fund-rate", private=False)
    def funding_history(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "pageSize", "pageNo"})
        inst = self._market(p)
        size = p.int("pageSize", default=20, lo=1, hi=100) or 20
        page = p.int("pageNo", default=1, lo=1) or 1
        eng = self.emu.engine
        # Newest first, `size` a page: page n ends (n - 1) × size settlements before the latest.
        step = market.funding_step_ms(inst)
        end = eng.next_funding_ms(inst.symbol) - step - (page - 1) * size * step
        times = market.funding_instants(self.emu, inst.symbol, end_ms=end, limit=size, newest=True)
        rate = wire.fmt(eng.funding_rate(inst.symbol))
        return self._ok(
            [{"symbol": inst.symbol, "fundingRate": rate, "fundingTime": str(t)} for t in reversed(times)]
        )
