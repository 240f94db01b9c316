"""Each injected fault reaches ccxt as the real venue's failure would, and is in the ledger."""

from __future__ import annotations

import ccxt
import pytest

from tests.conftest import BTC
from torchtrade.emulator.clients import ccxt_client


def faults_logged(emulator) -> list[str]:
    return [e["fault"] for e in emulator.control.ledger("fault")]


def test_rate_limit_answers_429_with_the_venues_headers(exchange, emulator):
    emulator.control.add_fault("rate_limit", "ticker", retry_after_s=2)
    # Bitget's 429 body carries code "429", which ccxt maps to DDoSProtection (RateLimitExceeded is
    # what ccxt raises for a bare 429 without the venue's body). Both are ccxt NetworkErrors.
    with pytest.raises(ccxt.DDoSProtection, match="Too Many Requests"):
        exchange.fetch_ticker(BTC)
    assert exchange.last_response_headers["Retry-After"] == "2"
    assert exchange.last_response_headers["x-mbx-used-remain-limit"] == "0"
    assert exchange.fetch_ticker(BTC)["last"] > 0  # one firing only
    assert faults_logged(emulator) == ["rate_limit"]
    (req,) = [r for r in emulator.control.ledger("request") if r["fault"]]
    assert (req["route"], req["status"]) == ("ticker", 429)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, ccxt.ExchangeNotAvailable),
        (502, ccxt.ExchangeNotAvailable),
        (503, ccxt.ExchangeNotAvailable),
        (504, ccxt.RequestTimeout),
    ],
)
def test_server_errors(exchange, emulator, status, error):
    emulator.control.add_fault("server_error", "all_positions", status=status)
    with pytest.raises(error):
        exchange.fetch_positions([BTC])
    assert exchange.fetch_positions([BTC]) == []
    assert faults_logged(emulator) == ["server_error"]


def test_a_held_order_times_out_at_the_client_yet_lands_on_the_venue(emulator):
    ex = ccxt_client(emulator.url, enableRateLimit=False, timeout=150)
    ex.load_markets()
    emulator.control.add_fault("timeout", "place_order", delay_s=5)
    with pytest.raises(ccxt.RequestTimeout):
        ex.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "slow-1"})
    emulator.control.settle()  # the venue finished the request the client gave up on
    order = ex.fetch_order(None, BTC, params={"clientOid": "slow-1"})
    assert order["status"] == "closed"
    assert order["filled"] == 0.01
    assert faults_logged(emulator) == ["timeout"]


def test_a_dropped_response_after_execution(exchange, emulator):
    emulator.control.add_fault("drop_response", "place_order")
    with pytest.raises(ccxt.NetworkError):
        exchange.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "dropped-1"})
    # The order exists, findable by its client id: a retry must look before resending.
    order = exchange.fetch_order(None, BTC, params={"clientOid": "dropped-1"})
    assert order["clientOrderId"] == "dropped-1"
    assert order["status"] == "closed"
    assert len(emulator.control.ledger("order")) == 1
    assert faults_logged(emulator) == ["drop_response"]


def test_a_connection_reset_before_execution(exchange, emulator):
    emulator.control.add_fault("connection_reset", "place_order")
    with pytest.raises(ccxt.NetworkError):
        exchange.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "reset-1"})
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order(None, BTC, params={"clientOid": "reset-1"})
    assert emulator.control.ledger("order") == []
    assert faults_logged(emulator) == ["connection_reset"]


def test_a_partial_fill_completes_on_the_next_bar(exchange, emulator):
    emulator.control.add_fault("partial_fill", "place_order", fill_ratio=0.4)
    order = exchange.create_order(BTC, "market", "buy", 0.05)
    detail = exchange.fetch_order(order["id"], BTC)
    assert detail["status"] == "open"
    assert detail["filled"] == 0.02
    assert detail["remaining"] == 0.03
    assert exchange.fetch_positions([BTC])[0]["contracts"] == 0.02
    emulator.control.advance(bars=1)
    assert exchange.fetch_order(order["id"], BTC)["status"] == "closed"
    assert exchange.fetch_positions([BTC])[0]["contracts"] == 0.05
    assert faults_logged(emulator) == ["partial_fill"]


def test_a_stale_position_read(exchange, emulator):
    assert exchange.fetch_positions([BTC]) == []
    exchange.create_order(BTC, "market", "buy", 0.01)
    emulator.control.add_fault("stale_position", "all_positions")
    assert exchange.fetch_positions([BTC]) == []  # the lagging replica still shows no position
    assert exchange.fetch_positions([BTC])[0]["contracts"] == 0.01
    assert faults_logged(emulator) == ["stale_position"]


def test_scripted_faults_skip_then_fire_a_number_of_times(exchange, emulator):
    emulator.control.add_fault("server_error", "time", after=1, times=2)
    exchange.fetch_time()
    for _ in range(2):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            exchange.fetch_time()
    exchange.fetch_time()
    assert faults_logged(emulator) == ["server_error", "server_error"]


def test_seeded_faults_are_reproducible(emulator):
    def run() -> list[bool]:
        emulator.control.reset(fault_seed=42)
        ex = ccxt_client(emulator.url, enableRateLimit=False)
        emulator.control.add_fault("server_error", "time", probability=0.5, times=None)
        out = []
        for _ in range(20):
            try:
                ex.fetch_time()
                out.append(True)
            except ccxt.ExchangeNotAvailable:
                out.append(False)
        return out

    first, second = run(), run()
    assert first == second
    assert 0 < sum(first) < 20
