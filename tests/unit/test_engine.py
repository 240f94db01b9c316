"""Engine semantics with hand-computed numbers (no HTTP: the wire tests cover that)."""

from __future__ import annotations

import pytest

from tests.unit.engine_helpers import MIN, T0, D, btc, engine, flat
from torchtrade.emulator.engine import (
    EngineError,
    MarginMode,
    OrderRejected,
    OrderRequest,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Reason,
    Side,
    TriggerKind,
    TriggerRequest,
    TriggerStatus,
)


def market(side: Side, qty: str, **kw: object) -> OrderRequest:
    return OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.MARKET, qty=D(qty), **kw)  # type: ignore[arg-type]


def limit(side: Side, qty: str, price: str, **kw: object) -> OrderRequest:
    return OrderRequest(symbol="BTCUSDT", side=side, type=OrderType.LIMIT, qty=D(qty), price=D(price), **kw)  # type: ignore[arg-type]


def step(eng, n: int = 1) -> None:
    eng.advance_to(eng.now_ms + n * MIN)


class TestMarketOrdersAndMargin:
    def test_isolated_long_entry_fee_margin_and_liquidation_price(self):
        eng = engine(*flat("20000", 3))
        eng.set_margin_mode("a", "BTCUSDT", MarginMode.ISOLATED)
        eng.set_leverage("a", "BTCUSDT", 10)
        order = eng.place_order("a", market(Side.BUY, "0.1"))
        assert order.status is OrderStatus.FILLED
        assert order.avg_price == D("20000")
        assert order.fee == D("1.2")  # 20000 × 0.1 × 0.0006
        (pv,) = eng.positions("a")
        assert pv.position.side is PositionSide.LONG
        assert pv.position.qty == D("0.1")
        assert pv.margin == D("200")  # 2000 / 10
        # (E·Q − M) / (Q·(1 − mmr)) = (2000 − 200) / (0.1 × 0.996) = 18072.289…, shown on the tick below
        assert pv.liq_price == D("18072.2")
        bal = eng.balance("a", "USDT")
        assert bal.wallet == D("9998.8")
        assert bal.available == D("9798.8")

    def test_isolated_short_liquidation_price(self):
        eng = engine(*flat("20000", 3))
        eng.set_margin_mode("a", "BTCUSDT", MarginMode.ISOLATED)
        eng.set_leverage("a", "BTCUSDT", 20)
        eng.place_order("a", market(Side.SELL, "0.1"))
        (pv,) = eng.positions("a")
        # (E·Q + M) / (Q·(1 + mmr)) = (2000 + 100) / (0.1 × 1.004) = 20916.334…, shown on the tick above
        assert pv.liq_price == D("20916.4")

    def test_crossed_long_liquidation_price_uses_the_wallet(self):
        eng = engine(*flat("20000", 3), balance="500")
        eng.set_leverage("a", "BTCUSDT", 10)
        eng.place_order("a", market(Side.BUY, "0.1"))
        (pv,) = eng.positions("a")
        assert pv.position.margin_mode is MarginMode.CROSSED
        # wallet W = 500 − 1.2 = 498.8;  W + (P − E)·Q = mmr·P·Q  →  P = (2000 − 498.8) / 0.0996 = 15072.289…
        assert pv.liq_price == D("15072.2")

    def test_one_way_flip_realizes_pnl_and_opens_the_rest(self):
        eng = engine(*flat("20000", 1), *flat("21000", 2))
        eng.place_order("a", market(Side.BUY, "0.1"))
        step(eng)
        order = eng.place_order("a", market(Side.SELL, "0.3"))
        assert order.realized_pnl == D("100")  # (21000 − 20000) × 0.1
        (pv,) = eng.positions("a")
        assert pv.position.side is PositionSide.SHORT
        assert pv.position.qty == D("0.2")
        assert pv.position.entry_price == D("21000")

    def test_hedge_mode_holds_long_and_short_at_once(self):
        eng = engine(*flat("20000", 3))
        eng.set_position_mode("a", PositionMode.HEDGE)
        eng.place_order("a", market(Side.BUY, "0.1", pos_side=PositionSide.LONG))
        eng.place_order("a", market(Side.SELL, "0.05", pos_side=PositionSide.SHORT))
        sides = {pv.position.side: pv.position.qty for pv in eng.positions("a")}
        assert sides == {PositionSide.LONG: D("0.1"), PositionSide.SHORT: D("0.05")}
        eng.place_order("a", market(Side.SELL, "0.1", pos_side=PositionSide.LONG, reduce_only=True))
        sides = {pv.position.side: pv.position.qty for pv in eng.positions("a")}
        assert sides == {PositionSide.SHORT: D("0.05")}

    def test_hedge_mode_needs_a_position_side(self):
        eng = engine(*flat("20000", 3))
        eng.set_position_mode("a", PositionMode.HEDGE)
        with pytest.raises(OrderRejected) as e:
            eng.place_order("a", market(Side.BUY, "0.1"))
        assert e.value.reason is Reason.POSITION_MODE_MISMATCH

    def test_reduce_only_is_clipped_to_the_position(self):
        eng = engine(*flat("20000", 3))
        eng.place_order("a", market(Side.BUY, "0.1"))
        order = eng.place_order("a", market(Side.SELL, "0.5", reduce_only=True))
        assert order.qty == D("0.1")
        assert eng.positions("a") == []

    def test_close_positions_and_nothing_to_close(self):
        eng = engine(*flat("20000", 3))
        eng.place_order("a", market(Side.BUY, "0.1"))
        (order,) = eng.close_positions("a", "BTCUSDT")
        assert order.source is OrderSource.CLOSE
        assert eng.positions("a") == []
        with pytest.raises(EngineError) as e:
            eng.close_positions("a", "BTCUSDT")
        assert e.value.reason is Reason.NO_POSITION

    def test_partial_fill_remainder_fills_at_next_open(self):
        eng = engine(*flat("20000", 1), ("20100", "20100", "20100", "20100"), *flat("20100", 1))
        order = eng.place_order("a", market(Side.BUY, "0.1", fill_ratio=D("0.5")))
        assert order.status is OrderStatus.PARTIALLY_FILLED
        assert order.filled_qty == D("0.05")
        step(eng)
        assert order.status is OrderStatus.FILLED
        assert order.avg_price == D("20050")  # half at 20000, half at the next open 20100


