"""Conditional orders on the Binance emulator, as ccxt.binanceusdm sends them (the algo endpoints):
create, look up, list and cancel; triggers firing along the bar path; Binance's closePosition rule."""

from __future__ import annotations

import ccxt
import pytest

from tests.integration.binance_support import BTC, code_of

TRIGGER = {"trigger": True}


@pytest.fixture
def bx(binance_exchange):
    return binance_exchange


def advance_until(bx, control, done, bars: int = 900) -> None:
    for _ in range(bars):
        control.advance(bars=1)
        if done():
            return
    raise AssertionError("the condition never came true within the replay")


def last(bx) -> float:
    return bx.fetch_ticker(BTC)["last"]


def test_create_fetch_list_and_cancel_conditional_orders(bx, binance_emulator):
    bx.create_order(BTC, "market", "buy", 0.01)
    px = last(bx)
    sl = bx.create_order(
        BTC, "market", "sell", None, params={"stopLossPrice": round(px * 0.95, 1), "closePosition": True}
    )
    tp = bx.create_order(
        BTC,
        "market",
        "sell",
        0.01,
        params={"takeProfitPrice": round(px * 1.05, 1), "reduceOnly": True, "clientOrderId": "tp-1"},
    )
    assert (sl["type"], sl["status"], sl["triggerPrice"]) == ("market", "open", round(px * 0.95, 1))
    assert sl["info"]["orderType"] == "STOP_MARKET"
    assert sl["info"]["closePosition"] is True
    assert sl["info"]["timeInForce"] == "GTE_GTC"
    assert tp["info"]["orderType"] == "TAKE_PROFIT_MARKET"
    assert (tp["clientOrderId"], tp["amount"], tp["takeProfitPrice"]) == ("tp-1", 0.01, round(px * 1.05, 1))
    assert bx.fetch_order(sl["id"], BTC, params=TRIGGER)["id"] == sl["id"]
    assert bx.fetch_order(None, BTC, params={**TRIGGER, "clientOrderId": "tp-1"})["id"] == tp["id"]
    assert [o["id"] for o in bx.fetch_open_orders(BTC, params=TRIGGER)] == [sl["id"], tp["id"]]
    assert bx.fetch_open_orders(BTC) == []  # conditional orders are not on the regular book
    with pytest.raises(ccxt.OrderNotFound):
        bx.fetch_order(sl["id"], BTC)  # nor found by the regular lookup
    canceled = bx.cancel_order(tp["id"], BTC, params=TRIGGER)
    assert canceled["id"] == tp["id"]
    assert bx.fetch_order(tp["id"], BTC, params=TRIGGER)["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        bx.cancel_order(tp["id"], BTC, params=TRIGGER)
    bx.cancel_all_orders(BTC, params=TRIGGER)
    assert bx.fetch_open_orders(BTC, params=TRIGGER) == []
    history = bx.fetch_orders(BTC, params=TRIGGER)
    assert [(o["id"], o["status"]) for o in history] == [(sl["id"], "canceled"), (tp["id"], "canceled")]
    kinds = [e["kind"] for e in binance_emulator.control.ledger("trigger", "trigger_canceled")]
    assert kinds == ["trigger", "trigger", "trigger_canceled", "trigger_canceled"]


def test_explicit_algo_types_and_stop_price(bx):
    bx.create_order(BTC, "market", "buy", 0.01)
    px = last(bx)
    o = bx.create_order(
        BTC, "STOP_MARKET", "sell", 0.01, params={"stopPrice": round(px * 0.97, 1), "reduceOnly": True}
    )
    assert o["info"]["orderType"] == "STOP_MARKET"
    limit = bx.create_order(
        BTC, "STOP", "sell", 0.01, round(px * 0.969, 1), params={"stopPrice": round(px * 0.97, 1)}
    )
    assert (limit["type"], limit["price"]) == ("limit", round(px * 0.969, 1))


def test_an_order_that_would_trigger_at_once_is_refused(bx, binance_emulator):
    bx.create_order(BTC, "market", "buy", 0.01)
    px = last(bx)
    before = binance_emulator.control.orders()
    with pytest.raises(ccxt.ExchangeError) as e:  # a stop-loss sell above the market
        bx.create_order(
            BTC, "market", "sell", 0.01, params={"stopLossPrice": round(px * 1.01, 1), "reduceOnly": True}
        )
    assert code_of(e.value) == -2021
    assert bx.exceptions["linear"]["exact"]["-2021"] is ccxt.OrderImmediatelyFillable  # on Binance's hosts
    with pytest.raises(ccxt.ExchangeError, match="-2021"):  # a take-profit sell below it
        bx.create_order(
            BTC,
            "market",
            "sell",
            None,
            params={"takeProfitPrice": round(px * 0.99, 1), "closePosition": True},
        )
    assert binance_emulator.control.orders() == before


def test_a_take_profit_fires_along_the_bars_and_closes_the_position(bx, binance_emulator):
    bx.create_order(BTC, "market", "buy", 0.01)
    target = round(last(bx) * 1.002, 1)
    tp = bx.create_order(
        BTC, "market", "sell", None, params={"takeProfitPrice": target, "closePosition": True}
    )
    advance_until(bx, binance_emulator.control, lambda: not bx.fetch_positions([BTC]))
    done = bx.fetch_order(tp["id"], BTC, params=TRIGGER)
    assert done["status"] == "closed"
    assert done["info"]["algoStatus"] == "FINISHED"
    child = bx.fetch_order(done["info"]["actualOrderId"], BTC)
    assert (child["side"], child["filled"], child["reduceOnly"]) == ("sell", 0.01, True)
    assert child["average"] >= target  # filled at the trigger (or the open of a bar that gapped past it)
    assert child["info"]["origType"] == "TAKE_PROFIT_MARKET"
    assert child["info"]["closePosition"] is True
    assert [t["side"] for t in bx.fetch_my_trades(BTC)] == ["buy", "sell"]


def test_a_stop_loss_fires_on_a_fall(bx, binance_emulator):
    from tests.conftest import bundled_frame

    frame = bundled_frame()
    bx.create_order(BTC, "market", "buy", 0.01)
    px = last(bx)
    lows = frame["low"].iloc[500:]
    stop = round(float(lows.min()) + 0.5, 1)  # a level the replay reaches from above
    assert stop < px
    bx.create_order(BTC, "market", "sell", None, params={"stopLossPrice": stop, "closePosition": True})
    advance_until(bx, binance_emulator.control, lambda: not bx.fetch_positions([BTC]))
    (_, close) = bx.fetch_my_trades(BTC)
    assert close["price"] <= stop


def test_close_position_closes_what_the_position_holds_when_it_fires(bx, binance_emulator):
    bx.create_order(BTC, "market", "buy", 0.01)
    target = round(last(bx) * 1.002, 1)
    bx.create_order(BTC, "market", "sell", None, params={"takeProfitPrice": target, "closePosition": True})
    bx.create_order(BTC, "market", "buy", 0.02)  # the position grows after the order was placed
    advance_until(bx, binance_emulator.control, lambda: not bx.fetch_positions([BTC]))
    closes = [t for t in bx.fetch_my_trades(BTC) if t["side"] == "sell"]
    assert sum(t["amount"] for t in closes) == pytest.approx(0.03)


def test_one_close_position_order_per_direction_and_type(bx, binance_emulator):
    px = last(bx)
    stop = {"stopLossPrice": round(px * 0.95, 1), "closePosition": True}
    bx.create_order(BTC, "market", "sell", None, params=stop)  # no position needed to place it
    before = binance_emulator.control.orders()
    with pytest.raises(ccxt.ExchangeError) as e:
        bx.create_order(BTC, "market", "sell", None, params=stop)
    assert code_of(e.value) == -4130
    assert binance_emulator.control.orders() == before
    # Another type or the other direction is another slot.
    bx.create_order(
        BTC, "market", "sell", None, params={"takeProfitPrice": round(px * 1.05, 1), "closePosition": True}
    )
    bx.create_order(
        BTC, "market", "buy", None, params={"stopLossPrice": round(px * 1.05, 1), "closePosition": True}
    )
    assert len(bx.fetch_open_orders(BTC, params=TRIGGER)) == 3


def test_close_position_refuses_a_quantity_and_reduce_only(binance_emulator, bx):
    from tests.integration.binance_support import raw

    px = last(bx)
    order = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET"}
    order["triggerPrice"] = str(round(px * 0.95, 1))
    with_qty = raw(
        binance_emulator.url,
        "POST",
        "/fapi/v1/algoOrder",
        {**order, "closePosition": "true", "quantity": "0.01"},
    )
    assert (with_qty.status_code, with_qty.json()["code"]) == (400, -4137)
    with_reduce = raw(
        binance_emulator.url,
        "POST",
        "/fapi/v1/algoOrder",
        {**order, "closePosition": "true", "reduceOnly": "true"},
    )
    assert with_reduce.json()["code"] == -1106
    on_a_limit = raw(
        binance_emulator.url,
        "POST",
        "/fapi/v1/algoOrder",
        {**order, "type": "STOP", "closePosition": "true", "price": "1"},
    )
    assert on_a_limit.json()["code"] == -1106
    assert binance_emulator.control.orders()["triggers"] == []


def test_close_position_orders_outlive_the_position_and_expire_when_they_fire_flat(bx, binance_emulator):
    """Binance does not cancel a closePosition order when its position closes: the client must. One
    that fires with nothing to close trades nothing and ends EXPIRED."""
    bx.create_order(BTC, "market", "buy", 0.01)
    target = round(last(bx) * 1.002, 1)
    tp = bx.create_order(
        BTC, "market", "sell", None, params={"takeProfitPrice": target, "closePosition": True}
    )
    bx.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})  # closed by hand
    assert bx.fetch_positions([BTC]) == []
    assert [o["id"] for o in bx.fetch_open_orders(BTC, params=TRIGGER)] == [tp["id"]]  # still there
    advance_until(bx, binance_emulator.control, lambda: not bx.fetch_open_orders(BTC, params=TRIGGER))
    done = bx.fetch_order(tp["id"], BTC, params=TRIGGER)
    assert (done["status"], done["info"]["algoStatus"]) == ("expired", "EXPIRED")
    assert bx.fetch_positions([BTC]) == []  # nothing was opened
    assert len(bx.fetch_my_trades(BTC)) == 2


