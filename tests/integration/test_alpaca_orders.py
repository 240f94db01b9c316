"""Alpaca orders through alpaca-py over HTTP: place, look up, list, replace, cancel, and Alpaca's
refusals with their codes; the venue's state checked through the control routes.

The emulator (the plugin's ``alpaca_emulator``) replays the bundled SPY minute bars of 2013-10-04..11
at their own dates and BTC/USD beside them; it starts on Friday 2013-10-04 at 14:26 ET, the market
open.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrderByIdRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLimitOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)

from tests.integration.alpaca_support import SPY_FILE, api_error, frame, raw, trading

EDT = dt.timezone(dt.timedelta(hours=-4))


@pytest.fixture
def client(alpaca_emulator):
    return trading(alpaca_emulator.url)


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def buy(client, qty=1, symbol="SPY", **kwargs):
    kwargs.setdefault("time_in_force", TimeInForce.DAY if "/" not in symbol else TimeInForce.GTC)
    return client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY, **kwargs))


def resting(client, price=100, *, symbol="SPY", qty=1, tif=TimeInForce.GTC):
    """A limit buy far below the market: it rests."""
    return client.submit_order(
        LimitOrderRequest(symbol=symbol, qty=qty, side=OrderSide.BUY, time_in_force=tif, limit_price=price)
    )


def refusal(call) -> tuple[int | None, int | None, str]:
    with pytest.raises(APIError) as e:
        call()
    return api_error(e)


# ----------------------------------------------------------------------------- placing


def test_market_buy_fills_at_the_ask_and_is_found_by_both_ids(alpaca_emulator, client):
    order = buy(client, 10, client_order_id="first-buy")
    assert order.status == OrderStatus.FILLED
    assert (order.qty, order.filled_qty) == ("10", "10")
    quote_ask = Decimal(order.filled_avg_price)
    assert quote_ask > 0
    assert order.client_order_id == "first-buy"
    assert client.get_order_by_id(order.id) == order
    assert client.get_order_by_client_id("first-buy") == order
    (position,) = client.get_all_positions()
    assert (position.symbol, position.qty, position.side.value) == ("SPY", "10", "long")
    assert Decimal(position.avg_entry_price) == quote_ask
    cash = Decimal(client.get_account().cash)
    assert cash == Decimal(100_000) - 10 * quote_ask  # stocks are commission-free
    fills = alpaca_emulator.control.ledger("fill")
    assert len(fills) == 1


def test_crypto_buy_by_notional_is_fractional(client):
    order = buy(client, None, symbol="BTC/USD", notional=100)
    assert order.status == OrderStatus.FILLED
    assert order.notional == "100"
    qty = Decimal(order.filled_qty)
    assert 0 < qty < 1
    assert qty * Decimal(order.filled_avg_price) <= 100
    # Alpaca's crypto positions carry the legacy symbol, and are found by it (not by BTC/USD).
    position = client.get_open_position("BTCUSD")
    assert position.symbol == "BTCUSD"
    assert Decimal(position.qty) < qty  # the fee is taken in the coin bought
    assert refusal(lambda: client.get_open_position("BTC/USD"))[:2] == (404, 40410000)


def test_fractional_stock_quantity(client):
    order = buy(client, 0.5)
    assert (order.status, order.filled_qty) == (OrderStatus.FILLED, "0.5")


def test_a_market_order_after_the_close_waits_for_the_next_open(alpaca_emulator, client):
    alpaca_emulator.control.advance(to=ms(dt.datetime(2013, 10, 4, 16, 0, tzinfo=EDT)))
    assert not client.get_clock().is_open
    order = buy(client, 3)
    assert order.status == OrderStatus.ACCEPTED
    assert order.filled_qty == "0"
    alpaca_emulator.control.advance(to=ms(dt.datetime(2013, 10, 7, 9, 31, tzinfo=EDT)))  # over the weekend
    filled = client.get_order_by_id(order.id)
    assert filled.status == OrderStatus.FILLED
    assert filled.filled_at == dt.datetime(2013, 10, 7, 9, 31, tzinfo=EDT)
    monday_open = frame(SPY_FILE).loc["2013-10-07T13:30Z", "open"]
    assert Decimal(filled.filled_avg_price) == pytest.approx(Decimal(str(monday_open)), rel=Decimal("0.001"))


def test_limit_order_rests_replaces_and_cancels(client):
    order = resting(client, 150, qty=2)
    assert order.status == OrderStatus.NEW
    assert order.limit_price == "150"
    assert [o.id for o in client.get_orders()] == [order.id]
    new = client.replace_order_by_id(order.id, ReplaceOrderRequest(qty=3, limit_price=151.5))
    assert (new.replaces, new.qty, new.limit_price) == (order.id, "3", "151.5")
    old = client.get_order_by_id(order.id)
    assert (old.status, old.replaced_by) == (OrderStatus.REPLACED, new.id)
    client.cancel_order_by_id(new.id)
    assert client.get_order_by_id(new.id).status == OrderStatus.CANCELED
    assert client.get_orders() == []
    assert {o.id for o in client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))} == {
        order.id,
        new.id,
    }
    # Canceling again: the order is no longer open.
    status, code, message = refusal(lambda: client.cancel_order_by_id(new.id))
    assert (status, code, message) == (422, 42210000, 'order is already in "canceled" state')
    r = raw(client._base_url, "DELETE", f"/v2/orders/{order.id}")
    assert r.status_code == 422


def test_cancel_is_204_without_a_body(alpaca_emulator, client):
    order = resting(client, 100, tif=TimeInForce.DAY)
    r = raw(alpaca_emulator.url, "DELETE", f"/v2/orders/{order.id}")
    assert (r.status_code, r.content) == (204, b"")


def test_stop_and_stop_limit_orders_wait_for_their_trigger(client):
    stop = client.submit_order(
        StopOrderRequest(
            symbol="SPY", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, stop_price=300
        )
    )
    stop_limit = client.submit_order(
        StopLimitOrderRequest(
            symbol="SPY",
            qty=1,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            stop_price=300,
            limit_price=301,
        )
    )
    assert (stop.status, stop.stop_price) == (OrderStatus.NEW, "300")
    assert (stop_limit.limit_price, stop_limit.stop_price) == ("301", "300")


def test_a_bracket_places_its_legs_and_one_exit_cancels_the_other(alpaca_emulator, client):
    entry = buy(
        client,
        5,
        order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=168.90),
        stop_loss=StopLossRequest(stop_price=150),
    )
    assert entry.status == OrderStatus.FILLED
    assert entry.order_class == OrderClass.BRACKET
    legs = {leg.type.value: leg for leg in entry.legs}
    assert set(legs) == {"limit", "stop"}
    assert legs["limit"].limit_price == "168.9"
    assert all(leg.status == OrderStatus.NEW for leg in legs.values())
    # Without nesting, the legs are orders of their own in the list.
    flat = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))
    assert {o.id for o in flat} == {entry.id, *(leg.id for leg in legs.values())}
    nested = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, nested=True))
    assert [o.id for o in nested] == [entry.id]
    assert client.get_order_by_id(entry.id, GetOrderByIdRequest(nested=True)).legs
    # SPY trades above 168.90 later that afternoon: the take-profit fills, the stop is canceled.
    for _ in range(60):
        alpaca_emulator.control.advance(bars=1)
        if client.get_order_by_id(legs["limit"].id).status == OrderStatus.FILLED:
            break
    assert client.get_order_by_id(legs["limit"].id).status == OrderStatus.FILLED
    assert client.get_order_by_id(legs["stop"].id).status == OrderStatus.CANCELED
    assert client.get_all_positions() == []


def test_cancel_all_answers_207_with_each_order(alpaca_emulator, client):
    ids = {resting(client, p).id for p in (100, 101)}
    r = raw(alpaca_emulator.url, "DELETE", "/v2/orders")
    assert r.status_code == 207
    assert {row["id"] for row in r.json()} == {str(i) for i in ids}
    assert client.cancel_orders() == []
    assert client.get_orders() == []


def test_list_filters(client):
    first = resting(client, 100)
    second = resting(client, 100, symbol="BTC/USD", qty=0.01)
    assert [o.id for o in client.get_orders()] == [second.id, first.id]  # newest first
    assert [o.id for o in client.get_orders(GetOrdersRequest(direction="asc"))] == [first.id, second.id]
    assert [o.id for o in client.get_orders(GetOrdersRequest(symbols=["BTC/USD"]))] == [second.id]
    assert [o.id for o in client.get_orders(GetOrdersRequest(symbols=["BTCUSD"]))] == [second.id]
    assert [o.id for o in client.get_orders(GetOrdersRequest(limit=1))] == [second.id]
    assert client.get_orders(GetOrdersRequest(side=OrderSide.SELL)) == []


# ----------------------------------------------------------------------------- refusals


def test_duplicate_client_order_id_is_422(alpaca_emulator, client):
    buy(client, 1, client_order_id="same")
    assert refusal(lambda: buy(client, 1, client_order_id="same")) == (
        422,
        40010001,
        "client_order_id must be unique",
    )
    assert len(alpaca_emulator.control.ledger("fill")) == 1


def test_insufficient_buying_power_is_403_with_the_figures(client):
    status, code, message = refusal(lambda: buy(client, 10_000))
    assert (status, code, message) == (403, 40310000, "insufficient buying power")
    with pytest.raises(APIError) as e:
        buy(client, 10_000)
    body = e.value.response.json()
    assert Decimal(body["cost_basis"]) > Decimal(body["buying_power"]) > 0


def test_short_sales(alpaca_emulator, client):
    short = client.submit_order(
        MarketOrderRequest(symbol="SPY", qty=2, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
    )
    assert short.status == OrderStatus.FILLED
    (position,) = client.get_all_positions()
    assert (position.side.value, position.qty) == ("short", "-2")
    # Crypto cannot be sold short, nor fractions of stock.
    status, code, _ = refusal(
        lambda: client.submit_order(
            MarketOrderRequest(symbol="BTC/USD", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.GTC)
        )
    )
    assert (status, code) == (403, 40310000)


def test_hard_to_borrow_stock_cannot_be_sold_short(alpaca_emulator, client):
    alpaca_emulator.control.reset(data=[f"GME={SPY_FILE}"])
    status, code, message = refusal(
        lambda: client.submit_order(
            MarketOrderRequest(symbol="GME", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        )
    )
    assert (status, code) == (422, 42210000)
    assert "cannot be sold short" in message
    assert client.get_all_positions() == []


def test_extended_hours_need_a_day_limit_order(client):
    status, code, message = refusal(lambda: buy(client, 1, extended_hours=True))
    assert (status, code, message) == (422, 42210000, "extended hours order must be DAY limit orders")


def test_crypto_takes_gtc_or_ioc_only(client):
    status, code, _ = refusal(lambda: buy(client, 0.01, symbol="BTC/USD", time_in_force=TimeInForce.DAY))
    assert (status, code) == (422, 42210000)


def test_unknown_and_malformed_order_ids(client):
    assert refusal(lambda: client.get_order_by_id("00000000-0000-4000-8000-000000000000")) == (
        404,
        40410000,
        "order not found",
    )
    assert refusal(lambda: client.get_order_by_client_id("never-used"))[:2] == (404, 40410000)
    r = raw(client._base_url, "GET", "/v2/orders/not-a-uuid")
    assert (r.status_code, r.json()["code"]) == (422, 40010001)


def test_pattern_day_trader_protection_refuses_the_fourth_day_trade(alpaca_emulator, client):
    # A margin account under $25,000: three day trades in five sessions, not four.
    alpaca_emulator.control.reset(balances={"USD": "20000"})
    for k in range(3):
        buy(client, 1, client_order_id=f"open-{k}")
        client.submit_order(
            MarketOrderRequest(symbol="SPY", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        )
    buy(client, 1)
    status, code, message = refusal(
        lambda: client.submit_order(
            MarketOrderRequest(symbol="SPY", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        )
    )
    assert (status, code, message) == (403, 40310100, "trade denied due to pattern day trading protection")
    (position,) = client.get_all_positions()
    assert position.qty == "1"  # the refused sale changed nothing


def test_orders_need_keys(alpaca_emulator):
    body = {"symbol": "SPY", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
    r = raw(alpaca_emulator.url, "POST", "/v2/orders", auth=False, json=body)
    assert r.status_code == 401
    assert alpaca_emulator.control.ledger("fill") == []


def test_a_partial_fill_fault_fills_the_rest_on_a_later_bar(alpaca_emulator, client):
    alpaca_emulator.control.add_fault("partial_fill", "place_order", fill_ratio=0.4)
    order = buy(client, 10)
    assert (order.status, order.filled_qty) == (OrderStatus.PARTIALLY_FILLED, "4")
    alpaca_emulator.control.advance(bars=1)
    done = client.get_order_by_id(order.id)
    assert (done.status, done.filled_qty) == (OrderStatus.FILLED, "10")
    assert client.get_open_position("SPY").qty == "10"
