"""The risk state of an env (no venue): the drawdown stop, the order-rate window, the halt."""

from __future__ import annotations

import logging

import pytest

from torchtrade.envs.core.account import OrderOutcome
from torchtrade.envs.core.risk import RiskGuard, orders_for_entry

MIN = 60_000


def sent(status: str = "accepted", code: str | None = None) -> OrderOutcome:
    return OrderOutcome("id", "open_long", status, code=code)  # type: ignore[arg-type]


def test_no_limits_refuse_nothing():
    guard = RiskGuard(start_value=100.0)
    for t in range(100):
        guard.record_order(sent(), t)
    assert guard.entry_refusal(100, 3) is None
    assert guard.check_drawdown(0.0) is None
    assert guard.floor is None


def test_the_drawdown_stop_trips_once_at_its_floor(caplog):
    guard = RiskGuard(max_drawdown=0.1, start_value=1000.0, symbol="X")
    caplog.set_level(logging.WARNING)
    assert guard.floor == pytest.approx(900.0)
    assert guard.check_drawdown(900.01) is None
    breach = guard.check_drawdown(900.0)
    assert breach is not None
    assert breach["drawdown"] == pytest.approx(0.1)
    assert guard.check_drawdown(800.0) is None  # once
    assert guard.halted == "max_drawdown"
    assert guard.entry_refusal(0).reason == "max_drawdown"  # type: ignore[union-attr]
    assert len([r for r in caplog.records if "max_drawdown reached" in r.getMessage()]) == 1
    guard.rearm(800.0)
    assert guard.halted is None
    assert guard.floor == pytest.approx(720.0)
    assert guard.entry_refusal(0) is None


def test_a_kill_is_not_undone_by_rearming():
    guard = RiskGuard(max_drawdown=0.1, start_value=1000.0)
    guard.halted = "killed"
    guard.rearm(1000.0)
    assert guard.entry_refusal(0).reason == "killed"  # type: ignore[union-attr]
    guard.check_drawdown(1.0)
    assert guard.halted == "killed"  # a later breach does not overwrite the kill


def test_the_order_window_is_60_s_of_venue_time():
    guard = RiskGuard(max_orders_per_minute=3)
    for t in (0, 10_000, 20_000):
        guard.record_order(sent(), t)
    assert guard.orders_in_window(20_000) == 3
    assert guard.entry_refusal(30_000).reason == "max_orders_per_minute"  # type: ignore[union-attr]
    assert guard.orders_in_window(MIN - 1) == 3
    assert guard.orders_in_window(MIN) == 2  # the window is (now - 60 s, now]: the order at 0 is out
    assert guard.entry_refusal(MIN, 1) is None
    assert guard.entry_refusal(MIN, 2) is not None
    assert guard.entry_refusal(MIN + 10_000, 2) is None


def test_only_sent_orders_count():
    guard = RiskGuard(max_orders_per_minute=1)
    guard.record_order(sent("skipped"), 0)  # nothing to close: nothing sent
    guard.record_order(sent("rejected", code="precheck"), 0)  # refused before sending
    assert guard.orders_in_window(0) == 0
    guard.record_order(sent("rejected", code="40762"), 0)  # the venue refused it: it was sent
    assert guard.orders_in_window(0) == 1


class _Trader:
    def __init__(self, attached: bool, client: bool = False) -> None:
        self.attached_brackets = attached
        self.client_brackets = client


@pytest.mark.parametrize(
    ("attached", "client", "bracketed", "orders"),
    [
        (True, False, True, 1),  # Bitget: TP/SL ride on the entry
        (False, False, True, 3),  # Binance: entry + stop-loss + take-profit
        (False, False, False, 1),
        (False, True, True, 1),  # Alpaca crypto: the env's own levels, no orders
    ],
)
def test_orders_an_entry_sends(attached, client, bracketed, orders):
    assert orders_for_entry(_Trader(attached, client), bracketed) == orders
