"""The env's position model and its settling, without a venue: legs, exact netting, account_state,
actions on hedged legs, and the reconciler's decisions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from torchtrade.envs.core.account import (
    ACCOUNT_STATE_FIELDS,
    FLAT,
    BalanceState,
    FillInfo,
    Leg,
    PositionState,
    account_state,
    exact_sum,
)
from torchtrade.envs.core.actions import SLTPActions, StandardActions
from torchtrade.envs.core.reconcile import Evidence, Probes, Reconciler

LONG = PositionState.single("long", 0.01, entry_price=100.0, mark_price=110.0, leverage=5)
HEDGED = PositionState(
    (
        Leg("long", 0.03, entry_price=100.0, mark_price=110.0),
        Leg("short", 0.01, entry_price=120.0, mark_price=110.0),
    )
)


def test_exact_netting():
    assert HEDGED.signed_size == 0.02
    assert HEDGED.gross_size == 0.04
    assert HEDGED.side == "long"
    assert HEDGED.hedged
    assert HEDGED.is_open
    assert exact_sum([0.1, 0.2]) == 0.3


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=2, max_size=2))
def test_netting_is_exact_in_the_markets_precision(units):
    long, short = (u / 10_000 for u in units)
    pos = PositionState((Leg("long", long), Leg("short", short)))
    assert pos.signed_size == (units[0] - units[1]) / 10_000


def test_legs_that_net_to_zero_are_open_but_sideless():
    pos = PositionState((Leg("long", 0.01), Leg("short", 0.01)))
    assert pos.is_open
    assert pos.side is None
    assert pos.size == 0.0
    assert pos.describe() == "long 0.01 + short 0.01"


def test_same_as_compares_legs_not_prices():
    assert LONG.same_as(PositionState.single("long", 0.01, entry_price=1.0))
    assert not LONG.same_as(PositionState.single("long", 0.02))
    assert not LONG.same_as(FLAT)
    assert FLAT.same_as(PositionState())


def test_account_state_with_one_leg_is_the_legs():
    state = dict(
        zip(ACCOUNT_STATE_FIELDS, account_state(LONG, BalanceState(1000, 900), 110.0, 3), strict=True)
    )
    assert state["position_size"] == pytest.approx(0.01)
    assert state["position_value"] == pytest.approx(1.1)
    assert state["unrealized_pnl_pct"] == pytest.approx(0.1)
    assert state["margin_ratio"] == pytest.approx(1.1 / 1000)
    assert state["holding_time"] == 3


def test_account_state_with_both_legs_is_the_net_exposure_and_the_gross_margin():
    state = dict(
        zip(ACCOUNT_STATE_FIELDS, account_state(HEDGED, BalanceState(1000, 900), 110.0, 1), strict=True)
    )
    assert state["position_size"] == pytest.approx(0.02)
    assert state["position_value"] == pytest.approx(0.02 * 110)
    assert state["entry_price"] == 100.0  # the larger leg's
    # (0.03 × 10 − 0.01 × −10) / (0.03 × 100 + 0.01 × 120)
    assert state["unrealized_pnl_pct"] == pytest.approx((0.3 + 0.1) / (3.0 + 1.2))
    assert state["margin_ratio"] == pytest.approx(0.04 * 110 / 1000)
    assert np.isfinite(account_state(HEDGED, BalanceState(0, 0), 110.0, 0)).all()


def test_standard_actions_on_hedged_legs():
    actions = StandardActions()
    assert actions.decide(2, HEDGED).kind == "hold"  # net long, long: hold
    assert actions.decide(0, HEDGED).kind == "close"  # against the net: close every leg
    zero = PositionState((Leg("long", 0.01), Leg("short", 0.01)))
    assert actions.decide(2, zero).kind == "close"
    assert actions.decide(0, zero).kind == "close"
    assert SLTPActions([-0.01], [0.01]).decide(1, zero).kind == "hold"


# ------------------------------------------------------------------ the reconciler


def fill(order_id: str) -> FillInfo:
    return FillInfo(
        id=f"f{order_id}",
        order_id=order_id,
        side="sell",
        price=1,
        amount=0.01,
        fee=0,
        realized_pnl=0,
        timestamp=1,
    )


def reconciler(rereads: int = 2, max_steps: int = 3) -> Reconciler:
    return Reconciler(
        rereads=rereads, max_steps=max_steps, sleep=lambda s: None, backoff_s=0.0, brackets=False
    )


def settle(rec: Reconciler, *, before=FLAT, read=FLAT, fresh=None, fills=(), rereads=(), exists=True):
    reads = iter(rereads)
    return rec.settle(
        before=before,
        read=read,
        fresh=fresh,
        probes=Probes(
            fills=lambda: list(fills),
            reread=lambda: next(reads, read),
            order_exists=lambda ev: exists,
            ours={"ours"},
        ),
    )


def test_an_agreeing_read_is_taken():
    out = settle(reconciler(), before=FLAT, read=LONG, fresh=Evidence(LONG, "c1", "ours"))
    assert out.position is LONG
    assert out.note is None


def test_a_stale_read_after_our_entry_is_overruled_then_cleared():
    rec = reconciler()
    out = settle(rec, read=FLAT, fresh=Evidence(LONG, "c1", "ours"))
    assert out.position.same_as(LONG)
    assert out.note["status"] == "stale_read"
    assert rec.contradicted
    out = settle(rec, before=LONG, read=LONG)  # the venue catches up
    assert out.note is None
    assert not rec.contradicted


def test_a_reread_that_agrees_settles_it():
    rec = reconciler()
    out = settle(rec, read=FLAT, fresh=Evidence(LONG, "c1", "ours"), rereads=[LONG])
    assert out.position is LONG
    assert not rec.contradicted


def test_a_fill_that_is_not_ours_explains_the_difference():
    rec = reconciler()
    out = settle(rec, read=FLAT, fresh=Evidence(LONG, "c1", "ours"), fills=[fill("bracket")])
    assert not out.position.is_open
    assert out.note["status"] == "external_fill"
    rec.brackets = True
    out = settle(rec, read=FLAT, fresh=Evidence(LONG, "c1", "ours"), fills=[fill("bracket")])
    assert out.note is None  # a bracket closing an SLTP position is normal


def test_a_vanished_order_ends_the_contradiction():
    rec = reconciler()
    settle(rec, read=FLAT, fresh=Evidence(LONG, "c1", "ours"))
    out = settle(rec, before=LONG, read=FLAT, exists=False)
    assert out.note["status"] == "vanished"
    assert not out.position.is_open
    assert not rec.contradicted


def test_a_contradiction_does_not_stand_forever():
    rec = reconciler(max_steps=2)
    settle(rec, read=FLAT, fresh=Evidence(LONG, "c1", "ours"))
    assert settle(rec, before=LONG, read=FLAT).note["status"] == "stale_read"
    assert settle(rec, before=LONG, read=FLAT).note["status"] == "stale_read"
    out = settle(rec, before=LONG, read=FLAT)
    assert out.note["status"] == "gave_up"
    assert not out.position.is_open


def test_an_unexplained_change_is_reported_once():
    rec = reconciler()
    out = settle(rec, before=LONG, read=FLAT)
    assert out.note["status"] == "unexplained_change"
    assert settle(rec, before=out.position, read=FLAT).note is None


leg_st = st.builds(
    Leg,
    side=st.sampled_from(["long", "short"]),
    size=st.sampled_from([0.0, 0.001, 0.01, 0.03, 0.1 + 0.2, 0.3, 1.0]),
    entry_price=st.floats(1, 1e5),
)


@given(a=st.lists(leg_st, max_size=2), b=st.lists(leg_st, max_size=2))
def test_same_as_is_the_comparison_of_the_legs_shortest_decimals(a, b):
    from torchtrade.envs.core.account import _shape

    left, right = PositionState(tuple(a)), PositionState(tuple(b))
    assert left.same_as(right) == (_shape(left) == _shape(right))
    assert left.same_as(left)
