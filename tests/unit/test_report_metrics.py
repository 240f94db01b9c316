"""The metrics against hand computations, and their properties over any equity curve."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torchtrade.envs.core.account import FillInfo
from torchtrade.envs.core.metrics import EpisodeMetrics
from torchtrade.reports.metrics import (
    annualized_return,
    calmar,
    compute_metrics,
    drawdown_curve,
    max_drawdown,
    metrics_lines,
    periods_per_year,
    sharpe,
    sortino,
    total_return,
    trade_results,
    win_rate,
)

# 100 -> 110 -> 99 -> 121: returns +10 %, -10 %, +22.2 %; the trough is 10 % under the 110 peak.
CURVE = [100.0, 110.0, 99.0, 121.0]
P = 4.0  # bars a year, to keep the hand computation small


def test_return_and_drawdown_by_hand():
    assert total_return(CURVE) == pytest.approx(0.21)
    assert list(drawdown_curve(CURVE)) == pytest.approx([0.0, 0.0, 0.1, 0.0])
    assert max_drawdown(CURVE) == pytest.approx(0.1)


def test_ratios_by_hand():
    r = [0.1, -0.1, 22 / 99]
    mean = sum(r) / 3  # 0.074074...
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 2)  # sample standard deviation: 0.162668...
    assert sharpe(CURVE, P) == pytest.approx(mean / sd * 2)  # sqrt(4) = 2
    assert sharpe(CURVE, P) == pytest.approx(0.910743, rel=1e-5)
    downside = math.sqrt((0 + 0.01 + 0) / 3)  # only -10 % is below the 0 target
    assert sortino(CURVE, P) == pytest.approx(mean / downside * 2)
    assert sortino(CURVE, P) == pytest.approx(2.566001, rel=1e-5)
    annual = 1.21 ** (4 / 3) - 1  # 3 bars of a 4-bar year, compounded
    assert annualized_return(CURVE, P) == pytest.approx(annual)
    assert calmar(CURVE, P) == pytest.approx(annual / 0.1)
    assert calmar(CURVE, P) == pytest.approx(2.893787, rel=1e-5)


def test_trades_and_win_rate_by_hand():
    # an entry (nothing realised) is no trade; a trade's result is net of its own fee
    assert trade_results([0.0, 10.0, -1.0, 0.3], [0.5, 1.0, 0.2, 0.4]) == pytest.approx([9.0, -1.2, -0.1])
    assert win_rate([9.0, -1.2, -0.1]) == pytest.approx(1 / 3)
    assert win_rate([]) == 0.0


def test_annualisation_from_the_bar_period():
    assert periods_per_year(60_000) == 525_600  # 365 days of 1-minute bars around the clock
    assert periods_per_year(3_600_000) == 8_760
    assert periods_per_year(86_400_000) == 365
    assert periods_per_year(60_000, 390 * 60_000) == 252 * 390  # US stock sessions of 6.5 h
    assert periods_per_year(86_400_000, 390 * 60_000) == 252  # a daily bar is one a session
    with pytest.raises(ValueError, match="bar_ms must be > 0"):
        periods_per_year(0)


def test_undefined_ratios_are_nan_and_shown_as_na():
    flat = [100.0, 100.0, 100.0]
    assert math.isnan(sharpe(flat, P))
    assert math.isnan(sortino(flat, P))
    assert math.isnan(calmar(flat, P))
    assert math.isnan(sharpe([100.0], P))
    rising = [100.0, 101.0, 103.0]
    assert math.isnan(sortino(rising, P))
    assert math.isnan(calmar(rising, P))
    m = compute_metrics(flat, periods=P)
    lines = metrics_lines(m)
    assert "Sharpe           n/a" in lines
    assert "Calmar           n/a" in lines


def test_compute_metrics_holds_every_number():
    m = compute_metrics(
        CURVE, periods=P, trades=[9.0, -1.2], fills=4, fees=2.0, funding=-0.5, prices=[50.0, 51.0, 49.0, 55.0]
    )
    assert (m.initial_value, m.portfolio_value, m.steps, m.trades, m.fills) == (100.0, 121.0, 3, 2, 4)
    assert m.buy_and_hold_return == pytest.approx(0.1)
    assert m.win_rate == 0.5
    lines = metrics_lines(m)
    assert "final value      121.00 USDT" in lines
    assert "return           +21.000 %" in lines
    assert "max drawdown     10.000 %" in lines
    assert "buy and hold     +10.000 %" in lines


def test_the_env_summary_ends_at_the_value_it_reports():
    """What the demo showed: a close after the last step moved the value, and the return ignored it."""
    em = EpisodeMetrics()
    em.record_value(0, 10_000.0)
    em.record_value(60_000, 10_010.0)
    em.record_fills([FillInfo("f1", "o1", "sell", 100.0, 1.0, 2.0, 5.0, 60_000)])
    s = em.summary(final_value=9_990.0, periods=P)
    assert s["portfolio_value"] == 9_990.0
    assert s["total_return"] == pytest.approx(9_990 / 10_000 - 1)
    assert s["max_drawdown"] == pytest.approx(1 - 9_990 / 10_010)
    assert s["steps"] == 1
    assert s["trades"] == 1
    assert s["win_rate"] == 1.0
    assert s["fees"] == 2.0
    em.record_value(120_000, 10_005.0)
    same = em.summary(final_value=10_005.0, periods=P)  # nothing moved since the last step: no new bar
    assert same["sharpe"] == pytest.approx(sharpe([10_000, 10_010, 10_005], P))
    assert same["steps"] == 2


values = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(st.lists(values, min_size=1, max_size=60))
def test_properties_of_any_positive_curve(curve):
    mdd = max_drawdown(curve)
    assert 0.0 <= mdd <= 1.0
    dd = drawdown_curve(curve)
    assert len(dd) == len(curve)
    assert ((dd >= 0) & (dd <= 1)).all()
    assert total_return(curve) == pytest.approx(curve[-1] / curve[0] - 1, rel=1e-12)
    m = compute_metrics(curve, periods=525_600)
    assert m.portfolio_value == curve[-1]
    assert m.initial_value == curve[0]
    assert m.steps == len(curve) - 1
    for ratio in (m.sharpe, m.sortino):
        assert math.isnan(ratio) or math.isfinite(ratio)
    if not math.isnan(m.calmar) and math.isfinite(m.calmar):
        assert math.copysign(1, m.calmar) == math.copysign(1, m.annualized_return) or m.annualized_return == 0


@given(st.lists(values, min_size=1, max_size=60))
def test_a_curve_that_never_falls_has_no_drawdown(curve):
    rising = sorted(curve)
    assert max_drawdown(rising) == 0.0
    assert total_return(rising) >= 0.0


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), max_size=60))
def test_drawdown_stays_in_range_even_through_zero_and_below(curve):
    assert 0.0 <= max_drawdown(curve) <= 1.0