class TestRejections:
    @pytest.mark.parametrize(
        ("request_", "reason", "inst"),
        [
            (market(Side.BUY, "0.0005"), Reason.QTY_PRECISION, None),
            (market(Side.BUY, "0.0005"), Reason.QTY_BELOW_MIN, {"lot_size": D("0.0001")}),
            (market(Side.BUY, "0.002"), Reason.NOTIONAL_BELOW_MIN, {"min_notional": D("50")}),
            (market(Side.BUY, "10"), Reason.INSUFFICIENT_MARGIN, None),
            (market(Side.BUY, "0"), Reason.INVALID_PARAM, None),
            (market(Side.BUY, "-1"), Reason.INVALID_PARAM, None),
            (limit(Side.BUY, "0.1", "19999.95"), Reason.PRICE_PRECISION, None),
            (market(Side.SELL, "0.1", reduce_only=True), Reason.NO_POSITION, None),
            (market(Side.BUY, "0.1", take_profit=D("19000")), Reason.TRIGGER_PRICE_INVALID, None),
            (
                OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.MARKET, qty=D("1")),
                Reason.UNKNOWN_SYMBOL,
                None,
            ),
        ],
    )
    def test_rejected_without_any_state_change(self, request_, reason, inst):
        eng = engine(*flat("20000", 3), instrument=btc(**inst) if inst else None)
        before = eng.balance("a", "USDT")
        with pytest.raises(OrderRejected) as e:
            eng.place_order("a", request_)
        assert e.value.reason is reason
        assert eng.balance("a", "USDT") == before
        assert eng.account("a").orders == {}
        assert eng.ledger.events("order_rejected")[-1]["reason"] == reason.value

    def test_duplicate_client_oid(self):
        eng = engine(*flat("20000", 3))
        eng.place_order("a", market(Side.BUY, "0.01", client_oid="x1"))
        with pytest.raises(OrderRejected) as e:
            eng.place_order("a", market(Side.BUY, "0.01", client_oid="x1"))
        assert e.value.reason is Reason.DUPLICATE_CLIENT_OID
        assert len(eng.account("a").orders) == 1
        assert eng.find_order("a", client_oid="x1").qty == D("0.01")

    @pytest.mark.parametrize("lev", [0, 126, -3])
    def test_leverage_out_of_range(self, lev):
        eng = engine(*flat("20000", 3))
        with pytest.raises(EngineError) as e:
            eng.set_leverage("a", "BTCUSDT", lev)
        assert e.value.reason is Reason.LEVERAGE_OUT_OF_RANGE

    def test_margin_mode_cannot_change_with_a_position(self):
        eng = engine(*flat("20000", 3))
        eng.place_order("a", market(Side.BUY, "0.01"))
        with pytest.raises(EngineError) as e:
            eng.set_margin_mode("a", "BTCUSDT", MarginMode.ISOLATED)
        assert e.value.reason is Reason.HAS_POSITION_OR_ORDERS


