"""The env keeps the venue's truth under faults (issue 8), through ccxt over HTTP against the emulator.

One test per defect found by the independent soak: hedge legs, stale reads after an entry or a close,
steps that fail after their order landed, venue resets, partial fills. Each failed on the code before.
"""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BTC
from torchtrade.emulator.clients import ccxt_client
from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.errors import TorchTradeError, VenueUnavailable

FAST = {"retry_attempts": 2, "retry_backoff_s": 0.0, "retry_max_backoff_s": 0.0, "request_timeout_ms": 2000}


def make(emulator, sltp: bool = False, **kw):
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    for k, v in FAST.items():
        kw.setdefault(k, v)
    cls, cfg = (
        (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig)
        if sltp
        else (BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig)
    )
    return cls(
        cfg(base_url=emulator.url, **kw), clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None
    )


def venue_legs(emulator) -> dict[str, float]:
    return {p["side"]: float(p["qty"]) for p in emulator.control.positions()}


def api_orders(emulator) -> list[dict]:
    return [o for o in emulator.control.ledger("order") if o["source"] == "api"]


def hedge_exchange(emulator):
    ex = ccxt_client(emulator.url, enableRateLimit=False)
    ex.load_markets()
    ex.set_position_mode(True, BTC)
    return ex


# ------------------------------------------------------------------ one position truth


class TestHedgeLegs:
    def test_both_legs_are_seen_exactly_and_one_close_closes_both(self, emulator):
        ex = hedge_exchange(emulator)
        ex.create_order(BTC, "market", "buy", 0.03, params={"hedged": True})
        ex.create_order(BTC, "market", "sell", 0.01, params={"hedged": True})
        env = make(emulator, position_mode="hedge")
        env.reset()
        assert {leg.side: leg.size for leg in env.position.legs} == {"long": 0.03, "short": 0.01}
        assert env.position.signed_size == 0.02  # exact: not 0.019999999999999997
        assert env.position.hedged
        _, _, _, info = env.step(1)
        assert sorted((leg["side"], leg["size"]) for leg in info["legs"]) == [("long", 0.03), ("short", 0.01)]
        assert info["position"] == 0.02
        _, _, _, info = env.step(0)  # against the net long: close, every leg
        assert info["orders"][0]["action"] == "close"
        assert info["orders"][0]["status"] == "accepted"
        assert venue_legs(emulator) == {}
        assert env.position.legs == ()
        for _ in range(3):  # and nothing raises afterwards
            env.step(0)
            env.step(1)

    def test_legs_that_net_to_zero_are_not_flat(self, emulator):
        ex = hedge_exchange(emulator)
        ex.create_order(BTC, "market", "buy", 0.01, params={"hedged": True})
        ex.create_order(BTC, "market", "sell", 0.01, params={"hedged": True})
        env = make(emulator, position_mode="hedge")
        env.reset()
        assert env.position.is_open
        assert env.position.side is None
        state = env.reset()["account_state"]
        assert float(state[1]) == 0.0  # net size
        assert float(state[7]) > 0  # margin ratio counts both legs
        _, _, _, info = env.step(2)  # any entry action closes legs that net to zero
        assert info["orders"][0]["action"] == "close"
        assert venue_legs(emulator) == {}

    def test_close_all_positions_closes_every_leg(self, emulator):
        ex = hedge_exchange(emulator)
        ex.create_order(BTC, "market", "buy", 0.02, params={"hedged": True})
        ex.create_order(BTC, "market", "sell", 0.005, params={"hedged": True})
        env = make(emulator, position_mode="hedge")
        outcome = env.close_all_positions()
        assert outcome.accepted
        assert venue_legs(emulator) == {}


def test_dust_below_the_minimum_is_closed_without_raising(emulator):
    ex = ccxt_client(emulator.url, enableRateLimit=False)
    ex.load_markets()
    ex.create_order(BTC, "market", "buy", 0.0101)
    ex.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    env = make(emulator)
    env.reset()
    assert env.position.size == 0.0001  # a dust-sized position (0.0001 BTC is below 5 USDT)
    _, _, _, info = env.step(0)
    assert info["orders"][0]["status"] == "accepted"
    assert venue_legs(emulator) == {}


# ------------------------------------------------------------------ evidence beats a stale read


