"""Venue errors reach ccxt as the ccxt classes that real Bitget answers map to."""

from __future__ import annotations

import time

import ccxt
import pytest
import requests

from tests.conftest import BTC
from torchtrade.emulator.clients import ccxt_client
from torchtrade.emulator.venues.base import Credentials


def test_wrong_secret_is_an_authentication_error(emulator):
    creds = Credentials(api_key="emulator-key", api_secret="not-the-secret", passphrase="emulator-passphrase")
    ex = ccxt_client(emulator.url, credentials=creds, enableRateLimit=False, options={"uta": False})
    with pytest.raises(ccxt.AuthenticationError, match="40009"):
        ex.fetch_balance()


def test_wrong_passphrase_and_unknown_key_are_authentication_errors(emulator):
    for creds, code in [
        (Credentials(api_key="emulator-key", api_secret="emulator-secret", passphrase="nope"), "40012"),
        (Credentials(api_key="who", api_secret="emulator-secret", passphrase="emulator-passphrase"), "40037"),
    ]:
        ex = ccxt_client(emulator.url, credentials=creds, enableRateLimit=False, options={"uta": False})
        with pytest.raises(ccxt.AuthenticationError, match=code):
            ex.fetch_balance()


def test_a_stale_timestamp_is_refused(exchange):
    exchange.options["timeDifference"] = 120_000  # the client's clock runs two minutes late
    with pytest.raises(ccxt.InvalidNonce, match="40008"):
        exchange.fetch_balance()


def test_order_value_below_the_minimum_is_an_invalid_order(exchange, emulator):
    # 0.0002 BTC is above the minimum size but worth less than the 5 USDT minimum.
    with pytest.raises(ccxt.InvalidOrder, match="45110"):
        exchange.create_order(BTC, "market", "buy", 0.0002)
    assert emulator.control.ledger("fill") == []


def test_size_finer_than_the_lot_is_an_invalid_order(exchange):
    # ccxt would round the size itself; the raw endpoint shows what the venue answers.
    body = {
        "symbol": "BTCUSDT",
        "productType": "USDT-FUTURES",
        "marginMode": "crossed",
        "marginCoin": "USDT",
        "size": "0.00015",
        "side": "buy",
        "orderType": "market",
    }
    with pytest.raises(ccxt.InvalidOrder, match="40808"):
        exchange.privateMixPostV2MixOrderPlaceOrder(body)


def test_not_enough_margin_is_insufficient_funds(exchange, emulator):
    with pytest.raises(ccxt.InsufficientFunds, match="40762"):
        exchange.create_order(BTC, "market", "buy", 100)
    assert emulator.control.positions() == []


def test_unknown_symbol(exchange):
    # ccxt knows the venue's markets after load_markets and refuses the symbol itself...
    with pytest.raises(ccxt.BadSymbol):
        exchange.create_order("DOGE/USDT:USDT", "market", "buy", 100)
    # ...and the venue answers an unknown symbol parameter with its own code.
    with pytest.raises(ccxt.ExchangeError, match="40034"):
        exchange.publicMixGetV2MixMarketTicker({"symbol": "FOOUSDT", "productType": "USDT-FUTURES"})


def test_duplicate_client_oid_is_the_venues_duplicate_error(exchange, emulator):
    exchange.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "dup-1"})
    # Bitget answers 40786 "Duplicate clientOid", which ccxt leaves as a plain ExchangeError.
    with pytest.raises(ccxt.ExchangeError, match="40786") as e:
        exchange.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "dup-1"})
    assert "Duplicate clientOid" in str(e.value)
    assert len(emulator.control.ledger("order")) == 1


def test_leverage_out_of_range(exchange):
    with pytest.raises(ccxt.ExchangeError, match="40797"):
        exchange.set_leverage(126, BTC)


def test_order_not_found(exchange):
    with pytest.raises(ccxt.OrderNotFound, match="40109"):
        exchange.fetch_order("1234567890123456789", BTC)
    with pytest.raises(ccxt.OrderNotFound, match="40768"):
        exchange.cancel_order("1234567890123456789", BTC)


def test_margin_and_position_mode_locked_by_a_position(exchange):
    exchange.create_order(BTC, "market", "buy", 0.01)
    with pytest.raises(ccxt.ExchangeError, match="45117"):
        exchange.set_margin_mode("isolated", BTC)
    with pytest.raises(ccxt.ExchangeError, match="40920"):
        exchange.set_position_mode(True, BTC)


