"""Bitget V2 routes: parse the request, call the engine, serialise the answer. Nothing else.

Paths, parameters and answers follow what an unmodified ``ccxt.bitget`` sends and reads (ccxt's
``bitget.py`` is the specification we test against) and Bitget's V2 API reference.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ...data import Period
from ...engine import (
    Account,
    EngineError,
    Instrument,
    MarginMode,
    Order,
    OrderRequest,
    OrderType,
    PositionMode,
    PositionSide,
    Reason,
    Side,
    TriggerKind,
    TriggerOrder,
    TriggerRequest,
)
from ...http import CallContext, JSONResponse, RouteSpec
from ...params import ParamError, Params, Problem, parse_json_object
from . import errors, wire
from .auth import authenticate
from .errors import BitgetError

if TYPE_CHECKING:
    from ...runtime import Emulator

Handler = Callable[["BitgetRoutes", CallContext], Response]

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
PAGE_MAX = 100
# Self-trade prevention modes: accepted and ignored (one account never trades against itself here).
STP_MODES = {"none": 0, "cancel_taker": 1, "cancel_maker": 2, "cancel_both": 3}


def _response(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def bitget_error(err: BitgetError, now_ms: int) -> Response:
    return _response(wire.error_body(err.code, err.msg, now_ms), err.status)


def _cancelled(done: list[Order] | list[TriggerOrder]) -> dict[str, list[dict[str, str]]]:
    return {"successList": [{"orderId": o.id, "clientOid": o.client_oid} for o in done], "failureList": []}


def _param_error(e: ParamError) -> BitgetError:
    if e.problem is Problem.MISSING:
        return errors.empty(e.name)
    if e.problem is Problem.NOT_JSON:
        return errors.verification_failed(e.detail)
    if e.problem is Problem.UNKNOWN:
        return errors.verification_failed(f"unknown parameter {e.name[:40]}")
    return errors.bad_param(e.name, e.detail)


def endpoint(
    name: str,
    method: str,
    path: str,
    *,
    private: bool = True,
    places_order: bool = False,
    reads_position: bool = False,
    overrides: dict[Reason, tuple[str, str]] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a route; errors of every kind become Bitget's error answer."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def handler(self: BitgetRoutes, ctx: CallContext) -> Response:
            now = self.emu.engine.now_ms
            try:
                if private:
                    creds = authenticate(ctx.request, ctx.body, self.emu.credentials, self._now_candidates())
                    ctx.account = creds.account
                return fn(self, ctx)
            except BitgetError as e:
                return bitget_error(e, now)
            except ParamError as e:
                return bitget_error(_param_error(e), now)
            except EngineError as e:
                return bitget_error(errors.from_engine(e, overrides), now)

        handler.route = (name, method, path, places_order, reads_position)  # type: ignore[attr-defined]
        return handler

    return wrap


class BitgetRoutes:
    """The Bitget wire over one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def specs(self) -> list[RouteSpec]:
        out = []
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)
            route = getattr(fn, "route", None)
            if route is None:
                continue
            name, method, path, places, reads = route
            out.append(RouteSpec(name, method, path, functools.partial(fn, self), places, reads))
        return out

    # ------------------------------------------------------------------ helpers

    def _now_candidates(self) -> tuple[int, ...]:
        return int(time.time() * 1000), self.emu.engine.now_ms

    def _ok(self, data: Any) -> Response:
        return _response(wire.envelope(data, self.emu.engine.now_ms))

    @staticmethod
    def _query(ctx: CallContext, allowed: set[str]) -> Params:
        return Params(dict(ctx.request.query_params), allowed)

    @staticmethod
    def _json(ctx: CallContext, allowed: set[str]) -> Params:
        return Params(parse_json_object(ctx.body), allowed)

    def _product_type(self, p: Params, *, required: bool = True) -> str | None:
        return p.choice("productType", wire.PRODUCT_TYPES, required=required)

    def _instrument(self, p: Params, product_type: str | None, *, required: bool = True) -> Instrument | None:
        symbol = p.str("symbol", required=required, max_len=40)
        if symbol is None:
            return None
        inst = self.emu.engine.instruments.get(symbol.upper())
        if inst is None or (product_type is not None and product_type != wire.SERVED_PRODUCT_TYPE):
            raise errors.unknown_symbol(symbol)
        return inst

    def _check_margin_coin(self, p: Params, inst: Instrument | None) -> None:
        coin = p.str("marginCoin", max_len=16)
        if coin is not None and inst is not None and coin.upper() != inst.settle:
            raise errors.bad_param("marginCoin", f"{inst.symbol} is margined in {inst.settle}")

    def _market(self, p: Params) -> Instrument:
        """The instrument a request must name: the ``symbol`` of a listed market, in its ``productType``."""
        inst = self._instrument(p, self._product_type(p))
        assert inst is not None  # a required symbol: _instrument raised otherwise
        return inst

    def _order_target(self, ctx: CallContext, p: Params) -> tuple[Instrument, Account]:
        """The instrument an order names (symbol, product type, margin coin checked) and the account."""
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        return inst, self._account(ctx)

    def _account(self, ctx: CallContext) -> Account:
        return self.emu.engine.account(ctx.account)  # type: ignore[arg-type]

    def _order_or_trigger_row(
        self, acct: Account, found: Order | TriggerOrder, status_key: str
    ) -> dict[str, Any]:
        inst = self.emu.engine.instruments[found.symbol]
        if isinstance(found, Order):
            return wire.order_row(found, inst, status_key)
        return self._plan_row(acct, found)

    def _plan_row(self, acct: Account, trig: TriggerOrder) -> dict[str, Any]:
        inst = self.emu.engine.instruments[trig.symbol]
        pos = acct.positions.get((trig.symbol, trig.pos_side)) if trig.pos_side else None
        child = acct.orders.get(trig.order_id) if trig.order_id else None
        return wire.plan_row(trig, inst, pos.qty if pos else None, child)

    @staticmethod
    def _page(
        rows: list[Any], p: Params, key: Callable[[Any], int], id_of: Callable[[Any], str]
    ) -> list[Any]:
        """Newest first; ``startTime``/``endTime`` filter on ``key``, ``idLessThan`` pages back, ``limit``."""
        start = p.int("startTime", lo=0)
        end = p.int("endTime", lo=0)
        before = p.str("idLessThan", max_len=32)
        limit = p.int("limit", default=PAGE_MAX, lo=1, hi=PAGE_MAX)
        out = []
        for row in sorted(rows, key=lambda r: (key(r), int(id_of(r))), reverse=True):
            if start is not None and key(row) < start:
                continue
            if end is not None and key(row) > end:
                continue
            if before is not None and before.isdigit() and int(id_of(row)) >= int(before):
                continue
            out.append(row)
            if len(out) == limit:
                break
        return out

    # ------------------------------------------------------------------ public: start-up

    @endpoint("time", "GET", "/api/v2/public/time", private=False)
    def server_time(self, ctx: CallContext) -> Response:
        self._query(ctx, set()).finish()
        return self._ok({"serverTime": str(self.emu.engine.now_ms)})

    @endpoint("coins", "GET", "/api/v2/spot/public/coins", private=False)
    def coins(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"coin"})
        p.finish()
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
        self._query(ctx, {"symbol"}).finish()
        return self._ok([])  # no spot markets: the emulator lists USDT-M perpetuals only

    @endpoint("margin_currencies", "GET", "/api/v2/margin/currencies", private=False)
    def margin_currencies(self, ctx: CallContext) -> Response:
        self._query(ctx, set()).finish()
        return self._ok([])

    @endpoint("spot_assets", "GET", "/api/v2/spot/account/assets")
    def spot_assets(self, ctx: CallContext) -> Response:
        self._query(ctx, {"coin", "assetType"}).finish()
        return self._ok([])  # the spot wallet is empty: every account's funds are in USDT-M futures

    @endpoint("contracts", "GET", "/api/v2/mix/market/contracts", private=False)
    def contracts(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType", "symbol"})
        product_type = self._product_type(p)
        symbol = p.str("symbol", max_len=40)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        rows = [
            wire.contract_row(inst)
            for inst in self.emu.engine.instruments.values()
            if symbol is None or inst.symbol == symbol.upper()
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
        p.finish()
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
            candles = series.candles(period, now, start_ms=start, end_ms=upper, limit=limit)
        except ValueError as e:
            raise errors.bad_param("granularity", str(e)) from None
        # A finished candle never changes: its row is formatted once per run.
        cache = self.emu.wire_cache.setdefault("candle_rows", {}).setdefault((inst.symbol, unified), {})
        rows = []
        for c in candles:
            row = cache.get(c.t)
            if row is None:
                row = [
                    str(c.t),
                    wire.fmt(c.open),
                    wire.fmt(c.high),
                    wire.fmt(c.low),
                    wire.fmt(c.close),
                    wire.fmt(c.volume),
                    wire.fmt(c.quote_volume, 6),
                ]
                if period.next(c.t) <= now:
                    cache[c.t] = row
            rows.append(row)
        return self._ok(rows)

    @endpoint("candles", "GET", "/api/v2/mix/market/candles", private=False)
    def candles(self, ctx: CallContext) -> Response:
        return self._candles(ctx, "candles")

    @endpoint("history_candles", "GET", "/api/v2/mix/market/history-candles", private=False)
    def history_candles(self, ctx: CallContext) -> Response:
        return self._candles(ctx, "history-candles")

    def _ticker_row(self, inst: Instrument) -> dict[str, Any]:
        eng = self.emu.engine
        now = eng.now_ms
        series = self.emu.series[inst.symbol]
        last = eng.last_price(inst.symbol)
        bid, ask = eng.book(inst.symbol)
        day = series.closed_between(now - 86_400_000, now)
        open24 = day[0].open if day else last
        high24 = max((b.high for b in day), default=last)
        low24 = min((b.low for b in day), default=last)
        base_vol = sum((b.volume for b in day), Decimal(0))
        quote_vol = sum((b.volume * b.close for b in day), Decimal(0))
        utc_day = now - now % 86_400_000
        today = series.closed_between(utc_day - 1, now)
        open_utc = today[0].open if today else last
        return {
            "symbol": inst.symbol,
            "lastPr": wire.fmt(last),
            "askPr": wire.fmt(ask),
            "bidPr": wire.fmt(bid),
            "bidSz": "1.5",
            "askSz": "1.5",
            "high24h": wire.fmt(high24),
            "low24h": wire.fmt(low24),
            "ts": str(now),
            "change24h": wire.fmt((last - open24) / open24, 5),
            "baseVolume": wire.fmt(base_vol),
            "quoteVolume": wire.fmt(quote_vol, 4),
            "usdtVolume": wire.fmt(quote_vol, 4),
            "openUtc": wire.fmt(open_utc),
            "changeUtc24h": wire.fmt((last - open_utc) / open_utc, 5),
            "indexPrice": wire.fmt(last),
            "fundingRate": wire.fmt(eng.funding_rate(inst.symbol)),
            "holdingAmount": "0",
            "deliveryStartTime": None,
            "deliveryTime": None,
            "deliveryStatus": "",
            "open24h": wire.fmt(open24),
            "markPrice": wire.fmt(last),
        }

    @endpoint("ticker", "GET", "/api/v2/mix/market/ticker", private=False)
    def ticker(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        p.finish()
        return self._ok([self._ticker_row(inst)])

    @endpoint("tickers", "GET", "/api/v2/mix/market/tickers", private=False)
    def tickers(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType"})
        product_type = self._product_type(p)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        return self._ok([self._ticker_row(i) for i in self.emu.engine.instruments.values()])

    @endpoint("depth", "GET", "/api/v2/mix/market/merge-depth", private=False)
    def depth(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "limit", "precision"})
        inst = self._market(p)
        limit_text = p.str("limit", max_len=8) or "100"
        levels = DEPTH_LEVELS.get(limit_text.lower())
        if levels is None:
            if not limit_text.isdigit() or int(limit_text) < 1:
                raise errors.bad_param("limit")
            levels = min(int(limit_text), 150)
        p.str("precision", max_len=8)
        p.finish()
        bid, ask = self.emu.engine.book(inst.symbol)
        # A synthetic ladder: one tick apart, growing size away from the touch (the emulator's
        # fills never walk this book; it exists for clients that read it).
        asks = [
            [wire.fmt(ask + i * inst.tick_size), wire.fmt(inst.min_qty * (10 + 5 * i))] for i in range(levels)
        ]
        bids = [
            [wire.fmt(bid - i * inst.tick_size), wire.fmt(inst.min_qty * (10 + 5 * i))]
            for i in range(levels)
            if bid - i * inst.tick_size > 0
        ]
        return self._ok(
            {
                "asks": asks,
                "bids": bids,
                "ts": str(self.emu.engine.now_ms),
                "scale": wire.fmt(inst.tick_size),
                "precision": "scale0",
                "isMaxPrecision": "NO",
            }
        )

    @endpoint("funding_rate", "GET", "/api/v2/mix/market/current-fund-rate", private=False)
    def funding_rate(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        p.finish()
        eng = self.emu.engine
        return self._ok(
            [
                {
                    "symbol": inst.symbol,
                    "fundingRate": wire.fmt(eng.funding_rate(inst.symbol)),
                    "fundingRateInterval": str(inst.funding_interval_h),
                    "nextUpdate": str(eng.next_funding_ms(inst.symbol)),
                    "minFundingRate": "-0.003",
                    "maxFundingRate": "0.003",
                }
            ]
        )

    @endpoint("funding_time", "GET", "/api/v2/mix/market/funding-time", private=False)
    def funding_time(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        p.finish()
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
        p.finish()
        eng = self.emu.engine
        step = inst.funding_interval_h * 3_600_000
        first = self.emu.series[inst.symbol].first_open_ms
        latest = eng.next_funding_ms(inst.symbol) - step
        times = range(latest - ((page - 1) * size) * step, first - 1, -step)
        rate = wire.fmt(eng.funding_rate(inst.symbol))
        return self._ok(
            [{"symbol": inst.symbol, "fundingRate": rate, "fundingTime": str(t)} for t in list(times)[:size]]
        )

    # ------------------------------------------------------------------ private: account

    @endpoint("accounts", "GET", "/api/v2/mix/account/accounts")
    def accounts(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType"})
        product_type = self._product_type(p)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        acct = self._account(ctx)
        coins = sorted({i.settle for i in self.emu.engine.instruments.values()} | set(acct.wallet))
        return self._ok([self._balance_row(acct, c) for c in coins])

    def _balance_row(self, acct: Account, coin: str) -> dict[str, Any]:
        eng = self.emu.engine
        btc = eng.last_price("BTCUSDT") if "BTCUSDT" in eng.instruments else None
        return wire.balance_row(eng.balance(acct.id, coin), btc)

    @endpoint("account", "GET", "/api/v2/mix/account/account")
    def account(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "marginCoin"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        p.finish()
        acct = self._account(ctx)
        settings = self.emu.engine.settings(acct.id, inst.symbol)
        row = self._balance_row(acct, inst.settle)
        for key in (
            "assetList",
            "isolatedMargin",
            "crossedMargin",
            "unionTotalMagin",
            "unionAvailable",
            "unionMm",
        ):
            row.pop(key, None)
        row.update(
            {
                "crossedMarginLeverage": settings.long_leverage,
                "isolatedLongLever": settings.long_leverage,
                "isolatedShortLever": settings.short_leverage,
                "marginMode": settings.margin_mode.value,
                "posMode": "hedge_mode" if acct.position_mode is PositionMode.HEDGE else "one_way_mode",
            }
        )
        return self._ok(row)

    def _position_rows(self, acct: Account, symbol: str | None) -> list[dict[str, Any]]:
        eng = self.emu.engine
        rows = []
        for view in eng.positions(acct.id, symbol):
            pos = view.position
            inst = eng.instruments[pos.symbol]
            tp_id = sl_id = ""
            for t in eng.live_triggers(acct.id, pos.symbol):
                if t.pos_side is pos.side and t.kind is TriggerKind.POS_PROFIT:
                    tp_id = t.id
                elif t.pos_side is pos.side and t.kind is TriggerKind.POS_LOSS:
                    sl_id = t.id
            if pos.margin_mode is MarginMode.ISOLATED:
                base = view.margin + view.upnl
                maint = view.maintenance
            else:
                bal = eng.balance(acct.id, inst.settle)
                base = bal.wallet - bal.isolated_margin + bal.upnl_cross
                maint = bal.maintenance_cross
            ratio = maint / base if base > 0 else Decimal(1)
            rows.append(wire.position_row(view, inst, acct, tp_id, sl_id, ratio))
        return rows

    def _positions(self, ctx: CallContext, key: tuple[str, ...], rows: list[dict[str, Any]]) -> Response:
        """Serve position rows, or, under a ``stale_position`` fault, the rows served before."""
        cache: dict[tuple[str, ...], list[dict[str, Any]]] = self.emu.wire_cache.setdefault("positions", {})
        if ctx.stale_read:
            return self._ok(cache.get(key, []))
        cache[key] = rows
        return self._ok(rows)

    @endpoint("all_positions", "GET", "/api/v2/mix/position/all-position", reads_position=True)
    def all_positions(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType", "marginCoin"})
        product_type = self._product_type(p)
        coin = p.str("marginCoin", max_len=16)
        p.finish()
        acct = self._account(ctx)
        rows = [] if product_type != wire.SERVED_PRODUCT_TYPE else self._position_rows(acct, None)
        if coin is not None:
            rows = [r for r in rows if r["marginCoin"] == coin.upper()]
        return self._positions(ctx, (acct.id, "all", product_type or "", (coin or "").upper()), rows)

    @endpoint("single_position", "GET", "/api/v2/mix/position/single-position", reads_position=True)
    def single_position(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType", "marginCoin", "symbol"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        p.finish()
        acct = self._account(ctx)
        return self._positions(ctx, (acct.id, "single", inst.symbol), self._position_rows(acct, inst.symbol))

    @endpoint("set_leverage", "POST", "/api/v2/mix/account/set-leverage")
    def set_leverage(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "leverage", "holdSide"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        leverage = p.int("leverage", required=True)
        hold = p.choice("holdSide", {"long": PositionSide.LONG, "short": PositionSide.SHORT})
        p.finish()
        if leverage < 1:  # type: ignore[operator]
            raise errors.bad_param("leverage", "must be >= 1")
        acct = self._account(ctx)
        if (
            hold is not None
            and self.emu.engine.settings(acct.id, inst.symbol).margin_mode is MarginMode.CROSSED
        ):
            hold = None  # crossed margin has one leverage for both sides; Bitget ignores holdSide there
        settings = self.emu.engine.set_leverage(acct.id, inst.symbol, leverage, hold)  # type: ignore[arg-type]
        return self._ok(
            {
                "symbol": inst.symbol,
                "marginCoin": inst.settle,
                "longLeverage": str(settings.long_leverage),
                "shortLeverage": str(settings.short_leverage),
                "crossMarginLeverage": str(settings.long_leverage),
                "marginMode": settings.margin_mode.value,
            }
        )

    @endpoint("set_margin_mode", "POST", "/api/v2/mix/account/set-margin-mode")
    def set_margin_mode(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "marginMode"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        mode = p.choice("marginMode", wire.MARGIN_MODES, required=True)
        p.finish()
        settings = self.emu.engine.set_margin_mode(ctx.account, inst.symbol, mode)  # type: ignore[arg-type]
        return self._ok(
            {
                "symbol": inst.symbol,
                "marginCoin": inst.settle,
                "longLeverage": str(settings.long_leverage),
                "shortLeverage": str(settings.short_leverage),
                "marginMode": settings.margin_mode.value,
            }
        )

    @endpoint(
        "set_position_mode",
        "POST",
        "/api/v2/mix/account/set-position-mode",
        overrides={Reason.HAS_POSITION_OR_ORDERS: errors.POSITION_MODE_LOCKED},
    )
    def set_position_mode(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"productType", "posMode"})
        product_type = self._product_type(p)
        mode = p.choice("posMode", wire.POS_MODES, required=True)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            raise errors.bad_param("productType", "the emulator serves USDT-FUTURES only")
        self.emu.engine.set_position_mode(ctx.account, mode)  # type: ignore[arg-type]
        return self._ok({"posMode": "hedge_mode" if mode is PositionMode.HEDGE else "one_way_mode"})

    # ------------------------------------------------------------------ private: orders

    def _direction(self, acct: Account, p: Params) -> tuple[Side, PositionSide | None, bool]:
        """(trade side, hedge position, reduce-only) from Bitget's side/tradeSide/reduceOnly.

        Hedge mode names the position: ``buy`` + ``open`` opens a long, ``buy`` + ``close`` closes it
        (a sell on the market). One-way mode ignores tradeSide and reads reduceOnly.
        """
        side = p.choice("side", wire.SIDES, required=True)
        trade_side = p.choice("tradeSide", wire.TRADE_SIDES)
        reduce_only = p.choice("reduceOnly", wire.YES_NO, default=False)
        assert side is not None
        if acct.position_mode is PositionMode.HEDGE:
            if trade_side is None:
                raise errors.empty("tradeSide")
            pos_side = PositionSide.of(side)
            if trade_side == "close":
                return side.opposite, pos_side, True
            return side, pos_side, False
        return side, None, bool(reduce_only)

    def _client_oid(self, p: Params) -> str | None:
        oid = p.str("clientOid", max_len=64)
        if oid is not None and len(oid) >= 50:
            raise BitgetError("40305", "client_oid length is greater than 50")
        return oid

    @endpoint("place_order", "POST", "/api/v2/mix/order/place-order", places_order=True)
    def place_order(self, ctx: CallContext) -> Response:
        p = self._json(
            ctx,
            {
                "symbol",
                "productType",
                "marginMode",
                "marginCoin",
                "size",
                "price",
                "side",
                "tradeSide",
                "orderType",
                "force",
                "clientOid",
                "reduceOnly",
                "presetStopSurplusPrice",
                "presetStopLossPrice",
                "presetStopSurplusExecutePrice",
                "presetStopLossExecutePrice",
                "stpMode",
            },
        )
        inst, acct = self._order_target(ctx, p)
        margin_mode = p.choice("marginMode", wire.MARGIN_MODES, required=True)
        size = p.decimal("size", required=True)
        order_type = p.choice("orderType", wire.ORDER_TYPES, required=True)
        price = p.decimal("price")
        if order_type is OrderType.LIMIT and price is None:
            raise errors.empty("price")
        force = p.choice("force", wire.FORCES, default=wire.FORCES["gtc"])
        side, pos_side, reduce_only = self._direction(acct, p)
        client_oid = self._client_oid(p)
        tp = p.decimal("presetStopSurplusPrice")
        sl = p.decimal("presetStopLossPrice")
        tp_limit = p.decimal("presetStopSurplusExecutePrice", allow_zero=True) or None
        sl_limit = p.decimal("presetStopLossExecutePrice", allow_zero=True) or None
        p.choice("stpMode", STP_MODES)
        p.finish()
        ratio = ctx.fill_ratio
        order = self.emu.engine.place_order(
            acct.id,
            OrderRequest(
                symbol=inst.symbol,
                side=side,
                type=order_type,
                qty=size,
                price=price if order_type is OrderType.LIMIT else None,
                tif=force,
                pos_side=pos_side,
                reduce_only=reduce_only,
                margin_mode=margin_mode,
                client_oid=client_oid,
                take_profit=tp,
                stop_loss=sl,
                take_profit_limit=tp_limit,
                stop_loss_limit=sl_limit,
                fill_ratio=Decimal(str(ratio)) if ratio else None,
            ),
        )  # type: ignore[arg-type]
        return self._ok({"orderId": order.id, "clientOid": order.client_oid})

    @endpoint("place_plan_order", "POST", "/api/v2/mix/order/place-plan-order", places_order=True)
    def place_plan_order(self, ctx: CallContext) -> Response:
        p = self._json(
            ctx,
            {
                "planType",
                "symbol",
                "productType",
                "marginMode",
                "marginCoin",
                "size",
                "price",
                "callbackRatio",
                "triggerPrice",
                "triggerType",
                "side",
                "tradeSide",
                "orderType",
                "clientOid",
                "reduceOnly",
                "executePrice",
                "force",
                "stopSurplusTriggerPrice",
                "stopSurplusExecutePrice",
                "stopSurplusTriggerType",
                "stopLossTriggerPrice",
                "stopLossExecutePrice",
                "stopLossTriggerType",
                "stpMode",
            },
        )
        inst, acct = self._order_target(ctx, p)
        plan_type = p.choice(
            "planType", {"normal_plan": "normal_plan", "track_plan": "track_plan"}, required=True
        )
        if plan_type == "track_plan":
            raise BitgetError(
                "40017", "Parameter verification failed: trailing (track_plan) orders are not emulated"
            )
        margin_mode = p.choice("marginMode", wire.MARGIN_MODES, required=True)
        size = p.decimal("size", required=True)
        order_type = p.choice("orderType", wire.ORDER_TYPES, required=True)
        trigger = p.decimal("triggerPrice", required=True)
        trigger_type = p.choice("triggerType", wire.TRIGGER_TYPES, required=True)
        execute = p.decimal("executePrice", allow_zero=True) or p.decimal("price", allow_zero=True) or None
        if order_type is OrderType.LIMIT and execute is None:
            raise errors.empty("executePrice")
        side, pos_side, reduce_only = self._direction(acct, p)
        client_oid = self._client_oid(p)
        tp = p.decimal("stopSurplusTriggerPrice")
        sl = p.decimal("stopLossTriggerPrice")
        for name in ("stopSurplusExecutePrice", "stopLossExecutePrice"):
            p.decimal(name, allow_zero=True)
        for name in ("stopSurplusTriggerType", "stopLossTriggerType"):
            p.choice(name, wire.TRIGGER_TYPES)
        p.choice("force", wire.FORCES)
        p.decimal("callbackRatio")
        p.choice("stpMode", STP_MODES)
        p.finish()
        trig = self.emu.engine.place_trigger(
            acct.id,
            TriggerRequest(
                symbol=inst.symbol,
                kind=TriggerKind.PLAN,
                trigger_price=trigger,
                side=side,
                qty=size,  # type: ignore[arg-type]
                execute_price=execute if order_type is OrderType.LIMIT else None,
                pos_side=pos_side,
                reduce_only=reduce_only,
                margin_mode=margin_mode,
                client_oid=client_oid,
                take_profit=tp,
                stop_loss=sl,
                meta={"triggerType": trigger_type},  # type: ignore[dict-item]
            ),
        )
        return self._ok({"orderId": trig.id, "clientOid": trig.client_oid})

    @endpoint(
        "place_tpsl_order",
        "POST",
        "/api/v2/mix/order/place-tpsl-order",
        places_order=True,
        overrides={
            Reason.NO_POSITION: ("40891", "Insufficient position, can not set take profit or stop loss")
        },
    )
    def place_tpsl_order(self, ctx: CallContext) -> Response:
        p = self._json(
            ctx,
            {
                "marginCoin",
                "productType",
                "symbol",
                "planType",
                "triggerPrice",
                "triggerType",
                "executePrice",
                "holdSide",
                "size",
                "rangeRate",
                "clientOid",
                "orderType",
                "force",
                "stpMode",
            },
        )
        inst, acct = self._order_target(ctx, p)
        kind = p.choice("planType", wire.TPSL_PLAN_TYPES, required=True)
        trigger = p.decimal("triggerPrice", required=True)
        trigger_type = p.choice("triggerType", wire.TRIGGER_TYPES, default="mark_price")
        execute = p.decimal("executePrice", allow_zero=True) or None
        hold = p.choice("holdSide", wire.HOLD_SIDES, required=True)
        size = p.decimal("size")
        client_oid = self._client_oid(p)
        order_type = p.choice("orderType", wire.ORDER_TYPES)
        p.choice("force", wire.FORCES)
        p.decimal("rangeRate")
        p.choice("stpMode", STP_MODES)
        p.finish()
        if kind in (TriggerKind.PARTIAL_PROFIT, TriggerKind.PARTIAL_LOSS) and size is None:
            raise errors.empty("size")
        trig = self.emu.engine.place_trigger(
            acct.id,
            TriggerRequest(
                symbol=inst.symbol,
                kind=kind,
                trigger_price=trigger,
                qty=size,  # type: ignore[arg-type]
                execute_price=execute if order_type is not OrderType.MARKET else None,
                pos_side=hold,
                client_oid=client_oid,
                meta={"triggerType": trigger_type},  # type: ignore[dict-item]
            ),
        )
        return self._ok({"orderId": trig.id, "clientOid": trig.client_oid})

    @endpoint("order_detail", "GET", "/api/v2/mix/order/detail")
    def order_detail(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "orderId", "clientOid"})
        inst = self._market(p)
        order_id = p.str("orderId", max_len=32)
        client_oid = p.str("clientOid", max_len=64)
        p.finish()
        if order_id is None and client_oid is None:
            raise errors.empty("orderId")
        acct = self._account(ctx)
        found = self.emu.engine.find_order(acct.id, order_id=order_id, client_oid=client_oid)
        if not isinstance(found, Order) or found.symbol != inst.symbol:
            # Plan orders have no detail endpoint; an order of another symbol is "not found" too.
            raise EngineError(Reason.ORDER_NOT_FOUND, "")
        return self._ok(wire.order_row(found, inst, "state"))

    def _order_list(self, ctx: CallContext, *, open_: bool) -> Response:
        p = self._query(
            ctx,
            {
                "symbol",
                "productType",
                "orderId",
                "clientOid",
                "status",
                "idLessThan",
                "startTime",
                "endTime",
                "limit",
            },
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        order_id = p.str("orderId", max_len=32)
        client_oid = p.str("clientOid", max_len=64)
        status = (
            p.choice("status", {"live": "live", "partially_filled": "partially_filled"}) if open_ else None
        )
        acct = self._account(ctx)
        orders = [
            o
            for o in (acct.working.values() if open_ else acct.orders.values())
            if (open_ or not o.status.is_open)
            and (inst is None or o.symbol == inst.symbol)
            and (order_id is None or o.id == order_id)
            and (client_oid is None or o.client_oid == client_oid)
            and (status is None or o.status.value == status)
        ]
        page = self._page(orders, p, key=lambda o: o.created_ms, id_of=lambda o: o.id)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = [wire.order_row(o, self.emu.engine.instruments[o.symbol], "status") for o in page]
        return self._ok({"entrustedList": rows or None, "endId": rows[-1]["orderId"] if rows else None})

    @endpoint("orders_pending", "GET", "/api/v2/mix/order/orders-pending")
    def orders_pending(self, ctx: CallContext) -> Response:
        return self._order_list(ctx, open_=True)

    @endpoint("orders_history", "GET", "/api/v2/mix/order/orders-history")
    def orders_history(self, ctx: CallContext) -> Response:
        return self._order_list(ctx, open_=False)

    def _plan_list(self, ctx: CallContext, *, live: bool) -> Response:
        p = self._query(
            ctx,
            {
                "symbol",
                "productType",
                "planType",
                "orderId",
                "clientOid",
                "idLessThan",
                "startTime",
                "endTime",
                "limit",
                "planStatus",
            },
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        kinds = p.choice("planType", {k: v for k, v in wire.PLAN_FILTERS.items()}, required=True)
        order_id = p.str("orderId", max_len=32)
        client_oid = p.str("clientOid", max_len=64)
        p.choice("planStatus", {"executed": 1, "fail_trigger": 2, "cancelled": 3})
        acct = self._account(ctx)
        triggers = [
            t
            for t in (acct.live.values() if live else acct.triggers.values())
            if (live or t.id not in acct.live)
            and t.kind in kinds  # type: ignore[operator]
            and (inst is None or t.symbol == inst.symbol)
            and (order_id is None or t.id == order_id)
            and (client_oid is None or t.client_oid == client_oid)
        ]
        page = self._page(triggers, p, key=lambda t: t.created_ms, id_of=lambda t: t.id)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = [self._plan_row(acct, t) for t in page]
        return self._ok({"entrustedList": rows or None, "endId": rows[-1]["orderId"] if rows else None})

    @endpoint("orders_plan_pending", "GET", "/api/v2/mix/order/orders-plan-pending")
    def orders_plan_pending(self, ctx: CallContext) -> Response:
        return self._plan_list(ctx, live=True)

    @endpoint("orders_plan_history", "GET", "/api/v2/mix/order/orders-plan-history")
    def orders_plan_history(self, ctx: CallContext) -> Response:
        return self._plan_list(ctx, live=False)

    @endpoint(
        "cancel_order",
        "POST",
        "/api/v2/mix/order/cancel-order",
        overrides={Reason.ORDER_NOT_FOUND: errors.CANCEL_NOT_FOUND},
    )
    def cancel_order(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "orderId", "clientOid"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        order_id = p.str("orderId", max_len=32)
        client_oid = p.str("clientOid", max_len=64)
        p.finish()
        if order_id is None and client_oid is None:
            raise errors.empty("orderId")
        acct = self._account(ctx)
        found = self.emu.engine.find_order(acct.id, order_id=order_id, client_oid=client_oid)
        if not isinstance(found, Order) or found.symbol != inst.symbol:
            raise EngineError(Reason.ORDER_NOT_FOUND, "")
        order = self.emu.engine.cancel_order(acct.id, order_id=found.id)
        return self._ok({"orderId": order.id, "clientOid": order.client_oid})

    def _cancel_listed(
        self,
        acct: Account,
        items: list[Any],
        *,
        match: Callable[[Order | TriggerOrder], bool],
        cancel: Callable[[str], Order | TriggerOrder],
        failure: tuple[str, str],
    ) -> dict[str, list[dict[str, str]]]:
        """Cancel each ``{"orderId"|"clientOid"}`` of an ``orderIdList``; what cannot be cancelled goes to
        the failure list with the venue's code, as Bitget's batch answers do."""
        if not items or len(items) > 50:
            raise errors.bad_param("orderIdList", "1 to 50 entries")
        success: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        for item in items:
            if not isinstance(item, dict) or not set(item) <= {"orderId", "clientOid"}:
                raise errors.bad_param("orderIdList")
            order_id = str(item["orderId"]) if item.get("orderId") else None
            client_oid = str(item["clientOid"]) if item.get("clientOid") else None
            if order_id is None and client_oid is None:
                raise errors.bad_param("orderIdList", "each entry needs orderId or clientOid")
            try:
                found = self.emu.engine.find_order(acct.id, order_id=order_id, client_oid=client_oid)
                if not match(found):
                    raise EngineError(Reason.ORDER_NOT_FOUND, "")
                done = cancel(found.id)
                success.append({"orderId": done.id, "clientOid": done.client_oid})
            except EngineError:
                code, msg = failure
                failed.append(
                    {
                        "orderId": order_id or "",
                        "clientOid": client_oid or "",
                        "errorMsg": msg,
                        "errorCode": code,
                    }
                )
        return {"successList": success, "failureList": failed}

    @endpoint("cancel_plan_order", "POST", "/api/v2/mix/order/cancel-plan-order")
    def cancel_plan_order(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "orderIdList", "planType"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        self._check_margin_coin(p, inst)
        # Without planType Bitget means normal_plan; ccxt users cancelling a TP/SL by id often omit it,
        # so an id is matched across every plan type (a lookup by id cannot pick the wrong order).
        kinds = p.choice("planType", wire.PLAN_FILTERS)
        items = p.list("orderIdList")
        p.finish()
        acct = self._account(ctx)
        eng = self.emu.engine
        if items is None:
            wanted = kinds if kinds is not None else wire.PLAN_FILTERS["normal_plan"]
            done = eng.cancel_all_triggers(acct.id, inst.symbol if inst else None, wanted)
            return self._ok(_cancelled(done))
        return self._ok(
            self._cancel_listed(
                acct,
                items,
                match=lambda o: (
                    isinstance(o, TriggerOrder)
                    and (inst is None or o.symbol == inst.symbol)
                    and (kinds is None or o.kind in kinds)
                ),
                cancel=lambda oid: eng.cancel_trigger(acct.id, trigger_id=oid),
                failure=("43025", "notExistend"),
            )
        )

    @endpoint("batch_cancel", "POST", "/api/v2/mix/order/batch-cancel-orders")
    def batch_cancel(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "orderIdList"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        self._check_margin_coin(p, inst)
        items = p.list("orderIdList")
        p.finish()
        acct = self._account(ctx)
        eng = self.emu.engine
        if items is None:
            if inst is None:
                raise errors.empty("symbol")
            return self._ok(_cancelled(eng.cancel_all_orders(acct.id, inst.symbol)))
        return self._ok(
            self._cancel_listed(
                acct,
                items,
                match=lambda o: isinstance(o, Order) and (inst is None or o.symbol == inst.symbol),
                cancel=lambda oid: eng.cancel_order(acct.id, order_id=oid),
                failure=("40768", "Order does not exist"),
            )
        )

    @endpoint("close_positions", "POST", "/api/v2/mix/order/close-positions", places_order=True)
    def close_positions(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "holdSide"})
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        hold = p.choice("holdSide", {"long": PositionSide.LONG, "short": PositionSide.SHORT})
        p.finish()
        acct = self._account(ctx)
        eng = self.emu.engine
        if acct.position_mode is PositionMode.ONE_WAY:
            hold = None  # holdSide is ignored in one-way mode
        symbols = [inst.symbol] if inst else sorted({p_.symbol for p_ in acct.open_positions()})
        targets = [
            s for s in symbols if any(hold is None or pos.side is hold for pos in acct.open_positions(s))
        ]
        if not targets:
            raise EngineError(Reason.NO_POSITION, "")
        success = []
        for s in targets:
            for order in eng.close_positions(acct.id, s, hold):
                success.append({"orderId": order.id, "clientOid": order.client_oid, "symbol": s})
        return self._ok({"successList": success, "failureList": []})

    def _fills(self, ctx: CallContext) -> Response:
        p = self._query(
            ctx, {"symbol", "productType", "orderId", "idLessThan", "startTime", "endTime", "limit"}
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        order_id = p.str("orderId", max_len=32)
        acct = self._account(ctx)
        fills = [
            f
            for f in acct.fills
            if (inst is None or f.symbol == inst.symbol) and (order_id is None or f.order_id == order_id)
        ]
        page = self._page(fills, p, key=lambda f: f.t_ms, id_of=lambda f: f.id)
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = []
        for f in page:
            order = acct.orders[f.order_id]
            rows.append(wire.fill_row(f, hedge=order.pos_side is not None))
        return self._ok({"fillList": rows or None, "endId": rows[-1]["tradeId"] if rows else None})

    @endpoint("fills", "GET", "/api/v2/mix/order/fills")
    def fills(self, ctx: CallContext) -> Response:
        return self._fills(ctx)

    @endpoint("fill_history", "GET", "/api/v2/mix/order/fill-history")
    def fill_history(self, ctx: CallContext) -> Response:
        return self._fills(ctx)

    @endpoint("bills", "GET", "/api/v2/mix/account/bill")
    def bills(self, ctx: CallContext) -> Response:
        p = self._query(
            ctx,
            {
                "productType",
                "coin",
                "symbol",
                "businessType",
                "onlyFunding",
                "startTime",
                "endTime",
                "limit",
                "idLessThan",
            },
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        coin = p.str("coin", max_len=16)
        business = p.str("businessType", max_len=40)
        p.str("onlyFunding", max_len=8)
        acct = self._account(ctx)
        rows = [
            wire.bill_row(b)
            for b in acct.bills
            if (inst is None or b.symbol == inst.symbol) and (coin is None or b.coin == coin.upper())
        ]
        if business is not None:
            rows = [r for r in rows if r["businessType"] == business]
        page = self._page(rows, p, key=lambda r: int(r["cTime"]), id_of=lambda r: r["billId"])
        p.finish()
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        return self._ok({"bills": page, "endId": page[-1]["billId"] if page else None})
