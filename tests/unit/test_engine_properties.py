"""Random order sequences against the engine: the books always balance.

For every account and at every point: ``wallet − deposits == realized PnL − fees − funding`` exactly,
and a few structural invariants hold (no empty position, no negative frozen margin, the ledger holds
one fill event per fill, ``funds`` is the balance's equity and available).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.engine_helpers import MIN, T0, btc, series
from torchtrade.emulator.engine import (
    Engine,
    EngineConfig,
    EngineError,
    MarginMode,
    OrderRequest,
    OrderType,
    PositionMode,
    PositionSide,
    PriceModel,
    Side,
    TriggerKind,
)

D = Decimal


def random_walk(seed: int, n: int) -> list[tuple[str, str, str, str]]:
    import random

    rng = random.Random(seed)
    price = 20000.0
    out = []
    for _ in range(n):
        o = price
        c = max(1000.0, o * (1 + rng.gauss(0, 0.01)))
        h = max(o, c) * (1 + abs(rng.gauss(0, 0.004)))
        lo = min(o, c) * (1 - abs(rng.gauss(0, 0.004)))
        out.append(tuple(f"{x:.1f}" for x in (o, h, lo, c)))  # type: ignore[arg-type]
        price = c
    return out


qty = st.sampled_from(["0.001", "0.01", "0.05", "0.1", "0.3", "1"])
side = st.sampled_from([Side.BUY, Side.SELL])
op = st.one_of(
    st.tuples(st.just("market"), st.sampled_from(["a", "b"]), side, qty, st.booleans()),
    st.tuples(st.just("limit"), st.sampled_from(["a", "b"]), side, qty, st.integers(-300, 300)),
    st.tuples(st.just("bracket"), st.sampled_from(["a", "b"]), side, qty, st.integers(1, 40)),
    st.tuples(st.just("leverage"), st.sampled_from(["a", "b"]), st.integers(1, 125)),
    st.tuples(st.just("advance"), st.integers(1, 120)),
    st.tuples(st.just("cancel_all"), st.sampled_from(["a", "b"])),
    st.tuples(st.just("close"), st.sampled_from(["a", "b"])),
)


def check_books(eng: Engine) -> None:
    for acct in eng.accounts():
        for coin, wallet in acct.wallet.items():
            change = wallet - acct.deposits.get(coin, D(0))
            expected = (
                acct.realized_pnl.get(coin, D(0)) - acct.fees.get(coin, D(0)) - acct.funding.get(coin, D(0))
            )
            assert change == expected, (acct.id, change, expected)
            journal = sum((b.amount - b.fee for b in acct.bills if b.coin == coin), D(0))
            assert journal == wallet, (acct.id, journal, wallet)
        for pos in acct.positions.values():
            assert pos.qty > 0
        for order in acct.working.values():
            assert order.frozen_margin >= 0
            assert order.status.is_open
    assert len(eng.ledger.events("fill")) == sum(len(a.fills) for a in eng.accounts())
    for acct in eng.accounts():
        # the account read of the in-process env: the balance's own two figures, exactly
        full = eng.balance(acct.id, "USDT")
        assert eng.funds(acct.id, "USDT") == (full.equity, full.available)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), ops=st.lists(op, min_size=1, max_size=40), hedge=st.booleans())
def test_accounting_identity_holds_for_every_account(seed, ops, hedge):
    inst = btc()
    bars = random_walk(seed, 2400)
    eng = Engine(
        {"BTCUSDT": inst},
        {"BTCUSDT": series(*bars)},
        start_ms=T0 + MIN,
        config=EngineConfig(price_model=PriceModel(spread_bps=D(2), slippage_bps=D(1))),
    )
    eng.open_account("a", {"USDT": D("3000")})
    eng.open_account("b", {"USDT": D("800")})
    eng.set_margin_mode("b", "BTCUSDT", MarginMode.ISOLATED)
    if hedge:
        eng.set_position_mode("a", PositionMode.HEDGE)
    for item in ops:
        kind = item[0]
        try:
            if kind in ("market", "limit", "bracket"):
                _, acct, s, q = item[:4]
                hedged = eng.account(acct).position_mode is PositionMode.HEDGE
                last = eng.last_price("BTCUSDT")
                kw: dict = {}
                if hedged:
                    kw["pos_side"] = PositionSide.of(s)
                if kind == "market" and item[4] and not hedged:
                    kw["reduce_only"] = True
                if kind == "limit":
                    kw["price"] = inst.floor_price(last + D(item[4]))
                if kind == "bracket":
                    dist = last * D(item[4]) / D(1000)
                    up, down = inst.ceil_price(last + dist), inst.floor_price(last - dist)
                    kw["take_profit"], kw["stop_loss"] = (up, down) if s is Side.BUY else (down, up)
                order_type = OrderType.LIMIT if kind == "limit" else OrderType.MARKET
                eng.place_order(acct, OrderRequest(symbol="BTCUSDT", side=s, type=order_type, qty=D(q), **kw))
            elif kind == "leverage":
                eng.set_leverage(item[1], "BTCUSDT", item[2])
            elif kind == "advance":
                eng.advance_to(eng.now_ms + item[1] * MIN)
            elif kind == "cancel_all":
                eng.cancel_all_orders(item[1])
                eng.cancel_all_triggers(item[1])
            elif kind == "close":
                eng.close_positions(item[1], "BTCUSDT")
        except EngineError:
            pass  # rejections are part of the game; they must not change the books
        check_books(eng)
    eng.advance_to(eng.now_ms + 600 * MIN)
    check_books(eng)


def test_position_tpsl_never_outlives_its_position():
    eng = Engine(
        {"BTCUSDT": btc()},
        {"BTCUSDT": series(*random_walk(7, 3000))},
        start_ms=T0 + MIN,
        config=EngineConfig(price_model=PriceModel(spread_bps=D(0))),
    )
    eng.open_account("a", {"USDT": D("100000")})
    for i in range(40):
        last = eng.last_price("BTCUSDT")
        s = Side.BUY if i % 2 else Side.SELL
        up, down = btc().ceil_price(last * D("1.01")), btc().floor_price(last * D("0.99"))
        tp, sl = (up, down) if s is Side.BUY else (down, up)
        with contextlib.suppress(EngineError):
            eng.place_order(
                "a",
                OrderRequest(
                    symbol="BTCUSDT",
                    side=s,
                    type=OrderType.MARKET,
                    qty=D("0.1"),
                    take_profit=tp,
                    stop_loss=sl,
                ),
            )
        eng.advance_to(eng.now_ms + 60 * MIN)
        open_sides = {p.side for p in eng.account("a").positions.values()}
        for t in eng.live_triggers("a"):
            assert t.kind is not TriggerKind.PLAN
            assert t.pos_side in open_sides
    assert eng.ledger.events("trigger_fired")  # the brackets really fired along the way
