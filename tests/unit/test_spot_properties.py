"""Random order sequences against spot accounts: the books always balance.

For every account at every point: cash equals deposits plus what sales brought minus what purchases
cost and dollar fees (exactly, from the fills); each holding equals the sum of its fills (net of fees
paid in the asset); equity is cash plus market value; a cash account's cash never goes negative and
it never holds a short; crypto is never short; an order filled at submission never cost more than
the buying power it could use.
"""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.spot_helpers import DAY, MIN, OPEN, btc, day_ms, engine, stock
from torchtrade.emulator.engine import (
    AccountKind,
    EngineError,
    OrderClass,
    Side,
    SpotOrderRequest,
    SpotOrderType,
    SpotTimeInForce,
    StopLoss,
    TakeProfit,
)
from torchtrade.emulator.engine.decimals import money

D = Decimal
START = day_ms(0) + OPEN


def walk(seed: int, symbol_hours, days: int = 8) -> list[tuple[int, str, str, str, str]]:
    """1-minute bars every 5 minutes of each regular session (a stock), or every 5 minutes (crypto)."""
    rng = random.Random(seed)
    price = 100.0
    out = []
    t = START - 5 * MIN
    end = START + days * DAY
    while t < end:
        if symbol_hours is None or symbol_hours.is_open(t):
            o = price
            c = max(1.0, o * (1 + rng.gauss(0, 0.01)))
            h = max(o, c) * (1 + abs(rng.gauss(0, 0.003)))
            lo = min(o, c) * (1 - abs(rng.gauss(0, 0.003)))
            out.append((t, *(f"{x:.2f}" for x in (o, h, lo, c))))
            price = c
        t += 5 * MIN
    return out


sym = st.sampled_from(["AAPL", "BTC/USD"])
side = st.sampled_from([Side.BUY, Side.SELL])
qty = st.sampled_from(["1", "3", "10", "40", "0.5", "0.25"])
op = st.one_of(
    st.tuples(st.just("market"), st.sampled_from(["cash", "margin"]), sym, side, qty, st.booleans()),
    st.tuples(
        st.just("notional"),
        st.sampled_from(["cash", "margin"]),
        sym,
        side,
        st.sampled_from(["50", "500", "5000"]),
    ),
    st.tuples(st.just("limit"), st.sampled_from(["cash", "margin"]), sym, side, qty, st.integers(-30, 30)),
    st.tuples(st.just("stop"), st.sampled_from(["cash", "margin"]), sym, side, qty, st.integers(-30, 30)),
    st.tuples(
        st.just("bracket"),
        st.sampled_from(["cash", "margin"]),
        side,
        st.sampled_from(["1", "5", "20"]),
        st.integers(1, 20),
    ),
    st.tuples(st.just("advance"), st.integers(1, 600)),
    st.tuples(st.just("cancel_all"), st.sampled_from(["cash", "margin"])),
    st.tuples(st.just("close"), st.sampled_from(["cash", "margin"]), sym),
)


def _price(eng, symbol: str, bps: int) -> Decimal:
    inst = eng.spot_instruments[symbol]
    return inst.floor_price(eng.last_price(symbol) * (1 + D(bps) / 1000))


