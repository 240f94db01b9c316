"""The Alpaca envs under every fault kind, through alpaca-py over HTTP: orders placed once, positions true.

A seeded random policy steps each env (stock and crypto, standard and SLTP) while the emulator
answers 5-15 % of requests with 429s, 5xx, connection resets, dropped answers, timeouts (the held
order executes once the client hung up), partial fills and stale position reads. The targets are the
futures venues' (``tests/integration/fault_matrix.py``): no exception out of a step, every order the
env decided on is on the venue exactly once (one venue order per client id the env reported
accepted or unknown, none it never reported), and, once the faults stop, the env's position is the
venue's.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.integration.test_alpaca_env import SPY_FILE, held, make, reset

STEPS = 120


def seeded_faults() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        # Once each, early, whatever the seed draws: every run sees an order time out and fill partly.
        {"kind": "timeout", "route": "place_order", "after": 1, "times": 1, "delay_s": 5},
        {"kind": "partial_fill", "route": "place_order", "after": 3, "times": 1, "fill_ratio": 0.5},
        {"kind": "rate_limit", "route": "*", "probability": 0.05, "retry_after_s": 0.001},
        {"kind": "server_error", "route": "*", "probability": 0.05, "status": 503},
        {"kind": "connection_reset", "route": "*", "probability": 0.05},
        {"kind": "drop_response", "route": "*", "probability": 0.05},
        {"kind": "drop_response", "route": "place_order", "probability": 0.10},
        {"kind": "timeout", "route": "place_order", "probability": 0.08, "delay_s": 5},
        {"kind": "partial_fill", "route": "place_order", "probability": 0.12, "fill_ratio": 0.5},
        {"kind": "stale_position", "route": "position", "probability": 0.10},
    ]
    return rules


@pytest.mark.parametrize("sltp", [False, True], ids=["standard", "sltp"])
@pytest.mark.parametrize("symbol", ["SPY", "BTC/USD"])
def test_faults_never_duplicate_an_order_nor_lose_the_position(alpaca_emulator, symbol, sltp):
    if not SPY_FILE.exists():
        pytest.skip(f"{SPY_FILE.name} is not available (../shared/data)")
    emulator = alpaca_emulator
    reset(emulator, fault_seed=7)
    kw: dict[str, Any] = {
        "symbol": symbol,
        "request_timeout_ms": 200,
        "retry_attempts": 6,
        "retry_backoff_s": 0.001,
        "retry_max_backoff_s": 0.01,
        "max_position_size": 0.2,
        "env_id": "soak",
    }
    if sltp:
        kw.update(sl_percent=0.002, tp_percent=0.002)
    env = make(emulator, sltp=sltp, **kw)
    env.trader.retrier.sleep = lambda s: None  # every hint and backoff is honoured, without the wait
    env.reset()
    for rule in seeded_faults():
        emulator.control.add_fault(**rule)
    rng = random.Random(11)
    decided: dict[str, str] = {}
    for _ in range(STEPS):
        _, _, _, info = env.step(rng.randrange(env.action_spec.n))
        for order in info["orders"]:
            if order["status"] in ("accepted", "unknown"):
                assert order["client_oid"] not in decided, f"{order['client_oid']} reported twice"
                decided[order["client_oid"]] = order["status"]
        emulator.control.settle()  # a held (timed-out) order executes now, as its client hung up
    fired = {e["fault"] for e in emulator.control.ledger("fault")}
    assert {
        "rate_limit",
        "server_error",
        "connection_reset",
        "drop_response",
        "timeout",
        "partial_fill",
    } <= fired
    emulator.control.clear_faults()
    env.step(0 if sltp else 1)  # a hold, fault-free: the env reads the venue once more

    ours = [
        o
        for o in emulator.control.orders()["orders"]
        if str(o.get("client_order_id", "")).startswith("ttsoak")
    ]
    ids = [o["client_order_id"] for o in ours]
    assert len(ids) == len(set(ids))  # the venue holds each client id once
    landed = set(ids)
    accepted = {oid for oid, status in decided.items() if status == "accepted"}
    assert accepted <= landed  # every accepted decision is on the venue
    assert landed <= set(decided)  # and nothing the env never reported is
    assert env.position.signed_size == pytest.approx(held(emulator, symbol), abs=1e-9)
