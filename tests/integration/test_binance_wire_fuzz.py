"""Every Binance route, driven with random and hostile values over signed HTTP.

Whatever a request holds (Unicode of every category, lone surrogates, huge, precise, negative and
exotic numbers, long strings, empty or missing values, junk form bodies, spoilt timestamps), the venue
answers 200 or its own 4xx (``{"code": <negative>, "msg": ...}``), never a 5xx, and within a bounded
time; a refused request leaves orders, positions, balances and fills exactly as they were; and the
books still balance: ``wallet - deposits == realized PnL - fees - funding``.

Requests are signed here from Binance's documented rule (see ``binance_support``) with the
emulator's default keys, so every byte reaches the venue as written.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.binance_support import (
    ALGO_ID,
    CLIENT_ID,
    KEY,
    MARKET_ORDER,
    ORDER_ID,
    ROUTES,
    ROUTES_BY_NAME,
    TIMEOUT,
    sign,
)
from tests.integration.wire_fuzz_support import assert_books_balance, fill_in, snapshot

CLIENT_ID_ALPHABET = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")
DELETE = object()  # a mutation that removes the parameter

CLASSICS = [
    "\u00b2", "\ud800", "a\udfffb", "1_000", "\uff15", "\u0665", "+5", " 5", "5 ", "-1", "0", "", "x" * 5000,
    "1e5", "NaN", "Infinity", "a/b", "\x00", "1e1000000", "-0.0", "true", "TRUE", "false", "null",
]  # fmt: skip
HOSTILE_TEXT = [
    "5\n", "1E-5", "-0", "00", "0.", ".5", "0x1f", "9" * 40, "0." + "0" * 30 + "1", "1" * 25, "a\nb",
    "<script>", "caf\u00e9", " ", "BTCUSDT", "btcusdt", "ETHUSDT", "b\u0131tcusdt", "USDT", "BUY", "SELL",
    "buy", "LONG", "SHORT", "BOTH", "MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP",
    "TAKE_PROFIT", "TRAILING_STOP_MARKET", "GTC", "IOC", "FOK", "GTX", "GTD", "ISOLATED", "CROSSED",
    "CONDITIONAL", "MARK_PRICE", "CONTRACT_PRICE", "FUNDING_FEE", "REALIZED_PNL", "1m", "1M", "1h", "8h",
    "RESULT", "ACK", "EXPIRE_MAKER", "QUEUE", "1200000000000000001", "ok-id_1:/.", "x" * 36, "x" * 37,
    "15000", "15000.05", "0.001", "0.0001", "1000000000", "125", "126",
]  # fmt: skip
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=30),
).map(str)
values = st.one_of(
    st.sampled_from(CLASSICS),
    st.sampled_from(CLASSICS),
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(HOSTILE_TEXT),
    numbers,
    st.text(max_size=12),
    st.text(st.characters(categories=["Cs", "Cc", "Nd", "No", "Zs", "Mn"]), max_size=6),
)
NAMES = [
    "symbol", "side", "type", "quantity", "price", "timeInForce", "positionSide", "reduceOnly",
    "closePosition", "newClientOrderId", "origClientOrderId", "orderId", "algoId", "clientAlgoId",
    "triggerPrice", "stopPrice", "algoType", "leverage", "marginType", "dualSidePosition", "interval",
    "limit", "startTime", "endTime", "fromId", "incomeType", "recvWindow", "workingType", "pair",
]  # fmt: skip


def mutations(reads: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Changes to a request: mostly to the parameters the route reads, sometimes to any name."""
    names = st.one_of(
        st.sampled_from(reads), st.sampled_from(reads), st.sampled_from(NAMES), st.text(max_size=8)
    )
    return st.dictionaries(names, st.one_of(values, st.just(DELETE)), min_size=1, max_size=3)


bodies = st.one_of(
    st.none(),  # a form body from the route's parameters (the usual case)
    st.none(),
    st.none(),
    st.sampled_from([b"", b"\xff\xfe=1", b"a=%FF%FE", b"=" * 5000, b"&&&", b"quantity=1&quantity=2", b"{}"]),
)
# How the timestamp is spoilt, if at all (the request is signed over the spoilt text).
TIMESTAMPS = {
    None: lambda ts: ts,
    "superscript": lambda ts: ts[:-1] + "\u00b2",
    "plus": lambda ts: "+" + ts,
    "fraction": lambda ts: ts + ".0",
    "underscore": lambda ts: ts[:4] + "_" + ts[4:],
    "stale": lambda ts: str(int(ts) - 3_600_000),
    "future": lambda ts: str(int(ts) + 3_600_000),
}
timestamps = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(sorted(k for k in TIMESTAMPS if k)))


