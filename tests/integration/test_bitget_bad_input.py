"""Bad input never yields a 500 or a traceback, and never changes state.

Requests are signed here independently of the emulator's code (Bitget's documented prehash), so the
bodies reach the venue exactly as written: not JSON, unknown fields, absurd numbers...
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEY, SECRET, PASSPHRASE = "emulator-key", "emulator-secret", "emulator-passphrase"


def call(
    base_url: str, method: str, path: str, *, query: dict | None = None, body: bytes = b""
) -> requests.Response:
    qs = urllib.parse.urlencode(sorted((query or {}).items()))
    ts = str(int(time.time() * 1000))
    prehash = (
        ts + method + path + (f"?{urllib.parse.unquote(qs)}" if qs else "") + body.decode("utf-8", "replace")
    )
    sign = base64.b64encode(hmac.new(SECRET.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
    headers = {
        "ACCESS-KEY": KEY,
        "ACCESS-SIGN": sign,
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": PASSPHRASE,
        "Content-Type": "application/json",
    }
    url = base_url + path + (f"?{qs}" if qs else "")
    return requests.request(method, url, data=body, headers=headers, timeout=5)


GOOD_ORDER = {
    "symbol": "BTCUSDT",
    "productType": "USDT-FUTURES",
    "marginMode": "crossed",
    "marginCoin": "USDT",
    "size": "0.01",
    "side": "buy",
    "orderType": "market",
}


def order_with(**changes: object) -> bytes:
    body = {**GOOD_ORDER, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


BAD_ORDERS = {
    "missing symbol": order_with(symbol=...),
    "missing size": order_with(size=...),
    "missing side": order_with(side=...),
    "missing productType": order_with(productType=...),
    "non-numeric size": order_with(size="abc"),
    "negative size": order_with(size="-1"),
    "zero size": order_with(size="0"),
    "size as a list": order_with(size=["1"]),
    "size as a bool": order_with(size=True),
    "size as an object": order_with(size={"v": 1}),
    "NaN size": order_with(size="NaN"),
    "infinite size": order_with(size="Infinity"),
    "huge size": order_with(size="1e400"),
    "huge json number": order_with(size=...)[:-1] + b', "size": 1e999}',
    "absurdly precise size": order_with(size="0.0000000000000000000001"),
    "unknown field": order_with(leverage="10"),
    "bad side": order_with(side="sideways"),
    "bad order type": order_with(orderType="stop"),
    "bad margin mode": order_with(marginMode="portfolio"),
    "limit without price": order_with(orderType="limit"),
    "non-numeric price": order_with(orderType="limit", price="cheap"),
    "long client oid": order_with(clientOid="x" * 200),
    "unknown symbol": order_with(symbol="NOPEUSDT"),
    "not json": b"{this is not json",
    "json array": b"[1, 2, 3]",
    "json string": b'"hello"',
    "NaN literal": b'{"size": NaN}',
    "binary garbage": bytes(range(256)),
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", list(BAD_ORDERS.values()), ids=list(BAD_ORDERS))
def test_bad_orders_are_refused_without_changing_state(emulator, body):
    resp = call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=body)
    assert resp.status_code == 400
    answer = resp.json()
    assert answer["code"] != "00000"
    assert answer["data"] is None
    assert answer["msg"]
    assert "Traceback" not in resp.text
    assert emulator.control.ledger("order", "fill", "internal_error") == []
    assert emulator.control.balances()[0]["wallet"] == "10000.00000000"


BAD_QUERIES = [
    ("/api/v2/mix/market/candles", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "granularity": "7m"}),
    (
        "/api/v2/mix/market/candles",
        {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "granularity": "1m", "limit": "many"},
    ),
    (
        "/api/v2/mix/market/candles",
        {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "granularity": "1m", "startTime": "-5"},
    ),
    (
        "/api/v2/mix/market/candles",
        {"symbol": "B" * 5000, "productType": "USDT-FUTURES", "granularity": "1m"},
    ),
    ("/api/v2/mix/market/ticker", {"symbol": "BTCUSDT"}),
    ("/api/v2/mix/market/ticker", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "extra": "1"}),
    ("/api/v2/mix/market/merge-depth", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "limit": "-3"}),
    ("/api/v2/mix/order/detail", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES"}),
    ("/api/v2/mix/order/orders-pending", {"productType": "USDT-FUTURES", "limit": "1000000"}),
    ("/api/v2/mix/order/orders-plan-pending", {"productType": "USDT-FUTURES", "planType": "everything"}),
    ("/api/v2/mix/order/fills", {"productType": "USDT-FUTURES", "startTime": "soon"}),
]


@pytest.mark.parametrize(("path", "query"), BAD_QUERIES)
def test_bad_queries_are_refused(emulator, path, query):
    resp = call(emulator.url, "GET", path, query=query)
    assert resp.status_code == 400
    assert resp.json()["code"] != "00000"
    assert emulator.control.ledger("internal_error") == []


@pytest.mark.parametrize(
    "body",
    [{"leverage": "ten"}, {"leverage": "0"}, {"leverage": "1.5"}, {"leverage": "99999999999999999999999"}],
)
def test_bad_leverage_is_refused(emulator, body):
    full = {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", **body}
    resp = call(emulator.url, "POST", "/api/v2/mix/account/set-leverage", body=json.dumps(full).encode())
    assert resp.status_code == 400
    assert emulator.control.ledger("leverage") == []


def test_unknown_paths_get_the_venues_not_found(emulator):
    resp = requests.get(emulator.url + "/api/v2/mix/market/nothing-here", timeout=5)
    assert resp.status_code == 404
    assert resp.json()["code"] == "40404"
    resp = requests.delete(emulator.url + "/api/v2/mix/market/ticker", timeout=5)
    assert resp.status_code == 404


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["0.01", "-1", "0", "1e30", "buy", "sell", "market", "limit", "YES", "open", "close"]),
)
keys = st.sampled_from(
    [
        *GOOD_ORDER,
        "price",
        "force",
        "clientOid",
        "reduceOnly",
        "tradeSide",
        "presetStopSurplusPrice",
        "presetStopLossPrice",
        "junk",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(keys, values, max_size=4))
def test_fuzzed_orders_never_crash_the_venue(emulator, changes):
    before = len(emulator.control.ledger("order"))
    resp = call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=order_with(**changes))
    assert resp.status_code in (200, 400), resp.text
    answer = resp.json()
    if resp.status_code == 400:
        assert answer["code"] != "00000"
        assert len(emulator.control.ledger("order")) == before  # a refused order left no trace
    else:
        assert answer["code"] == "00000"
        assert answer["data"]["orderId"]
    assert emulator.control.ledger("internal_error") == []
