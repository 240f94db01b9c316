"""Every ccxt.bitget method that maps to a route the emulator serves, with the params users pass.

The real venue takes whatever the installed ccxt sends; so must the emulator. Each test runs the
methods through an unmodified ccxt client and asserts that every request was answered with success,
and that the only parameters the emulator ignored are the ones Bitget does not document for that
route (the ledger lists ignored names per request).

Not served, hence not here: ``edit_order`` (``modify-order``), trailing (``track_plan``) orders,
``add_margin``/``reduce_margin`` (``set-margin``), long/short ratios, spot/margin/UTA-only methods,
deposits and transfers.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import defaultdict

import ccxt
import pytest

from tests.conftest import BTC

MIN_MS = 60_000


def failed_requests(emulator, since: int) -> list[dict]:
    return [r for r in emulator.control.ledger("request", since=since) if r["status"] != 200]


def ignored_by_route(emulator, since: int = 0) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in emulator.control.ledger("request", since=since):
        out[r["route"]].update(r.get("ignored", ()))
    return {k: v for k, v in out.items() if v}


@pytest.fixture
def start(exchange, emulator) -> int:
    """The ledger position after load_markets (whose UTA probe is refused on purpose)."""
    return len(emulator.control.ledger())


def prices(exchange) -> tuple[float, float]:
    """Whole prices 10 % below and above the last one (resting and trigger orders)."""
    last = exchange.fetch_ticker(BTC)["last"]
    return float(int(last * 0.9)), float(int(last * 1.1))


def test_market_data(exchange, emulator, start):
    now = exchange.fetch_time()
    exchange.fetch_ohlcv(BTC, "1m", since=now - 3_600_000, limit=10)
    exchange.fetch_ohlcv(BTC, "5m", limit=10, params={"until": now})
    exchange.fetch_ohlcv(BTC, "1h", since=now - 86_400_000, limit=5, params={"until": now})
    for price in ("mark", "index"):
        exchange.fetch_ohlcv(BTC, "1m", limit=10, params={"price": price})
    exchange.fetch_ticker(BTC)
    exchange.fetch_tickers([BTC, "ETH/USDT:USDT"])
    exchange.fetch_tickers()
    exchange.fetch_order_book(BTC)
    exchange.fetch_order_book(BTC, 5)
    exchange.fetch_funding_rate(BTC)
    exchange.fetch_funding_rate(BTC, {"method": "publicMixGetV2MixMarketFundingTime"})
    exchange.fetch_funding_rates([BTC])
    exchange.fetch_funding_rate_history(BTC, limit=5)
    exchange.fetch_funding_interval(BTC)
    assert exchange.fetch_trading_fee(BTC)["taker"] == 0.0006
    exchange.fetch_trading_fees()
    assert failed_requests(emulator, start) == []
    assert ignored_by_route(emulator, start) == {}


def test_account_and_settings(exchange, emulator, start):
    exchange.fetch_balance()
    exchange.fetch_balance({"type": "swap"})
    exchange.fetch_leverage(BTC)
    exchange.fetch_margin_mode(BTC)
    exchange.set_margin_mode("isolated", BTC)
    # ccxt users pass the margin mode to set_leverage (ccxt forwards it; Bitget ignores it there).
    exchange.set_leverage(5, BTC, {"marginMode": "isolated"})
    exchange.set_leverage(4, BTC, {"holdSide": "long", "marginMode": "isolated"})
    exchange.set_margin_mode("cross", BTC)
    exchange.set_leverage(3, BTC, {"marginMode": "cross"})
    exchange.set_position_mode(False, BTC)
    exchange.create_order(BTC, "market", "buy", 0.01)
    emulator.control.advance(bars=8 * 60)  # past a funding settlement
    exchange.fetch_position(BTC)
    exchange.fetch_positions([BTC])
    exchange.fetch_positions()
    now = exchange.fetch_time()
    assert exchange.fetch_funding_history(BTC, now - 86_400_000, 10)  # what freqtrade calls on exit
    exchange.fetch_funding_history(BTC)
    exchange.fetch_ledger("USDT", now - 86_400_000, 50, {"until": now})
    exchange.fetch_ledger("USDT", params={"symbol": BTC})
    exchange.fetch_my_trades(BTC, now - 86_400_000, 50, {"until": now})
    exchange.fetch_my_trades(BTC)
    assert failed_requests(emulator, start) == []
    # Bitget documents neither field on these routes: ccxt sends them and the venue ignores them.
    assert ignored_by_route(emulator, start) == {"set_leverage": {"marginMode"}, "bills": {"marginCoin"}}


def test_what_bots_read_beyond_orders(exchange, emulator, start):
    """Position tiers, public trades, open interest, mark price, closed positions, intervals."""
    now = exchange.fetch_time()
    exchange.fetch_market_leverage_tiers(BTC)
    exchange.fetch_market_leverage_tiers(BTC, {"marginMode": "cross"})
    exchange.fetch_trades(BTC)
    exchange.fetch_trades(BTC, now - 600_000, 50, {"until": now})
    exchange.fetch_trades(BTC, limit=5000)  # ccxt caps it at 1000
    exchange.fetch_trades(BTC, now - 600_000, params={"paginate": True, "paginationCalls": 2})
    exchange.fetch_trades(BTC, limit=20, params={"method": "publicMixGetV2MixMarketFills"})
    exchange.fetch_open_interest(BTC)
    exchange.fetch_mark_price(BTC)
    exchange.fetch_funding_intervals()
    exchange.fetch_funding_intervals([BTC, "ETH/USDT:USDT"])
    for price in ("mark", "index"):
        exchange.fetch_ohlcv(BTC, "1m", now - 3_600_000, 10, {"price": price, "useHistoryEndpoint": True})
    exchange.create_order(BTC, "market", "buy", 0.01)
    exchange.close_position(BTC)
    exchange.fetch_positions_history()
    exchange.fetch_positions_history([BTC], now - 86_400_000, 10, {"until": now + 60_000})
    exchange.fetch_my_trades(BTC, now - 86_400_000, params={"paginate": True})
    exchange.fetch_ledger("USDT", now - 86_400_000, params={"paginate": True})
    exchange.fetch_canceled_and_closed_orders(BTC, now - 86_400_000, params={"paginate": True})
    assert failed_requests(emulator, start) == []
    # ccxt reads useHistoryEndpoint and still forwards it: the venue ignores it.
    assert ignored_by_route(emulator, start) == {
        "history_mark_candles": {"useHistoryEndpoint"},
        "history_index_candles": {"useHistoryEndpoint"},
    }


def test_create_order_params(exchange, emulator, start):
    lo, hi = prices(exchange)
    orders = [
        ("market", "buy", None, {"stopLoss": {"triggerPrice": lo}, "takeProfit": {"triggerPrice": hi}}),
        (
            "market",
            "buy",
            None,
            {
                "stopLoss": {"triggerPrice": lo, "price": lo - 10},
                "takeProfit": {"triggerPrice": hi, "price": hi + 10},
                "marginMode": "cross",
            },
        ),
        ("limit", "buy", lo, {"postOnly": True}),
        ("limit", "buy", lo, {"timeInForce": "PO"}),
        ("limit", "buy", lo, {"timeInForce": "GTC", "clientOrderId": "ccxt-gtc-1"}),
        ("limit", "buy", lo, {"timeInForce": "IOC"}),
        ("limit", "buy", lo, {"timeInForce": "FOK"}),
        ("limit", "buy", lo, {"force": "gtc", "clientOid": "raw-oid+1#"}),
        ("market", "sell", None, {"reduceOnly": True}),
        ("market", "buy", None, {"oneWayMode": True, "marginMode": "cross"}),
        ("market", "sell", None, {"hedged": False}),
        ("market", "buy", None, {"triggerPrice": hi}),  # a float: ccxt sends it as a JSON number
        ("limit", "buy", hi, {"triggerPrice": hi, "triggerType": "fill_price"}),
        ("market", "buy", None, {"triggerPrice": hi, "triggerPriceType": "mark_price"}),
        ("market", "buy", None, {"triggerPrice": hi, "stopLoss": {"triggerPrice": lo}}),
        ("market", "buy", None, {"stopPrice": hi}),
        ("market", "sell", None, {"stopLossPrice": lo}),
        ("market", "sell", None, {"takeProfitPrice": hi}),
        ("limit", "sell", hi, {"takeProfitPrice": hi}),
        ("market", "buy", None, {"stpMode": "cancel_taker"}),
    ]
    for type_, side, price, params in orders:
        exchange.create_order(BTC, type_, side, 0.01, price, params)
    exchange.create_stop_loss_order(BTC, "market", "sell", 0.01, None, lo)
    exchange.create_take_profit_order(BTC, "market", "sell", 0.01, None, hi)
    exchange.create_market_buy_order(BTC, 0.01)
    exchange.create_limit_sell_order(BTC, 0.01, hi)
    assert failed_requests(emulator, start) == []
    # ccxt turns triggerPriceType into Bitget's triggerType but forwards the original too.
    assert ignored_by_route(emulator, start) == {"place_plan_order": {"triggerPriceType"}}


def test_order_queries_and_cancels(exchange, emulator, start):
    lo, hi = prices(exchange)
    filled = exchange.create_order(BTC, "market", "buy", 0.02, params={"clientOrderId": "entry-1"})
    for i in range(4):
        exchange.create_order(BTC, "limit", "buy", 0.01, lo - i, params={"clientOrderId": f"rest-{i}"})
    for i in range(3):
        exchange.create_order(BTC, "market", "buy", 0.01, params={"triggerPrice": hi + i})
    exchange.create_order(BTC, "market", "sell", 0.01, params={"stopLossPrice": lo})
    now = exchange.fetch_time()
    exchange.fetch_order(filled["id"], BTC)
    exchange.fetch_order(None, BTC, {"clientOrderId": "entry-1"})
    exchange.fetch_open_orders(BTC)
    exchange.fetch_open_orders()
    exchange.fetch_open_orders(BTC, now - 1000, 10, {"until": now + 1000})
    exchange.fetch_open_orders(BTC, params={"clientOrderId": "rest-1"})
    for flag in (
        {"trigger": True},
        {"stop": True},
        {"planType": "profit_loss"},
        {"trigger": True, "planType": "pos_loss"},
    ):
        exchange.fetch_open_orders(BTC, params=flag)
    exchange.fetch_closed_orders(BTC)
    exchange.fetch_closed_orders(BTC, now - 3_600_000, 10, {"until": now + 1000})
    exchange.fetch_closed_orders(BTC, params={"trigger": True})
    exchange.fetch_canceled_orders(BTC)
    exchange.fetch_canceled_and_closed_orders(BTC)
    exchange.fetch_canceled_and_closed_orders(BTC, params={"trigger": True, "planType": "normal_plan"})
    resting = [o["id"] for o in exchange.fetch_open_orders(BTC)]
    plans = [o["id"] for o in exchange.fetch_open_orders(BTC, params={"trigger": True})]
    exchange.cancel_order(resting[0], BTC)
    exchange.cancel_order(None, BTC, {"clientOrderId": "rest-1"})
    exchange.cancel_orders(resting[2:3], BTC)
    exchange.cancel_order(plans[0], BTC, {"trigger": True})
    exchange.cancel_orders(plans[1:2], BTC, {"trigger": True})
    exchange.cancel_orders(plans[2:3], BTC, {"stop": True})
    exchange.cancel_all_orders(BTC)
    exchange.cancel_all_orders(BTC, {"trigger": True})
    exchange.cancel_all_orders(BTC, {"stop": True})
    exchange.cancel_all_orders(BTC, {"trigger": True, "planType": "profit_loss"})
    assert exchange.fetch_open_orders(BTC) == []
    assert exchange.fetch_open_orders(BTC, params={"planType": "profit_loss"}) == []
    exchange.close_position(BTC)
    exchange.create_order(BTC, "market", "sell", 0.01)
    exchange.close_position(BTC, "short")
    exchange.create_order(BTC, "market", "buy", 0.01)
    exchange.create_order("ETH/USDT:USDT", "market", "sell", 0.1)
    exchange.close_all_positions()
    with pytest.raises(ccxt.ExchangeError, match="22002"):  # nothing left to close
        exchange.close_all_positions({"productType": "USDT-FUTURES"})
    assert exchange.fetch_positions() == []
    failures = failed_requests(emulator, start)
    assert [(r["route"], r["status"]) for r in failures] == [("close_positions", 400)]
    assert ignored_by_route(emulator, start) == {}


def test_hedge_mode(exchange, emulator, start):
    lo, _ = prices(exchange)
    exchange.set_position_mode(True, BTC)
    exchange.create_order(BTC, "market", "buy", 0.02, params={"hedged": True})
    exchange.create_order(BTC, "market", "sell", 0.01, params={"hedged": True, "marginMode": "cross"})
    exchange.create_order(BTC, "market", "buy", 0.01, params={"oneWayMode": False})
    exchange.create_order(BTC, "market", "sell", 0.01, params={"hedged": True, "stopLossPrice": lo})
    exchange.create_order(BTC, "market", "buy", 0.01, params={"hedged": True, "takeProfitPrice": lo})
    exchange.create_order(
        BTC, "market", "buy", 0.01, params={"hedged": True, "stopLoss": {"triggerPrice": lo}}
    )
    exchange.create_order(BTC, "market", "sell", 0.01, params={"hedged": True, "reduceOnly": True})
    exchange.set_leverage(3, BTC, {"holdSide": "short"})
    assert {p["side"] for p in exchange.fetch_positions([BTC])} == {"long", "short"}
    exchange.close_position(BTC, "short")
    exchange.close_position(BTC, "long")
    assert exchange.fetch_positions([BTC]) == []
    assert failed_requests(emulator, start) == []
    assert ignored_by_route(emulator, start) == {}


# A script as a ccxt user (or a bot such as freqtrade) writes it: plain ccxt, only the URLs changed.
# It runs in its own interpreter, so nothing of torchtrade's is involved on the client side.
THIRD_PARTY_SCRIPT = textwrap.dedent(
    """
    import sys

    import ccxt

    ex = ccxt.bitget({
        "apiKey": "emulator-key", "secret": "emulator-secret", "password": "emulator-passphrase",
        "options": {"defaultType": "swap"}, "enableRateLimit": False,
    })
    for name in ex.urls["api"]:
        ex.urls["api"][name] = sys.argv[1]
    pair = "BTC/USDT:USDT"
    ex.load_markets()
    candles = ex.fetch_ohlcv(pair, "5m", limit=100)
    assert len(candles) == 100, len(candles)
    assert ex.fetch_balance()["USDT"]["free"] == 10000
    ex.set_margin_mode("isolated", pair)
    ex.set_leverage(3, pair, params={"marginMode": "isolated"})
    last = ex.fetch_ticker(pair)["last"]
    entry = ex.create_order(
        pair, "market", "buy", 0.01,
        params={"marginMode": "isolated", "timeInForce": "GTC", "stopLoss": {"triggerPrice": last * 0.95}},
    )
    order = ex.fetch_order(entry["id"], pair)
    assert order["status"] == "closed", order["status"]
    (position,) = ex.fetch_positions([pair])
    assert position["contracts"] == 0.01 and position["marginMode"] == "isolated"
    ex.fetch_funding_history(pair, since=order["timestamp"])
    exit_ = ex.close_position(pair)
    assert ex.fetch_order(exit_["id"], pair)["side"] == "sell"
    assert ex.fetch_positions([pair]) == []
    ex.fetch_funding_history(pair, since=order["timestamp"])
    ex.fetch_my_trades(pair, since=order["timestamp"])
    print("ok")
    """
)


def test_an_unmodified_third_party_script(emulator):
    result = subprocess.run(
        [sys.executable, "-c", THIRD_PARTY_SCRIPT, emulator.url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
    assert emulator.control.ledger("internal_error") == []
    assert failed_requests(emulator, 0) == [
        r for r in failed_requests(emulator, 0) if r["route"] == "uta_settings"
    ]
