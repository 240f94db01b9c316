"""An unmodified ccxt.binanceusdm against the Binance emulator over HTTP: every method the envs and
third-party clients use, with their common parameters, answers a complete unified structure."""

from __future__ import annotations

import itertools
import time

import ccxt
import pytest

from tests.integration.binance_support import BTC, ETH
from torchtrade.ccxt_util import point_ccxt
from torchtrade.emulator.clients import ccxt_client


@pytest.fixture
def bx(binance_exchange):
    return binance_exchange


def test_load_markets_in_every_mode_reaches_the_emulator(binance_emulator):
    """Production mode (which also asks /sapi for currencies), demo trading and the old testnet."""
    for kwargs in ({}, {"demo": True}, {"sandbox": True}):
        ex = ccxt_client(binance_emulator.url, "binanceusdm", enableRateLimit=False, **kwargs)
        ex.load_markets()
        assert set(ex.markets) == {BTC, ETH}
        m = ex.market(BTC)
        assert (m["id"], m["swap"], m["linear"], m["settle"]) == ("BTCUSDT", True, True, "USDT")
        assert (m["precision"]["price"], m["precision"]["amount"]) == (0.1, 0.001)
        assert m["limits"]["cost"]["min"] == 100
        assert m["limits"]["amount"]["min"] == 0.001
        assert ex.fetch_balance()["USDT"]["total"] == 10_000  # a private call works in every mode
    paths = {r["path"] for r in binance_emulator.control.ledger("request")}
    assert {"/fapi/v1/exchangeInfo", "/sapi/v1/capital/config/getall", "/fapi/v3/account"} <= paths


def test_urls_keep_their_api_paths(binance_emulator):
    ex = ccxt.binanceusdm()
    ex.enable_demo_trading(True)
    point_ccxt(ex, "http://127.0.0.1:9")
    assert ex.urls["api"]["fapiPublic"] == "http://127.0.0.1:9/fapi/v1"
    assert ex.urls["api"]["fapiPrivateV3"] == "http://127.0.0.1:9/fapi/v3"


def test_time_and_candles(bx, binance_emulator):
    now = bx.fetch_time()
    assert now == binance_emulator.control.status()["now"]
    candles = bx.fetch_ohlcv(BTC, "1m", limit=5)
    assert len(candles) == 5
    assert candles[-1][0] == now - now % 60_000  # the forming candle is the newest, as on Binance
    assert all(b[0] - a[0] == 60_000 for a, b in itertools.pairwise(candles))
    since = candles[0][0] - 100 * 60_000
    page = bx.fetch_ohlcv(BTC, "1m", since=since, limit=3)
    assert [c[0] for c in page] == [since, since + 60_000, since + 120_000]  # from startTime on
    until = bx.fetch_ohlcv(BTC, "5m", limit=2, params={"until": since})
    assert until[-1][0] <= since
    mark = bx.fetch_ohlcv(BTC, "1h", limit=3, params={"price": "mark"})
    assert [c[0] for c in mark] == [c[0] for c in bx.fetch_ohlcv(BTC, "1h", limit=3)]


def test_klines_serve_up_to_1500(bx, binance_emulator, tmp_path):
    """1500 is Binance's futures maximum (ccxt itself asks 1000 at most): through the implicit API."""
    lines = ["timestamp,open,high,low,close,volume"]
    for i in range(3000):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 - 1_700_000_000 % 60 + 60 * i))
        lines.append(f"{stamp},100,101,99,100.5,3")
    (tmp_path / "long.csv").write_text("\n".join(lines) + "\n")
    binance_emulator.control.reset(data=[f"BTC/USDT:USDT={tmp_path / 'long.csv'}"], history_bars=2500)
    rows = bx.fapiPublicGetKlines({"symbol": "BTCUSDT", "interval": "1m", "limit": 1500})
    assert len(rows) == 1500
    assert len(rows[0]) == 12
    assert rows[0][6] == rows[0][0] + 59_999
    more = bx.fapiPublicGetKlines({"symbol": "BTCUSDT", "interval": "1m", "limit": 5000})
    assert [r[0] for r in more] == [r[0] for r in rows]