def test_two_stale_reads_after_an_entry_never_buy_twice(emulator):
    env = make(emulator)
    env.reset()
    # Every read of the next step is stale (the first read and both re-reads): the venue says "flat".
    emulator.control.add_fault("stale_position", "all_positions", times=3)
    _, _, _, info = env.step(2)
    assert info["orders"][0]["status"] == "accepted"
    assert info["reconciliation"]["status"] == "stale_read"
    assert env.position.side == "long"
    assert env.position.size == 0.01
    _, _, _, info = env.step(2)  # the same action: the env knows it is long, it holds
    assert info["orders"] == []
    assert venue_legs(emulator) == {"long": 0.01}
    assert len(api_orders(emulator)) == 1


def test_no_entry_while_a_stale_read_contradicts_our_close(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    emulator.control.add_fault("stale_position", "all_positions", times=3)
    _, _, _, info = env.step(0)  # close; every read of the step still answers "long"
    assert info["orders"][0]["action"] == "close"
    assert info["reconciliation"]["status"] == "stale_read"
    assert not env.position.is_open
    _, _, _, info = env.step(2)  # flat by our evidence, but the contradiction stands: no entry
    assert info["orders"] == []
    assert info["reconciliation"]["status"] == "entry_held"
    _, _, _, info = env.step(2)  # the venue agreed at the end of the last step: the entry goes out
    assert [o["action"] for o in info["orders"]] == ["open_long"]
    assert venue_legs(emulator) == {"long": 0.01}


def test_a_venue_reset_is_reported_once(emulator, caplog):
    env = make(emulator)
    env.reset()
    env.step(2)
    emulator.control.reset()  # the venue forgets everything: position, orders, fills
    caplog.set_level(logging.WARNING)
    _, _, _, info = env.step(1)
    assert info["reconciliation"]["status"] in ("unexplained_change", "vanished")
    assert not env.position.is_open
    warnings = [r for r in caplog.records if "with no fill we know of" in r.getMessage()]
    assert len(warnings) == 1
    _, _, _, info = env.step(1)
    assert "reconciliation" not in info  # once


def test_a_liquidation_or_manual_trade_is_reported(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    ex = ccxt_client(emulator.url, enableRateLimit=False)
    ex.load_markets()
    # someone else closes it
    ex.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True, "marginMode": "isolated"})
    _, _, _, info = env.step(1)
    assert info["reconciliation"]["status"] == "external_fill"
    assert not env.position.is_open


# ------------------------------------------------------------------ a step never dies of the venue


def test_a_step_that_fails_after_its_order_landed_returns_the_order(emulator):
    env = make(emulator)
    env.reset()
    now = emulator.control.status()["now"]
    # Candles fail for the whole step's budget (2 attempts × 3 rounds), right after the order.
    emulator.control.add_fault("server_error", "/api/v2/mix/market/*candles", times=6)
    _, reward, done, info = env.step(2)
    assert info["venue_unavailable"]
    assert info["stale_observation"]
    assert [o["action"] for o in info["orders"]] == ["open_long"]
    assert info["orders"][0]["status"] == "accepted"
    assert reward == 0.0
    assert not done
    assert emulator.control.status()["now"] == now + 60_000  # one bar, not more
    _, _, _, info = env.step(2)  # the next bar: the account is re-read before acting; it holds
    assert "venue_unavailable" not in info
    assert info["orders"] == []
    assert emulator.control.status()["now"] == now + 120_000
    assert len(api_orders(emulator)) == 1
    assert env.position.side == "long"


def test_outage_policy_raise(emulator):
    env = make(emulator, outage_policy="raise")
    env.reset()
    emulator.control.add_fault("server_error", "/api/v2/mix/market/*candles", times=2)
    with pytest.raises(VenueUnavailable) as e:
        env.step(2)
    assert isinstance(e.value, TorchTradeError)
    assert [o["action"] for o in e.value.info["orders"]] == ["open_long"]


def test_outage_policy_flatten(emulator):
    env = make(emulator, outage_policy="flatten")
    env.reset()
    env.step(2)
    emulator.control.add_fault("server_error", "all_positions", times=6)
    _, _, _, info = env.step(1)
    assert info["venue_unavailable"]
    assert venue_legs(emulator) == {"long": 0.01}
    _, _, _, info = env.step(2)  # the venue answers again: flatten once, open nothing
    assert info["outage_flatten"]["status"] == "accepted"
    assert venue_legs(emulator) == {}
    _, _, _, info = env.step(2)
    assert [o["action"] for o in info["orders"]] == ["open_long"]