def send(
    session: requests.Session,
    base: str,
    method: str,
    path: str,
    signed: bool,
    params: dict[str, str],
    raw_body: bytes | None,
    spoil: str | None,
) -> requests.Response:
    items = list(params.items())
    if signed:
        items.append(("timestamp", TIMESTAMPS[spoil](str(int(time.time() * 1000)))))
    # surrogatepass: a lone surrogate goes out as its (invalid) UTF-8 bytes, %ED%A0%80.
    query = urllib.parse.urlencode(items, errors="surrogatepass")
    if signed:
        query += "&signature=" + sign(query)
    headers = {"X-MBX-APIKEY": KEY}
    if method in ("POST", "PUT"):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = raw_body if raw_body is not None else query.encode()
        url = base + path + (f"?{query}" if raw_body is not None and signed else "")
        return session.request(method, url, data=body, headers=headers, timeout=TIMEOUT)
    url = base + path + (f"?{query}" if query else "")
    return session.request(method, url, data=raw_body, headers=headers, timeout=TIMEOUT)


def client_ids_in(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [v for k, v in data.items() if k in ("clientOrderId", "clientAlgoId")] + [
            x for v in data.values() for x in client_ids_in(v)
        ]
    if isinstance(data, list):
        return [x for v in data for x in client_ids_in(v)]
    return []


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="module")
def scene(binance_emulator_server, session) -> dict[str, Any]:
    """One venue for the whole module (examples of every route share it, state accumulates): a long
    position, a resting limit order and a conditional order, so that lookups and cancels have targets.
    The weight budget is lifted: the fuzz sends far more than 2400 weight a minute."""
    control = binance_emulator_server.control
    control.reset(weight_limit=10**9)
    base = binance_emulator_server.url

    def post(path: str, params: dict[str, str]) -> dict[str, Any]:
        resp = send(session, base, "POST", path, True, params, None, None)
        assert resp.status_code == 200, resp.text
        return resp.json()

    post("/fapi/v1/order", {**MARKET_ORDER, "quantity": "0.05"})
    rest = {
        **MARKET_ORDER,
        "type": "LIMIT",
        "price": "10000",
        "timeInForce": "GTC",
        "newClientOrderId": "fuzz-1",
    }
    resting = post("/fapi/v1/order", rest)
    algo = post("/fapi/v1/algoOrder", ROUTES_BY_NAME["place_algo_order"][4])
    yield {
        "ids": {ORDER_ID: str(resting["orderId"]), CLIENT_ID: "fuzz-1", ALGO_ID: str(algo["algoId"])},
        # The venue's state after the last request: the manual clock stands still and nothing else
        # calls the venue, so it is the state before the next request (one snapshot per example).
        "state": snapshot(control),
    }
    control.reset()


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
@settings(max_examples=10, deadline=None)
@given(data=st.data(), raw_body=bodies, spoil=timestamps, advance=st.integers(0, 7))
def test_hostile_requests_are_refused_without_a_trace(
    binance_emulator_server, scene, session, route, data, raw_body, spoil, advance
):
    name, method, path, signed, valid, optional = route
    control = binance_emulator_server.control
    if advance == 7:  # now and then time moves: fills, funding and liquidations join the books
        control.advance(bars=97)
        scene["state"] = snapshot(control)
    changes = data.draw(mutations(sorted({*valid, *optional}) or NAMES), label="changes")
    params = fill_in(valid, scene["ids"])
    for key, value in changes.items():
        if value is DELETE:
            params.pop(key, None)
        else:
            params[key] = value
    before = scene["state"]
    resp = send(session, binance_emulator_server.url, method, path, signed, params, raw_body, spoil)
    assert resp.status_code in (200, 400, 401), (name, resp.status_code, resp.text[:300])
    answer = resp.json()
    after = scene["state"] = snapshot(control)
    if resp.status_code != 200:
        assert set(answer) == {"code", "msg"}, answer
        assert isinstance(answer["code"], int)
        assert answer["code"] < 0
        assert after == before, (name, answer)
    else:
        # Whatever was accepted is stored in the venue's alphabet.
        for cid in client_ids_in(answer):
            assert CLIENT_ID_ALPHABET.fullmatch(cid), (name, cid)
    events = control.ledger("internal_error", "deposit", "liquidation", "funding")
    assert [e for e in events if e["kind"] == "internal_error"] == []
    assert_books_balance(after, [e for e in events if e.get("account") == "main"])
