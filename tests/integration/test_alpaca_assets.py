"""Alpaca's assets through alpaca-py: what the emulator lists, by symbol, legacy symbol and id."""

from __future__ import annotations

import pytest
from alpaca.trading.enums import AssetClass, AssetExchange, AssetStatus
from alpaca.trading.requests import GetAssetsRequest

from tests.integration.alpaca_support import BTC_FILE, SPY_FILE, trading


@pytest.fixture
def listed(alpaca_emulator):
    alpaca_emulator.control.reset(data=[f"SPY={SPY_FILE}", f"GME={SPY_FILE}", f"BTC/USD={BTC_FILE}"])
    return alpaca_emulator


def test_the_list_is_what_the_emulator_replays(listed):
    assets = {a.symbol: a for a in trading(listed.url).get_all_assets()}
    assert set(assets) == {"SPY", "GME", "BTC/USD"}
    spy, gme, btc = assets["SPY"], assets["GME"], assets["BTC/USD"]
    assert (spy.asset_class, spy.exchange, spy.status) == (
        AssetClass.US_EQUITY,
        AssetExchange.ARCA,
        AssetStatus.ACTIVE,
    )
    assert spy.tradable
    assert spy.fractionable
    assert spy.shortable
    assert spy.easy_to_borrow
    assert spy.marginable
    assert spy.price_increment == 0.01
    assert spy.min_trade_increment == 1e-9
    assert not gme.shortable
    assert not gme.easy_to_borrow
    assert btc.asset_class == AssetClass.CRYPTO
    assert btc.exchange == AssetExchange.CRYPTO
    assert btc.fractionable
    assert not btc.shortable
    assert not btc.marginable
    price = float(listed.control.status()["symbols"]["BTC/USD"]["last_price"])
    assert 0.1 <= btc.min_order_size * price <= 10  # about a dollar's worth


def test_filters(listed):
    client = trading(listed.url)
    crypto = client.get_all_assets(GetAssetsRequest(asset_class=AssetClass.CRYPTO, status=AssetStatus.ACTIVE))
    assert [a.symbol for a in crypto] == ["BTC/USD"]
    assert [a.symbol for a in client.get_all_assets(GetAssetsRequest(exchange=AssetExchange.NYSE))] == ["GME"]
    assert client.get_all_assets(GetAssetsRequest(status=AssetStatus.INACTIVE)) == []
    fractional = client.get_all_assets(GetAssetsRequest(attributes="fractional_eh_enabled,ipo"))
    assert {a.symbol for a in fractional} == {"SPY", "GME"}


def test_one_asset_by_symbol_legacy_symbol_or_id(listed):
    client = trading(listed.url)
    btc = client.get_asset("BTC/USD")
    assert client.get_asset("BTCUSD") == btc == client.get_asset(btc.id) == client.get_asset(str(btc.id))
    assert client.get_asset("spy").symbol == "SPY"
    ids = {a.id for a in client.get_all_assets()}
    assert len(ids) == 3  # stable ids, one per asset
    listed.control.reset(data=[f"SPY={SPY_FILE}", f"GME={SPY_FILE}", f"BTC/USD={BTC_FILE}"])
    assert {a.id for a in client.get_all_assets()} == ids