def test_a_collector_survives_an_outage(emulator):
    from torchrl.collectors import Collector

    env = make(emulator)
    emulator.control.add_fault("server_error", "*", probability=0.3, times=None)
    collector = Collector(env, policy=None, frames_per_batch=20, total_frames=40)
    batches = list(collector)
    assert sum(b.numel() for b in batches) == 40
    collector.shutdown()


# ------------------------------------------------------------------ partial fills


@pytest.mark.parametrize("policy", ["resend", "drop"])
def test_partial_fill_policies(emulator, policy):
    env = make(emulator, partial_fill_policy=policy)
    env.reset()
    emulator.control.add_fault("partial_fill", "place_order", fill_ratio=0.5)
    _, _, _, info = env.step(2)
    (partial,) = info["partial_fills"]
    assert partial["filled"] == 0.005
    assert partial["remainder"] == 0.005
    orders = api_orders(emulator)
    if policy == "resend":
        assert partial["action"] == "resent"
        assert [o["client_oid"] for o in orders] == [partial["client_oid"], partial["client_oid"] + "r"]
        expected = 0.01
    else:
        assert partial["action"] == "dropped"
        assert len(orders) == 1
        expected = 0.005
    assert venue_legs(emulator) == {"long": expected}
    env.step(1)  # the next bar: nothing more fills
    env.step(1)
    assert venue_legs(emulator) == {"long": expected}
    assert env.position.size == expected


def test_sltp_partial_fill_keeps_its_brackets(emulator):
    env = make(emulator, sltp=True, include_short_positions=False)
    env.reset()
    emulator.control.add_fault("partial_fill", "place_order", fill_ratio=0.5)
    _, _, _, info = env.step(1)
    assert info["partial_fills"][0]["action"] == "resent"
    assert venue_legs(emulator) == {"long": 0.01}
    live = [t for t in emulator.control.orders()["triggers"] if t["status"] == "live"]
    assert sorted(t["kind"] for t in live) == ["pos_loss", "pos_profit"]


def test_a_close_that_finds_the_position_gone_is_reported(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    emulator.control.reset()  # the venue forgets the position
    _, _, _, info = env.step(0)  # the env closes what it believes it holds
    assert info["orders"][0]["status"] == "skipped"
    assert info["reconciliation"]["status"] == "unexplained_change"


def test_a_reset_reports_a_position_that_vanished(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    emulator.control.reset()
    env.reset()
    assert env.last_info["reconciliation"]["status"] == "unexplained_change"


def test_a_close_retried_after_its_response_was_dropped_is_one_close(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    emulator.control.add_fault("drop_response", "close_positions")
    _, _, _, info = env.step(0)
    assert info["orders"][0]["status"] == "accepted"  # the retry found nothing to close: the first landed
    assert [f["side"] for f in info["fills"]] == ["sell"]  # and its fill confirms it
    assert "reconciliation" not in info
    closes = [o for o in emulator.control.ledger("order") if o["source"] == "close"]
    assert len(closes) == 1


def test_a_close_retried_after_a_reset_connection_finds_the_position_gone(emulator):
    env = make(emulator)
    env.reset()
    env.step(2)
    emulator.control.reset()  # gone before the close...
    emulator.control.add_fault("connection_reset", "close_positions")  # ...whose first try never lands
    _, _, _, info = env.step(0)
    assert info["orders"][0]["status"] == "skipped"
    assert info["reconciliation"]["status"] == "unexplained_change"


def test_an_entry_whose_step_failed_is_still_evidence_against_a_stale_read(emulator):
    env = make(emulator)
    env.reset()
    emulator.control.add_fault("server_error", "/api/v2/mix/market/*candles", times=6)
    _, _, _, info = env.step(2)  # the entry lands, then the venue cannot be read
    assert info["venue_unavailable"]
    assert env.position.side == "long"  # what our accepted order and its fill say
    emulator.control.add_fault("stale_position", "all_positions", times=3)  # the next reads lag
    _, _, _, info = env.step(2)
    assert info["orders"] == []  # never a second entry for one decision
    assert info["reconciliation"]["status"] == "stale_read"
    assert venue_legs(emulator) == {"long": 0.01}
    assert len(api_orders(emulator)) == 1
