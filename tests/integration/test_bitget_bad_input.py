"""Bad input never yields a 500 or a traceback, and never changes state.

Requests are signed here independently of the emulator's code (Bitget's documented prehash), so the
bodies reach the venue exactly as written: not JSON, malformed numbers, hostile client ids...
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
    base_url: str,
    method: str,
    path: str,
    *,
    query: dict | None = None,
    body: bytes = b"",
    timestamp: str | None = None,
) -> requests.Response:
    qs = urllib.parse.urlencode(sorted((query or {}).items()))
    ts = timestamp or str(int(time.time() * 1000))
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
    "json number beyond Decimal's exponent range": order_with(size=...)[:-1] + b', "size": 1e1000000}',
    "json number no Decimal can hold": order_with(size=...)[:-1] + b', "size": 1e99999999999999999999}',
    "absurdly precise size": order_with(size="0.0000000000000000000001"),
    "bad side": order_with(side="sideways"),
    "bad order type": order_with(orderType="stop"),
    "bad margin mode": order_with(marginMode="portfolio"),
    "limit without price": order_with(orderType="limit"),
    "non-numeric price": order_with(orderType="limit", price="cheap"),
    "long client oid": order_with(clientOid="x" * 200),
    "client oid of 50 characters": order_with(clientOid="x" * 50),
    **{
        f"client oid with {label}": order_with(clientOid=oid)
        for label, oid in {
            "a lone surrogate": "ab\ud800",
            "NUL": "ab\x00cd",
            "a newline": "ab\ncd",
            "a slash": "ab/cd",
            "a '<'": "<script>",
            "a space": "ab cd",
            "non-ASCII letters": "caf\u00e9",
            "full-width digits": "\uff11\uff12",
            "a dot": "1.5",
        }.items()
    },
    "client oid as a number with a fraction": order_with(clientOid=1.5),
    "client oid as an object": order_with(clientOid={"id": "x"}),
    # One number grammar: ASCII digits, optional '-', one optional point (Python's Decimal accepts
    # all of the following).
    **{
        f"size {text!r}": order_with(size=text)
        for text in [
            "1_0.01",
            "\uff10.01",
            "0.0\u00b2",
            "+0.01",
            " 0.01",
            "0.01 ",
            "0.01\n",
            "1e-2",
            "0x10",
            ".01",
            "1.",
            "0..01",
            "--1",
            "\u0660.01",
            "Infinity",
            "-0.01",
        ]
    },
    "price with an underscore": order_with(orderType="limit", price="16_000"),
    "preset stop loss with a superscript": order_with(presetStopLossPrice="15000\u00b2"),
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
    ("/api/v2/mix/market/ticker", {"symbol": "BTC/USDT", "productType": "USDT-FUTURES"}),
    *[
        (
            "/api/v2/mix/market/candles",
            {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "granularity": "1m", "limit": text},
        )
        for text in ["\u00b2", "1_000", "\uff15", "+5", " 5", "5 ", "5.0", "1e2", "\u0665"]
    ],
    (
        "/api/v2/mix/market/merge-depth",
        {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "limit": "\u00b2"},
    ),
    ("/api/v2/mix/order/fills", {"productType": "USDT-FUTURES", "idLessThan": "\u00b9"}),
    ("/api/v2/mix/order/detail", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "orderId": "12a"}),
    ("/api/v2/mix/order/detail", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "clientOid": "a/b"}),
    ("/api/v2/mix/order/orders-pending", {"productType": "USDT-FUTURES", "clientOid": "a<b"}),
    (
        "/api/v2/mix/order/orders-plan-history",
        {"productType": "USDT-FUTURES", "planType": "normal_plan", "clientOid": "caf\u00e9"},
    ),
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


# (Whitespace around a header value is not part of it in HTTP: clients cannot even send it.)
@pytest.mark.parametrize(
    "timestamp",
    [
        "1670919600000\u00b2",
        "\u00b9670919600000",
        "+1670919600000",
        "-1670919600000",
        "1670919600000.0",
        "1_670",
    ],
)
def test_a_malformed_timestamp_header_is_the_venues_invalid_timestamp(emulator, timestamp):
    resp = call(
        emulator.url,
        "GET",
        "/api/v2/mix/account/accounts",
        query={"productType": "USDT-FUTURES"},
        timestamp=timestamp,
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "40005"  # ccxt: InvalidNonce
    assert emulator.control.ledger("internal_error") == []


def test_full_width_digits_in_the_timestamp_header_are_refused(emulator):
    # A header carries bytes; the UTF-8 of "\uff11" read as Latin-1 (as HTTP says) is no digit either.
    resp = call(
        emulator.url,
        "GET",
        "/api/v2/mix/account/accounts",
        query={"productType": "USDT-FUTURES"},
        timestamp="\uff11\uff16\uff17".encode().decode("latin-1"),
    )
    assert resp.json()["code"] == "40005"


def test_a_lone_surrogate_client_oid_is_refused_and_every_route_keeps_working(emulator):
    body = order_with(clientOid="\ud800")
    assert b"\\ud800" in body  # sent as a JSON escape, as a fuzzer or a careless client does
    resp = call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=body)
    assert resp.status_code == 400
    assert resp.json()["code"] == "40305"
    assert emulator.control.orders() == {"orders": [], "triggers": []}
    for path in (
        "/api/v2/mix/order/orders-history",
        "/api/v2/mix/order/orders-pending",
        "/api/v2/mix/order/fills",
    ):
        answer = call(emulator.url, "GET", path, query={"productType": "USDT-FUTURES"})
        assert answer.status_code == 200, answer.text
    assert emulator.control.ledger("internal_error") == []
    assert len(emulator.control.ledger()) > 0  # the ledger still serialises
    # And the account trades as before.
    assert call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=order_with()).status_code == 200


def test_client_oids_of_the_whole_alphabet_are_accepted(emulator):
    oid = "aZ09-+_#" + "x" * 41  # 49 characters: the longest Bitget takes
    resp = call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=order_with(clientOid=oid))
    assert resp.json()["data"]["clientOid"] == oid
    found = call(
        emulator.url,
        "GET",
        "/api/v2/mix/order/detail",
        query={"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "clientOid": oid},
    )
    assert found.json()["data"]["clientOid"] == oid


def test_unknown_parameters_are_ignored_and_listed_by_name_only(emulator):
    resp = call(
        emulator.url,
        "POST",
        "/api/v2/mix/order/place-order",
        body=order_with(leverage="10", zzNote="do-not-log-this-value"),
    )
    assert resp.status_code == 200, resp.text
    (entry,) = [r for r in emulator.control.ledger("request") if r["route"] == "place_order"]
    assert entry["ignored"] == ["leverage", "zzNote"]
    assert "do-not-log-this-value" not in json.dumps(emulator.control.ledger())
    # Known parameters stay strictly checked whatever else the request carries.
    resp = call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=order_with(size="1_0", junk="1"))
    assert resp.json()["code"] == "40020"


def test_ignored_names_are_escaped_in_the_ledger(emulator):
    body = order_with()[:-1] + b', "\\ud800\\n": 1}'
    resp = call(emulator.url, "POST", "/api/v2/mix/order/place-order", body=body)
    assert resp.status_code == 200, resp.text
    (entry,) = [r for r in emulator.control.ledger("request") if r["route"] == "place_order"]
    assert entry["ignored"] == ["\\ud800\\n"]


def test_a_refused_batch_cancel_cancels_nothing(emulator):
    price = "10000"
    ids = []
    for _ in range(2):
        resp = call(
            emulator.url,
            "POST",
            "/api/v2/mix/order/place-order",
            body=order_with(orderType="limit", price=price),
        )
        ids.append(resp.json()["data"]["orderId"])
    items = [{"orderId": ids[0]}, {"orderId": ids[1]}, {"clientOid": "no/slashes"}]
    body = json.dumps({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "orderIdList": items}).encode()
    resp = call(emulator.url, "POST", "/api/v2/mix/order/batch-cancel-orders", body=body)
    assert resp.json()["code"] == "40305"
    assert [o["status"] for o in emulator.control.orders()["orders"]] == ["live", "live"]


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