def _apply(eng, o) -> None:
    kind = o[0]
    if kind == "advance":
        eng.advance_to(eng.now_ms + o[1] * MIN)
        return
    acct = o[1]
    if kind == "cancel_all":
        eng.cancel_all_spot_orders(acct)
        return
    if kind == "close":
        eng.close_spot_position(acct, o[2])
        return
    crypto = kind != "bracket" and o[2] == "BTC/USD"
    tif = SpotTimeInForce.GTC if crypto else SpotTimeInForce.DAY
    if kind == "bracket":
        _, _, s, q, pct = o
        last = eng.last_price("AAPL")
        up, down = _price(eng, "AAPL", pct * 10), _price(eng, "AAPL", -pct * 10)
        tp, sl = (up, down) if s is Side.BUY else (down, up)
        req = SpotOrderRequest(
            symbol="AAPL",
            side=s,
            qty=D(q),
            order_class=OrderClass.BRACKET,
            take_profit=TakeProfit(tp),
            stop_loss=StopLoss(sl),
        )
        del last
    elif kind == "market":
        ratio = D("0.5") if o[5] else None  # a partial fill now, the rest on the next bar
        req = SpotOrderRequest(symbol=o[2], side=o[3], qty=D(o[4]), tif=tif, fill_ratio=ratio)
    elif kind == "notional":
        req = SpotOrderRequest(symbol=o[2], side=o[3], notional=D(o[4]), tif=tif)
    elif kind == "limit":
        req = SpotOrderRequest(
            symbol=o[2],
            side=o[3],
            type=SpotOrderType.LIMIT,
            qty=D(o[4]),
            limit_price=_price(eng, o[2], o[5]),
            tif=tif,
        )
    else:
        t = SpotOrderType.STOP_LIMIT if crypto else SpotOrderType.STOP
        stop = _price(eng, o[2], o[5])
        req = SpotOrderRequest(
            symbol=o[2],
            side=o[3],
            type=t,
            qty=D(o[4]),
            stop_price=stop,
            limit_price=stop if crypto else None,
            tif=tif,
        )
    before = eng.spot_balance(acct)
    inst = eng.spot_instruments[req.symbol]
    fills = len(eng.spot_account(acct).fills)
    order = eng.submit_spot_order(acct, req)
    new = eng.spot_account(acct).fills[fills:]
    opened = [f for f in new if f.order_id == order.id and f.opened_qty > 0]
    if opened:
        power = (
            before.non_marginable_buying_power if inst.is_crypto or acct == "cash" else before.buying_power
        )
        cost = sum((f.price * f.qty for f in opened), D(0))
        assert cost <= power + D("0.01"), (cost, power)


def check(eng) -> None:
    for name in ("cash", "margin"):
        acct = eng.spot_account(name)
        cash = acct.deposits
        held: dict[str, Decimal] = {}
        for f in acct.fills:
            inst = eng.spot_instruments[f.symbol]
            if f.side is Side.BUY:
                cash -= f.price * f.qty
                fee_qty = f.fee if f.fee_coin == inst.base else D(0)
                held[f.symbol] = held.get(f.symbol, D(0)) + f.qty - fee_qty
            else:
                cash += f.price * f.qty - f.fee
                held[f.symbol] = held.get(f.symbol, D(0)) - f.qty
        assert acct.cash == cash
        for s in set(held) | set(acct.positions):
            assert acct.position_qty(s) == held.get(s, D(0))
        b = eng.spot_balance(name)
        mv = sum((p.qty * eng.last_price(s) for s, p in acct.positions.items()), D(0))
        assert b.equity == money(acct.cash + mv)
        assert acct.position_qty("BTC/USD") >= 0
        assert b.reserved >= 0
        if acct.kind is AccountKind.CASH:
            assert acct.cash >= 0
            assert all(p.qty >= 0 for p in acct.positions.values())
        assert all(o.is_open for o in acct.working.values())
        assert sum(1 for e in eng.ledger.events("fill", account=name)) == len(acct.fills)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), ops=st.lists(op, min_size=5, max_size=40))
def test_random_sequences_keep_the_books(seed, ops):
    aapl, coin = stock(), btc()
    eng = engine({aapl: walk(seed, aapl.hours), coin: walk(seed + 1, None)}, start=START, cash="0")
    eng.open_spot_account("cash", D(5000), kind=AccountKind.CASH)
    eng.open_spot_account("margin", D(5000), kind=AccountKind.MARGIN)
    for o in ops:
        with contextlib.suppress(EngineError):
            _apply(eng, o)
        check(eng)
