"""An unmodified ccxt.bitget against the emulator, over real HTTP: the issue's acceptance scenarios.

Numbers are computed independently in the tests (from the bundled data file with pandas, and by
hand with the venue's formulas), never read back from the emulator's own code.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pandas as pd
import pytest

from tests.conftest import BTC, bundled_frame

D = Decimal
MIN_MS = 60_000
TICK = D("0.1")  # BTCUSDT on Bitget
TAKER, MAKER, MMR = D("0.0006"), D("0.0002"), D("0.004")


def floor_tick(x: Decimal) -> Decimal:
    return (x / TICK).to_integral_value(ROUND_FLOOR) * TICK


def ceil_tick(x: Decimal) -> Decimal:
    return (x / TICK).to_integral_value(ROUND_CEILING) * TICK


def ms(ts: pd.Timestamp) -> int:
    return int(ts.value // 1_000_000)


def closed_bars(now_ms: int) -> pd.DataFrame:
    df = bundled_frame()
    return df[[ms(t) + MIN_MS <= now_ms for t in df.index]]


def resample(df: pd.DataFrame, rule: str) -> pd.DataFrame:
    agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    return df.resample(rule, label="left", closed="left").agg(agg).dropna()


def as_rows(df: pd.DataFrame) -> list[list[float]]:
    return [[ms(t), r.open, r.high, r.low, r.close, r.volume] for t, r in df.iterrows()]


def same_candles(got: list[list[float]], want: list[list[float]]) -> None:
    assert [c[:5] for c in got] == [c[:5] for c in want]  # timestamps and prices: exact
    for g, w in zip(got, want, strict=True):
        assert math.isclose(g[5], w[5], rel_tol=1e-9, abs_tol=1e-9)


class TestMarketData:
    def test_load_markets_lists_the_replayed_perpetuals(self, exchange, emulator):
        market = exchange.market(BTC)
        assert market["swap"]
        assert market["linear"]
        assert market["settle"] == "USDT"
        assert (market["precision"]["amount"], market["precision"]["price"]) == (0.0001, 0.1)
        assert market["limits"]["amount"]["min"] == 0.0001
        assert market["limits"]["cost"]["min"] == 5
        assert market["limits"]["leverage"]["max"] == 125
        assert "ETH/USDT:USDT" in exchange.markets
        # What load_markets asked: currencies, the unified-account probe (refused: a classic
        # account), spot symbols, margin currencies and the six futures product types.
        requests = emulator.control.ledger("request")
        assert [r["route"] for r in requests] == [
            "coins",
            "uta_settings",
            "spot_symbols",
            "margin_currencies",
            *["contracts"] * 6,
        ]
        assert [r["status"] for r in requests] == [200, 400, *[200] * 8]

    def test_fetch_time_is_the_emulator_clock(self, exchange, emulator):
        before = exchange.fetch_time()
        emulator.control.advance(bars=3)
        assert exchange.fetch_time() == before + 3 * MIN_MS

    def test_1m_candles_are_the_file_rows_with_the_forming_candle_last(self, exchange, emulator):
        emulator.control.advance(bars=2)
        now = exchange.fetch_time()
        closed = closed_bars(now)
        got = exchange.fetch_ohlcv(BTC, "1m", limit=1000)
        *body, forming = got
        same_candles(body, as_rows(closed))
        last = closed.iloc[-1].close
        # Right at a minute boundary the forming 1m candle has no closed bar yet: flat, no volume.
        assert forming == [now, last, last, last, last, 0.0]

    @pytest.mark.parametrize(("timeframe", "rule"), [("5m", "5min"), ("15m", "15min"), ("1h", "1h")])
    def test_higher_timeframes_match_a_pandas_resample(self, exchange, emulator, timeframe, rule):
        emulator.control.advance(bars=2)  # mid-period for 5m, 15m and 1h: the forming candle is partial
        now = exchange.fetch_time()
        want = as_rows(resample(closed_bars(now), rule))
        got = exchange.fetch_ohlcv(BTC, timeframe, limit=1000)
        same_candles(got, want)
        assert got[-1][0] < now < got[-1][0] + exchange.parse_timeframe(timeframe) * 1000  # forming, last

    def test_since_and_limit_page_through_the_history(self, exchange):
        df = bundled_frame()
        start = ms(df.index[0])
        first = exchange.fetch_ohlcv(BTC, "1m", since=start, limit=100)
        second = exchange.fetch_ohlcv(BTC, "1m", since=first[-1][0] + MIN_MS, limit=100)
        same_candles(first + second, as_rows(df.iloc[:200]))

    def test_no_candle_reveals_a_bar_before_it_closes(self, exchange, emulator):
        for _ in range(3):
            now = exchange.fetch_time()
            for tf in ("1m", "5m", "15m"):
                candles = exchange.fetch_ohlcv(BTC, tf, limit=50)
                closed = closed_bars(now)
                assert candles[-1][2] <= closed.high.max()
                assert candles[-1][4] == closed.iloc[-1].close  # the forming candle closes at the last close
            emulator.control.advance(bars=7)

    def test_ticker_and_order_book_sit_around_the_last_close(self, exchange):
        now = exchange.fetch_time()
        last = closed_bars(now).iloc[-1].close
        ticker = exchange.fetch_ticker(BTC)
        assert ticker["last"] == last
        assert ticker["timestamp"] == now
        assert ticker["bid"] < last < ticker["ask"]
        assert ticker["markPrice"] == last
        book = exchange.fetch_order_book(BTC, 5)
        assert book["bids"][0][0] == ticker["bid"]
        assert book["asks"][0][0] == ticker["ask"]
        assert len(book["bids"]) == len(book["asks"]) == 5

    def test_funding_rate(self, exchange):
        rate = exchange.fetch_funding_rate(BTC)
        assert rate["fundingRate"] == 0.0001
        assert rate["interval"] == "8h"
        assert rate["fundingTimestamp"] % (8 * 3600 * 1000) == 0


class TestTrading:
    def test_balance_of_a_new_account(self, exchange):
        balance = exchange.fetch_balance()
        assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}

    def test_isolated_long_with_brackets_position_fields(self, exchange):
        exchange.set_margin_mode("isolated", BTC)
        exchange.set_leverage(10, BTC)
        entry = D(str(exchange.fetch_ticker(BTC)["ask"]))
        qty = D("0.05")
        sl, tp = floor_tick(entry * D("0.97")), ceil_tick(entry * D("1.03"))
        order = exchange.create_order(
            BTC,
            "market",
            "buy",
            float(qty),
            params={
                "marginMode": "isolated",  # Bitget takes the margin mode of each order from the order
                "stopLoss": {"triggerPrice": float(sl)},
                "takeProfit": {"triggerPrice": float(tp)},
            },
        )
        detail = exchange.fetch_order(order["id"], BTC)
        assert detail["status"] == "closed"
        assert detail["average"] == float(entry)
        assert detail["stopLossPrice"] == float(sl)
        assert detail["takeProfitPrice"] == float(tp)
        (pos,) = exchange.fetch_positions([BTC])
        margin = entry * qty / 10
        liq = floor_tick((entry * qty - margin) / (qty * (1 - MMR)))  # hand-computed isolated liquidation
        assert pos["side"] == "long"
        assert pos["contracts"] == float(qty)
        assert pos["entryPrice"] == float(entry)
        assert pos["leverage"] == 10
        assert pos["marginMode"] == "isolated"
        assert pos["hedged"] is False
        assert pos["initialMargin"] == float(margin)
        assert pos["liquidationPrice"] == float(liq)
        # The brackets live on the venue as position TP/SL orders.
        triggers = exchange.fetch_open_orders(BTC, params={"planType": "profit_loss"})
        assert sorted(o["triggerPrice"] for o in triggers) == [float(sl), float(tp)]

    def test_crossed_long_liquidation_price_uses_the_whole_wallet(self, exchange, emulator):
        emulator.control.reset(balances={"USDT": "300"})
        exchange.set_leverage(20, BTC)
        entry = D(str(exchange.fetch_ticker(BTC)["ask"]))
        qty = D("0.1")
        exchange.create_order(BTC, "market", "buy", float(qty))
        (pos,) = exchange.fetch_positions([BTC])
        wallet = D(300) - entry * qty * TAKER
        liq = floor_tick((entry * qty - wallet) / (qty * (1 - MMR)))  # W + (P − E)·Q = mmr·P·Q
        assert pos["marginMode"] == "cross"
        assert pos["leverage"] == 20
        assert pos["liquidationPrice"] == float(liq)

    def test_take_profit_closes_the_position_at_its_price_with_the_fee(self, exchange, emulator):
        entry = D(str(exchange.fetch_ticker(BTC)["ask"]))
        qty = D("0.05")
        tp = ceil_tick(entry * D("1.001"))
        sl = floor_tick(entry * D("0.9"))
        exchange.create_order(
            BTC,
            "market",
            "buy",
            float(qty),
            params={"stopLoss": {"triggerPrice": float(sl)}, "takeProfit": {"triggerPrice": float(tp)}},
        )
        df = bundled_frame()
        now = exchange.fetch_time()
        future = df[[ms(t) >= now for t in df.index]]
        hit = next(i for i, r in enumerate(future.itertuples()) if D(str(r.high)) >= tp)
        emulator.control.advance(bars=hit)  # every bar before the one that crosses the TP
        assert exchange.fetch_positions([BTC])[0]["contracts"] == float(qty)
        emulator.control.advance(bars=1)
        assert exchange.fetch_positions([BTC]) == []
        trades = exchange.fetch_my_trades(BTC)
        close = max(trades, key=lambda t: t["timestamp"])
        assert close["side"] == "sell"
        assert close["price"] == float(tp)
        assert math.isclose(close["fee"]["cost"], float(tp * qty * TAKER), rel_tol=1e-12)
        assert math.isclose(float(close["info"]["profit"]), float((tp - entry) * qty), rel_tol=1e-12)
        # No trigger order outlives its position.
        assert exchange.fetch_open_orders(BTC, params={"planType": "profit_loss"}) == []

    def test_hedge_mode_holds_a_long_and_a_short_at_once(self, exchange):
        exchange.set_position_mode(True, BTC)
        exchange.create_order(BTC, "market", "buy", 0.02, params={"hedged": True})
        exchange.create_order(BTC, "market", "sell", 0.01, params={"hedged": True})
        positions = {p["side"]: p for p in exchange.fetch_positions([BTC])}
        assert set(positions) == {"long", "short"}
        assert positions["long"]["contracts"] == 0.02
        assert positions["short"]["contracts"] == 0.01
        assert all(p["hedged"] for p in positions.values())
        closing = exchange.create_order(
            BTC, "market", "sell", 0.02, params={"hedged": True, "reduceOnly": True}
        )
        detail = exchange.fetch_order(closing["id"], BTC)
        assert detail["side"] == "sell"
        assert detail["reduceOnly"] is True
        assert [p["side"] for p in exchange.fetch_positions([BTC])] == ["short"]

    def test_resting_limit_fills_when_a_later_bar_trades_through_it_and_not_before(self, exchange, emulator):
        now = exchange.fetch_time()
        df = bundled_frame()
        future = df[[ms(t) >= now for t in df.index]]
        price = floor_tick(D(str(future.iloc[:30].low.min())) + TICK)  # reached within 30 bars
        first = next(i for i, r in enumerate(future.itertuples()) if D(str(r.low)) < price)
        order = exchange.create_order(BTC, "limit", "buy", 0.01, float(price))
        for _ in range(first):
            emulator.control.advance(bars=1)
            assert exchange.fetch_order(order["id"], BTC)["status"] == "open"
        emulator.control.advance(bars=1)
        filled = exchange.fetch_order(order["id"], BTC)
        assert filled["status"] == "closed"
        assert filled["average"] == float(price)
        assert math.isclose(filled["fee"]["cost"], float(price * D("0.01") * MAKER), rel_tol=1e-12)

    def test_cancel_and_cancel_all(self, exchange):
        price = float(floor_tick(D(str(exchange.fetch_ticker(BTC)["bid"])) * D("0.9")))
        a = exchange.create_order(BTC, "limit", "buy", 0.01, price, params={"clientOrderId": "keep-1"})
        exchange.create_order(BTC, "limit", "buy", 0.01, price)
        exchange.cancel_order(a["id"], BTC)
        assert exchange.fetch_order(None, BTC, params={"clientOid": "keep-1"})["status"] == "canceled"
        assert len(exchange.fetch_open_orders(BTC)) == 1
        cancelled = exchange.cancel_all_orders(BTC)
        assert len(cancelled) == 1
        assert exchange.fetch_open_orders(BTC) == []
        assert {o["status"] for o in exchange.fetch_closed_orders(BTC)} == set()  # closed = filled only
        assert len(exchange.fetch_canceled_orders(BTC)) == 2

    def test_plan_order_fires_and_shows_in_history(self, exchange, emulator):
        now = exchange.fetch_time()
        df = bundled_frame()
        future = df[[ms(t) >= now for t in df.index]]
        trigger = ceil_tick(D(str(future.iloc[:60].high.max())) - TICK)
        order = exchange.create_order(BTC, "market", "buy", 0.01, params={"triggerPrice": float(trigger)})
        assert [o["id"] for o in exchange.fetch_open_orders(BTC, params={"trigger": True})] == [order["id"]]
        emulator.control.advance(bars=60)
        assert exchange.fetch_open_orders(BTC, params={"trigger": True}) == []
        (done,) = exchange.fetch_closed_orders(BTC, params={"trigger": True})
        assert done["id"] == order["id"]
        assert done["status"] == "closed"
        assert exchange.fetch_positions([BTC])[0]["contracts"] == 0.01

    def test_close_position_and_nothing_to_close(self, exchange):
        exchange.create_order(BTC, "market", "sell", 0.01)
        closing = exchange.close_position(BTC)
        assert exchange.fetch_order(closing["id"], BTC)["side"] == "buy"
        assert exchange.fetch_positions([BTC]) == []
        with pytest.raises(Exception, match="22002"):
            exchange.close_position(BTC)
