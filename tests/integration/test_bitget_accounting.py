"""Random order sequences through ccxt: for every account, what the venue reports balances.

    wallet change (fetch_balance: equity − unrealized PnL)
        == realized PnL (fills' profit) − fees (fills' fees + liquidation fees) − funding (bills)

Every figure is read through the venue's own API with an unmodified ccxt client.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

import ccxt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BTC
from torchtrade.emulator.clients import ccxt_client
from torchtrade.emulator.venues.base import Credentials

D = Decimal
INITIAL = {"main": D("3000"), "iso": D("800")}
ISO = Credentials(api_key="iso-key", api_secret="iso-secret", passphrase="iso-pass", account="iso")

account = st.sampled_from(["main", "iso"])
side = st.sampled_from(["buy", "sell"])
amount = st.sampled_from([0.001, 0.01, 0.05, 0.1, 0.3])
op = st.one_of(
    st.tuples(st.just("market"), account, side, amount, st.booleans()),
    st.tuples(st.just("limit"), account, side, amount, st.integers(-200, 200)),
    st.tuples(st.just("bracket"), account, side, amount, st.integers(2, 30)),
    st.tuples(st.just("leverage"), account, st.integers(1, 50)),
    st.tuples(st.just("advance"), st.integers(1, 240)),
    st.tuples(st.just("cancel_all"), account),
    st.tuples(st.just("close"), account),
)


def books(ex: ccxt.bitget) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(wallet, realized PnL, fees, funding) of one account, as the venue reports them."""
    info = ex.fetch_balance()["info"][0]
    wallet = D(info["accountEquity"]) - D(info["unrealizedPL"])
    trades = ex.fetch_my_trades(BTC, limit=100)
    assert len(trades) < 100  # one page holds them all
    realized = sum((D(t["info"]["profit"]) for t in trades), D(0))
    fees = sum((-D(t["info"]["feeDetail"][0]["totalFee"]) for t in trades), D(0))
    bills = ex.fetch_ledger("USDT", limit=100)
    assert len(bills) < 100
    funding = -sum(
        (D(b["info"]["amount"]) for b in bills if b["info"]["businessType"] == "contract_settle_fee"), D(0)
    )
    liquidation = sum((-D(b["info"]["fee"]) for b in bills if "burst" in b["info"]["businessType"]), D(0))
    return wallet, realized, fees + liquidation, funding


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=3, max_size=20), hedge=st.booleans())
def test_every_account_balances_through_the_api(emulator, ops, hedge):
    emulator.control.reset(balances={"USDT": str(INITIAL["main"])}, funding_rate="0.003")
    emulator.control.add_account(
        ISO.api_key, "iso-secret", "iso-pass", account="iso", balances={"USDT": str(INITIAL["iso"])}
    )
    clients = {
        "main": ccxt_client(emulator.url, enableRateLimit=False),
        "iso": ccxt_client(emulator.url, credentials=ISO, enableRateLimit=False),
    }
    for ex in clients.values():
        ex.load_markets()
    clients["iso"].set_margin_mode("isolated", BTC)
    if hedge:
        clients["main"].set_position_mode(True, BTC)
    mode = {"main": "crossed", "iso": "isolated"}
    for item in ops:
        kind = item[0]
        if kind == "advance":
            emulator.control.advance(bars=item[1])
            continue
        ex = clients[item[1]]
        params = {"marginMode": "isolated" if item[1] == "iso" else "cross"}
        if item[1] == "main" and hedge:
            params["hedged"] = True
        with contextlib.suppress(ccxt.ExchangeError):  # venue rejections are part of the game
            if kind in ("market", "limit", "bracket"):
                _, _, s, q, extra = item
                last = ex.fetch_ticker(BTC)["last"]
                if kind == "market" and extra and not hedge:
                    params["reduceOnly"] = True
                if kind == "bracket":
                    up, down = last * (1 + extra / 1000), last * (1 - extra / 1000)
                    tp, sl = (up, down) if s == "buy" else (down, up)
                    params |= {"takeProfit": {"triggerPrice": tp}, "stopLoss": {"triggerPrice": sl}}
                price = last + extra if kind == "limit" else None
                ex.create_order(BTC, "limit" if kind == "limit" else "market", s, q, price, params)
            elif kind == "leverage":
                ex.set_leverage(item[2], BTC)
            elif kind == "cancel_all":
                ex.cancel_all_orders(BTC)
            elif kind == "close":
                ex.close_position(BTC)
        assert mode  # every op done by the account's own client
    emulator.control.advance(bars=600)  # past a funding settlement
    for name, ex in clients.items():
        wallet, realized, fees, funding = books(ex)
        assert abs((wallet - INITIAL[name]) - (realized - fees - funding)) < D("1e-7"), name
    assert emulator.control.ledger("internal_error") == []
