"""Alpaca's refusals through alpaca-py over HTTP: authentication, unknown things, bad parameters,
the rate limit and its headers, and the emulator's faults on Alpaca routes.

Every refusal is Alpaca's own shape and status (see ``venues/alpaca/errors.py`` for the sources),
never a 5xx or a traceback, and leaves nothing behind but a ledger entry without secrets.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.requests import CryptoBarsRequest, StockBarsRequest
from alpaca.data.timeframe import TimeFrame

from tests.integration.alpaca_support import (
    KEY,
    SECRET,
    api_error,
    crypto,
    raw,
    stock_data,
    stocks,
    trading,
)

UNAUTHORIZED = (401, 40110000, "request is not authorized")


@pytest.fixture
def spy(alpaca_emulator):
    stock_data(alpaca_emulator)
    return alpaca_emulator


# ----------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(("key", "secret"), [("nobody", SECRET), (KEY, "wrong-secret"), (KEY, SECRET + "x")])
def test_wrong_keys_are_401_on_every_api(alpaca_emulator, key, secret):
    with pytest.raises(APIError) as e:
        trading(alpaca_emulator.url, key, secret).get_all_assets()
    assert api_error(e) == UNAUTHORIZED
    with pytest.raises(APIError) as e:
        stocks(alpaca_emulator.url, key, secret).get_stock_bars(
            StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute)
        )
    assert api_error(e) == UNAUTHORIZED
    with pytest.raises(APIError) as e:  # crypto data needs no key, but a key sent must be right
        crypto(alpaca_emulator.url, key, secret).get_crypto_bars(
            CryptoBarsRequest(symbol_or_symbols="BTC/USD", timeframe=TimeFrame.Minute)
        )
    assert api_error(e) == UNAUTHORIZED


def test_missing_keys_are_401_except_for_crypto_data(alpaca_emulator):
    for path in ("/v2/assets", "/v2/stocks/bars?symbols=SPY&timeframe=1Min"):
        r = raw(alpaca_emulator.url, "GET", path, auth=False)
        assert (r.status_code, r.json()) == (401, {"code": 40110000, "message": "request is not authorized"})
    r = raw(alpaca_emulator.url, "GET", "/v1beta3/crypto/us/bars?symbols=BTC/USD&timeframe=1Min", auth=False)
    assert r.status_code == 200


def test_basic_auth_is_accepted_and_bearer_tokens_are_not(alpaca_emulator):
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    r = raw(alpaca_emulator.url, "GET", "/v2/assets", auth=False, headers={"Authorization": f"Basic {token}"})
    assert r.status_code == 200
    for header in ("Bearer abc", "Basic !!!", f"Basic {base64.b64encode(b'x:y').decode()}"):
        r = raw(alpaca_emulator.url, "GET", "/v2/assets", auth=False, headers={"Authorization": header})
        assert r.status_code == 401


def test_secrets_never_reach_the_ledger(alpaca_emulator):
    with pytest.raises(APIError):
        trading(alpaca_emulator.url, KEY, "a-wrong-secret-value").get_all_assets()
    trading(alpaca_emulator.url).get_all_assets()
    text = json.dumps(alpaca_emulator.control.ledger())
    assert SECRET not in text
    assert "a-wrong-secret-value" not in text


# ----------------------------------------------------------------------------- not found


def test_unknown_asset_and_endpoint_are_404(alpaca_emulator):
    client = trading(alpaca_emulator.url)
    for name in ("AAPL", "ZZZZZZZZ", str(uuid.uuid4())):
        with pytest.raises(APIError) as e:
            client.get_asset(name)
        assert api_error(e) == (404, 40410000, "asset not found")
    r = raw(alpaca_emulator.url, "GET", "/v2/account/activities")  # a route alpaca-py never calls
    assert (r.status_code, r.json()["code"]) == (404, 40410000)
    r = raw(alpaca_emulator.url, "POST", "/v2/assets")  # a known path, another method
    assert r.status_code == 404


# ----------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"timeframe": "1Min"}, "missing symbols"),
        ({"symbols": "SPY"}, "missing timeframe"),
        ({"symbols": "SPY", "timeframe": "60Min"}, "invalid timeframe"),
        ({"symbols": "SPY", "timeframe": "5Day"}, "invalid timeframe"),
        ({"symbols": "SPY", "timeframe": "1min"}, "invalid timeframe"),
        ({"symbols": "SPY", "timeframe": "5Month"}, "invalid timeframe"),
        ({"symbols": "BTC/USD", "timeframe": "1Min"}, "invalid symbol: BTC/USD"),
        ({"symbols": "SPY", "timeframe": "1Min", "limit": "0"}, "invalid limit"),
        ({"symbols": "SPY", "timeframe": "1Min", "limit": "10001"}, "invalid limit"),
        ({"symbols": "SPY", "timeframe": "1Min", "limit": "1e3"}, "invalid limit"),
        ({"symbols": "SPY", "timeframe": "1Min", "start": "yesterday"}, "invalid start"),
        ({"symbols": "SPY", "timeframe": "1Min", "start": "2013-10-04T08:00:00"}, "invalid start"),
        ({"symbols": "SPY", "timeframe": "1Min", "start": "2013-02-30"}, "invalid start"),
        ({"symbols": "SPY", "timeframe": "1Min", "start": "2013-10-05", "end": "2013-10-04"}, None),
        ({"symbols": "SPY", "timeframe": "1Min", "sort": "up"}, "invalid sort"),
        ({"symbols": "SPY", "timeframe": "1Min", "feed": "nasdaq"}, "invalid feed"),
        ({"symbols": "SPY", "timeframe": "1Min", "currency": "EUR"}, "invalid currency"),
        ({"symbols": "SPY", "timeframe": "1Min", "page_token": "bm9wZQ=="}, "invalid page token"),
        ({"symbols": "SPY", "timeframe": "1Min", "page_token": "%%%"}, "invalid page token"),
    ],
)
def test_bad_stock_bar_parameters_are_400(spy, params, message):
    r = raw(spy.url, "GET", "/v2/stocks/bars", params=params)
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"message"}
    assert body["message"] == (message or "end should not be before start")


def test_crypto_symbols_must_carry_their_slash(spy):
    with pytest.raises(APIError) as e:
        crypto(spy.url).get_crypto_bars(
            CryptoBarsRequest(symbol_or_symbols="BTCUSD", timeframe=TimeFrame.Hour)
        )
    status, code, message = api_error(e)
    assert (status, code) == (400, None)
    assert message == "invalid symbol: BTCUSD does not match ^[A-Z]+/[A-Z]+$"


def test_bad_asset_filters_are_422(alpaca_emulator):
    r = raw(alpaca_emulator.url, "GET", "/v2/assets", params={"status": "sleeping"})
    assert (r.status_code, r.json()) == (422, {"code": 40010001, "message": "invalid status"})


# ----------------------------------------------------------------------------- rate limit


def test_rate_limit_headers_and_429(alpaca_emulator):
    alpaca_emulator.control.reset(weight_limit=3)
    seen = [raw(alpaca_emulator.url, "GET", "/v2/assets") for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["2", "1", "0", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in seen)
    assert int(seen[-1].headers["X-RateLimit-Reset"]) >= int(seen[0].headers["X-RateLimit-Reset"])
    assert seen[-1].json() == {"code": 42910000, "message": "rate limit exceeded"}
    with pytest.raises(APIError) as e:
        trading(alpaca_emulator.url).get_all_assets()
    assert api_error(e)[:2] == (429, 42910000)
    # The market data API counts on its own budget.
    r = raw(alpaca_emulator.url, "GET", "/v1beta3/crypto/us/latest/bars", params={"symbols": "BTC/USD"})
    assert r.status_code == 200
    assert r.headers["X-RateLimit-Remaining"] == "2"


# ----------------------------------------------------------------------------- faults


def test_faults_answer_on_alpaca_routes_by_name(alpaca_emulator):
    control = alpaca_emulator.control
    control.add_fault("rate_limit", "assets", retry_after_s=2)
    r = raw(alpaca_emulator.url, "GET", "/v2/assets")
    assert (r.status_code, r.json()["code"], r.headers["X-RateLimit-Remaining"]) == (429, 42910000, "0")
    control.add_fault("server_error", "crypto_bars", status=503)
    r = raw(
        alpaca_emulator.url,
        "GET",
        "/v1beta3/crypto/us/bars",
        params={"symbols": "BTC/USD", "timeframe": "1Min"},
    )
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("text/html")
    control.add_fault("connection_reset", "asset")
    with pytest.raises(requests.ConnectionError):
        raw(alpaca_emulator.url, "GET", "/v2/assets/BTC/USD")
    assert raw(alpaca_emulator.url, "GET", "/v2/assets/BTC/USD").status_code == 200
    kinds = [e["fault"] for e in control.ledger("fault")]
    assert kinds == ["rate_limit", "server_error", "connection_reset"]


def test_a_dropped_order_answer_still_placed_the_order_once(alpaca_emulator):
    control = alpaca_emulator.control
    control.add_fault("drop_response", "place_order")
    body = {"symbol": "SPY", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
    with pytest.raises(requests.ConnectionError):
        raw(alpaca_emulator.url, "POST", "/v2/orders", json={**body, "client_order_id": "lost-answer"})
    client = trading(alpaca_emulator.url)
    order = client.get_order_by_client_id("lost-answer")  # the client's look-up before any resend
    assert order.filled_qty == "1"
    resend = raw(alpaca_emulator.url, "POST", "/v2/orders", json={**body, "client_order_id": "lost-answer"})
    assert (resend.status_code, resend.json()["code"]) == (422, 40010001)  # a blind resend: the id is taken
    assert len(control.ledger("fill")) == 1


def test_a_timed_out_order_lands_after_the_client_gave_up(alpaca_emulator):
    control = alpaca_emulator.control
    control.add_fault("timeout", "place_order", delay_s=5)
    body = {"symbol": "SPY", "qty": 2, "side": "buy", "type": "market", "time_in_force": "day"}
    with pytest.raises(requests.Timeout):
        requests.post(
            alpaca_emulator.url + "/v2/orders",
            json={**body, "client_order_id": "slow"},
            headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET},
            timeout=(2, 0.2),
        )
    control.settle()  # the held request executes once its client hung up
    assert trading(alpaca_emulator.url).get_order_by_client_id("slow").filled_qty == "2"
