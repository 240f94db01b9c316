"""The env's money settings through ccxt against the emulator: ``max_position_size``, ``initial_cash``
on an account that holds more, CASH sizing within it, and funding across a funding time."""

from __future__ import annotations

import pytest

from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig

HOUR = 3_600_000


def make(emulator, **kw):
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    return BitgetFuturesTorchTradingEnv(
        BitgetFuturesTradingEnvConfig(base_url=emulator.url, **kw),
        clock=EmulatorClock(emulator.control),
        retry_sleep=lambda s: None,
    )


def venue_qty(emulator) -> float:
    return sum(float(p["qty"]) for p in emulator.control.positions())


class TestMaxPositionSize:
    def test_an_entry_is_cut_to_fit(self, emulator):
        env = make(emulator, quantity_per_trade=1.0, max_position_size=0.1)  # 1 BTC is ~17,000 USDT
        env.reset()
        value, price = env.portfolio_value, float(env.feed.candles("1min")["close"].iloc[-1])
        _, _, _, info = env.step(2)
        (order,) = info["orders"]
        assert order["status"] == "accepted"
        assert order["extra"]["capped"]["by"] == "max_position_size"
        assert order["amount"] <= 0.1 * value / price
        assert order["amount"] == pytest.approx(0.1 * value / price, abs=0.0001)  # rounded down to the lot
        assert venue_qty(emulator) == order["amount"]

    def test_what_fits_below_the_minimum_is_refused(self, emulator):
        env = make(emulator, max_position_size=1e-7)
        env.reset()
        _, _, _, info = env.step(2)
        (order,) = info["orders"]
        assert order["status"] == "rejected"
        assert order["code"] == "precheck"
        assert order["extra"]["capped"]["by"] == "max_position_size"
        assert venue_qty(emulator) == 0


class TestInitialCash:
    def test_the_value_is_the_budget_plus_the_envs_own_results(self, emulator):
        env = make(emulator, initial_cash=1000.0)
        env.reset()
        assert env.portfolio_value == 1000.0  # the account holds 10,000
        env.step(2)
        env.step(1)
        _, _, _, info = env.step(0)
        fills = emulator.control.fills()
        realized = sum(float(f["realized_pnl"]) for f in fills)
        fees = sum(float(f["fee"]) for f in fills)
        assert env.portfolio_value == pytest.approx(1000.0 + realized - fees, abs=1e-6)
        assert info["portfolio_value"] == env.portfolio_value

    def test_bankruptcy_uses_the_budget(self, emulator):
        # The entry's fee is ~0.1 USDT: below 99.99 % of a 1,000 budget, not of the 10,000 account.
        env = make(emulator, initial_cash=1000.0, bankrupt_threshold=0.9999)
        env.reset()
        _, _, done, info = env.step(2)
        assert done
        assert info["terminated"]

    def test_cash_sizing_stays_within_the_budget(self, emulator):
        env = make(emulator, initial_cash=1000.0, leverage=1, trade_mode="cash", quantity_per_trade=5000.0)
        env.reset()
        _, _, _, info = env.step(2)
        (order,) = info["orders"]
        assert order["extra"]["capped"]["by"] == "free_balance"
        price = float(env.feed.candles("1min")["close"].iloc[-1])
        assert order["amount"] * price <= 1000.0


@pytest.mark.parametrize("venue", ["bitget", "binance"])
@pytest.mark.parametrize("leverage", [5, 10, 20])
def test_an_entry_sized_to_the_whole_free_balance_is_accepted_at_high_leverage(venue, leverage, request):
    """The margin and the opening fee on the whole value come from the free balance: at 10x the fee is
    0.6 % of the margin on Bitget, more than a buffer on the margin alone leaves."""
    from tests.integration.test_futures_envs import VENUES
    from tests.integration.test_futures_envs import make as make_futures

    v = next(x for x in VENUES if x.name == venue)
    emulator = request.getfixturevalue(v.fixture)
    env = make_futures((v, emulator), leverage=leverage, trade_mode="cash", quantity_per_trade=10**7)
    env.reset()
    free = env.balance.free
    _, _, _, info = env.step(2)
    (order,) = info["orders"]
    assert order["status"] == "accepted", order
    assert order["extra"]["capped"]["by"] == "free_balance"
    price = float(env.feed.candles("1min")["close"].iloc[-1])
    assert order["amount"] * price / leverage >= 0.95 * free  # most of the balance is used
    env.close_all_positions()


def test_funding_across_a_funding_time(emulator):
    env = make(emulator, time_frames=["1h"], window_sizes=[3], quantity_per_trade=0.1)
    env.reset()
    env.step(2)
    qty = venue_qty(emulator)
    payments, metrics_before = [], env.get_metrics()["funding"]
    for _ in range(12):  # twelve hours: at least one funding time (every 8 h on UTC boundaries)
        _, _, _, info = env.step(1)
        payments += info["funding"]
    assert metrics_before == 0
    assert payments, "no funding reported across a funding time"
    settled = emulator.control.ledger("funding")
    assert len(settled) == len(payments)
    for payment, event in zip(payments, settled, strict=True):
        assert payment["amount"] == pytest.approx(-float(event["payment"]), abs=1e-9)
        # longs pay shorts at a positive rate: qty × mark × rate (the default rate is 0.0001)
        assert payment["amount"] == pytest.approx(-qty * float(event["mark"]) * 0.0001, rel=1e-6)
    assert env.get_metrics()["funding"] == pytest.approx(sum(p["amount"] for p in payments))
