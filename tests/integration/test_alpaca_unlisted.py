"""What the emulator does not list, through alpaca-py: corporate announcements and option contracts
answer as for an account without any (empty lists, 404 by id), bad parameters are Alpaca's 422."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import ContractType, CorporateActionDateType, CorporateActionType
from alpaca.trading.requests import GetCorporateAnnouncementsRequest, GetOptionContractsRequest

from tests.integration.alpaca_support import api_error, raw, trading


@pytest.fixture
def client(alpaca_emulator):
    return trading(alpaca_emulator.url)


def test_corporate_announcements_are_none(client):
    request = GetCorporateAnnouncementsRequest(
        ca_types=[CorporateActionType.DIVIDEND, CorporateActionType.SPLIT],
        since=dt.date(2013, 9, 1),
        until=dt.date(2013, 10, 30),
        symbol="SPY",
        date_type=CorporateActionDateType.EX_DATE,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # alpaca-py deprecates the route
        assert client.get_corporate_announcements(request) == []
    with pytest.raises(APIError) as e:
        client.get_corporate_announcement_by_id(uuid.uuid4())
    assert api_error(e)[:2] == (404, 40410000)


def test_option_contracts_are_none(client):
    answer = client.get_option_contracts(
        GetOptionContractsRequest(
            underlying_symbols=["SPY"], type=ContractType.CALL, strike_price_gte="100", limit=5
        )
    )
    assert (answer.option_contracts, answer.next_page_token) == ([], None)
    for name in ("SPY131018C00170000", str(uuid.uuid4())):
        with pytest.raises(APIError) as e:
            client.get_option_contract(name)
        assert api_error(e)[:2] == (404, 40410000)
    with pytest.raises(APIError) as e:
        client.exercise_options_position("SPY131018C00170000")
    assert api_error(e) == (404, 40410000, "position does not exist")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/corporate_actions/announcements", {"since": "2013-10-01", "until": "2013-10-30"}),
        (
            "/v2/corporate_actions/announcements",
            {"ca_types": "bonus", "since": "2013-10-01", "until": "2013-10-30"},
        ),
        (
            "/v2/corporate_actions/announcements",
            {"ca_types": "split", "since": "2013-01-01", "until": "2013-10-30"},
        ),
        (
            "/v2/corporate_actions/announcements",
            {"ca_types": "split", "since": "2013-10-31", "until": "2013-10-30"},
        ),
        ("/v2/options/contracts", {"limit": "0"}),
        ("/v2/options/contracts", {"type": "straddle"}),
        ("/v2/options/contracts", {"expiration_date": "2013-02-30"}),
    ],
)
def test_bad_parameters_are_a_422(alpaca_emulator, path, params):
    r = raw(alpaca_emulator.url, "GET", path, params=params)
    assert (r.status_code, r.json()["code"]) == (422, 40010001), r.text
