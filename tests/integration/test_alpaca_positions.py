"""Alpaca positions and the account through alpaca-py: what a holding and the account report, and
closing one position (all, ``qty`` or ``percentage``) or all of them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import AccountStatus, OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import ClosePositionRequest, LimitOrderRequest, MarketOrderRequest

from tests.integration.alpaca_support import api_error, raw, trading


@pytest.fixture
def client(alpaca_emulator):
    return trading(alpaca_emulator.url)


def market(client, side, qty, symbol="SPY"):
    tif = TimeInForce.GTC if "/" in symbol else TimeInForce.DAY
    return client.submit_order(MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif))


def test_a_fresh_paper_account(client):
    account = client.get_account()
    assert account.status == AccountStatus.ACTIVE
    assert (account.cash, account.equity, account.portfolio_value) == ("100000", "100000", "100000")
    assert account.currency == "USD"
    assert account.multiplier == "4"
    assert Decimal(account.buying_power) == 400_000  # 4x intraday on a margin account over $25k
    assert account.shorting_enabled
    assert account.account_number.startswith("PA")
    assert account.pattern_day_trader is None  # Alpaca stopped sending it (alpaca-py 0.44's models)


def test_the_account_follows_its_holdings(alpaca_emulator, client):
    order = market(client, OrderSide.BUY, 10)
    account = client.get_account()
    price = Decimal(order.filled_avg_price)
    assert Decimal(account.cash) == 100_000 - 10 * price
    (position,) = client.get_all_positions()
    assert Decimal(account.long_market_value) == Decimal(position.market_value)
    assert Decimal(account.equity) == Decimal(account.cash) + Decimal(position.market_value)
    alpaca_emulator.control.advance(bars=30)
    moved = client.get_open_position("SPY")
    assert Decimal(moved.unrealized_pl) == Decimal(moved.market_value) - Decimal(moved.cost_basis)


def test_positions_by_symbol_and_asset_id(client):
    market(client, OrderSide.BUY, 2)
    position = client.get_open_position("SPY")
    assert client.get_open_position(position.asset_id) == position
    assert position.asset_id == client.get_asset("SPY").id
    with pytest.raises(APIError) as e:
        client.get_open_position("AAPL")
    assert api_error(e) == (404, 40410000, "position does not exist")


def test_close_part_then_all_of_a_position(client):
    market(client, OrderSide.BUY, 10)
    half = client.close_position("SPY", ClosePositionRequest(percentage="50"))
    assert (half.side, half.qty, half.status) == (OrderSide.SELL, "5", OrderStatus.FILLED)
    three = client.close_position("SPY", ClosePositionRequest(qty="3"))
    assert three.qty == "3"
    assert client.get_open_position("SPY").qty == "2"
    rest = client.close_position("SPY")
    assert rest.qty == "2"
    assert client.get_all_positions() == []
    with pytest.raises(APIError) as e:
        client.close_position("SPY")
    assert api_error(e)[:2] == (404, 40410000)


def test_close_a_short(client):
    market(client, OrderSide.SELL, 3)
    cover = client.close_position("SPY")
    assert (cover.side, cover.qty) == (OrderSide.BUY, "3")
    assert client.get_all_positions() == []


def test_close_all_answers_207_per_position(alpaca_emulator, client):
    market(client, OrderSide.BUY, 4)
    market(client, OrderSide.BUY, 0.05, symbol="BTC/USD")
    client.submit_order(
        LimitOrderRequest(
            symbol="SPY", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, limit_price=100
        )
    )
    results = client.close_all_positions(cancel_orders=True)
    assert {(r.symbol, r.status) for r in results} == {("SPY", 200), ("BTCUSD", 200)}
    assert all(r.body.status == OrderStatus.FILLED for r in results)
    assert client.get_all_positions() == []
    assert client.get_orders() == []  # cancel_orders canceled the resting limit first
    r = raw(alpaca_emulator.url, "DELETE", "/v2/positions")
    assert (r.status_code, r.json()) == (207, [])


def test_close_all_reports_what_it_cannot_close(client):
    market(client, OrderSide.BUY, 4)
    client.submit_order(
        LimitOrderRequest(
            symbol="SPY", qty=4, side=OrderSide.SELL, time_in_force=TimeInForce.GTC, limit_price=500
        )
    )
    (result,) = client.close_all_positions()  # the resting sale holds every share
    assert (result.symbol, result.status) == ("SPY", 403)
    assert result.body.code == 40310000
    assert client.get_open_position("SPY").qty == "4"


def test_stale_position_fault_answers_the_previous_read(alpaca_emulator, client):
    market(client, OrderSide.BUY, 1)
    assert len(client.get_all_positions()) == 1
    client.close_position("SPY")
    alpaca_emulator.control.add_fault("stale_position", "positions")
    assert len(client.get_all_positions()) == 1  # a lagging replica: the position it had
    assert client.get_all_positions() == []
