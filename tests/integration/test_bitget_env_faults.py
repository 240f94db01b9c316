"""300+ env steps while the venue misbehaves: no crash, no duplicate order, the venue's position at the end.

Faults are seeded (reproducible): 429s and 5xx on every route, held requests (client timeouts) and
dropped responses on order placement, stale position reads.
"""

from __future__ import annotations

import random
from collections import Counter

from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)

FAST_RETRIES = {
    "request_timeout_ms": 300,
    "retry_attempts": 8,
    "retry_backoff_s": 0.001,
    "retry_max_backoff_s": 0.01,
}


def add_faults(control) -> None:
    control.add_fault("rate_limit", "*", probability=0.03, times=None, retry_after_s=0.001)
    control.add_fault("server_error", "*", probability=0.03, times=None, status=503)
    control.add_fault("server_error", "*", probability=0.01, times=None, status=502)
    control.add_fault("drop_response", "place_order", probability=0.15, times=None)
    control.add_fault("timeout", "place_order", probability=0.08, times=None, delay_s=5)
    control.add_fault("stale_position", "all_positions", probability=0.08, times=None)


def check_run(emulator, env, outcomes: list[dict]) -> None:
    emulator.control.clear_faults()
    emulator.control.settle()
    ledger = emulator.control.ledger("order")
    orders = [o for o in ledger if o["source"] == "api"]
    ids = Counter(o["client_oid"] for o in orders)
    assert all(n == 1 for n in ids.values()), [cid for cid, n in ids.items() if n > 1]  # zero duplicates
    entries = [o for o in outcomes if o["action"] != "close"]
    accepted = [o["client_oid"] for o in entries if o["status"] == "accepted"]
    assert len(accepted) == len(set(accepted))
    assert set(accepted) <= set(ids)  # every order the env counts as placed is on the venue...
    unknown = {o["client_oid"] for o in outcomes if o["status"] == "unknown"}
    sent = {o["client_oid"] for o in entries if o["status"] in ("accepted", "unknown")}
    assert set(ids) <= sent  # ...and the venue holds nothing the env did not mean to send
    assert len(unknown) <= 2
    # Closes go through the venue's close-position call: one venue close per accepted close, never two.
    closes = [o for o in outcomes if o["action"] == "close"]
    venue_closes = [o for o in ledger if o["source"] == "close"]
    accepted_closes = [o for o in closes if o["status"] == "accepted"]
    unknown_closes = [o for o in closes if o["status"] == "unknown"]
    assert len(accepted_closes) <= len(venue_closes) <= len(accepted_closes) + len(unknown_closes)
    env.step(1)  # one clean read
    venue = emulator.control.positions()
    venue_size = sum(float(p["qty"]) * (1 if p["side"] == "long" else -1) for p in venue)
    assert env.position.signed_size == venue_size


def run(env, steps: int, policy) -> list[dict]:
    outcomes: list[dict] = []
    env.reset()
    for i in range(steps):
        _, _, done, info = env.step(policy(i))
        outcomes.extend(info["orders"])
        if done:
            env.reset()
    return outcomes


def test_standard_env_survives_300_faulty_steps(emulator):
    emulator.control.reset(fault_seed=11)
    config = BitgetFuturesTradingEnvConfig(
        base_url=emulator.url, quantity_per_trade=0.01, leverage=5, **FAST_RETRIES
    )
    env = BitgetFuturesTorchTradingEnv(
        config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None
    )
    add_faults(emulator.control)
    rng = random.Random(3)
    outcomes = run(env, 320, lambda i: rng.choice([0, 0, 1, 2, 2]))
    kinds = Counter(e["fault"] for e in emulator.control.ledger("fault"))
    assert set(kinds) == {"rate_limit", "server_error", "drop_response", "timeout", "stale_position"}, kinds
    assert len([o for o in outcomes if o["status"] == "accepted"]) > 60  # it really traded
    check_run(emulator, env, outcomes)


def test_sltp_env_survives_300_faulty_steps(emulator):
    emulator.control.reset(fault_seed=5)
    config = BitgetFuturesSLTPTradingEnvConfig(
        base_url=emulator.url,
        quantity_per_trade=0.01,
        leverage=5,
        stoploss_levels=(-0.001, -0.002),
        takeprofit_levels=(0.001, 0.003),
        **FAST_RETRIES,
    )
    env = BitgetFuturesSLTPTorchTradingEnv(
        config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None
    )
    add_faults(emulator.control)
    rng = random.Random(4)
    outcomes = run(env, 300, lambda i: rng.randrange(env.action_spec.n))
    fired = [e for e in emulator.control.ledger("trigger_fired")]
    assert len(fired) > 10  # brackets really closed positions on the venue
    check_run(emulator, env, outcomes)
    # no orphaned trigger order once flat
    if env.position.side is None:
        assert [t for t in emulator.control.orders()["triggers"] if t["status"] == "live"] == []