def test_ticker_book_and_prices(bx):
    t = bx.fetch_ticker(BTC)
    assert t["last"] > 0
    assert t["high"] >= t["last"] >= t["low"] > 0
    assert t["baseVolume"] > 0
    assert t["quoteVolume"] > 0
    assert t["open"] > 0
    assert set(bx.fetch_tickers()) == {BTC, ETH}
    book = bx.fetch_order_book(BTC, 5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert book["bids"][0][0] < book["asks"][0][0]
    assert bx.fetch_bids_asks([BTC])[BTC]["bid"] == book["bids"][0][0]
    assert bx.fetch_last_prices([BTC])[BTC]["price"] == t["last"]
    assert bx.fetch_mark_price(BTC)["markPrice"] == t["last"]


def test_public_trades_aggregate_and_recent(bx):
    recent = bx.fetch_trades(BTC, limit=8)
    assert len(recent) == 8
    assert all(a["timestamp"] <= b["timestamp"] for a, b in itertools.pairwise(recent))
    assert all(t["price"] > 0 and t["amount"] > 0 and t["side"] in ("buy", "sell") for t in recent)
    since = recent[0]["timestamp"] - 3_600_000
    forward = bx.fetch_trades(BTC, since=since, limit=5)
    assert forward[0]["timestamp"] >= since
    assert len(forward) == 5
    plain = bx.fapiPublicGetTrades({"symbol": "BTCUSDT", "limit": 3})
    assert [set(r) for r in plain] == [{"id", "price", "qty", "quoteQty", "time", "isBuyerMaker"}] * 3
    again = bx.fetch_trades(BTC, limit=8)
    assert [t["id"] for t in again] == [t["id"] for t in recent]  # stable ids


def test_funding_rate_history_interest_and_tiers(bx):
    rate = bx.fetch_funding_rate(BTC)
    assert rate["fundingRate"] == 0.0001
    # ccxt reads premiumIndex's nextFundingTime as the funding timestamp
    assert 0 < rate["fundingTimestamp"] - bx.fetch_time() <= 8 * 3_600_000
    assert rate["fundingTimestamp"] % (8 * 3_600_000) == 0
    history = bx.fetch_funding_rate_history(BTC, limit=5)
    assert history
    assert all(h["fundingRate"] == 0.0001 for h in history)
    assert all(h["timestamp"] % (8 * 3_600_000) == 0 for h in history)
    assert bx.fetch_funding_interval(BTC)["interval"] == "8h"
    oi = bx.fetch_open_interest(BTC)
    assert oi["openInterestAmount"] == 0
    bx.create_order(BTC, "market", "buy", 0.01)
    assert bx.fetch_open_interest(BTC)["openInterestAmount"] == 0.01
    (tier,) = bx.fetch_market_leverage_tiers(BTC)
    assert (tier["maxLeverage"], tier["maintenanceMarginRate"], tier["minNotional"]) == (125, 0.004, 0)
    tiers = bx.fetch_leverage_tiers([BTC, ETH])
    assert set(tiers) == {BTC, ETH}
    fee = bx.fetch_trading_fee(BTC)
    assert (fee["maker"], fee["taker"]) == (0.0002, 0.0005)


def test_balance_positions_and_a_market_round_trip(bx):
    bal = bx.fetch_balance()["USDT"]
    assert (bal["total"], bal["free"], bal["used"]) == (10_000, 10_000, 0)
    assert bx.fetch_positions([BTC]) == []
    bx.set_leverage(5, BTC)
    order = bx.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "rt-open"})
    assert (order["status"], order["filled"], order["clientOrderId"]) == ("closed", 0.01, "rt-open")
    assert order["average"] > 0
    assert order["cost"] == pytest.approx(order["average"] * 0.01)
    (pos,) = bx.fetch_positions([BTC])
    assert (pos["side"], pos["contracts"], pos["marginMode"], pos["hedged"]) == ("long", 0.01, "cross", False)
    assert pos["entryPrice"] == order["average"]
    assert pos["initialMargin"] == pytest.approx(pos["notional"] / 5, rel=1e-6)
    assert pos["markPrice"] > 0
    assert pos["liquidationPrice"] is None  # a crossed 5x long on 10,000 USDT cannot be liquidated
    (v2,) = bx.fetch_positions([BTC], params={"useV2": True})
    assert (v2["leverage"], v2["marginMode"]) == (5, "cross")
    (acc,) = bx.fetch_positions([BTC], params={"method": "account"})
    assert acc["contracts"] == 0.01
    assert acc["side"] == "long"
    bal = bx.fetch_balance()["USDT"]
    assert bal["used"] == pytest.approx(pos["initialMargin"], rel=1e-3)
    close = bx.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    assert close["status"] == "closed"
    assert close["reduceOnly"] is True
    assert bx.fetch_positions([BTC]) == []
    trades = bx.fetch_my_trades(BTC)
    assert [t["side"] for t in trades] == ["buy", "sell"]
    assert all(t["fee"]["currency"] == "USDT" and t["fee"]["cost"] > 0 for t in trades)
    assert trades[0]["order"] == order["id"]
    later = bx.fetch_my_trades(BTC, since=trades[1]["timestamp"])
    assert trades[1]["id"] in [t["id"] for t in later]
    wallet = 10_000 + sum(float(t["info"]["realizedPnl"]) - t["fee"]["cost"] for t in trades)
    assert bx.fetch_balance()["USDT"]["total"] == pytest.approx(wallet, abs=1e-6)


