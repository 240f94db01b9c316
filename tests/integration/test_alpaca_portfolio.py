"""Alpaca portfolio history through alpaca-py: the account's equity over the replayed bars.

The truth: the account's cash after its fills plus its shares valued at the file's close of the last
bar closed at each point's end; the last point is what ``GET /v2/account`` reports.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pandas as pd
import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import GetPortfolioHistoryRequest, MarketOrderRequest

from tests.integration.alpaca_support import SPY_FILE, api_error, frame, raw, stock_data, trading

ET = "America/New_York"
CASH = Decimal(100_000)


@pytest.fixture
def bought(alpaca_emulator):
    """10 SPY bought on Monday 2013-10-07 at 09:59 ET (a fresh account), then 60 bars on."""
    stock_data(alpaca_emulator)
    client = trading(alpaca_emulator.url)
    order = client.submit_order(
        MarketOrderRequest(symbol="SPY", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    )
    alpaca_emulator.control.advance(bars=60)
    return alpaca_emulator, client, Decimal(order.filled_avg_price)


def now_of(srv) -> pd.Timestamp:
    return pd.Timestamp(srv.control.status()["now"], unit="ms", tz="UTC")


def close_at(t: pd.Timestamp) -> Decimal:
    """The close of the last SPY bar closed at ``t``."""
    df = frame(SPY_FILE)
    closed = df[df.index + pd.Timedelta(minutes=1) <= t]
    return Decimal(str(closed["close"].iloc[-1]))


def test_intraday_equity_is_cash_plus_shares_at_each_close(bought):
    srv, client, price = bought
    now = now_of(srv)
    history = client.get_portfolio_history(GetPortfolioHistoryRequest(period="1D", timeframe="5Min"))
    labels = [pd.Timestamp(t, unit="s", tz="UTC") for t in history.timestamp]
    # Points from the first 5-minute label after the account opened (09:59 ET) to the present.
    assert labels[0] == pd.Timestamp("2013-10-07 10:00", tz=ET)
    assert labels[-1] <= now < labels[-1] + pd.Timedelta(minutes=5)
    assert all(b - a == pd.Timedelta(minutes=5) for a, b in itertools.pairwise(labels))
    cash = CASH - 10 * price
    for label, equity in zip(labels, history.equity, strict=True):
        valued = min(label + pd.Timedelta(minutes=5), now)
        assert equity == pytest.approx(float(cash + 10 * close_at(valued)))
    assert history.equity[-1] == float(Decimal(client.get_account().equity))
    # One day, an account opened today: the base is its first point.
    assert history.base_value == history.equity[0]
    assert history.profit_loss == pytest.approx([e - history.equity[0] for e in history.equity])
    assert history.profit_loss_pct[-1] == pytest.approx(history.equity[-1] / history.equity[0] - 1)
    assert history.timeframe == "5Min"


def test_per_day_resets_the_base_at_the_previous_close(bought):
    srv, client, price = bought
    tuesday_1030 = int(pd.Timestamp("2013-10-08 10:30", tz=ET).timestamp() * 1000)
    srv.control.advance(to=tuesday_1030)
    monday_close = CASH - 10 * price + 10 * close_at(pd.Timestamp("2013-10-07 16:00", tz=ET))
    per_day = client.get_portfolio_history(GetPortfolioHistoryRequest(period="2D", timeframe="15Min"))
    no_reset = client.get_portfolio_history(
        GetPortfolioHistoryRequest(period="2D", timeframe="15Min", pnl_reset="no_reset")
    )
    assert per_day.equity == no_reset.equity
    days = [pd.Timestamp(t, unit="s", tz="UTC").tz_convert(ET).date() for t in per_day.timestamp]
    assert set(days) == {dt.date(2013, 10, 7), dt.date(2013, 10, 8)}
    for day, equity, pl in zip(days, per_day.equity, per_day.profit_loss, strict=True):
        base = per_day.equity[0] if day == dt.date(2013, 10, 7) else float(monday_close)
        assert pl == pytest.approx(equity - base)
    assert no_reset.profit_loss == pytest.approx([e - no_reset.equity[0] for e in no_reset.equity])
    # Market hours only by default: no point outside 09:30-16:00 ET.
    local = [pd.Timestamp(t, unit="s", tz="UTC").tz_convert(ET).time() for t in per_day.timestamp]
    assert all(dt.time(9, 30) <= t < dt.time(16, 0) for t in local)
    extended = client.get_portfolio_history(
        GetPortfolioHistoryRequest(period="2D", timeframe="1H", intraday_reporting="extended_hours")
    )
    local = [pd.Timestamp(t, unit="s", tz="UTC").tz_convert(ET).time() for t in extended.timestamp]
    assert min(local) < dt.time(9, 30)
    assert max(local) >= dt.time(16, 0)


def test_daily_points_one_per_session(bought):
    srv, client, price = bought
    srv.control.advance(to=int(pd.Timestamp("2013-10-09 12:00", tz=ET).timestamp() * 1000))
    history = client.get_portfolio_history(GetPortfolioHistoryRequest(period="1W", timeframe="1D"))
    labels = [pd.Timestamp(t, unit="s", tz="UTC").tz_convert(ET) for t in history.timestamp]
    assert [t.date() for t in labels] == [dt.date(2013, 10, d) for d in (7, 8, 9)]
    assert all((t.hour, t.minute) == (0, 0) for t in labels)
    cash = CASH - 10 * price
    assert history.equity[0] == pytest.approx(float(cash + 10 * close_at(pd.Timestamp("2013-10-08", tz=ET))))
    assert history.equity[-1] == float(Decimal(client.get_account().equity))


def test_a_new_account_has_its_deposit_as_equity(alpaca_emulator):
    stock_data(alpaca_emulator)
    alpaca_emulator.control.advance(bars=10)
    history = trading(alpaca_emulator.url).get_portfolio_history(
        GetPortfolioHistoryRequest(timeframe="1Min", period="1D", intraday_reporting="continuous")
    )
    # From the opening minute (09:59 ET) to the present's (10:09), the window now starting included.
    assert len(history.timestamp) == 11
    assert set(history.equity) == {100_000.0}
    assert set(history.profit_loss) == {0.0}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "1D", "start": "2013-10-07T13:30:00Z", "end": "2013-10-07T15:00:00Z"}, "only two"),
        ({"period": "3X"}, "invalid period"),
        ({"timeframe": "2H"}, "invalid timeframe"),
        ({"period": "2M", "timeframe": "5Min"}, "timeframe must be 1D"),
        ({"pnl_reset": "sometimes"}, "invalid pnl_reset"),
        ({"start": "2013-10-07"}, "invalid start"),
        ({"intraday_reporting": "weekends"}, "invalid intraday_reporting"),
    ],
)
def test_bad_parameters_are_alpacas_422(alpaca_emulator, params, message):
    r = raw(alpaca_emulator.url, "GET", "/v2/account/portfolio/history", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == 40010001
    assert message in r.json()["message"]


def test_end_before_start_through_the_sdk(alpaca_emulator):
    client = trading(alpaca_emulator.url)
    with pytest.raises(APIError) as e:
        client.get_portfolio_history(
            GetPortfolioHistoryRequest(
                start=dt.datetime(2013, 10, 8, tzinfo=dt.UTC), end=dt.datetime(2013, 10, 7, tzinfo=dt.UTC)
            )
        )
    assert api_error(e)[:2] == (422, 40010001)


def test_crypto_fees_in_the_asset_bought_and_continuous_points(alpaca_emulator):
    stock_data(alpaca_emulator)
    client = trading(alpaca_emulator.url)
    client.submit_order(
        MarketOrderRequest(symbol="BTC/USD", notional=1000, side=OrderSide.BUY, time_in_force=TimeInForce.GTC)
    )
    alpaca_emulator.control.advance(bars=20)
    history = client.get_portfolio_history(
        GetPortfolioHistoryRequest(
            period="1D", timeframe="1Min", intraday_reporting="continuous", pnl_reset="no_reset"
        )
    )
    position = client.get_open_position("BTCUSD")  # its qty is net of the fee paid in BTC
    account = client.get_account()
    assert history.equity[-1] == float(Decimal(account.equity))
    assert history.equity[-1] == pytest.approx(float(Decimal(account.cash) + Decimal(position.market_value)))
    assert history.profit_loss[-1] == pytest.approx(history.equity[-1] - history.equity[0])