class TestRestingLimitOrders:
    def test_fills_only_when_a_bar_trades_through_it(self):
        eng = engine(
            *flat("20000", 1),
            ("20000", "20010", "19900", "19950"),  # touches 19900 but does not trade through it
            ("19950", "19960", "19899.9", "19940"),  # trades through
            *flat("19940", 1),
        )
        order = eng.place_order("a", limit(Side.BUY, "0.1", "19900"))
        assert order.status is OrderStatus.LIVE
        assert eng.balance("a", "USDT").frozen == D("99.5")  # 0.1 × 19900 / 20
        step(eng)
        assert order.status is OrderStatus.LIVE
        step(eng)
        assert order.status is OrderStatus.FILLED
        assert order.avg_price == D("19900")
        assert order.fee == D("0.398")  # maker: 1990 × 0.0002
        assert eng.balance("a", "USDT").frozen == D("0")

    def test_marketable_limit_fills_at_once_as_taker(self):
        eng = engine(*flat("20000", 3))
        order = eng.place_order("a", limit(Side.BUY, "0.1", "20100"))
        assert order.status is OrderStatus.FILLED
        assert order.avg_price == D("20000")  # the book, not the limit
        assert order.fee == D("1.2")

    def test_cancel_releases_frozen_margin(self):
        eng = engine(*flat("20000", 3))
        order = eng.place_order("a", limit(Side.BUY, "0.1", "19000"))
        eng.cancel_order("a", order_id=order.id)
        assert order.status is OrderStatus.CANCELED
        assert eng.balance("a", "USDT").available == D("10000")
        with pytest.raises(EngineError) as e:
            eng.cancel_order("a", order_id=order.id)
        assert e.value.reason is Reason.ORDER_NOT_CANCELLABLE


class TestTriggers:
    def test_take_profit_closes_at_its_price_with_the_fee(self):
        eng = engine(*flat("20000", 1), ("20000", "20250", "19990", "20100"), *flat("20100", 1))
        eng.place_order("a", market(Side.BUY, "0.1", take_profit=D("20200"), stop_loss=D("19000")))
        live = eng.live_triggers("a")
        assert {t.kind for t in live} == {TriggerKind.POS_PROFIT, TriggerKind.POS_LOSS}
        step(eng)
        assert eng.positions("a") == []
        fill = eng.account("a").fills[-1]
        assert fill.source is OrderSource.TAKE_PROFIT
        assert fill.price == D("20200")
        assert fill.fee == D("1.212")  # 2020 × 0.0006
        assert fill.realized_pnl == D("20")
        assert eng.balance("a", "USDT").wallet == D("10017.588")  # 10000 − 1.2 + 20 − 1.212
        assert eng.live_triggers("a") == []  # the stop-loss did not outlive the position

    def test_stop_loss_wins_when_both_fire_in_one_bar(self):
        # A falling bar: the natural path open → high → low would reach the TP first.
        eng = engine(*flat("20000", 1), ("20000", "20300", "18900", "19000"), *flat("19000", 1))
        eng.place_order("a", market(Side.BUY, "0.1", take_profit=D("20200"), stop_loss=D("19500")))
        step(eng)
        fill = eng.account("a").fills[-1]
        assert fill.source is OrderSource.STOP_LOSS
        assert fill.price == D("19500")
        assert eng.live_triggers("a") == []

    def test_stop_loss_gapped_through_fills_at_the_open(self):
        eng = engine(*flat("20000", 1), ("19000", "19100", "18900", "19050"), *flat("19050", 1))
        eng.place_order("a", market(Side.BUY, "0.1", stop_loss=D("19500")))
        step(eng)
        assert eng.account("a").fills[-1].price == D("19000")

    def test_plan_order_fires_when_price_rises_to_it(self):
        eng = engine(*flat("20000", 1), ("20000", "20150", "19990", "20120"), *flat("20120", 1))
        trig = eng.place_trigger(
            "a",
            TriggerRequest(
                symbol="BTCUSDT", kind=TriggerKind.PLAN, trigger_price=D("20100"), side=Side.BUY, qty=D("0.1")
            ),
        )
        step(eng)
        assert trig.status is TriggerStatus.TRIGGERED
        order = eng.find_order("a", order_id=trig.order_id)
        assert order.source is OrderSource.PLAN
        assert order.avg_price == D("20100")

    def test_position_tpsl_needs_a_position_and_the_right_side(self):
        eng = engine(*flat("20000", 3))
        req = TriggerRequest(symbol="BTCUSDT", kind=TriggerKind.POS_LOSS, trigger_price=D("19000"))
        with pytest.raises(OrderRejected) as e:
            eng.place_trigger("a", req)
        assert e.value.reason is Reason.NO_POSITION
        eng.place_order("a", market(Side.BUY, "0.1"))
        bad = TriggerRequest(symbol="BTCUSDT", kind=TriggerKind.POS_LOSS, trigger_price=D("21000"))
        with pytest.raises(OrderRejected) as e:
            eng.place_trigger("a", bad)
        assert e.value.reason is Reason.TRIGGER_PRICE_INVALID
        trig = eng.place_trigger("a", req)
        assert trig.pos_side is PositionSide.LONG
        # a second position SL replaces the first
        eng.place_trigger(
            "a", TriggerRequest(symbol="BTCUSDT", kind=TriggerKind.POS_LOSS, trigger_price=D("18000"))
        )
        assert trig.status is TriggerStatus.CANCELED
        assert [t.trigger_price for t in eng.live_triggers("a")] == [D("18000")]


