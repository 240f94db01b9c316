"""Funding on the Binance emulator: across a funding time the wallet changes by position notional ×
rate, the income history books it as FUNDING_FEE, and ccxt's funding history reports it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.binance_support import BTC

EIGHT_HOURS = 8 * 3_600_000


@pytest.fixture
def bx(binance_exchange):
    return binance_exchange


def wallet(bx) -> Decimal:
    return Decimal(bx.fetch_balance()["info"]["totalWalletBalance"])


@pytest.mark.parametrize(("side", "rate"), [("buy", "0.0001"), ("sell", "0.0001"), ("buy", "-0.0005")])
def test_funding_moves_the_wallet_by_notional_times_rate(bx, binance_emulator, side, rate):
    binance_emulator.control.reset(funding_rate=rate)
    bx.create_order(BTC, "market", side, 0.05)
    before = wallet(bx)
    funding_time = bx.fetch_funding_rate(BTC)["fundingTimestamp"]  # premiumIndex.nextFundingTime
    binance_emulator.control.advance(to=funding_time + 60_000)
    (charged,) = bx.fetch_funding_history(BTC)
    (mark_row,) = bx.fetch_funding_rate_history(BTC, since=funding_time, limit=1)
    assert mark_row["timestamp"] == funding_time
    mark = Decimal(mark_row["info"]["markPrice"])
    sign = 1 if side == "buy" else -1
    expected = -sign * Decimal("0.05") * mark * Decimal(rate)  # longs pay a positive rate
    assert Decimal(charged["info"]["income"]) == expected.quantize(Decimal("1e-8"))
    assert charged["timestamp"] == funding_time
    assert charged["code"] == "USDT"
    assert wallet(bx) - before == Decimal(charged["info"]["income"])


def test_no_position_no_funding_and_history_filters(bx, binance_emulator):
    binance_emulator.control.advance(ms=EIGHT_HOURS + 60_000)
    assert bx.fetch_funding_history(BTC) == []
    bx.create_order(BTC, "market", "buy", 0.01)
    binance_emulator.control.advance(ms=2 * EIGHT_HOURS)
    rows = bx.fetch_funding_history(BTC)
    assert len(rows) == 2
    assert all(r["amount"] < 0 for r in rows)
    since = bx.fetch_funding_history(BTC, since=rows[1]["timestamp"])
    assert [r["id"] for r in since] == [rows[1]["id"]]
    everything = bx.fapiPrivateGetIncome({"incomeType": "FUNDING_FEE"})
    assert [r["tranId"] for r in everything] == [int(r["id"]) for r in rows]
