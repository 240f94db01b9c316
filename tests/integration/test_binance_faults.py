"""Every injected fault reaches ccxt.binanceusdm as the real venue's failure would, on every route
(by name and by path glob), and is in the ledger."""

from __future__ import annotations

import ccxt
import pytest

from tests.integration.binance_support import BTC, ROUTES, raw
from torchtrade.emulator.clients import ccxt_client


@pytest.fixture
def bx(binance_exchange):
    return binance_exchange


def faults_logged(emulator) -> list[str]:
    return [e["fault"] for e in emulator.control.ledger("fault")]


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_every_route_can_be_targeted_by_name(binance_emulator, route):
    name, method, path, signed, params, _ = route
    binance_emulator.control.add_fault("server_error", name, status=502)
    resp = raw(binance_emulator.url, method, path, params, signed=signed)
    assert resp.status_code == 502
    assert resp.headers["content-type"].startswith("text/html")  # a load balancer's page
    assert raw(binance_emulator.url, method, path, params, signed=signed).status_code < 500
    (fault,) = binance_emulator.control.ledger("fault")
    assert (fault["route"], fault["venue"]) == (name, "binance")


def test_the_route_list_covers_every_served_route(binance_emulator):
    if binance_emulator.emulator is None:
        pytest.skip("the served routes are listed by the in-process emulator")
    emulator = binance_emulator.emulator
    assert {r[0] for r in ROUTES} == {spec.name for spec in emulator.venue.routes(emulator)}


def test_a_path_glob_targets_a_family_of_routes(bx, binance_emulator):
    binance_emulator.control.add_fault("server_error", "/fapi/v3/*", times=2)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        bx.fetch_balance()  # /fapi/v3/account
    with pytest.raises(ccxt.ExchangeNotAvailable):
        bx.fetch_positions([BTC])  # /fapi/v3/positionRisk
    assert bx.fetch_balance()["USDT"]["total"] == 10_000
    assert faults_logged(binance_emulator) == ["server_error", "server_error"]


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, ccxt.ExchangeNotAvailable), (503, ccxt.ExchangeNotAvailable), (504, ccxt.RequestTimeout)],
)
def test_server_errors(bx, binance_emulator, status, error):
    binance_emulator.control.add_fault("server_error", "position_risk_v3", status=status)
    with pytest.raises(error):
        bx.fetch_positions([BTC])
    assert bx.fetch_positions([BTC]) == []


def test_rate_limit_fault_is_ddos_protection(bx, binance_emulator):
    binance_emulator.control.add_fault("rate_limit", "klines", retry_after_s=2)
    with pytest.raises(ccxt.DDoSProtection):
        bx.fetch_ohlcv(BTC, "1m", limit=5)
    assert bx.last_response_headers["Retry-After"] == "2"
    assert len(bx.fetch_ohlcv(BTC, "1m", limit=5)) == 5


def test_a_held_order_times_out_at_the_client_yet_lands_on_the_venue(binance_emulator):
    ex = ccxt_client(binance_emulator.url, "binanceusdm", demo=True, enableRateLimit=False, timeout=150)
    ex.load_markets()
    binance_emulator.control.add_fault("timeout", "place_order", delay_s=5)
    with pytest.raises(ccxt.RequestTimeout):
        ex.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "slow-1"})
    binance_emulator.control.settle()
    order = ex.fetch_order(None, BTC, params={"clientOrderId": "slow-1"})
    assert (order["status"], order["filled"]) == ("closed", 0.01)
    assert faults_logged(binance_emulator) == ["timeout"]


def test_a_dropped_response_after_execution(bx, binance_emulator):
    binance_emulator.control.add_fault("drop_response", "place_algo_order")
    stop = {"stopLossPrice": 15000.0, "closePosition": True, "clientOrderId": "dropped-sl"}
    with pytest.raises(ccxt.NetworkError):
        bx.create_order(BTC, "market", "sell", None, params=stop)
    found = bx.fetch_order(None, BTC, params={"trigger": True, "clientOrderId": "dropped-sl"})
    assert found["status"] == "open"
    assert len(binance_emulator.control.ledger("trigger")) == 1


def test_a_connection_reset_before_execution(bx, binance_emulator):
    binance_emulator.control.add_fault("connection_reset", "place_order")
    with pytest.raises(ccxt.NetworkError):
        bx.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "reset-1"})
    with pytest.raises(ccxt.OrderNotFound):
        bx.fetch_order(None, BTC, params={"clientOrderId": "reset-1"})
    assert binance_emulator.control.ledger("order") == []


def test_a_partial_fill_completes_on_the_next_bar(bx, binance_emulator):
    binance_emulator.control.add_fault("partial_fill", "place_order", fill_ratio=0.4)
    order = bx.create_order(BTC, "market", "buy", 0.05)
    assert (order["status"], order["filled"], order["info"]["status"]) == ("open", 0.02, "PARTIALLY_FILLED")
    assert bx.fetch_positions([BTC])[0]["contracts"] == 0.02
    binance_emulator.control.advance(bars=1)
    assert bx.fetch_order(order["id"], BTC)["status"] == "closed"
    assert bx.fetch_positions([BTC])[0]["contracts"] == 0.05
    assert faults_logged(binance_emulator) == ["partial_fill"]


@pytest.mark.parametrize("route", ["position_risk_v3", "position_risk_v2", "account_v3"])
def test_a_stale_position_read(bx, binance_emulator, route):
    def read():
        if route == "account_v3":
            return bx.fetch_positions([BTC], params={"method": "account"})
        return bx.fetch_positions([BTC], params={"useV2": route == "position_risk_v2"})

    assert read() == []
    bx.create_order(BTC, "market", "buy", 0.01)
    binance_emulator.control.add_fault("stale_position", route)
    assert read() == []  # the lagging replica still shows no position
    assert read()[0]["contracts"] == 0.01
    assert faults_logged(binance_emulator) == ["stale_position"]


def test_position_faults_do_not_fire_on_other_routes(bx, binance_emulator):
    binance_emulator.control.add_fault("stale_position", "*")
    binance_emulator.control.add_fault("partial_fill", "*")
    bx.fetch_ticker(BTC)
    bx.fetch_time()
    assert faults_logged(binance_emulator) == []