def test_limit_orders_lookups_lists_and_cancels(bx, binance_emulator):
    last = bx.fetch_ticker(BTC)["last"]
    low = round(last * 0.9, 1)
    params = {"clientOrderId": "lim-a", "timeInForce": "GTC"}
    a = bx.create_order(BTC, "limit", "buy", 0.01, low, params=params)
    b = bx.create_order(BTC, "limit", "buy", 0.02, low)
    assert a["status"] == "open"
    assert a["price"] == low
    assert a["timeInForce"] == "GTC"
    assert bx.fetch_order(a["id"], BTC)["clientOrderId"] == "lim-a"
    assert bx.fetch_order(None, BTC, params={"clientOrderId": "lim-a"})["id"] == a["id"]
    assert bx.fetch_open_order(a["id"], BTC)["status"] == "open"
    assert [o["id"] for o in bx.fetch_open_orders(BTC)] == [a["id"], b["id"]]
    assert bx.fetch_balance()["USDT"]["used"] > 0  # margin reserved by resting orders
    canceled = bx.cancel_order(a["id"], BTC)
    assert canceled["status"] == "canceled"
    assert bx.cancel_order(None, BTC, params={"clientOrderId": b["clientOrderId"]})["status"] == "canceled"
    assert bx.fetch_open_orders(BTC) == []
    c = bx.create_order(BTC, "limit", "buy", 0.01, low)
    bx.cancel_all_orders(BTC)
    assert bx.fetch_order(c["id"], BTC)["status"] == "canceled"
    filled = bx.create_order(BTC, "limit", "buy", 0.01, round(last * 1.01, 1), params={"timeInForce": "IOC"})
    assert filled["status"] == "closed"  # marketable: takes the book at once
    assert [o["id"] for o in bx.fetch_closed_orders(BTC)] == [filled["id"]]
    assert {o["id"] for o in bx.fetch_canceled_orders(BTC)} == {a["id"], b["id"], c["id"]}
    assert len(bx.fetch_orders(BTC)) == 4
    post = bx.create_order(BTC, "limit", "sell", 0.01, round(last * 1.2, 1), params={"postOnly": True})
    assert post["postOnly"] is True
    assert post["status"] == "open"


def test_a_resting_limit_fills_along_the_bars(bx, binance_emulator):
    last = bx.fetch_ticker(BTC)["last"]
    order = bx.create_order(BTC, "limit", "sell", 0.01, round(last * 1.002, 1))
    for _ in range(600):
        binance_emulator.control.advance(bars=1)
        if bx.fetch_order(order["id"], BTC)["status"] == "closed":
            break
    done = bx.fetch_order(order["id"], BTC)
    assert done["status"] == "closed"
    assert done["average"] == order["price"]
    (trade,) = bx.fetch_my_trades(BTC)
    assert trade["takerOrMaker"] == "maker"


