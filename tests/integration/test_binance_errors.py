"""Binance's own error codes and HTTP statuses for every kind of refusal, through ccxt and raw HTTP;
a refused request changes nothing. Signatures, keys, timestamps and recvWindow are checked as
Binance checks them."""

from __future__ import annotations

import ccxt
import pytest
import requests

from tests.integration.binance_support import BTC, code_of, raw

MARKET = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}


@pytest.fixture
def bx(binance_exchange):
    return binance_exchange


def state(emulator) -> tuple:
    c = emulator.control
    return c.orders(), c.positions(), c.balances(), c.fills()


def refused(emulator, method: str, path: str, params: dict, **kwargs) -> dict:
    """A raw request that must be refused with a 4xx and leave the venue as it was."""
    before = state(emulator)
    resp = raw(emulator.url, method, path, params, **kwargs)
    assert 400 <= resp.status_code < 500, resp.text
    assert state(emulator) == before
    body = resp.json()
    assert set(body) == {"code", "msg"}
    return {"status": resp.status_code, **body}


# ----------------------------------------------------------------------------- through ccxt


def test_bad_symbol_is_1121(bx):
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        bx.fapiPublicGetKlines({"symbol": "NOPEUSDT", "interval": "1m"})
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        bx.fapiPrivatePostOrder({**MARKET, "symbol": "ETHBTC"})


def test_margin_insufficient_is_2019(bx, binance_emulator):
    before = state(binance_emulator)
    with pytest.raises(ccxt.ExchangeError) as e:
        bx.create_order(BTC, "market", "buy", 100)
    assert code_of(e.value) == -2019
    # ccxt keys its linear table by Binance's host names; on them -2019 is InsufficientFunds.
    assert bx.exceptions["linear"]["exact"]["-2019"] is ccxt.InsufficientFunds
    assert state(binance_emulator) == before


def test_notional_below_the_minimum_is_4164(bx):
    with pytest.raises(ccxt.ExchangeError) as e:
        bx.create_order(BTC, "market", "buy", 0.001)  # ~17 USDT: BTCUSDT's minimum is 100
    assert code_of(e.value) == -4164
    assert "no smaller than 100" in str(e.value)


def test_reduce_only_orders_are_exempt_from_the_minimum_notional(bx):
    bx.create_order(BTC, "market", "buy", 0.01)
    part = bx.create_order(BTC, "market", "sell", 0.001, params={"reduceOnly": True})  # ~17 USDT
    assert part["filled"] == 0.001
    assert bx.fetch_positions([BTC])[0]["contracts"] == 0.009


def test_precision_and_step_are_1111_and_4014(bx, binance_emulator):
    r = refused(binance_emulator, "POST", "/fapi/v1/order", {**MARKET, "quantity": "0.0015"})
    assert r["code"] == -1111
    limit = {**MARKET, "type": "LIMIT", "timeInForce": "GTC", "price": "15000.123"}
    assert refused(binance_emulator, "POST", "/fapi/v1/order", limit)["code"] == -1111
    assert (
        refused(binance_emulator, "POST", "/fapi/v1/order", {**limit, "price": "15000.15"})["code"] == -4014
    )
    with pytest.raises(ccxt.BadRequest, match="-1111"):
        bx.fapiPrivatePostOrder({**MARKET, "quantity": "0.0001"})


def test_quantities_zero_negative_and_too_large(binance_emulator):
    assert refused(binance_emulator, "POST", "/fapi/v1/order", {**MARKET, "quantity": "0"})["code"] == -4003
    assert refused(binance_emulator, "POST", "/fapi/v1/order", {**MARKET, "quantity": "-1"})["code"] == -1100
    assert (
        refused(binance_emulator, "POST", "/fapi/v1/order", {**MARKET, "quantity": "1e-3"})["code"] == -1100
    )
    assert (
        refused(binance_emulator, "POST", "/fapi/v1/order", {**MARKET, "quantity": "2000000"})["code"]
        == -4005
    )


def test_position_side_mismatch_is_4061(bx, binance_emulator):
    with pytest.raises(ccxt.OperationRejected, match="-4061"):
        bx.create_order(BTC, "market", "buy", 0.01, params={"positionSide": "LONG"})  # one-way mode
    bad = refused(binance_emulator, "POST", "/fapi/v1/order", {**MARKET, "positionSide": "UP"})
    assert bad["code"] == -4060


def test_reduce_only_with_nothing_to_reduce_is_2022(bx):
    with pytest.raises(ccxt.ExchangeError, match="-2022"):
        bx.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})


