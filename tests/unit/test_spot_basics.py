"""Spot accounts, first slice: market/limit orders by qty and notional, holdings, fees, queueing for the
open, the ledger. Every number is checked by hand (spread and slippage are 0 unless said)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.spot_helpers import (
    CLOSE,
    MIN,
    OPEN,
    POST,
    PRE,
    btc,
    buy,
    day_ms,
    engine,
    flat_bars,
    sell,
    stock,
)
from torchtrade.emulator.engine import (
    AccountKind,
    EngineError,
    OrderRejected,
    OrderSource,
    Reason,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
)

D = Decimal
T = day_ms(0) + OPEN + 10 * MIN  # Monday, 10 minutes into the session


def test_market_buy_fills_at_once_and_books_cash_and_holding():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - 20 * MIN, 60, "100")}, start=T)
    o = eng.submit_spot_order("a", buy("AAPL", "10"))
    assert (o.status, o.filled_qty, o.avg_price, o.fee) == (SpotOrderStatus.FILLED, 10, 100, 0)
    b = eng.spot_balance("a")
    assert (b.cash, b.long_market_value, b.equity) == (9000, 1000, 10000)
    [p] = eng.spot_positions("a")
    assert (p.qty, p.avg_entry_price, p.cost_basis, p.market_value, p.unrealized_pl) == (
        10,
        100,
        1000,
        1000,
        0,
    )
    kinds = [e["kind"] for e in eng.ledger.events(account="a")]
    assert kinds == ["account", "deposit", "order", "position_open", "fill"]


def test_a_partial_sell_reduces_the_holding_and_realizes_pnl():
    aapl = stock()
    eng = engine(
        {aapl: flat_bars(T - 20 * MIN, 10, "100") + flat_bars(T - 10 * MIN, 60, "110")}, start=T - 10 * MIN
    )
    eng.submit_spot_order("a", buy("AAPL", "10"))
    eng.advance_to(T)
    o = eng.submit_spot_order("a", sell("AAPL", "4"))
    assert o.filled_qty == 4
    assert o.avg_price == 110
    [p] = eng.spot_positions("a")
    assert p.qty == 6
    assert p.avg_entry_price == 100
    assert p.unrealized_pl == 60
    acct = eng.spot_account("a")
    assert acct.realized_pl == 40
    assert acct.cash == 10000 - 1000 + 440


def test_notional_buy_is_a_fractional_quantity_floored_to_the_increment():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - 20 * MIN, 60, "187.23")}, start=T)
    o = eng.submit_spot_order("a", buy("AAPL", notional="1000"))
    assert o.qty == o.filled_qty == D("5.341024408")  # 1000 / 187.23 = 5.3410244084..., floored
    assert eng.spot_account("a").cash == 10000 - D("5.341024408") * D("187.23")
    assert eng.spot_account("a").cash >= 9000


def test_crypto_buy_pays_the_taker_fee_in_the_asset_and_a_sell_in_dollars():
    eng = engine({btc(): flat_bars(T - 20 * MIN, 60, "20000")}, start=T)
    o = eng.submit_spot_order("a", buy("BTC/USD", "0.1"))
    assert o.fee == D("0.00025")  # 0.25% of 0.1 BTC, in BTC
    [p] = eng.spot_positions("a")
    assert p.qty == D("0.09975")
    assert eng.spot_account("a").cash == 8000
    eng.submit_spot_order("a", sell("BTC/USD", "0.09975"))
    assert eng.spot_account("a").cash == 8000 + D("1995") - D("4.9875")  # 0.25% of 1995 in USD
    assert eng.spot_positions("a") == []


def test_resting_limit_fills_as_maker_when_a_bar_trades_through_it():
    eng = engine({btc(): [(T - MIN, "100", "100", "100", "100"), (T, "100", "101", "98", "99")]}, start=T)
    o = eng.submit_spot_order("a", buy("BTC/USD", "1", limit_price="99"))
    assert o.status is SpotOrderStatus.NEW
    assert eng.spot_balance("a").non_marginable_buying_power == 10000 - 99  # reserved while open
    eng.advance_to(T + MIN)
    assert o.status is SpotOrderStatus.FILLED
    assert o.avg_price == 99
    assert o.fee == D("0.0015")  # maker, in BTC


def test_limit_at_the_bar_low_does_not_fill_and_a_gap_fills_at_the_open():
    eng = engine(
        {
            btc(): [
                (T - MIN, "100", "100", "100", "100"),
                (T, "100", "100", "99", "100"),
                (T + MIN, "95", "96", "94", "95"),
            ]
        },
        start=T,
    )
    o = eng.submit_spot_order("a", buy("BTC/USD", "1", limit_price="99"))
    eng.advance_to(T + MIN)
    assert o.status is SpotOrderStatus.NEW  # touched, not traded through
    eng.advance_to(T + 2 * MIN)
    assert o.avg_price == 95  # the bar opened below the limit


def test_marketable_limit_takes_the_book_but_not_past_its_limit():
    eng = engine({btc(): flat_bars(T - 20 * MIN, 60, "100")}, start=T)
    o = eng.submit_spot_order("a", buy("BTC/USD", "1", limit_price="105"))
    assert o.status is SpotOrderStatus.FILLED
    assert o.avg_price == 100


def test_market_order_after_the_close_waits_for_the_next_open():
    aapl = stock()
    friday_close = day_ms(4) + CLOSE
    monday_open = day_ms(7) + OPEN
    bars = [*flat_bars(friday_close - 30 * MIN, 30, "100"), (monday_open, "104", "106", "103", "105")]
    eng = engine({aapl: bars}, start=friday_close + 5 * MIN)
    o = eng.submit_spot_order("a", buy("AAPL", "10"))
    assert o.status is SpotOrderStatus.ACCEPTED
    assert o.active_ms == monday_open
    eng.advance_to(monday_open + MIN)
    assert o.status is SpotOrderStatus.FILLED
    assert o.avg_price == 104
    assert o.filled_ms == monday_open + MIN


def test_pre_market_bars_do_not_fill_a_regular_order_but_fill_an_extended_limit():
    aapl = stock()
    pre = day_ms(1) + PRE + 60 * MIN
    bars = (
        flat_bars(day_ms(0) + CLOSE - 5 * MIN, 5, "100")
        + flat_bars(pre, 5, "99")
        + flat_bars(day_ms(1) + OPEN, 5, "98")
    )
    eng = engine({aapl: bars}, start=pre - 30 * MIN)
    regular = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="99.5"))
    ext = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="99.5", extended_hours=True))
    assert ext.status is SpotOrderStatus.NEW
    assert regular.status is SpotOrderStatus.ACCEPTED
    eng.advance_to(pre + 5 * MIN)
    assert ext.status is SpotOrderStatus.FILLED
    assert ext.avg_price == 99
    assert regular.status is SpotOrderStatus.ACCEPTED
    eng.advance_to(day_ms(1) + OPEN + 2 * MIN)
    assert regular.status is SpotOrderStatus.FILLED
    assert regular.avg_price == 98


def test_day_order_expires_at_the_close_and_gtc_stays():
    aapl = stock()
    bars = (
        flat_bars(T - MIN, 10, "100")
        + flat_bars(day_ms(0) + POST - 60 * MIN, 5, "100")
        + flat_bars(day_ms(1) + OPEN, 5, "100")
    )
    eng = engine({aapl: bars}, start=T)
    day = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="90"))
    gtc = eng.submit_spot_order("a", buy("AAPL", "1", limit_price="90", tif=SpotTimeInForce.GTC))
    eng.advance_to(day_ms(0) + CLOSE - 1)
    assert day.status is SpotOrderStatus.NEW
    eng.advance_to(day_ms(0) + CLOSE)
    assert day.status is SpotOrderStatus.EXPIRED
    assert day.expired_ms == day_ms(0) + CLOSE
    assert gtc.status is SpotOrderStatus.NEW
    assert eng.spot_balance("a").reserved == 90  # the expired order released its reservation


def test_open_account_on_a_spot_engine_opens_a_spot_account():
    eng = engine({btc(): flat_bars(T, 5, "100")}, start=T)
    acct = eng.open_account("b", {"USD": D(500)})
    assert eng.spot_account("b") is acct
    assert acct.cash == 500
    with pytest.raises(EngineError) as e:
        eng.open_account("c", {"USDT": D(1)})
    assert e.value.reason is Reason.INVALID_PARAM


def test_lookup_by_id_and_client_id_and_duplicate_client_id():
    eng = engine({btc(): flat_bars(T - MIN, 5, "100")}, start=T)
    o = eng.submit_spot_order("a", buy("BTC/USD", "1", client_order_id="mine"))
    assert eng.get_spot_order("a", order_id=o.id) is o
    assert eng.get_spot_order("a", client_order_id="mine") is o
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order("a", buy("BTC/USD", "1", client_order_id="mine"))
    assert e.value.reason is Reason.DUPLICATE_CLIENT_OID
    with pytest.raises(EngineError) as e2:
        eng.get_spot_order("a", client_order_id="other")
    assert e2.value.reason is Reason.ORDER_NOT_FOUND
    [rej] = eng.ledger.events("order_rejected")
    assert rej["reason"] == "duplicate_client_oid"
    assert rej["client_oid"] == "mine"


def test_close_position_sells_it_all_at_market():
    eng = engine({btc(): flat_bars(T - MIN, 5, "100")}, start=T)
    eng.submit_spot_order("a", buy("BTC/USD", "2"))
    o = eng.close_spot_position("a", "BTC/USD", percentage=D(50))
    assert o.source is OrderSource.CLOSE
    assert o.type is SpotOrderType.MARKET
    assert o.filled_qty == D("0.9975")
    o = eng.close_spot_position("a", "BTC/USD")
    assert eng.spot_positions("a") == []
    assert o.filled_qty == D("0.9975")
    with pytest.raises(EngineError) as e:
        eng.close_spot_position("a", "BTC/USD")
    assert e.value.reason is Reason.NO_POSITION


def test_cash_account_buys_with_its_cash_only():
    aapl = stock()
    eng = engine({aapl: flat_bars(T - MIN, 5, "100")}, start=T, kind=AccountKind.CASH)
    b = eng.spot_balance("a")
    assert b.multiplier == 1
    assert b.buying_power == 10000
    with pytest.raises(OrderRejected) as e:
        eng.submit_spot_order("a", buy("AAPL", "101", limit_price="100"))
    assert e.value.reason is Reason.INSUFFICIENT_BUYING_POWER
    eng.submit_spot_order("a", buy("AAPL", "100", limit_price="100"))
    assert eng.spot_account("a").cash == 0


def test_hours_come_from_the_engine_argument_or_the_replayed_series():
    from tests.unit.spot_helpers import hours, series
    from torchtrade.emulator.engine import ALWAYS_OPEN, Engine, SpotInstrument

    h = hours()
    loose = SpotInstrument.stock("AAPL", hours=ALWAYS_OPEN)
    bars = series(flat_bars(T - MIN, 5, "100"))
    assert Engine({"AAPL": loose}, {"AAPL": bars}, start_ms=T, hours={"AAPL": h}).market_hours("AAPL") is h
    bars.hours = h  # what the runtime's ReplaySeries carries
    assert Engine({"AAPL": loose}, {"AAPL": bars}, start_ms=T).market_hours("AAPL") is h


def test_close_all_positions_cancels_orders_first_when_asked():
    eng = engine({btc(): flat_bars(T - MIN, 5, "100"), stock(): flat_bars(T - MIN, 5, "50")}, start=T)
    eng.submit_spot_order("a", buy("BTC/USD", "1"))
    eng.submit_spot_order("a", buy("AAPL", "10"))
    eng.submit_spot_order("a", sell("AAPL", "10", limit_price="60"))
    [(sym1, res1), (sym2, res2)] = eng.close_all_spot_positions("a")
    assert (sym1, sym2) == ("AAPL", "BTC/USD")
    assert isinstance(res1, OrderRejected)
    assert res1.reason is Reason.INSUFFICIENT_QTY
    assert res2.status is SpotOrderStatus.FILLED
    [(_, res)] = eng.close_all_spot_positions("a", cancel_orders=True)
    assert res.status is SpotOrderStatus.FILLED
    assert eng.spot_positions("a") == []