class TestLiquidationAndFunding:
    def test_isolated_liquidation_loses_exactly_the_margin(self):
        eng = engine(*flat("20000", 1), ("20000", "20000", "18000", "18500"), *flat("18500", 1))
        eng.set_margin_mode("a", "BTCUSDT", MarginMode.ISOLATED)
        eng.set_leverage("a", "BTCUSDT", 10)
        eng.place_order("a", market(Side.BUY, "0.1"))
        step(eng)
        assert eng.positions("a") == []
        (liq,) = eng.ledger.events("liquidation")
        assert liq["price"].startswith("18072.28")
        fill = eng.account("a").fills[-1]
        assert fill.source is OrderSource.LIQUIDATION
        assert fill.price == D("18072.2")
        # the open fee, then exactly the position's 200 USDT margin
        assert eng.balance("a", "USDT").wallet == D("9798.8")

    def test_funding_every_eight_hours(self):
        eng = engine(*flat("20000", 8 * 60 + 5))
        eng.place_order("a", market(Side.BUY, "0.1"))
        eng.advance_to(T0 + 8 * 60 * MIN - 1)
        assert eng.ledger.events("funding") == []
        eng.advance_to(T0 + 8 * 60 * MIN)
        (ev,) = eng.ledger.events("funding")
        assert ev["payment"] == "0.20000000"  # 0.1 × 20000 × 0.0001, paid by the long
        acct = eng.account("a")
        assert acct.wallet["USDT"] == D("10000") - D("1.2") - D("0.2")
        assert acct.funding["USDT"] == D("0.2")


def test_ledger_entries_read_plain_and_as_they_were_when_appended():
    from enum import Enum

    from torchtrade.emulator.engine.ledger import Ledger

    class Colour(Enum):
        RED = "red"

    ledger = Ledger()
    meta = {"note": D("1.50"), "tags": [Colour.RED]}
    ledger.append("fill", 5, price=D("100.10"), side=Colour.RED, meta=meta, n=3)
    meta["note"] = "changed"  # a container changed after the append never reaches the record
    meta["tags"].append("x")
    ledger.append("order", 6, qty=D("0.01"))
    assert ledger.events() == [
        {
            "seq": 1,
            "t": 5,
            "kind": "fill",
            "price": "100.10",
            "side": "red",
            "meta": {"note": "1.50", "tags": ["red"]},
            "n": 3,
        },
        {"seq": 2, "t": 6, "kind": "order", "qty": "0.01"},
    ]
    ledger.append("order", 7, qty=D("0.02"))  # appended after a read: made plain at the next one
    assert [e["qty"] for e in ledger.events("order")] == ["0.01", "0.02"]
    assert ledger.events(since_seq=2) == [{"seq": 3, "t": 7, "kind": "order", "qty": "0.02"}]