def test_duplicate_client_ids_among_open_orders_and_reuse_once_closed(bx, binance_emulator):
    px = round(bx.fetch_ticker(BTC)["last"] * 0.9, 1)
    first = bx.create_order(BTC, "limit", "buy", 0.01, px, params={"clientOrderId": "dup-1"})
    with pytest.raises(ccxt.ExchangeError) as e:
        bx.create_order(BTC, "limit", "buy", 0.01, px, params={"clientOrderId": "dup-1"})
    assert code_of(e.value) == -4116
    bx.cancel_order(first["id"], BTC)
    # Binance: "a unique id among open orders": free again once the order is closed.
    second = bx.create_order(BTC, "limit", "buy", 0.02, px, params={"clientOrderId": "dup-1"})
    assert bx.fetch_order(None, BTC, params={"clientOrderId": "dup-1"})["id"] == second["id"]
    assert bx.fetch_order(first["id"], BTC)["clientOrderId"] == "dup-1"


def test_unknown_orders_are_2013_on_queries_and_2011_on_cancels(bx):
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        bx.fetch_order("123", BTC)
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        bx.fetch_order(None, BTC, params={"clientOrderId": "never"})
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        bx.cancel_order("123", BTC)
    filled = bx.create_order(BTC, "market", "buy", 0.01)
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        bx.cancel_order(filled["id"], BTC)
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        bx.fetch_open_order(filled["id"], BTC)  # filled: not an open order
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        bx.fetch_order(filled["id"], "ETH/USDT:USDT")  # another symbol's order
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        bx.fetch_order("123", BTC, params={"trigger": True})
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        bx.cancel_order("123", BTC, params={"trigger": True})


def test_leverage_out_of_range_is_4028(binance_emulator):
    for value in ("0", "126", "1000"):
        r = refused(binance_emulator, "POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": value})
        assert r["code"] == -4028
    r = refused(binance_emulator, "POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": "1.5"})
    assert r["code"] == -1100


# ----------------------------------------------------------------------------- request format


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"symbol": None}, -1102),
        ({"side": None}, -1102),
        ({"quantity": None}, -1102),
        ({"side": "LONG"}, -1117),
        ({"type": "BEST"}, -1116),
        ({"type": "STOP_MARKET"}, -4120),
        ({"type": "TAKE_PROFIT"}, -4120),
        ({"price": "17000"}, -1106),
        ({"type": "LIMIT", "price": "17000"}, -1102),  # no timeInForce
        ({"type": "LIMIT", "timeInForce": "GTC"}, -1102),  # no price
        ({"type": "LIMIT", "price": "17000", "timeInForce": "DAY"}, -1115),
        ({"type": "LIMIT", "price": "17000", "timeInForce": "GTD"}, -1130),
        ({"newClientOrderId": "bad id!"}, -1100),
        ({"newClientOrderId": "x" * 37}, -1100),
        ({"reduceOnly": "maybe"}, -1130),
        ({"closePosition": "true"}, -1106),
        ({"stopPrice": "16000"}, -1106),
        ({"priceMatch": "QUEUE"}, -1130),
    ],
)
def test_order_parameters(binance_emulator, change, code):
    params = {**MARKET, **change}
    params = {k: v for k, v in params.items() if v is not None}
    assert refused(binance_emulator, "POST", "/fapi/v1/order", params)["code"] == code


def test_lookups_need_an_id(binance_emulator):
    r = refused(binance_emulator, "GET", "/fapi/v1/order", {"symbol": "BTCUSDT"})
    assert (r["code"], r["msg"]) == (
        -1102,
        "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!",
    )
    assert (
        refused(binance_emulator, "GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": "12a"})["code"]
        == -1100
    )
    assert refused(binance_emulator, "GET", "/fapi/v1/algoOrder", {})["code"] == -1102


def test_market_data_parameters(binance_emulator):
    base = {"symbol": "BTCUSDT", "interval": "1m"}
    assert (
        refused(binance_emulator, "GET", "/fapi/v1/klines", {**base, "interval": "7m"}, signed=False)["code"]
        == -1120
    )
    r = refused(
        binance_emulator, "GET", "/fapi/v1/klines", {**base, "startTime": "5", "endTime": "4"}, signed=False
    )
    assert r["code"] == -1023
    assert (
        refused(binance_emulator, "GET", "/fapi/v1/klines", {**base, "limit": "ten"}, signed=False)["code"]
        == -1100
    )
    assert (
        refused(binance_emulator, "GET", "/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": "7"}, signed=False)[
            "code"
        ]
        == -1130
    )
    span = {"symbol": "BTCUSDT", "startTime": "0", "endTime": str(2 * 3_600_000)}
    assert refused(binance_emulator, "GET", "/fapi/v1/aggTrades", span, signed=False)["code"] == -1127