def test_a_reduce_only_stop_with_nothing_left_to_reduce_expires(bx, binance_emulator):
    bx.create_order(BTC, "market", "buy", 0.01)
    target = round(last(bx) * 1.002, 1)
    tp = bx.create_order(BTC, "market", "sell", 0.01, params={"takeProfitPrice": target, "reduceOnly": True})
    bx.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    advance_until(bx, binance_emulator.control, lambda: not bx.fetch_open_orders(BTC, params=TRIGGER))
    assert bx.fetch_order(tp["id"], BTC, params=TRIGGER)["status"] == "expired"
    assert bx.fetch_positions([BTC]) == []


def test_conditional_orders_in_hedge_mode(bx, binance_emulator):
    bx.set_position_mode(True)
    bx.create_order(BTC, "market", "buy", 0.01, params={"positionSide": "LONG"})
    px = last(bx)
    tp = bx.create_order(
        BTC,
        "market",
        "sell",
        None,
        params={"takeProfitPrice": round(px * 1.002, 1), "closePosition": True, "positionSide": "LONG"},
    )
    assert tp["info"]["positionSide"] == "LONG"
    with pytest.raises(ccxt.OperationRejected, match="-4061"):  # a BUY cannot close the LONG side
        bx.create_order(
            BTC,
            "market",
            "buy",
            None,
            params={"stopLossPrice": round(px * 1.05, 1), "closePosition": True, "positionSide": "LONG"},
        )
    with pytest.raises(ccxt.BadRequest, match="-1106"):  # hedge mode takes no reduceOnly
        bx.create_order(
            BTC,
            "market",
            "sell",
            0.01,
            params={"stopLossPrice": round(px * 0.9, 1), "reduceOnly": True, "positionSide": "LONG"},
        )
    advance_until(bx, binance_emulator.control, lambda: not bx.fetch_positions([BTC]))
    assert bx.fetch_order(tp["id"], BTC, params=TRIGGER)["status"] == "closed"


def test_a_stop_limit_places_its_limit_order_when_it_fires(bx, binance_emulator):
    bx.create_order(BTC, "market", "buy", 0.01)
    px = last(bx)
    trigger = round(px * 1.002, 1)
    algo = bx.create_order(BTC, "TAKE_PROFIT", "sell", 0.01, trigger, params={"stopPrice": trigger})
    advance_until(
        bx,
        binance_emulator.control,
        lambda: bx.fetch_order(algo["id"], BTC, params=TRIGGER)["status"] != "open",
    )
    fired = bx.fetch_order(algo["id"], BTC, params=TRIGGER)
    child = bx.fetch_order(fired["info"]["actualOrderId"], BTC)
    assert (child["type"], child["price"]) == ("limit", trigger)