def test_stop_loss_on_the_wrong_side_is_an_invalid_order(exchange):
    exchange.create_order(BTC, "market", "buy", 0.01)
    above = exchange.fetch_ticker(BTC)["last"] * 1.05
    with pytest.raises(ccxt.InvalidOrder, match="40917"):
        exchange.create_order(BTC, "market", "sell", 0.01, params={"stopLossPrice": above})


def test_demo_trading_header_is_accepted(emulator):
    ex = ccxt_client(emulator.url, demo=True, enableRateLimit=False)
    ex.load_markets()
    assert ex.fetch_balance()["USDT"]["total"] == 10000


@pytest.mark.parametrize("oid", ["has/slash", "has space", "caf\u00e9", "x" * 50, "nul\x00", "a<b"])
def test_a_client_oid_outside_bitgets_alphabet_is_a_bad_request(exchange, emulator, oid):
    with pytest.raises(ccxt.BadRequest, match="40305"):
        exchange.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": oid})
    with pytest.raises(ccxt.BadRequest, match="40305"):
        exchange.fetch_order(None, BTC, params={"clientOrderId": oid})
    with pytest.raises(ccxt.BadRequest, match="40305"):
        exchange.cancel_order(None, BTC, params={"clientOrderId": oid})
    assert emulator.control.orders() == {"orders": [], "triggers": []}


def test_client_oids_with_plus_and_hash_round_trip_through_ccxt(exchange):
    price = float(int(exchange.fetch_ticker(BTC)["bid"] * 0.9))
    oid = "ft+1#a_b-c"
    exchange.create_order(BTC, "limit", "buy", 0.01, price, params={"clientOrderId": oid})
    assert exchange.fetch_order(None, BTC, params={"clientOrderId": oid})["clientOrderId"] == oid
    assert [o["clientOrderId"] for o in exchange.fetch_open_orders(BTC, params={"clientOid": oid})] == [oid]
    exchange.cancel_order(None, BTC, params={"clientOrderId": oid})
    assert exchange.fetch_order(None, BTC, params={"clientOrderId": oid})["status"] == "canceled"


class TestRequestTime:
    """Every answer, error or not, carries the emulator's time (years away from the wall clock here)."""

    def test_not_found_and_wrong_method(self, emulator):
        now = emulator.control.status()["now"]
        assert abs(now - time.time() * 1000) > 86_400_000  # the replayed data is from the past
        for method, path in [("GET", "/api/v2/mix/market/nothing"), ("DELETE", "/api/v2/mix/market/ticker")]:
            resp = requests.request(method, emulator.url + path, timeout=5)
            assert resp.status_code == 404
            assert resp.json()["requestTime"] == now

    def test_rate_limited(self, emulator):
        emulator.control.add_fault("rate_limit", route="ticker", times=1)
        resp = requests.get(
            emulator.url + "/api/v2/mix/market/ticker",
            params={"symbol": "BTCUSDT", "productType": "USDT-FUTURES"},
            timeout=5,
        )
        assert resp.status_code == 429
        assert resp.json()["requestTime"] == emulator.control.status()["now"]

    def test_internal_error(self, emulator, monkeypatch):
        if emulator.emulator is None:
            pytest.skip("needs the in-process emulator to break a route")

        def broken(*args, **kwargs):
            raise RuntimeError("a bug in the emulator")

        # The narrowest way to reach the catch-all: a bug, which no input can trigger any more.
        monkeypatch.setattr(emulator.emulator.engine, "funding_rate", broken)
        resp = requests.get(
            emulator.url + "/api/v2/mix/market/current-fund-rate",
            params={"symbol": "BTCUSDT", "productType": "USDT-FUTURES"},
            timeout=5,
        )
        assert resp.status_code == 500
        assert resp.json()["requestTime"] == emulator.control.status()["now"]

    def test_business_errors_too(self, exchange, emulator):
        resp = requests.get(
            emulator.url + "/api/v2/mix/market/ticker", params={"symbol": "BTCUSDT"}, timeout=5
        )
        assert resp.status_code == 400
        assert resp.json()["requestTime"] == emulator.control.status()["now"]