def test_unknown_paths_are_404(binance_emulator):
    resp = requests.get(binance_emulator.url + "/fapi/v1/nothing", timeout=5)
    assert resp.status_code == 404
    assert resp.json() == {"code": -5000, "msg": "Path /fapi/v1/nothing, Method GET is invalid"}
    resp = requests.put(binance_emulator.url + "/fapi/v1/order", timeout=5)  # a method not served
    assert resp.json() == {"code": -5000, "msg": "Path /fapi/v1/order, Method PUT is invalid"}


# ----------------------------------------------------------------------------- authentication


def test_api_key_missing_or_unknown(bx, binance_emulator):
    r = refused(binance_emulator, "GET", "/fapi/v3/account", {}, key=None)
    assert (r["status"], r["code"]) == (401, -2014)
    r = refused(binance_emulator, "GET", "/fapi/v3/account", {}, key="nobody")
    assert (r["status"], r["code"]) == (401, -2015)
    bx.apiKey = "nobody"
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        bx.fetch_balance()


def test_signature_checks(bx, binance_emulator):
    r = refused(binance_emulator, "POST", "/fapi/v1/order", MARKET, spoil_signature=True)
    assert (r["status"], r["code"]) == (400, -1022)
    # A signature over the query string, the body sent unsigned: totalParams is query + body.
    resp = raw(binance_emulator.url, "POST", "/fapi/v1/order", MARKET, in_body=False)
    assert resp.status_code == 200  # the query alone, signed, is fine
    bx.secret = "not-the-secret"
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        bx.fetch_balance()


def test_timestamp_and_recv_window(bx, binance_emulator):
    import time

    now = int(time.time() * 1000)
    assert refused(binance_emulator, "GET", "/fapi/v3/account", {}, timestamp=now - 20_000)["code"] == -1021
    r = refused(binance_emulator, "GET", "/fapi/v3/account", {}, timestamp=now + 5_000)
    assert (r["code"], r["msg"]) == (
        -1021,
        "Timestamp for this request was 1000ms ahead of the server's time.",
    )
    ok = raw(binance_emulator.url, "GET", "/fapi/v3/account", {"recvWindow": "30000"}, timestamp=now - 20_000)
    assert ok.status_code == 200
    assert refused(binance_emulator, "GET", "/fapi/v3/account", {"recvWindow": "60001"})["code"] == -1130
    assert refused(binance_emulator, "GET", "/fapi/v3/account", {"recvWindow": "x"})["code"] == -1100
    assert refused(binance_emulator, "GET", "/fapi/v3/account", {}, timestamp="12x")["code"] == -1100
    # The emulator's own present is a valid server time too (a client synced to /fapi/v1/time).
    emu_now = binance_emulator.control.status()["now"]
    assert raw(binance_emulator.url, "GET", "/fapi/v3/account", {}, timestamp=emu_now).status_code == 200
    bx.options["timeDifference"] = 120_000  # ccxt signs two minutes behind
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        bx.fetch_balance()


def test_missing_timestamp_or_signature(binance_emulator):
    resp = requests.get(
        binance_emulator.url + "/fapi/v3/account", headers={"X-MBX-APIKEY": "emulator-key"}, timeout=5
    )
    assert (resp.status_code, resp.json()["code"]) == (400, -1102)
    assert "timestamp" in resp.json()["msg"]
    resp = requests.get(
        binance_emulator.url + "/fapi/v3/account?timestamp=1",
        headers={"X-MBX-APIKEY": "emulator-key"},
        timeout=5,
    )
    assert "signature" in resp.json()["msg"]


# ----------------------------------------------------------------------------- settings


def test_margin_type_and_position_mode_refusals(bx, binance_emulator):
    with pytest.raises(ccxt.OperationRejected, match="-4059"):
        bx.set_position_mode(False)  # already one-way
    px = round(bx.fetch_ticker(BTC)["last"] * 0.9, 1)
    bx.create_order(BTC, "limit", "buy", 0.01, px)
    with pytest.raises(ccxt.OperationRejected, match="-4047"):
        bx.set_margin_mode("isolated", BTC)
    with pytest.raises(ccxt.OperationRejected, match="-4067"):
        bx.set_position_mode(True)
