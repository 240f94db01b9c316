"""Pieces of the Alpaca env that need no venue: fills from orders, average cost, precision, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from alpaca.common.exceptions import APIError

from torchtrade.envs.live.alpaca.errors import is_duplicate_client_id, is_not_found, translate_errors
from torchtrade.envs.live.alpaca.fills import FillBook
from torchtrade.envs.live.alpaca.venue import AssetFacts, ccxt_status, round_notional
from torchtrade.errors import (
    AuthError,
    InsufficientMargin,
    OrderRejected,
    RateLimited,
    TransientVenueError,
    VenueError,
)


def _order(oid, side, filled, avg, t_s, legs=None):
    t = datetime.fromtimestamp(t_s, tz=UTC)
    return SimpleNamespace(
        id=oid, side=side, filled_qty=filled, filled_avg_price=avg, filled_at=t, updated_at=t, legs=legs
    )


def test_fills_from_orders_and_their_growth():
    book = FillBook()
    book.absorb([_order("a", "buy", "2", "100", 10)])
    book.absorb([_order("a", "buy", "2", "100", 10)])  # the same read twice: one fill
    assert [(f.id, f.amount, f.price) for f in book.since(0)] == [("a:2", 2.0, 100.0)]
    book.absorb([_order("b", "sell", "0.5", "110", 20)])
    book.absorb([_order("b", "sell", "1.5", "112", 30)])  # filled more: the growth, at its own price
    fills = book.since(15_000)
    assert [(f.id, f.amount) for f in fills] == [("b:0.5", 0.5), ("b:1.5", 1.0)]
    assert fills[1].price == pytest.approx(113.0)  # 1.5 x 112 = 0.5 x 110 + 1.0 x p
    assert [f.realized_pnl for f in fills] == [pytest.approx(5.0), pytest.approx(13.0)]
    assert book.qty == Decimal("0.5")


def test_bracket_legs_nested_in_their_parent():
    leg = _order("tp", "sell", "3", "105", 50)
    book = FillBook()
    book.absorb([_order("p", "buy", "3", "100", 40, legs=[leg, _order("sl", "sell", "0", None, 40)])])
    assert [(f.id, f.realized_pnl) for f in book.since(0)] == [("p:3", 0.0), ("tp:3", pytest.approx(15.0))]
    assert book.qty == 0


def test_average_cost_across_a_flip_and_a_seed():
    book = FillBook()
    book.seed(Decimal("-2"), Decimal("50"))  # short 2 at 50 when the env started
    book.absorb([_order("x", "buy", "3", "40", 1)])  # covers 2 (+20), then long 1 at 40
    assert book.since(0)[0].realized_pnl == pytest.approx(20.0)
    assert (book.qty, book.average) == (Decimal(1), Decimal(40))


def test_asset_precision():
    stock = AssetFacts.of(
        SimpleNamespace(
            asset_class="us_equity",
            symbol="AAPL",
            fractionable=True,
            shortable=True,
            easy_to_borrow=True,
            min_order_size=None,
            min_trade_increment=None,
            price_increment=None,
        )
    )
    assert stock.round_qty(1.23456789012) == Decimal("1.234567890")
    assert stock.round_qty(3.99, whole=True) == Decimal(3)
    assert stock.round_price(101.23456) == Decimal("101.23")
    assert stock.round_price(0.123456) == Decimal("0.1235")
    crypto = AssetFacts.of(
        SimpleNamespace(
            asset_class="crypto",
            symbol="BTC/USD",
            fractionable=False,
            shortable=True,
            easy_to_borrow=True,
            min_order_size="0.0001",
            min_trade_increment="0.0001",
            price_increment="1",
        )
    )
    assert (crypto.crypto, crypto.fractionable, crypto.shortable) == (True, True, False)
    assert crypto.position_symbol == "BTCUSD"
    assert crypto.round_qty(0.123456) == Decimal("0.1234")
    assert crypto.round_price(16843.6) == Decimal("16844")
    assert round_notional(1234.5678) == Decimal("1234.56")


@pytest.mark.parametrize(
    ("status", "word"),
    [("new", "open"), ("partially_filled", "open"), ("accepted", "open"), ("filled", "closed")]
    + [(s, "canceled") for s in ("canceled", "expired", "rejected", "done_for_day")],
)
def test_statuses(status, word):
    assert ccxt_status(status) == word


def _api_error(status, body, headers=None):
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    text = json.dumps(body) if isinstance(body, dict) else body
    return APIError(text, requests.HTTPError(response=response))


@pytest.mark.parametrize(
    ("status", "body", "order", "cls", "code"),
    [
        (401, {"code": 40110000, "message": "request is not authorized"}, False, AuthError, "40110000"),
        (
            403,
            {"code": 40310000, "message": "insufficient buying power"},
            True,
            InsufficientMargin,
            "40310000",
        ),
        (
            403,
            {"code": 40310100, "message": "trade denied due to pattern day trading protection"},
            True,
            OrderRejected,
            "40310100",
        ),
        (
            422,
            {"code": 42210000, "message": 'asset "X" cannot be sold short'},
            True,
            OrderRejected,
            "42210000",
        ),
        (404, {"code": 40410000, "message": "position does not exist"}, False, VenueError, "40410000"),
        (
            500,
            {"code": 50010000, "message": "internal server error occurred"},
            True,
            TransientVenueError,
            "50010000",
        ),
        (502, "<html>bad gateway</html>", False, TransientVenueError, None),
    ],
)
def test_errors_become_ours(status, body, order, cls, code):
    with pytest.raises(cls) as e, translate_errors("op", order=order):
        raise _api_error(status, body)
    assert type(e.value) is cls
    assert e.value.code == code
    assert isinstance(e.value.__cause__, APIError)


def test_rate_limits_carry_the_hint():
    with pytest.raises(RateLimited) as e, translate_errors("get_account"):
        raise _api_error(429, {"code": 42910000, "message": "rate limit exceeded"}, {"Retry-After": "2"})
    assert e.value.retry_after == 2.0


def test_network_trouble_is_transient():
    with pytest.raises(TransientVenueError), translate_errors("get_account"):
        raise requests.ConnectionError("reset")
    with pytest.raises(TransientVenueError), translate_errors("get_account"):
        raise requests.Timeout("slow")


def test_duplicates_and_not_found():
    dup = _api_error(422, {"code": 40010001, "message": "client_order_id must be unique"})
    assert is_duplicate_client_id(dup)
    assert not is_duplicate_client_id(_api_error(422, {"code": 40010001, "message": "qty is required"}))
    assert is_not_found(_api_error(404, {"code": 40410000, "message": "order not found"}))
