"""Binance request weights on the emulator: ``X-MBX-USED-WEIGHT-1M`` on every answer, Binance's
per-endpoint weights, 429 with Retry-After past the budget (nothing executed), 418 for a client that
keeps going; the budget and the window are configurable.

The window runs on the emulator's wall clock, injected here so that windows end on command.
"""

from __future__ import annotations

from collections.abc import Iterator

import ccxt
import pytest
import requests

from tests.integration.binance_support import BTC, raw
from torchtrade.emulator.clients import ccxt_client
from torchtrade.emulator.runtime import Emulator, EmulatorConfig
from torchtrade.emulator.server import EmulatorServer

HEADER = "X-MBX-USED-WEIGHT-1M"
START = 28_333_334 * 60_000 + 40_000  # 40 s into a wall-clock minute


class Wall:
    def __init__(self) -> None:
        self.ms = START

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def metered() -> Iterator[tuple[EmulatorServer, Wall]]:
    wall = Wall()
    emulator = Emulator(EmulatorConfig(venue="binance", weight_limit=40), wall_clock=wall)
    with EmulatorServer(emulator) as server:
        yield server, wall


def used(resp: requests.Response) -> int:
    return int(resp.headers[HEADER])


def public(server, path: str, **params) -> requests.Response:
    return raw(server.url, "GET", path, params, signed=False)


def test_every_answer_carries_the_weight_used_by_binances_weights(metered):
    server, _ = metered
    assert used(public(server, "/fapi/v1/time")) == 1
    assert used(public(server, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=50)) == 2  # 1
    assert used(public(server, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m")) == 7  # 500: 5
    assert used(public(server, "/fapi/v1/depth", symbol="BTCUSDT", limit=100)) == 12  # 5
    assert used(public(server, "/fapi/v1/aggTrades", symbol="BTCUSDT")) == 32  # 20
    refused = public(server, "/fapi/v1/klines", symbol="NOPE", interval="1m", limit=5)
    assert (refused.status_code, used(refused)) == (400, 33)  # a refused request is charged too
    private = raw(server.url, "GET", "/fapi/v3/account", {})
    assert used(private) == 38  # 5


def test_whole_market_variants_weigh_more(metered):
    server, _ = metered
    assert used(public(server, "/fapi/v1/ticker/24hr")) == 40  # every symbol: 40, the whole budget
    assert public(server, "/fapi/v1/ticker/24hr", symbol="BTCUSDT").status_code == 429  # 1 more


def test_past_the_budget_429_then_418_and_the_window_and_ban_end(metered):
    server, wall = metered
    for _ in range(40):
        assert public(server, "/fapi/v1/time").status_code == 200
    resp = public(server, "/fapi/v1/time")
    assert resp.status_code == 429
    assert resp.json()["code"] == -1003
    assert resp.headers["Retry-After"] == "20"  # 20 s to the end of the wall-clock minute
    assert used(resp) == 40
    # Nothing executes while refused: an order sent now is not placed.
    order = raw(
        server.url,
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    )
    assert order.status_code == 429
    assert server.emulator.engine.account("main").orders == {}
    for _ in range(3):
        assert public(server, "/fapi/v1/time").status_code == 429
    banned = public(server, "/fapi/v1/time")  # the sixth refusal in the window (the order was one): a ban
    assert banned.status_code == 418
    assert banned.headers["Retry-After"] == "120"  # two windows
    wall.ms += 30_000  # the window ended, the ban did not
    assert public(server, "/fapi/v1/time").status_code == 418
    wall.ms += 100_000
    ok = public(server, "/fapi/v1/time")
    assert (ok.status_code, used(ok)) == (200, 1)
    statuses = [r["status"] for r in server.emulator.ledger.events("request")]
    assert statuses.count(429) == 5
    assert statuses.count(418) == 2


def test_ccxt_sees_429_and_418_as_ddos_protection_and_carries_on(metered):
    server, wall = metered
    ex = ccxt_client(server.url, "binanceusdm", demo=True, enableRateLimit=False)
    ex.load_markets()

    def burst() -> None:
        for _ in range(50):
            ex.fetch_ticker(BTC)

    with pytest.raises(ccxt.DDoSProtection, match="429"):
        burst()
    assert ex.last_response_headers["Retry-After"]
    wall.ms += 60_000
    assert ex.fetch_ticker(BTC)["last"] > 0  # a new window
    assert int(ex.last_response_headers[HEADER]) == 1


def test_the_budget_and_window_are_reset_fields(binance_emulator):
    binance_emulator.control.reset(weight_limit=3, weight_window_ms=60_000)
    info = public(binance_emulator, "/fapi/v1/exchangeInfo").json()
    (weights,) = [r for r in info["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT"]
    assert weights["limit"] == 3
    statuses = [public(binance_emulator, "/fapi/v1/time").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    binance_emulator.control.reset()  # a reset starts a fresh meter with the configured budget
    assert public(binance_emulator, "/fapi/v1/time").status_code == 200


def test_an_injected_rate_limit_fault_answers_binances_429(binance_emulator):
    binance_emulator.control.add_fault("rate_limit", "ticker_24hr", retry_after_s=3)
    resp = public(binance_emulator, "/fapi/v1/ticker/24hr", symbol="BTCUSDT")
    assert (resp.status_code, resp.json()["code"], resp.headers["Retry-After"]) == (429, -1003, "3")
    assert HEADER in resp.headers
    assert public(binance_emulator, "/fapi/v1/ticker/24hr", symbol="BTCUSDT").status_code == 200


def test_a_short_window_for_tests_says_retry_after_in_milliseconds():
    wall = Wall()
    wall.ms = 28_333_334 * 60_000 + 40  # 40 ms into a 200 ms window
    emulator = Emulator(
        EmulatorConfig(venue="binance", weight_limit=1, weight_window_ms=200), wall_clock=wall
    )
    with EmulatorServer(emulator) as server:
        assert public(server, "/fapi/v1/time").status_code == 200
        refused = public(server, "/fapi/v1/time")
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "0.16")
        wall.ms += 160
        assert public(server, "/fapi/v1/time").status_code == 200
