"""Alpaca watchlists through alpaca-py: create, list, get, replace, add, remove, delete; only listed
assets (what the emulator replays), unique names, Alpaca's 404/422 answers; gone on a reset."""

from __future__ import annotations

import uuid

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.requests import CreateWatchlistRequest, UpdateWatchlistRequest

from tests.integration.alpaca_support import api_error, raw, trading


@pytest.fixture
def client(alpaca_emulator):
    return trading(alpaca_emulator.url)


def symbols(watchlist) -> list[str]:
    return [a.symbol for a in watchlist.assets or []]


def test_a_watchlist_from_creation_to_deletion(alpaca_emulator, client):
    created = client.create_watchlist(CreateWatchlistRequest(name="core", symbols=["SPY", "BTC/USD", "SPY"]))
    assert created.name == "core"
    assert symbols(created) == ["SPY", "BTC/USD"]  # a symbol given twice is kept once
    assert created.account_id == client.get_account().id
    asset = created.assets[0]
    assert asset == client.get_asset("SPY")  # the watchlist's assets are /v2/assets' rows
    (listed,) = client.get_watchlists()
    assert (listed.id, listed.name, listed.assets) == (created.id, "core", None)
    assert client.get_watchlist_by_id(created.id) == created

    alpaca_emulator.control.advance(bars=5)
    renamed = client.update_watchlist_by_id(created.id, UpdateWatchlistRequest(name="main"))
    assert (renamed.name, symbols(renamed)) == ("main", ["SPY", "BTC/USD"])
    assert renamed.updated_at > created.updated_at
    replaced = client.update_watchlist_by_id(created.id, UpdateWatchlistRequest(symbols=["BTC/USD"]))
    assert symbols(replaced) == ["BTC/USD"]
    assert symbols(client.add_asset_to_watchlist_by_id(created.id, "SPY")) == ["BTC/USD", "SPY"]
    assert symbols(client.add_asset_to_watchlist_by_id(created.id, "SPY")) == ["BTC/USD", "SPY"]
    assert symbols(client.remove_asset_from_watchlist_by_id(created.id, "BTC/USD")) == ["SPY"]

    client.delete_watchlist_by_id(created.id)
    assert client.get_watchlists() == []
    with pytest.raises(APIError) as e:
        client.get_watchlist_by_id(created.id)
    assert api_error(e) == (404, 40410000, "watchlist not found")


def test_only_listed_assets_and_unique_names(alpaca_emulator, client):
    with pytest.raises(APIError) as e:
        client.create_watchlist(CreateWatchlistRequest(name="x", symbols=["SPY", "ZZZZ"]))
    assert api_error(e) == (422, 40010001, "asset not found: ZZZZ")
    assert client.get_watchlists() == []  # nothing created
    w = client.create_watchlist(CreateWatchlistRequest(name="x", symbols=[]))
    with pytest.raises(APIError) as e:
        client.create_watchlist(CreateWatchlistRequest(name="x", symbols=["SPY"]))
    assert api_error(e) == (422, 40010001, "watchlist name must be unique")
    with pytest.raises(APIError) as e:
        client.add_asset_to_watchlist_by_id(w.id, "AAPL")  # a ticker the emulator does not replay
    assert api_error(e) == (422, 40010001, "asset not found: AAPL")
    with pytest.raises(APIError) as e:
        client.remove_asset_from_watchlist_by_id(w.id, "SPY")
    assert api_error(e)[:2] == (404, 40410000)
    assert symbols(client.get_watchlist_by_id(w.id)) == []


def test_unknown_and_malformed_ids(alpaca_emulator, client):
    unknown = uuid.uuid4()
    for call in (
        lambda: client.get_watchlist_by_id(unknown),
        lambda: client.delete_watchlist_by_id(unknown),
        lambda: client.add_asset_to_watchlist_by_id(unknown, "SPY"),
        lambda: client.update_watchlist_by_id(unknown, UpdateWatchlistRequest(name="n")),
    ):
        with pytest.raises(APIError) as e:
            call()
        assert api_error(e) == (404, 40410000, "watchlist not found")
    r = raw(alpaca_emulator.url, "GET", "/v2/watchlists/not-a-uuid")
    assert (r.status_code, r.json()["code"]) == (422, 40010001)
    r = raw(alpaca_emulator.url, "POST", "/v2/watchlists", json={"symbols": ["SPY"]})
    assert (r.status_code, r.json()) == (422, {"code": 40010001, "message": "name is required"})
    r = raw(alpaca_emulator.url, "POST", "/v2/watchlists", data=b"{")
    assert (r.status_code, r.json()["code"]) == (400, 40010000)


def test_watchlists_start_over_on_a_reset(alpaca_emulator, client):
    client.create_watchlist(CreateWatchlistRequest(name="mine", symbols=["SPY"]))
    assert len(client.get_watchlists()) == 1
    alpaca_emulator.control.reset()
    assert client.get_watchlists() == []