def test_settings_leverage_margin_mode_position_mode(bx):
    assert bx.set_leverage(7, BTC)["leverage"] == 7
    assert bx.fetch_leverage(BTC)["longLeverage"] == 7
    assert bx.set_margin_mode("isolated", BTC)["code"] == 200
    assert bx.fetch_margin_mode(BTC)["marginMode"] == "isolated"
    with pytest.raises(ccxt.MarginModeAlreadySet):  # -4046 "No need to change margin type."
        bx.set_margin_mode("isolated", BTC)
    assert bx.fetch_position_mode(BTC)["hedged"] is False
    bx.set_position_mode(True)
    assert bx.fetch_position_mode(BTC)["hedged"] is True
    bx.create_order(BTC, "market", "buy", 0.01, params={"positionSide": "LONG"})
    # a position locks the margin and position modes
    with pytest.raises(ccxt.OperationRejected, match="-4048"):
        bx.set_margin_mode("cross", BTC)
    with pytest.raises(ccxt.OperationRejected, match="-4068"):
        bx.set_position_mode(False)


def test_hedge_mode_with_position_sides(bx):
    bx.set_position_mode(True)
    with pytest.raises(ccxt.OperationRejected, match="-4061"):
        bx.create_order(BTC, "market", "buy", 0.01)  # hedge mode needs a position side
    bx.create_order(BTC, "market", "buy", 0.02, params={"positionSide": "LONG"})
    bx.create_order(BTC, "market", "sell", 0.01, params={"positionSide": "SHORT"})
    legs = {p["side"]: p for p in bx.fetch_positions([BTC])}
    assert (legs["long"]["contracts"], legs["short"]["contracts"]) == (0.02, 0.01)
    assert legs["long"]["hedged"] is True
    assert legs["short"]["info"]["positionAmt"] == "-0.01"
    # Closing names the position: a SELL on the LONG side; more than the position is refused.
    with pytest.raises(ccxt.ExchangeError, match="-2022"):
        bx.create_order(BTC, "market", "sell", 0.03, params={"positionSide": "LONG"})
    bx.create_order(BTC, "market", "sell", 0.02, params={"positionSide": "LONG"})
    (short,) = bx.fetch_positions([BTC])
    assert short["side"] == "short"
    # ccxt's unified hedged flag: a reduce-only buy closes the short.
    bx.create_order(BTC, "market", "buy", 0.01, params={"hedged": True, "reduceOnly": True})
    assert bx.fetch_positions([BTC]) == []
    sides = [t["info"]["positionSide"] for t in bx.fetch_my_trades(BTC)]
    assert sides == ["LONG", "SHORT", "LONG", "SHORT"]


def test_isolated_margin_positions(bx):
    bx.set_margin_mode("isolated", BTC)
    bx.set_leverage(10, BTC)
    bx.create_order(BTC, "market", "sell", 0.01)
    (pos,) = bx.fetch_positions([BTC])
    assert (pos["marginMode"], pos["side"]) == ("isolated", "short")
    assert pos["collateral"] == pytest.approx(float(pos["info"]["isolatedMargin"]))
    assert pos["liquidationPrice"] > pos["entryPrice"]


def test_income_history_books_pnl_commission_and_deposit(bx):
    bx.create_order(BTC, "market", "buy", 0.01)
    bx.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    rows = bx.fapiPrivateGetIncome()
    kinds = [r["incomeType"] for r in rows]
    assert kinds.count("COMMISSION") == 2
    assert kinds.count("TRANSFER") == 1
    total = sum(float(r["income"]) for r in rows)
    assert total == pytest.approx(bx.fetch_balance()["USDT"]["total"], abs=1e-6)
    ledger = bx.fetch_ledger("USDT")
    assert {e["type"] for e in ledger} == {"transfer", "commission", "trade"}


def test_a_standalone_binance_server_from_the_cli():
    from torchtrade.emulator.process import serve_in_subprocess

    with serve_in_subprocess("--venue", "binance", "--start", "now", "--weight-limit", "100000") as served:
        ex = ccxt_client(served.url, "binanceusdm", demo=True, enableRateLimit=False)
        ex.load_markets()
        assert abs(ex.fetch_time() - time.time() * 1000) < 30_000
        assert ex.fetch_balance()["USDT"]["total"] == 10_000
        assert ex.create_order(BTC, "market", "buy", 0.01)["status"] == "closed"
        info = ex.fapiPublicGetExchangeInfo()
        assert info["rateLimits"][0]["limit"] == 100_000
    assert "binance at" in served.output
    assert "passphrase" not in served.output
