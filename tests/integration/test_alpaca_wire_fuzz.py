"""Every Alpaca route driven with random and hostile values over HTTP.

Whatever a request holds (JSON of every type where a number or a word belongs, Unicode of every
category, lone surrogates, huge, precise, negative and exotic numbers, long strings, missing values,
bodies that are not JSON, ids that are not UUIDs), the venue answers a success or Alpaca's own 4xx
(``{"code", "message"}`` on the trading API, ``{"message"}`` on the market data API), never a 5xx;
a refused request leaves orders, positions and cash exactly as they were; and the books balance:
``cash == deposits - purchases + sales - fees paid in dollars``, from the engine's own fill records.
"""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.alpaca_support import KEY, SECRET, TIMEOUT
from tests.integration.wire_fuzz_support import fill_in, mutate, mutations

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
ORDER, CLIENT_ID, WATCHLIST = "<order>", "<client id>", "<watchlist>"
MARKET = {"symbol": "SPY", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"}
BARS = {"symbols": "SPY", "timeframe": "5Min", "start": "2013-10-04T13:30:00Z", "limit": "10"}
CRYPTO_BARS = {"symbols": "BTC/USD", "timeframe": "1Hour", "limit": "5"}
# name, method, path (with stand-ins), JSON body?, valid parameters, optional parameter names
ROUTES: list[tuple[str, str, str, bool, dict[str, Any], list[str]]] = [
    ("place_order", "POST", "/v2/orders", True, MARKET, [
        "notional", "limit_price", "stop_price", "extended_hours", "client_order_id", "order_class",
        "take_profit", "stop_loss", "position_intent", "trail_price", "legs"]),
    ("place_bracket", "POST", "/v2/orders", True, {
        **MARKET, "order_class": "bracket", "take_profit": {"limit_price": "200"},
        "stop_loss": {"stop_price": "150", "limit_price": "149"}}, []),
    ("place_crypto", "POST", "/v2/orders", True, {
        "symbol": "BTC/USD", "notional": "10", "side": "buy", "type": "market", "time_in_force": "gtc"}, []),
    ("replace_order", "PATCH", f"/v2/orders/{ORDER}", True, {"limit_price": "101"}, [
        "qty", "stop_price", "time_in_force", "client_order_id", "trail"]),
    ("cancel_order", "DELETE", f"/v2/orders/{ORDER}", False, {}, []),
    ("order", "GET", f"/v2/orders/{ORDER}", False, {"nested": "true"}, []),
    ("order_by_client_id", "GET", "/v2/orders:by_client_order_id", False, {"client_order_id": CLIENT_ID}, []),
    ("orders", "GET", "/v2/orders", False, {"status": "all", "limit": "10"}, [
        "after", "until", "direction", "nested", "symbols", "side"]),
    ("cancel_orders", "DELETE", "/v2/orders", False, {}, []),
    ("positions", "GET", "/v2/positions", False, {}, []),
    ("position", "GET", "/v2/positions/SPY", False, {}, []),
    ("close_position", "DELETE", "/v2/positions/SPY", False, {"qty": "1"}, ["percentage"]),
    ("close_positions", "DELETE", "/v2/positions", False, {}, ["cancel_orders"]),
    ("account", "GET", "/v2/account", False, {}, []),
    ("assets", "GET", "/v2/assets", False, {"status": "active"}, ["asset_class", "exchange", "attributes"]),
    ("asset", "GET", "/v2/assets/SPY", False, {}, []),
    ("clock", "GET", "/v2/clock", False, {}, []),
    ("calendar", "GET", "/v2/calendar", False, {"start": "2013-10-01", "end": "2013-10-31"}, ["date_type"]),
    ("stock_bars", "GET", "/v2/stocks/bars", False, BARS, [
        "end", "sort", "feed", "adjustment", "asof", "currency", "page_token"]),
    ("crypto_bars", "GET", "/v1beta3/crypto/us/bars", False, CRYPTO_BARS, [
        "start", "end", "sort", "page_token"]),
    ("stock_latest_quotes", "GET", "/v2/stocks/quotes/latest", False, {"symbols": "SPY"}, [
        "feed", "currency"]),
    ("crypto_latest_trades", "GET", "/v1beta3/crypto/us/latest/trades", False, {"symbols": "BTC/USD"}, []),
    ("stock_trades", "GET", "/v2/stocks/trades", False, {"symbols": "SPY", "limit": "10"}, [
        "start", "end", "sort", "feed", "asof", "currency", "page_token"]),
    ("stock_quotes", "GET", "/v2/stocks/quotes", False, {"symbols": "SPY", "limit": "10"}, [
        "start", "end", "sort", "feed", "page_token"]),
    ("crypto_trades", "GET", "/v1beta3/crypto/us/trades", False, {"symbols": "BTC/USD", "limit": "10"}, [
        "start", "end", "sort", "page_token"]),
    ("crypto_quotes", "GET", "/v1beta3/crypto/us/quotes", False, {"symbols": "BTC/USD", "limit": "10"}, [
        "start", "end", "sort", "page_token"]),
    ("stock_snapshots", "GET", "/v2/stocks/snapshots", False, {"symbols": "SPY"}, ["feed", "currency"]),
    ("crypto_snapshots", "GET", "/v1beta3/crypto/us/snapshots", False, {"symbols": "BTC/USD"}, []),
    ("crypto_orderbooks", "GET", "/v1beta3/crypto/us/latest/orderbooks", False, {"symbols": "BTC/USD"}, []),
    ("portfolio_history", "GET", "/v2/account/portfolio/history", False, {
        "period": "1D", "timeframe": "5Min"}, [
        "start", "end", "date_end", "extended_hours", "intraday_reporting", "pnl_reset", "cashflow_types"]),
    ("announcements", "GET", "/v2/corporate_actions/announcements", False, {
        "ca_types": "dividend", "since": "2013-10-01", "until": "2013-10-30"}, [
        "symbol", "cusip", "date_type"]),
    ("option_contracts", "GET", "/v2/options/contracts", False, {"underlying_symbols": "SPY"}, [
        "status", "expiration_date", "type", "style", "strike_price_gte", "limit", "page_token"]),
    ("option_contract", "GET", "/v2/options/contracts/SPY131018C00170000", False, {}, []),
    ("watchlists", "GET", "/v2/watchlists", False, {}, []),
    ("create_watchlist", "POST", "/v2/watchlists", True, {"name": "fuzz", "symbols": ["SPY"]}, []),
    ("watchlist", "GET", f"/v2/watchlists/{WATCHLIST}", False, {}, []),
    ("update_watchlist", "PUT", f"/v2/watchlists/{WATCHLIST}", True, {
        "symbols": ["SPY", "BTC/USD"]}, ["name"]),
    ("add_to_watchlist", "POST", f"/v2/watchlists/{WATCHLIST}", True, {"symbol": "BTC/USD"}, []),
    ("remove_from_watchlist", "DELETE", f"/v2/watchlists/{WATCHLIST}/SPY", False, {}, []),
    ("delete_watchlist", "DELETE", f"/v2/watchlists/{WATCHLIST}", False, {}, []),
    ("account_configurations", "GET", "/v2/account/configurations", False, {}, []),
    # Last: a configuration it sets (suspend_trade, no_shorting) holds for the rest of the module.
    ("set_account_configurations", "PATCH", "/v2/account/configurations", True, {
        "trade_confirm_email": "none"}, [
        "dtbp_check", "pdt_check", "fractional_trading", "max_margin_multiplier", "no_shorting",
        "suspend_trade", "ptp_no_exception_entry", "max_options_trading_level"]),
]  # fmt: skip
NAMES = sorted({n for r in ROUTES for n in (*r[4], *r[5])})
WORDS = [
    "buy", "sell", "market", "limit", "stop", "stop_limit", "trailing_stop", "day", "gtc", "opg", "cls",
    "ioc", "fok", "simple", "bracket", "oco", "oto", "mleg", "", "SPY", "spy", "BTC/USD", "BTCUSD",
    "GME", "AAPL", "ZZZZZZ", "true", "false", "True", "all", "open", "closed", "asc", "desc", "1Min",
    "1Day", "60Min", "iex", "sip", "raw", "USD", "EUR", "2013-10-04", "2013-02-30", "2013-10-04T14:00:00Z",
    "2013-10-04T14:00:00", "00000000-0000-4000-8000-000000000000", "x" * 200, "\u00b2", "\ud800",
    "a\udfffb", "1_000", "\uff15", "+5", " 5", "-1", "0", "1e5", "NaN", "Infinity", "\x00", "caf\u00e9",
]  # fmt: skip
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=12).map(str),
    st.integers(min_value=-5, max_value=10**6).map(str),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.sampled_from(WORDS), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from([*NAMES, "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)
query_values = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(WORDS), numbers.map(str), st.text(max_size=10)
)
junk_bodies = st.sampled_from(
    [b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"qty": NaN}', b"1e999999", b"{}" * 100]
)


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        s.headers.update(HEADERS)
        yield s


def call(session: requests.Session, base: str, method: str, path: str, *, body: Any = None, query=None):
    # A lone surrogate goes out as its (invalid) UTF-8 bytes in a query, escaped in JSON.
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    url = base + path + ("?" + urllib.parse.urlencode(query, errors="surrogatepass") if query else "")
    return session.request(method, url, data=data, timeout=TIMEOUT)


def snapshot(session: requests.Session, base: str) -> tuple:
    orders = call(session, base, "GET", "/v2/orders", query={"status": "all", "limit": "500"}).json()
    positions = call(session, base, "GET", "/v2/positions").json()
    cash = call(session, base, "GET", "/v2/account").json()["cash"]
    return orders, positions, cash


@pytest.fixture(scope="module")
def scene(alpaca_emulator_server, session) -> dict[str, Any]:
    """One venue for the module (state accumulates across examples): a long SPY position and a
    resting limit order, so that lookups, replaces and cancels have targets. The rate limit is lifted."""
    control = alpaca_emulator_server.control
    control.reset(weight_limit=10**9)
    base = alpaca_emulator_server.url
    assert call(session, base, "POST", "/v2/orders", body={**MARKET, "qty": "20"}).status_code == 200
    rest = {
        **MARKET,
        "type": "limit",
        "limit_price": "100",
        "time_in_force": "gtc",
        "client_order_id": "fuzz-1",
    }
    resting = call(session, base, "POST", "/v2/orders", body=rest).json()
    watchlist = call(
        session, base, "POST", "/v2/watchlists", body={"name": "scene", "symbols": ["SPY"]}
    ).json()
    ids = {ORDER: resting["id"], CLIENT_ID: "fuzz-1", WATCHLIST: watchlist["id"]}
    yield {"ids": ids, "state": snapshot(session, base)}
    control.reset()


def assert_books_balance(base: str, session: requests.Session, control) -> None:
    events = control.ledger("deposit", "fill")
    cash = Decimal(sum(Decimal(str(e["amount"])) for e in events if e["kind"] == "deposit"))
    for e in (e for e in events if e["kind"] == "fill"):
        value = Decimal(str(e["price"])) * Decimal(str(e["qty"]))
        cash += value if e["side"] == "sell" else -value
        if e["fee_coin"] == "USD":
            cash -= Decimal(str(e["fee"]))
    served = Decimal(call(session, base, "GET", "/v2/account").json()["cash"])
    assert abs(served - cash) < Decimal("0.01"), (served, cash)


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), junk=st.one_of(st.none(), st.none(), st.none(), junk_bodies))
def test_hostile_requests_are_refused_without_a_trace(
    alpaca_emulator_server, scene, session, route, data, junk
):
    name, method, path, has_body, valid, optional = route
    base = alpaca_emulator_server.url
    control = alpaca_emulator_server.control
    params = fill_in(valid, scene["ids"])
    for stand_in, real in scene["ids"].items():
        path = path.replace(stand_in, real)
    if has_body:
        changes = data.draw(mutations(sorted({*valid, *optional}), NAMES, json_values), label="changes")
        body: Any = junk if junk is not None else mutate(params, changes)
        resp = call(session, base, method, path, body=body)
    else:
        changes = data.draw(
            mutations(sorted({*valid, *optional}) or NAMES, NAMES, query_values), label="changes"
        )
        query = {k: v for k, v in mutate(params, changes).items() if isinstance(k, str)}
        resp = call(session, base, method, path, query=query, body=junk)
    before = scene["state"]
    assert resp.status_code in (200, 204, 207, 400, 401, 403, 404, 422), (
        name,
        resp.status_code,
        resp.text[:300],
    )
    after = scene["state"] = snapshot(session, base)
    if resp.status_code >= 400:
        answer = resp.json()
        data_api = path.startswith(("/v2/stocks/", "/v1beta3/"))
        if data_api and resp.status_code == 400:
            assert set(answer) == {"message"}, answer
        else:
            assert {"code", "message"} <= set(answer), answer
            assert isinstance(answer["code"], int), answer
            assert 40_000_000 <= answer["code"] < 50_000_000, answer
        assert after == before, (name, answer)
    assert control.ledger("internal_error") == []
    assert_books_balance(base, session, control)
