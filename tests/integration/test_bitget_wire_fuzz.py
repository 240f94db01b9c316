"""Every Bitget route, driven with random and hostile values over signed HTTP.

Whatever a request holds (Unicode of every category, lone surrogates as JSON escapes, huge, precise,
negative and exotic numbers, wrong types, nested objects, long strings, empty or missing values),
the venue answers 200 or its own 400, never a 5xx, and within a bounded time; a refused request
leaves orders, positions, balances and fills exactly as they were; and the books still balance:
``wallet - deposits == realized PnL - fees - funding``.

Requests are signed here from Bitget's documented prehash (independently of the emulator's code)
with the emulator's default keys, so every byte reaches the venue as written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.wire_fuzz_support import (
    assert_books_balance,
    fill_in,
    mutate,
    mutations,
    snapshot,
    values_named,
)

KEY, SECRET, PASSPHRASE = "emulator-key", "emulator-secret", "emulator-passphrase"
TIMEOUT = (2, 5)  # connect, read (s): a hang fails the test instead of stalling it

SYM = {"symbol": "BTCUSDT", "productType": "USDT-FUTURES"}
COIN = {"marginCoin": "USDT"}
# Stand-ins for the ids of the orders the scene places (see the ``scene`` fixture).
ORDER_ID, PLAN_ID, CLIENT_OID = "<order>", "<plan>", "<client-oid>"
PAGING = ("limit", "startTime", "endTime", "idLessThan")
ORDER = {**SYM, **COIN, "marginMode": "crossed", "size": "0.01", "side": "buy", "orderType": "market"}
# (route name, method, path, a valid request, the optional parameters it reads): every route served.
ROUTES: list[tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = [
    ("time", "GET", "/api/v2/public/time", {}, ()),
    ("coins", "GET", "/api/v2/spot/public/coins", {}, ("coin",)),
    ("uta_settings", "GET", "/api/v3/account/settings", {}, ()),
    ("spot_symbols", "GET", "/api/v2/spot/public/symbols", {}, ("symbol",)),
    ("margin_currencies", "GET", "/api/v2/margin/currencies", {}, ()),
    ("spot_assets", "GET", "/api/v2/spot/account/assets", {}, ("coin", "assetType")),
    ("contracts", "GET", "/api/v2/mix/market/contracts", {"productType": "USDT-FUTURES"}, ("symbol",)),
    (
        "candles",
        "GET",
        "/api/v2/mix/market/candles",
        {**SYM, "granularity": "1m", "limit": "5"},
        ("startTime", "endTime", "kLineType"),
    ),
    (
        "history_candles",
        "GET",
        "/api/v2/mix/market/history-candles",
        {**SYM, "granularity": "5m"},
        ("startTime", "endTime", "limit"),
    ),
    (
        "history_mark_candles",
        "GET",
        "/api/v2/mix/market/history-mark-candles",
        {**SYM, "granularity": "1m"},
        ("startTime", "endTime", "limit"),
    ),
    (
        "history_index_candles",
        "GET",
        "/api/v2/mix/market/history-index-candles",
        {**SYM, "granularity": "15m"},
        ("startTime", "endTime", "limit"),
    ),
    ("position_tiers", "GET", "/api/v2/mix/market/query-position-lever", SYM, ()),
    ("open_interest", "GET", "/api/v2/mix/market/open-interest", SYM, ()),
    ("symbol_price", "GET", "/api/v2/mix/market/symbol-price", SYM, ()),
    ("public_fills", "GET", "/api/v2/mix/market/fills", SYM, ("limit",)),
    ("public_fills_history", "GET", "/api/v2/mix/market/fills-history", SYM, PAGING),
    ("ticker", "GET", "/api/v2/mix/market/ticker", SYM, ()),
    ("tickers", "GET", "/api/v2/mix/market/tickers", {"productType": "USDT-FUTURES"}, ()),
    ("depth", "GET", "/api/v2/mix/market/merge-depth", {**SYM, "limit": "5"}, ("precision",)),
    (
        "funding_rate",
        "GET",
        "/api/v2/mix/market/current-fund-rate",
        {"productType": "USDT-FUTURES"},
        ("symbol",),
    ),
    ("funding_time", "GET", "/api/v2/mix/market/funding-time", SYM, ()),
    ("funding_history", "GET", "/api/v2/mix/market/history-fund-rate", {**SYM, "pageSize": "5"}, ("pageNo",)),
    ("trade_rate", "GET", "/api/v2/common/trade-rate", {"symbol": "BTCUSDT", "businessType": "mix"}, ()),
    ("accounts", "GET", "/api/v2/mix/account/accounts", {"productType": "USDT-FUTURES"}, ()),
    ("account", "GET", "/api/v2/mix/account/account", {**SYM, **COIN}, ()),
    (
        "all_positions",
        "GET",
        "/api/v2/mix/position/all-position",
        {"productType": "USDT-FUTURES", **COIN},
        (),
    ),
    ("single_position", "GET", "/api/v2/mix/position/single-position", {**SYM, **COIN}, ()),
    (
        "history_positions",
        "GET",
        "/api/v2/mix/position/history-position",
        {},
        ("symbol", "productType", *PAGING),
    ),
    (
        "set_leverage",
        "POST",
        "/api/v2/mix/account/set-leverage",
        {**SYM, **COIN, "leverage": "5"},
        ("holdSide",),
    ),
    (
        "set_margin_mode",
        "POST",
        "/api/v2/mix/account/set-margin-mode",
        {**SYM, **COIN, "marginMode": "crossed"},
        (),
    ),
    (
        "set_position_mode",
        "POST",
        "/api/v2/mix/account/set-position-mode",
        {"productType": "USDT-FUTURES", "posMode": "one_way_mode"},
        (),
    ),
    (
        "bills",
        "GET",
        "/api/v2/mix/account/bill",
        {"productType": "USDT-FUTURES"},
        ("coin", "symbol", "businessType", "onlyFunding", *PAGING),
    ),
    (
        "place_order",
        "POST",
        "/api/v2/mix/order/place-order",
        ORDER,
        (
            "price",
            "force",
            "clientOid",
            "reduceOnly",
            "tradeSide",
            "presetStopSurplusPrice",
            "presetStopLossPrice",
            "presetStopSurplusExecutePrice",
            "presetStopLossExecutePrice",
            "stpMode",
        ),
    ),
    (
        "place_plan_order",
        "POST",
        "/api/v2/mix/order/place-plan-order",
        {**ORDER, "planType": "normal_plan", "triggerPrice": "20000", "triggerType": "mark_price"},
        (
            "price",
            "executePrice",
            "clientOid",
            "reduceOnly",
            "tradeSide",
            "stopSurplusTriggerPrice",
            "stopLossTriggerPrice",
            "stopLossExecutePrice",
            "stopSurplusTriggerType",
            "callbackRatio",
            "force",
        ),
    ),
    (
        "place_tpsl_order",
        "POST",
        "/api/v2/mix/order/place-tpsl-order",
        {**SYM, **COIN, "planType": "pos_loss", "triggerPrice": "15000", "holdSide": "long"},
        ("executePrice", "size", "clientOid", "rangeRate", "orderType", "triggerType", "force"),
    ),
    ("order_detail", "GET", "/api/v2/mix/order/detail", {**SYM, "orderId": ORDER_ID}, ("clientOid",)),
    (
        "orders_pending",
        "GET",
        "/api/v2/mix/order/orders-pending",
        {"productType": "USDT-FUTURES"},
        ("symbol", "orderId", "clientOid", "status", *PAGING),
    ),
    (
        "orders_history",
        "GET",
        "/api/v2/mix/order/orders-history",
        {"productType": "USDT-FUTURES"},
        ("symbol", "orderId", "clientOid", *PAGING),
    ),
    (
        "orders_plan_pending",
        "GET",
        "/api/v2/mix/order/orders-plan-pending",
        {"productType": "USDT-FUTURES", "planType": "normal_plan"},
        ("symbol", "orderId", "clientOid", *PAGING),
    ),
    (
        "orders_plan_history",
        "GET",
        "/api/v2/mix/order/orders-plan-history",
        {"productType": "USDT-FUTURES", "planType": "profit_loss"},
        ("symbol", "orderId", "clientOid", "planStatus", *PAGING),
    ),
    (
        "cancel_order",
        "POST",
        "/api/v2/mix/order/cancel-order",
        {**SYM, "clientOid": CLIENT_OID},
        ("orderId",),
    ),
    (
        "cancel_plan_order",
        "POST",
        "/api/v2/mix/order/cancel-plan-order",
        {**SYM, "orderIdList": [{"orderId": PLAN_ID}]},
        ("planType", "marginCoin"),
    ),
    (
        "batch_cancel",
        "POST",
        "/api/v2/mix/order/batch-cancel-orders",
        {**SYM, "orderIdList": [{"orderId": ORDER_ID}, {"clientOid": CLIENT_OID}]},
        ("marginCoin",),
    ),
    ("close_positions", "POST", "/api/v2/mix/order/close-positions", SYM, ("holdSide",)),
    (
        "fills",
        "GET",
        "/api/v2/mix/order/fills",
        {"productType": "USDT-FUTURES"},
        ("symbol", "orderId", *PAGING),
    ),
    (
        "fill_history",
        "GET",
        "/api/v2/mix/order/fill-history",
        {**SYM, "limit": "10"},
        ("orderId", "startTime", "endTime", "idLessThan"),
    ),
]
ROUTES_BY_NAME = {route[0]: route for route in ROUTES}
CLIENT_OID_ALPHABET = re.compile(r"[0-9a-zA-Z\-+_#]{1,49}")


class Raw:
    """A JSON number token written as is (``1e1000000``, ``-0.0``): json.dumps cannot produce all."""

    def __init__(self, token: str) -> None:
        self.token = token


# What broke venues before (and Python's own parsers accept): always near the top of the draw.
CLASSICS = [
    "\u00b2", "\ud800", "a\udfffb", "1_000", "\uff15", "\u0665", "+5", " 5", "5 ", "-1", "0", "", "x" * 5000,
    "1e5", "NaN", "a/b", "\x00", Raw("1e1000000"), Raw("1e99999999999999999999"), Raw("-0.0"), None, True,
    [], {},
]  # fmt: skip
HOSTILE_TEXT = [
    "5\n", "1E-5", "Infinity", "-0", "00", "0.", ".5", "0x1f", "9" * 40, "0." + "0" * 30 + "1", "1" * 25,
    "a\nb", "<script>", "caf\u00e9", " ", "BTCUSDT", "btcusdt", "ETHUSDT", "b\u0131tcusdt", "USDT",
    "u\u017fdt", "USDT-FUTURES", "COIN-FUTURES", "crossed", "isolated", "buy", "sell", "market", "limit",
    "open", "close", "long", "short", "net", "normal_plan", "pos_loss", "pos_profit", "profit_loss",
    "track_plan", "1m", "1Dutc", "YES", "NO", "post_only", "gtc", "mar\u212aet", "mark_price", "one_way_mode",
    "hedge_mode", "mix", "max", "1200000000000000001", "ok-oid_1#+", "x" * 49, "x" * 50,
]  # fmt: skip
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=30).map(lambda d: Raw(str(d))),
)
scalars = st.one_of(
    st.sampled_from(CLASSICS),
    st.sampled_from(CLASSICS),
    st.sampled_from(HOSTILE_TEXT),
    numbers,
    st.text(max_size=12),
    st.text(st.characters(categories=["Cs", "Cc", "Nd", "No", "Zs", "Mn"]), max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["orderId", "clientOid", "v"]), inner, max_size=2),
    ),
    max_leaves=6,
)
NAMES = [
    "clientOid", "orderId", "orderIdList", "size", "price", "limit", "startTime", "endTime", "idLessThan",
    "leverage", "marginCoin", "marginMode", "symbol", "productType", "planType", "holdSide", "triggerPrice",
    "side", "orderType", "tradeSide", "reduceOnly", "force", "granularity", "coin", "posMode",
]  # fmt: skip


bodies = st.one_of(
    st.none(),  # a JSON object from the route's parameters (the usual case)
    st.none(),
    st.none(),
    st.sampled_from([b"", b"[]", b"null", b'"x"', b"{", b'{"size": NaN}', b"\xff\xfe", b"[" * 5000]),
)
# How the ACCESS-TIMESTAMP header is spoilt, if at all (whitespace cannot be sent: HTTP strips it).
TIMESTAMPS = {
    None: lambda ts: ts,
    "superscript": lambda ts: ts[:-1] + "\u00b2",
    "plus": lambda ts: "+" + ts,
    "fraction": lambda ts: ts + ".0",
    "underscore": lambda ts: ts[:4] + "_" + ts[4:],
    "full-width": lambda ts: "\uff11".encode().decode("latin-1") + ts[1:],
}
timestamps = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(sorted(k for k in TIMESTAMPS if k)))


def dumps(params: dict[str, Any]) -> bytes:
    """JSON with :class:`Raw` number tokens spliced in; lone surrogates become ``\\udXXX`` escapes."""
    raws: list[str] = []

    def placeholder(obj: Any) -> str:
        if isinstance(obj, Raw):
            raws.append(obj.token)
            return f"__raw{len(raws) - 1}__"
        if isinstance(obj, Decimal):
            return str(obj)
        raise TypeError(type(obj))

    text = json.dumps(params, default=placeholder)
    for i, token in enumerate(raws):
        text = text.replace(f'"__raw{i}__"', token)
    return text.encode()


def as_query_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Raw):
        return value.token
    if value is None:
        return ""
    return json.dumps(value, default=lambda o: o.token if isinstance(o, Raw) else str(o))


def signed(
    session: requests.Session,
    base: str,
    method: str,
    path: str,
    params: dict,
    raw_body: bytes | None = None,
    spoil: str | None = None,
) -> requests.Response:
    if method == "GET":
        items = sorted((k, as_query_value(v)) for k, v in params.items())
        # surrogatepass: a lone surrogate goes out as its (invalid) UTF-8 bytes, %ED%A0%80.
        qs = urllib.parse.urlencode(items, errors="surrogatepass")
        body = b""
    else:
        qs = ""
        body = raw_body if raw_body is not None else dumps(params)
    ts = TIMESTAMPS[spoil](str(int(time.time() * 1000)))
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
    return session.request(
        method, base + path + (f"?{qs}" if qs else ""), data=body, headers=headers, timeout=TIMEOUT
    )


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="module")
def scene(emulator_server, session) -> dict[str, Any]:
    """One venue for the whole module (examples of every route share it, state accumulates): a long
    position, a resting limit order and a plan order, so that cancels, TP/SL and closes have targets."""
    emulator_server.control.reset()
    base = emulator_server.url
    first = signed(session, base, "POST", "/api/v2/mix/order/place-order", {**ORDER, "size": "0.05"})
    rest = {**ORDER, "orderType": "limit", "price": "10000", "clientOid": "fuzz-rest-1"}
    resting = signed(session, base, "POST", "/api/v2/mix/order/place-order", rest)
    planned = signed(
        session, base, "POST", ROUTES_BY_NAME["place_plan_order"][2], ROUTES_BY_NAME["place_plan_order"][3]
    )
    assert [r.json()["code"] for r in (first, resting, planned)] == ["00000"] * 3
    yield {
        "ids": {
            ORDER_ID: resting.json()["data"]["orderId"],
            CLIENT_OID: "fuzz-rest-1",
            PLAN_ID: planned.json()["data"]["orderId"],
        },
        # The venue's state after the last request: the manual clock stands still and nothing else
        # calls the venue, so it is the state before the next request (one snapshot per example).
        "state": snapshot(emulator_server.control),
    }
    emulator_server.control.reset()


def test_the_fuzz_covers_every_served_route(emulator):
    if emulator.emulator is None:
        pytest.skip("the served routes are listed by the in-process emulator")
    served = {spec.name for spec in emulator.emulator.venue.routes(emulator.emulator)}
    assert {name for name, *_ in ROUTES} == served


@pytest.mark.parametrize("route", ROUTES, ids=[name for name, *_ in ROUTES])
@settings(max_examples=10, deadline=None)
@given(data=st.data(), raw_body=bodies, spoil=timestamps, advance=st.integers(0, 7))
def test_hostile_requests_are_refused_without_a_trace(
    emulator_server, scene, session, route, data, raw_body, spoil, advance
):
    name, method, path, valid, optional = route
    control = emulator_server.control
    if advance == 7:  # now and then time moves: fills, funding and liquidations join the books
        control.advance(bars=97)
        scene["state"] = snapshot(control)
    changes = data.draw(mutations(sorted({*valid, *optional}) or NAMES, NAMES, values), label="changes")
    params = mutate(fill_in(valid, scene["ids"]), changes)
    before = scene["state"]
    resp = signed(session, emulator_server.url, method, path, params, raw_body, spoil)
    assert resp.status_code in (200, 400), (name, resp.status_code, resp.text[:300])
    answer = resp.json()
    assert isinstance(answer["requestTime"], int)
    after = scene["state"] = snapshot(control)
    if resp.status_code == 400:
        assert answer["code"] != "00000"
        assert answer["data"] is None
        assert after == before, (name, answer)
    else:
        assert answer["code"] == "00000"
        # Whatever was accepted is stored in the venue's alphabet ("" where a batch entry named none).
        for oid in values_named(answer["data"], ["clientOid"]):
            assert oid == "" or CLIENT_OID_ALPHABET.fullmatch(oid), (name, oid)
    events = control.ledger("internal_error", "deposit", "liquidation", "funding")
    assert [e for e in events if e["kind"] == "internal_error"] == []
    assert_books_balance(after, [e for e in events if e.get("account") == "main"])
