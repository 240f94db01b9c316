"""Alpaca account configurations through alpaca-py: read, change, and what the venue does with them
(a long-only account refuses shorts, a suspended one every new order, the multiplier caps buying
power); a bad value is Alpaca's 422 and changes nothing; a reset starts over."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, TimeInForce, TradeConfirmationEmail
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from tests.integration.alpaca_support import api_error, raw, trading


@pytest.fixture
def client(alpaca_emulator):
    return trading(alpaca_emulator.url)


def market(client, side, qty=1, symbol="SPY"):
    return client.submit_order(
        MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=TimeInForce.DAY)
    )


def test_a_fresh_account_has_alpacas_defaults(client):
    cfg = client.get_account_configurations()
    assert cfg.no_shorting is False
    assert cfg.suspend_trade is False
    assert cfg.fractional_trading is True
    assert cfg.max_margin_multiplier == "4"
    assert cfg.trade_confirm_email == TradeConfirmationEmail.ALL
    assert cfg.ptp_no_exception_entry is False
    assert cfg.dtbp_check is None
    assert cfg.pdt_check is None


def test_no_shorting_refuses_a_short_and_keeps_longs(alpaca_emulator, client):
    cfg = client.get_account_configurations()
    cfg.no_shorting = True
    assert client.set_account_configurations(cfg).no_shorting is True
    assert client.get_account().shorting_enabled is False
    with pytest.raises(APIError) as e:
        market(client, OrderSide.SELL)
    assert api_error(e) == (403, 40310000, "account is not allowed to short")
    market(client, OrderSide.BUY, 2)
    market(client, OrderSide.SELL, 2)  # selling a long is no short sale
    assert client.get_all_positions() == []
    cfg.no_shorting = False
    client.set_account_configurations(cfg)
    market(client, OrderSide.SELL)
    assert client.get_open_position("SPY").qty == "-1"


def test_suspend_trade_refuses_new_orders_and_replacements(alpaca_emulator, client):
    resting = client.submit_order(
        LimitOrderRequest(
            symbol="SPY", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=100
        )
    )
    cfg = client.get_account_configurations()
    cfg.suspend_trade = True
    client.set_account_configurations(cfg)
    assert client.get_account().trade_suspended_by_user is True
    before = alpaca_emulator.control.ledger("fill")
    with pytest.raises(APIError) as e:
        market(client, OrderSide.BUY)
    assert api_error(e) == (403, 40310000, "new orders are rejected by user request")
    r = raw(alpaca_emulator.url, "PATCH", f"/v2/orders/{resting.id}", json={"limit_price": "101"})
    assert (r.status_code, r.json()["code"]) == (403, 40310000)
    assert client.get_order_by_id(resting.id).status.value in ("new", "accepted")  # left working
    assert alpaca_emulator.control.ledger("fill") == before
    cfg.suspend_trade = False
    client.set_account_configurations(cfg)
    assert market(client, OrderSide.BUY).filled_qty == "1"


def test_max_margin_multiplier_caps_buying_power(client):
    assert client.get_account().multiplier == "4"
    cfg = client.get_account_configurations()
    cfg.max_margin_multiplier = "2"
    assert client.set_account_configurations(cfg).max_margin_multiplier == "2"
    account = client.get_account()
    assert account.multiplier == "2"
    assert Decimal(account.buying_power) == 2 * Decimal(account.equity)
    cfg.max_margin_multiplier = "1"
    client.set_account_configurations(cfg)
    account = client.get_account()
    assert account.multiplier == "1"
    assert Decimal(account.buying_power) == Decimal(account.cash)


def test_the_multiplier_as_a_json_number(alpaca_emulator, client):
    r = raw(alpaca_emulator.url, "PATCH", "/v2/account/configurations", json={"max_margin_multiplier": 2})
    assert (r.status_code, r.json()["max_margin_multiplier"]) == (200, "2")
    r = raw(
        alpaca_emulator.url, "PATCH", "/v2/account/configurations", data=b'{"max_margin_multiplier": 2.5}'
    )
    assert (r.status_code, r.json()["code"]) == (422, 40010001)
    assert client.get_account().multiplier == "2"


def test_stored_fields_come_back_and_null_changes_nothing(alpaca_emulator, client):
    cfg = client.get_account_configurations()
    cfg.trade_confirm_email = TradeConfirmationEmail.NONE
    cfg.fractional_trading = False
    cfg.ptp_no_exception_entry = True
    cfg.max_options_trading_level = 2
    client.set_account_configurations(cfg)
    r = raw(alpaca_emulator.url, "PATCH", "/v2/account/configurations", json={"pdt_check": "both"})
    assert r.status_code == 200
    got = client.get_account_configurations()
    assert got.trade_confirm_email == TradeConfirmationEmail.NONE
    assert (got.fractional_trading, got.ptp_no_exception_entry, got.max_options_trading_level) == (
        False,
        True,
        2,
    )
    assert got.pdt_check.value == "both"
    alpaca_emulator.control.reset()
    assert client.get_account_configurations().trade_confirm_email == TradeConfirmationEmail.ALL


@pytest.mark.parametrize(
    "body",
    [
        {"max_margin_multiplier": "3"},
        {"no_shorting": "perhaps"},
        {"trade_confirm_email": "some"},
        {"dtbp_check": "sometimes"},
        {"max_options_trading_level": 7},
        {"suspend_trade": True, "max_margin_multiplier": "8"},
    ],
)
def test_a_bad_value_is_a_422_and_changes_nothing(alpaca_emulator, client, body):
    before = client.get_account_configurations()
    r = raw(alpaca_emulator.url, "PATCH", "/v2/account/configurations", json=body)
    assert r.status_code == 422
    assert r.json()["code"] == 40010001
    assert client.get_account_configurations() == before


def test_configurations_need_a_key(alpaca_emulator):
    r = raw(alpaca_emulator.url, "GET", "/v2/account/configurations", auth=False)
    assert (r.status_code, r.json()["code"]) == (401, 40110000)


def test_without_fractional_trading_stock_orders_are_whole_shares(client):
    cfg = client.get_account_configurations()
    cfg.fractional_trading = False
    client.set_account_configurations(cfg)
    for request, message in (
        (
            MarketOrderRequest(symbol="SPY", notional=100, side=OrderSide.BUY, time_in_force=TimeInForce.DAY),
            "qty is required",
        ),
        (
            MarketOrderRequest(symbol="SPY", qty=1.5, side=OrderSide.BUY, time_in_force=TimeInForce.DAY),
            "qty must be integer",
        ),
    ):
        with pytest.raises(APIError) as e:
            client.submit_order(request)
        assert api_error(e) == (422, 40010001, message)
    assert market(client, OrderSide.BUY, 2).filled_qty == "2"
    crypto = client.submit_order(
        MarketOrderRequest(symbol="BTC/USD", notional=50, side=OrderSide.BUY, time_in_force=TimeInForce.GTC)
    )
    assert crypto.status.value == "filled"  # crypto trades in fractions whatever the setting
