"""Alpaca's admission rules: each refusal has its own reason and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.spot_helpers import CLOSE, MIN, OPEN, btc, buy, day_ms, engine, flat_bars, sell, stock
from torchtrade.emulator.engine import (
    AccountKind,
    EngineError,
    OrderRejected,
    Reason,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
)

D = Decimal
T = day_ms(0) + OPEN + 10 * MIN


def market(**symbols: str):
    """An engine at T with flat bars for the given symbol -> price (``btc`` for BTC/USD)."""
    insts = {}
    for name, price in symbols.items():
        inst = (
            btc()
            if name == "btc"
            else stock(name.upper(), **({"fractionable": False} if name == "brk" else {}))
        )
        insts[inst] = flat_bars(T - 5 * MIN, 30, price)
    return insts


def rejected(eng, req) -> Reason:
    before = (len(eng.spot_account("a").orders), eng.spot_account("a").cash)
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order("a", req)
    assert (len(eng.spot_account("a").orders), eng.spot_account("a").cash) == before
    return e.value.reason


@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (buy("MSFT", "1"), Reason.UNKNOWN_SYMBOL),
        (buy("AAPL", "1", notional="10"), Reason.INVALID_PARAM),
        (buy("AAPL"), Reason.INVALID_PARAM),
        (buy("AAPL", "0"), Reason.INVALID_PARAM),
        (buy("AAPL", "1", limit_price="100.001"), Reason.PRICE_PRECISION),
        (buy("AAPL", "1", type=SpotOrderType.LIMIT), Reason.INVALID_PARAM),
        (buy("AAPL", "1", limit_price="99", type=SpotOrderType.MARKET), Reason.INVALID_PARAM),
        (buy("AAPL", "1", extended_hours=True), Reason.EXTENDED_HOURS_INVALID),
        (
            buy("AAPL", "1", limit_price="99", extended_hours=True, tif=SpotTimeInForce.GTC),
            Reason.EXTENDED_HOURS_INVALID,
        ),
        (buy("AAPL", "1", stop_price="101", tif=SpotTimeInForce.OPG), Reason.TIF_NOT_SUPPORTED),
        (buy("AAPL", "0.5", stop_price="101"), Reason.FRACTIONAL_NOT_ALLOWED),
        (buy("AAPL", "0.5", tif=SpotTimeInForce.GTC), Reason.FRACTIONAL_NOT_ALLOWED),
        (buy("AAPL", "0.0000000001"), Reason.QTY_PRECISION),
        (buy("AAPL", notional="0.5"), Reason.NOTIONAL_BELOW_MIN),
        (buy("AAPL", "0.001"), Reason.NOTIONAL_BELOW_MIN),
        (buy("BRK", "0.5"), Reason.FRACTIONAL_NOT_ALLOWED),
        (buy("BTC/USD", "1", tif=SpotTimeInForce.DAY), Reason.TIF_NOT_SUPPORTED),
        (buy("BTC/USD", "1", stop_price="101"), Reason.ORDER_TYPE_NOT_SUPPORTED),
        (buy("BTC/USD", "0.00001"), Reason.QTY_BELOW_MIN),
        (buy("BTC/USD", "1", limit_price="99.5"), Reason.PRICE_PRECISION),
        (sell("BTC/USD", "1"), Reason.INSUFFICIENT_QTY),
        (buy("AAPL", "1", client_order_id="x" * 129), Reason.INVALID_PARAM),
    ],
)
def test_shape_refusals(req, reason):
    eng = engine(market(aapl="100", brk="100", btc="100"), start=T)
    assert rejected(eng, req) is reason


def test_sub_dollar_stocks_take_four_decimals():
    eng = engine(market(aapl="0.5"), start=T)
    assert eng.submit_spot_order("a", buy("AAPL", "10", limit_price="0.4999")).status is SpotOrderStatus.NEW
    assert rejected(eng, buy("AAPL", "10", limit_price="0.49995")) is Reason.PRICE_PRECISION


def test_buying_power_multipliers():
    eng = engine(market(aapl="100"), start=T, cash="10000")
    assert eng.spot_balance("a").multiplier == 2
    assert eng.spot_balance("a").buying_power == 20000
    assert rejected(eng, buy("AAPL", "201", limit_price="100")) is Reason.INSUFFICIENT_BUYING_POWER
    eng.submit_spot_order("a", buy("AAPL", "200", limit_price="100"))
    b = eng.spot_balance("a")
    assert (b.cash, b.equity, b.initial_margin, b.buying_power) == (-10000, 10000, 10000, 0)
    big = engine(market(aapl="100"), start=T, cash="30000")
    b = big.spot_balance("a")
    assert (b.multiplier, b.daytrading_buying_power, b.buying_power, b.regt_buying_power) == (
        4,
        120000,
        120000,
        60000,
    )
    small = engine(market(aapl="100"), start=T, cash="1500")
    assert small.spot_balance("a").multiplier == 1
    assert small.spot_balance("a").buying_power == 1500


def test_market_buy_is_checked_with_a_buffer_and_notional_exactly():
    eng = engine(market(aapl="100"), start=T, cash="1000", kind=AccountKind.CASH)
    assert rejected(eng, buy("AAPL", "10")) is Reason.INSUFFICIENT_BUYING_POWER  # 10 × 102.5 > 1000
    assert eng.submit_spot_order("a", buy("AAPL", notional="1000")).filled_qty == 10


def test_open_orders_reduce_buying_power_and_release_it_when_canceled():
    eng = engine(market(aapl="100"), start=T, cash="10000", kind=AccountKind.CASH)
    o = eng.submit_spot_order("a", buy("AAPL", "30", limit_price="90"))
    assert eng.spot_balance("a").buying_power == 10000 - 2700
    assert rejected(eng, buy("AAPL", "80", limit_price="95")) is Reason.INSUFFICIENT_BUYING_POWER
    eng.cancel_spot_order("a", o.id)
    assert eng.spot_balance("a").buying_power == 10000


def test_crypto_uses_non_marginable_buying_power():
    eng = engine(market(btc="100"), start=T, cash="10000")
    assert eng.spot_balance("a").buying_power == 20000
    assert rejected(eng, buy("BTC/USD", "101", limit_price="100")) is Reason.INSUFFICIENT_BUYING_POWER


def test_selling_more_than_available_is_refused_open_orders_hold_shares():
    eng = engine(market(aapl="100"), start=T)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    assert rejected(eng, sell("AAPL", "11")) is Reason.INSUFFICIENT_QTY  # no flip in one order
    eng.submit_spot_order("a", sell("AAPL", "6", limit_price="120"))
    assert rejected(eng, sell("AAPL", "5", limit_price="121")) is Reason.INSUFFICIENT_QTY
    [p] = eng.spot_positions("a")
    assert p.qty_available == 4
    with pytest.raises(OrderRejected) as e:
        eng.close_spot_position("a", "AAPL")
    assert e.value.reason is Reason.INSUFFICIENT_QTY


def test_short_sale_of_a_shortable_stock_and_its_accounting():
    eng = engine(market(aapl="100"), start=T)
    o = eng.submit_spot_order("a", sell("AAPL", "10"))
    assert o.status is SpotOrderStatus.FILLED
    [p] = eng.spot_positions("a")
    assert (p.qty, p.side.value, p.market_value, p.cost_basis) == (-10, "short", -1000, -1000)
    b = eng.spot_balance("a")
    assert (b.cash, b.short_market_value, b.equity, b.initial_margin, b.maintenance_margin) == (
        11000,
        -1000,
        10000,
        500,
        300,
    )
    eng.submit_spot_order("a", buy("AAPL", "10"))
    assert eng.spot_positions("a") == []
    assert eng.spot_account("a").cash == 10000


def test_short_refusals():
    assert (
        rejected(engine(market(aapl="100"), start=T, kind=AccountKind.CASH), sell("AAPL", "1"))
        is Reason.SHORT_NOT_ALLOWED
    )
    assert (
        rejected(engine(market(aapl="100"), start=T, cash="1500"), sell("AAPL", "1"))
        is Reason.SHORT_NOT_ALLOWED
    )
    assert (
        rejected(engine(market(aapl="100"), start=T, shorting_enabled=False), sell("AAPL", "1"))
        is Reason.SHORT_NOT_ALLOWED
    )
    eng = engine(
        {
            stock("GME", shortable=False): flat_bars(T - MIN, 5, "10"),
            stock("HTB", easy_to_borrow=False): flat_bars(T - MIN, 5, "10"),
        },
        start=T,
    )
    assert rejected(eng, sell("GME", "1")) is Reason.NOT_SHORTABLE
    assert rejected(eng, sell("HTB", "1")) is Reason.NOT_SHORTABLE
    eng = engine(market(aapl="100"), start=T)
    assert rejected(eng, sell("AAPL", "0.5")) is Reason.FRACTIONAL_NOT_ALLOWED
    assert rejected(eng, sell("AAPL", "1000")) is Reason.INSUFFICIENT_BUYING_POWER  # 1000 × 103 > 20000


def test_wash_trade_against_an_opposite_open_order():
    eng = engine(market(aapl="100"), start=T)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    eng.submit_spot_order("a", sell("AAPL", "5", limit_price="110"))
    assert rejected(eng, buy("AAPL", "1")) is Reason.WASH_TRADE  # a market buy would meet the sell
    assert rejected(eng, buy("AAPL", "1", limit_price="110")) is Reason.WASH_TRADE
    assert eng.submit_spot_order("a", buy("AAPL", "1", limit_price="99")).status is SpotOrderStatus.NEW


def _day_trade(eng, t):
    eng.advance_to(t)
    eng.submit_spot_order("a", buy("AAPL", "1"))
    eng.submit_spot_order("a", sell("AAPL", "1"))


def test_pdt_protection_refuses_the_fourth_day_trade_in_five_sessions():
    aapl = stock()
    bars = [b for n in range(0, 12) for b in flat_bars(day_ms(n) + OPEN, 5, "100")]
    eng = engine({aapl: bars}, start=day_ms(0) + OPEN + MIN)
    for n in (0, 1, 2):  # Monday, Tuesday, Wednesday
        _day_trade(eng, day_ms(n) + OPEN + 2 * MIN)
    assert eng.spot_balance("a").daytrade_count == 3
    eng.advance_to(day_ms(3) + OPEN + 2 * MIN)  # Thursday
    eng.submit_spot_order("a", buy("AAPL", "1"))
    assert rejected(eng, sell("AAPL", "1")) is Reason.PDT_PROTECTION
    assert eng.spot_account("a").last_equity < 25000
    # Selling yesterday's shares is no day trade; the window moves on after five sessions.
    eng.advance_to(day_ms(4) + OPEN + 2 * MIN)
    assert eng.submit_spot_order("a", sell("AAPL", "1")).status is SpotOrderStatus.FILLED
    eng.advance_to(day_ms(7) + OPEN + 2 * MIN)  # next Monday: the window is Tue..Mon, 2 day trades
    assert eng.spot_balance("a").daytrade_count == 2
    _day_trade(eng, day_ms(7) + OPEN + 3 * MIN)
    assert eng.spot_balance("a").daytrade_count == 3


def test_pdt_does_not_limit_large_cash_or_crypto_accounts():
    aapl = stock()
    bars = {aapl: flat_bars(T - MIN, 20, "100"), btc(): flat_bars(T - MIN, 20, "100")}
    big = engine(bars, start=T, cash="30000")
    cash = engine(bars, start=T, kind=AccountKind.CASH)
    crypto = engine(bars, start=T)
    for eng, sym in ((big, "AAPL"), (cash, "AAPL"), (crypto, "BTC/USD")):
        for i in range(5):
            eng.advance_to(T + i * MIN)
            eng.submit_spot_order("a", buy(sym, "1"))
            qty = eng.spot_positions("a")[0].qty
            eng.submit_spot_order("a", sell(sym, str(qty)))
    assert big.spot_balance("a").daytrade_count == 5
    assert big.spot_balance("a").pattern_day_trader
    assert cash.spot_balance("a").daytrade_count == 0
    assert crypto.spot_balance("a").daytrade_count == 0


def test_last_equity_is_taken_at_the_close():
    aapl = stock()
    bars = flat_bars(day_ms(0) + CLOSE - 5 * MIN, 5, "100") + flat_bars(day_ms(1) + OPEN, 5, "120")
    eng = engine({aapl: bars}, start=day_ms(0) + CLOSE - 4 * MIN)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    eng.advance_to(day_ms(1) + OPEN + 2 * MIN)
    b = eng.spot_balance("a")
    assert (b.last_equity, b.equity) == (10000, 10200)
    [p] = eng.spot_positions("a")
    assert (p.lastday_price, p.unrealized_intraday_pl, p.change_today) == (100, 200, D("0.2"))


def test_the_account_holder_configures_shorting_multiplier_and_suspension():
    eng = engine(market(aapl="100"), start=T, cash="30000")
    resting = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="90"))
    eng.configure_spot_account("a", shorting_enabled=False)
    assert rejected(eng, sell("AAPL", "1")) is Reason.SHORT_NOT_ALLOWED
    eng.configure_spot_account("a", max_multiplier=2)
    assert eng.spot_balance("a").multiplier == 2
    eng.configure_spot_account("a", orders_suspended=True)
    assert rejected(eng, buy("AAPL", "1")) is Reason.ORDERS_SUSPENDED
    with pytest.raises(OrderRejected) as e:
        eng.replace_spot_order("a", resting.id, limit_price=D("91"))
    assert e.value.reason is Reason.ORDERS_SUSPENDED
    assert eng.get_spot_order("a", order_id=resting.id).is_open  # open orders keep working
    with pytest.raises(EngineError) as e:
        eng.configure_spot_account("a", max_multiplier=3, orders_suspended=False)
    assert e.value.reason is Reason.INVALID_PARAM
    assert eng.spot_account("a").orders_suspended  # a refused change changes nothing
    eng.configure_spot_account("a", orders_suspended=False, shorting_enabled=True)
    eng.cancel_spot_order("a", resting.id)  # else the short would be a potential wash trade
    assert eng.submit_spot_order("a", sell("AAPL", "1")).filled_qty == 1
    logged = eng.ledger.events("account_configured", account="a")
    assert [e["orders_suspended"] for e in logged] == [False, False, True, False]
