"""Spot order life: stops, stop-limits, brackets, OTO, OCO, replace, cancel, lists, opg/cls, ioc/fok."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.spot_helpers import CLOSE, MIN, OPEN, btc, buy, day_ms, engine, flat_bars, sell, stock
from torchtrade.emulator.engine import (
    EngineError,
    LegRole,
    OrderClass,
    OrderQueryStatus,
    OrderRejected,
    Reason,
    Side,
    SpotOrderQuery,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
    StopLoss,
    TakeProfit,
)

D = Decimal
T = day_ms(0) + OPEN + 10 * MIN


def bar(t: int, o: str, h: str, lo: str, c: str) -> tuple[int, str, str, str, str]:
    return (t, o, h, lo, c)


def test_stop_sell_fires_on_the_touch_and_fills_at_market():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "100", "94", "95")]
    eng = engine({aapl: bars}, start=T)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    stop = eng.submit_spot_order("a", sell("AAPL", "10", stop_price="96"))
    assert stop.status is SpotOrderStatus.NEW
    eng.advance_to(T + MIN)
    assert stop.status is SpotOrderStatus.FILLED
    assert stop.avg_price == 96


def test_stop_gapped_through_fills_at_the_open():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "90", "91", "89", "90")]
    eng = engine({aapl: bars}, start=T)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    stop = eng.submit_spot_order("a", sell("AAPL", "10", stop_price="96"))
    eng.advance_to(T + MIN)
    assert stop.avg_price == 90


def test_stop_limit_becomes_a_limit_that_rests_when_the_market_ran_past_it():
    aapl = stock()
    bars = [
        *flat_bars(T - 5 * MIN, 5, "100"),
        bar(T, "100", "100", "93", "94"),
        bar(T + MIN, "94", "96", "94", "95"),
    ]
    eng = engine({aapl: bars}, start=T)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    o = eng.submit_spot_order("a", sell("AAPL", "10", stop_price="96", limit_price="95.5"))
    assert o.type is SpotOrderType.STOP_LIMIT
    eng.advance_to(T + MIN)
    # Fired at 96 on the way down: a sell limit at 95.5 is marketable at 96, it fills there.
    assert o.stop_triggered
    assert o.status is SpotOrderStatus.FILLED
    assert o.avg_price == D("96")


def test_stop_limit_gapped_below_its_limit_rests_until_the_price_comes_back():
    aapl = stock()
    bars = [
        *flat_bars(T - 5 * MIN, 5, "100"),
        bar(T, "94", "95", "93", "94"),
        bar(T + MIN, "94", "96", "94", "95"),
    ]
    eng = engine({aapl: bars}, start=T)
    eng.submit_spot_order("a", buy("AAPL", "10"))
    o = eng.submit_spot_order("a", sell("AAPL", "10", stop_price="96", limit_price="95.5"))
    eng.advance_to(T + MIN)
    assert o.stop_triggered
    assert o.status is SpotOrderStatus.NEW
    eng.advance_to(T + 2 * MIN)
    assert o.status is SpotOrderStatus.FILLED
    assert o.avg_price == D("95.5")


def _bracket(eng, qty="10", tp="110", sl="95", **kw):
    return eng.submit_spot_order(
        "a",
        buy(
            "AAPL",
            qty,
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfit(D(tp)),
            stop_loss=StopLoss(D(sl)),
            **kw,
        ),
    )


def test_bracket_legs_are_held_until_the_entry_fills():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "111", "98", "110")]
    eng = engine({aapl: bars}, start=T)
    entry = _bracket(eng, limit_price="99")  # rests below the market
    tp, sl = eng.spot_order_legs("a", entry)
    assert (tp.role, tp.type, tp.status) == (LegRole.TAKE_PROFIT, SpotOrderType.LIMIT, SpotOrderStatus.HELD)
    assert (sl.role, sl.type, sl.side) == (LegRole.STOP_LOSS, SpotOrderType.STOP, Side.SELL)
    eng.advance_to(T + MIN)
    # The bar fills the entry at 99 (it traded through), the legs only work from the next bar.
    assert entry.status is SpotOrderStatus.FILLED
    assert tp.status is SpotOrderStatus.NEW
    assert sl.status is SpotOrderStatus.NEW


def test_bracket_take_profit_fills_and_cancels_the_stop_loss():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "111", "99", "110")]
    eng = engine({aapl: bars}, start=T)
    entry = _bracket(eng)
    assert entry.status is SpotOrderStatus.FILLED
    tp, sl = eng.spot_order_legs("a", entry)
    eng.advance_to(T + MIN)
    assert tp.status is SpotOrderStatus.FILLED
    assert tp.avg_price == 110
    assert sl.status is SpotOrderStatus.CANCELED
    assert eng.spot_positions("a") == []


def test_bracket_stop_loss_wins_when_both_legs_fall_in_one_bar():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "112", "90", "100")]
    eng = engine({aapl: bars}, start=T)
    entry = _bracket(eng)
    tp, sl = eng.spot_order_legs("a", entry)
    eng.advance_to(T + MIN)
    assert sl.status is SpotOrderStatus.FILLED
    assert sl.avg_price == 95
    assert tp.status is SpotOrderStatus.CANCELED


def test_canceling_a_bracket_entry_cancels_its_legs():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - 5 * MIN, 20, "100")}, start=T)
    entry = _bracket(eng, limit_price="98")
    eng.cancel_spot_order("a", entry.id)
    assert all(o.status is SpotOrderStatus.CANCELED for o in [entry, *eng.spot_order_legs("a", entry)])
    with pytest.raises(EngineError) as e:
        eng.cancel_spot_order("a", entry.id)
    assert e.value.reason is Reason.ORDER_NOT_CANCELLABLE


def test_bracket_price_rules_and_crypto_has_no_brackets():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - 5 * MIN, 20, "100"), btc(): flat_bars(T - 5 * MIN, 20, "100")}, start=T)
    with pytest.raises(OrderRejected) as e:
        _bracket(eng, tp="99")
    assert e.value.reason is Reason.TRIGGER_PRICE_INVALID
    with pytest.raises(OrderRejected) as e:
        _bracket(eng, sl="101")
    assert e.value.reason is Reason.TRIGGER_PRICE_INVALID
    with pytest.raises(OrderRejected) as e:
        _bracket(eng, tif=SpotTimeInForce.IOC)
    assert e.value.reason is Reason.TIF_NOT_SUPPORTED
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order(
            "a",
            buy(
                "BTC/USD",
                "1",
                order_class=OrderClass.BRACKET,
                take_profit=TakeProfit(D(110)),
                stop_loss=StopLoss(D(90)),
            ),
        )
    assert e.value.reason is Reason.ORDER_CLASS_NOT_SUPPORTED


def test_oto_with_a_stop_loss_only():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "100", "94", "95")]
    eng = engine({aapl: bars}, start=T)
    entry = eng.submit_spot_order(
        "a", buy("AAPL", "10", order_class=OrderClass.OTO, stop_loss=StopLoss(D(96)))
    )
    [sl] = eng.spot_order_legs("a", entry)
    assert sl.status is SpotOrderStatus.NEW
    eng.advance_to(T + MIN)
    assert sl.status is SpotOrderStatus.FILLED


def test_oco_exits_an_existing_position_and_one_fill_cancels_the_other():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "106", "99", "105")]
    eng = engine({aapl: bars}, start=T)
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order(
            "a",
            sell(
                "AAPL",
                "10",
                limit_price="105",
                order_class=OrderClass.OCO,
                take_profit=TakeProfit(D(105)),
                stop_loss=StopLoss(D(95)),
            ),
        )
    assert e.value.reason is Reason.INSUFFICIENT_QTY
    eng.submit_spot_order("a", buy("AAPL", "10"))
    tp = eng.submit_spot_order(
        "a",
        sell(
            "AAPL",
            "10",
            limit_price="105",
            order_class=OrderClass.OCO,
            take_profit=TakeProfit(D(105)),
            stop_loss=StopLoss(D(95)),
        ),
    )
    [sl] = eng.spot_order_legs("a", tp)
    assert tp.status is SpotOrderStatus.NEW
    assert sl.status is SpotOrderStatus.NEW
    eng.advance_to(T + MIN)
    assert tp.status is SpotOrderStatus.FILLED
    assert sl.status is SpotOrderStatus.CANCELED


def test_replace_creates_a_new_order_and_links_both():
    eng = engine({btc(): flat_bars(T - 5 * MIN, 20, "100")}, start=T)
    old = eng.submit_spot_order("a", buy("BTC/USD", "1", limit_price="90", client_order_id="c1"))
    new = eng.replace_spot_order("a", old.id, limit_price=D(95), qty=D(2))
    assert old.status is SpotOrderStatus.REPLACED
    assert old.replaced_by == new.id
    assert new.replaces == old.id
    assert (new.qty, new.limit_price, new.status) == (2, 95, SpotOrderStatus.NEW)
    assert eng.spot_balance("a").reserved == 190
    with pytest.raises(OrderRejected) as e:
        eng.replace_spot_order("a", old.id, limit_price=D(96))
    assert e.value.reason is Reason.ORDER_NOT_REPLACEABLE
    with pytest.raises(OrderRejected) as e:
        eng.replace_spot_order("a", new.id, qty=D(200))
    assert e.value.reason is Reason.INSUFFICIENT_BUYING_POWER
    assert new.status is SpotOrderStatus.NEW  # a refused replace changes nothing


def test_replace_a_bracket_stop_loss_keeps_the_bracket():
    aapl = stock()
    bars = [*flat_bars(T - 5 * MIN, 5, "100"), bar(T, "100", "100", "96", "97")]
    eng = engine({aapl: bars}, start=T)
    entry = _bracket(eng)
    _, sl = eng.spot_order_legs("a", entry)
    new_sl = eng.replace_spot_order("a", sl.id, stop_price=D(97))
    assert entry.legs[1] == new_sl.id
    assert new_sl.parent_id == entry.id
    assert new_sl.role is LegRole.STOP_LOSS
    eng.advance_to(T + MIN)
    assert new_sl.status is SpotOrderStatus.FILLED
    assert new_sl.avg_price == 97
    assert eng.spot_order_legs("a", entry)[0].status is SpotOrderStatus.CANCELED


def test_list_orders_filters_and_orders():
    eng = engine(
        {btc(): flat_bars(T - 5 * MIN, 20, "100"), stock(): flat_bars(T - 5 * MIN, 20, "100")}, start=T
    )
    a = eng.submit_spot_order("a", buy("BTC/USD", "1", limit_price="90"))
    eng.advance_to(T + MIN)
    b = eng.submit_spot_order("a", buy("BTC/USD", "1"))
    eng.advance_to(T + 2 * MIN)
    c = _bracket(eng, limit_price="98")
    ids = lambda rows: [o.id for o in rows]  # noqa: E731
    legs = c.legs
    assert ids(eng.list_spot_orders("a")) == [*legs[::-1], c.id, a.id]
    assert ids(eng.list_spot_orders("a", nested=True)) == [c.id, a.id]
    assert ids(eng.list_spot_orders("a", SpotOrderQuery(nested=True, limit=1))) == [c.id]
    assert ids(eng.list_spot_orders("a", status=OrderQueryStatus.CLOSED)) == [b.id]
    assert ids(eng.list_spot_orders("a", status=OrderQueryStatus.ALL, ascending=True, nested=True)) == [
        a.id,
        b.id,
        c.id,
    ]
    assert ids(eng.list_spot_orders("a", status=OrderQueryStatus.ALL, symbols=["AAPL"], nested=True)) == [
        c.id
    ]
    assert ids(eng.list_spot_orders("a", status=OrderQueryStatus.ALL, after_ms=T, until_ms=T + 2 * MIN)) == [
        b.id
    ]
    assert ids(eng.list_spot_orders("a", status=OrderQueryStatus.ALL, limit=1, nested=True)) == [c.id]
    assert ids(eng.list_spot_orders("a", status=OrderQueryStatus.ALL, side=Side.SELL)) == legs[::-1]
    canceled = eng.cancel_all_spot_orders("a")
    assert {o.id for o in canceled} == {a.id, c.id, *legs}


def test_ioc_that_cannot_fill_is_canceled_and_fok_fills_when_it_can():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - 5 * MIN, 20, "100")}, start=T)
    ioc = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="99", tif=SpotTimeInForce.IOC))
    assert ioc.status is SpotOrderStatus.CANCELED
    fok = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="100", tif=SpotTimeInForce.FOK))
    assert fok.status is SpotOrderStatus.FILLED


def test_opg_is_refused_in_session_and_fills_at_the_next_open():
    aapl = stock()
    bars = [
        *flat_bars(day_ms(0) + CLOSE - 5 * MIN, 5, "100"),
        bar(day_ms(1) + OPEN, "103", "104", "102", "103"),
    ]
    eng = engine({aapl: bars}, start=day_ms(0) + CLOSE - 3 * MIN)
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order("a", buy("AAPL", "1", tif=SpotTimeInForce.OPG))
    assert e.value.reason is Reason.MARKET_TIMING
    eng.advance_to(day_ms(0) + CLOSE + MIN)
    o = eng.submit_spot_order("a", buy("AAPL", "1", tif=SpotTimeInForce.OPG))
    loo = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="101", tif=SpotTimeInForce.OPG))
    eng.advance_to(day_ms(1) + OPEN + MIN)
    assert o.avg_price == 103
    assert loo.status is SpotOrderStatus.EXPIRED  # the open was above its limit


def test_cls_executes_at_the_close():
    aapl = stock()
    last = bar(day_ms(0) + CLOSE - MIN, "100", "102", "100", "101")
    bars = [*flat_bars(day_ms(0) + CLOSE - 30 * MIN, 29, "100"), last]
    eng = engine({aapl: bars}, start=day_ms(0) + CLOSE - 30 * MIN)
    o = eng.submit_spot_order("a", buy("AAPL", "1", tif=SpotTimeInForce.CLS))
    eng.advance_to(day_ms(0) + CLOSE - 2 * MIN)
    assert o.status is SpotOrderStatus.NEW
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order("a", buy("AAPL", "1", tif=SpotTimeInForce.CLS))
    assert e.value.reason is Reason.MARKET_TIMING
    eng.advance_to(day_ms(0) + CLOSE)
    assert o.status is SpotOrderStatus.FILLED
    assert o.avg_price == 101


def test_replace_a_bracket_entry_moves_its_legs_and_its_reservation():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - 5 * MIN, 20, "100")}, start=T, cash="3000")
    entry = _bracket(eng, qty="10", limit_price="98")
    assert eng.spot_balance("a").reserved == 980
    new = eng.replace_spot_order("a", entry.id, qty=D(15), limit_price=D(97))
    assert eng.spot_balance("a").reserved == 15 * 97
    assert new.legs == entry.legs
    assert all(leg.parent_id == new.id for leg in eng.spot_order_legs("a", new))
    with pytest.raises(OrderRejected) as e:
        eng.replace_spot_order("a", new.id, qty=D(70))  # 70 × 97 > 2 × 3000
    assert e.value.reason is Reason.INSUFFICIENT_BUYING_POWER
    eng.cancel_spot_order("a", new.id)
    assert all(leg.status is SpotOrderStatus.CANCELED for leg in eng.spot_order_legs("a", new))
    assert eng.spot_balance("a").reserved == 0


def test_fill_ratio_fills_part_now_and_the_rest_at_the_next_open():
    eng = engine({btc(): [*flat_bars(T - 5 * MIN, 5, "100"), (T, "101", "102", "100", "101")]}, start=T)
    o = eng.submit_spot_order("a", buy("BTC/USD", "1", fill_ratio=D("0.3")))
    assert o.status is SpotOrderStatus.PARTIALLY_FILLED
    assert o.filled_qty == D("0.3")
    assert eng.spot_balance("a").reserved == D("0.7") * 100 * D("1.025")
    eng.advance_to(T + MIN)
    assert o.status is SpotOrderStatus.FILLED
    assert o.filled_value == D("30") + D("70.7")
    assert eng.spot_balance("a").reserved == 0
