"""Futures orders: admission of orders and trigger orders, their execution, and a futures bar.

Placement validates a request against the instrument and the account (precision, minimums, position
mode, reduce-only, margin) and executes what is marketable at once; the rest rests on the book and
is evaluated bar by bar along the bar's path (:func:`~.matching.schedule`): resting limits, plan
orders, position TP/SL and liquidations.
"""

from __future__ import annotations

from decimal import Decimal

from .decimals import ZERO, money
from .errors import EngineError, OrderRejected, Reason
from .futures import FuturesAccounting
from .instruments import Instrument
from .intrabar import EventType
from .liquidation import Liquidation
from .matching import Matching, Resting, band, bar_path, outside_band, schedule
from .models import Account, Order, TriggerOrder
from .state import BarLike, Books
from .types import (
    Direction,
    OrderRequest,
    OrderSource,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    TriggerKind,
    TriggerRequest,
    TriggerStatus,
)


class FuturesOrders:
    def __init__(
        self, books: Books, matching: Matching, accounting: FuturesAccounting, liquidation: Liquidation
    ) -> None:
        self.books = books
        self.matching = matching
        self.accounting = accounting
        self.liquidation = liquidation

    # ------------------------------------------------------------------ orders

    def place_order(
        self,
        acct: Account,
        req: OrderRequest,
        trigger_id: str | None = None,
        ref_price: Decimal | None = None,
    ) -> Order:
        """Place an order. ``ref_price`` replaces the book for an order a trigger placed inside a bar."""
        books, accounting = self.books, self.accounting
        inst = books.instrument(req.symbol, rejected=True)
        settings = accounting.settings(acct, inst)
        self.matching.check_client_oid(acct, req.client_oid)
        if req.qty <= 0 or req.qty > inst.max_qty:
            raise OrderRejected(Reason.INVALID_PARAM, f"quantity {req.qty} out of range (0, {inst.max_qty}]")
        if not inst.is_qty_on_lot(req.qty):
            raise OrderRejected(
                Reason.QTY_PRECISION, f"quantity {req.qty} is not a multiple of the lot size {inst.lot_size}"
            )
        if req.type is OrderType.LIMIT:
            if req.price is None or req.price <= 0:
                raise OrderRejected(Reason.INVALID_PARAM, "a limit order needs a price > 0")
            if not inst.is_price_on_tick(req.price):
                raise OrderRejected(
                    Reason.PRICE_PRECISION,
                    f"price {req.price} is not a multiple of the tick size {inst.tick_size}",
                )
        self.check_position_mode(acct, req.pos_side, req.reduce_only)
        margin_mode = accounting.resolve_margin_mode(acct, inst, settings, req.margin_mode)

        if ref_price is None:
            bid, ask = books.config.price_model.book(inst, books.last[inst.symbol])
        else:
            bid = ask = ref_price
        ref = req.price if req.type is OrderType.LIMIT else (ask if req.side is Side.BUY else bid)
        assert ref is not None
        marketable = req.type is OrderType.MARKET or (
            req.price >= ask if req.side is Side.BUY else req.price <= bid  # type: ignore[operator]
        )
        if req.tif is TimeInForce.POST_ONLY and marketable:
            raise OrderRejected(Reason.POST_ONLY_WOULD_TAKE, "post-only order would take liquidity")

        qty = req.qty
        close_qty, open_qty, open_side = accounting.split(acct, inst.symbol, req.side, req.pos_side, qty)
        if req.reduce_only:
            if close_qty == 0:
                pos_side = req.pos_side or PositionSide.of(req.side.opposite)
                pos = acct.positions.get((inst.symbol, pos_side))
                if pos is None or not pos.is_open:
                    raise OrderRejected(Reason.NO_POSITION, f"no position to close in {inst.symbol}")
                raise OrderRejected(
                    Reason.REDUCE_ONLY_INCREASES, "reduce-only order would increase the position"
                )
            # Venues shrink a reduce-only order to the position it closes.
            qty, open_qty = close_qty, ZERO
        closes_whole = (
            req.reduce_only
            and open_qty == 0
            and close_qty == accounting.position_qty(acct, inst.symbol, req.side, req.pos_side)
        )
        if not closes_whole:
            # Closing a whole position is always allowed (a dust position must stay closable).
            if qty < inst.min_qty:
                raise OrderRejected(Reason.QTY_BELOW_MIN, f"quantity {qty} below the minimum {inst.min_qty}")
            exempt = req.reduce_only and not books.config.reduce_only_min_notional
            if qty * ref < inst.min_notional and not exempt:
                raise OrderRejected(
                    Reason.NOTIONAL_BELOW_MIN,
                    f"order value {qty * ref} below the minimum {inst.min_notional} {inst.quote}",
                )
        leverage = settings.leverage(open_side) if open_side else settings.leverage(PositionSide.of(req.side))
        if open_qty > 0:
            fee_rate = inst.taker_fee if marketable else inst.maker_fee
            needed = open_qty * ref / leverage + qty * ref * fee_rate
            available = accounting.available(acct, inst.settle)
            if needed > available:
                raise OrderRejected(
                    Reason.INSUFFICIENT_MARGIN,
                    f"order needs {money(needed)} {inst.settle} of margin, {money(available)} available",
                )
        self.check_presets(inst, open_side, ref, req.take_profit, req.stop_loss, open_qty > 0)

        order = Order(
            id=books.new_id(),
            client_oid=req.client_oid or "",
            account=acct.id,
            symbol=inst.symbol,
            side=req.side,
            type=req.type,
            qty=qty,
            price=req.price,
            tif=req.tif,
            pos_side=req.pos_side,
            reduce_only=req.reduce_only,
            margin_mode=margin_mode,
            leverage=leverage,
            source=req.source,
            created_ms=books.now,
            updated_ms=books.now,
            take_profit=req.take_profit,
            stop_loss=req.stop_loss,
            take_profit_limit=req.take_profit_limit,
            stop_loss_limit=req.stop_loss_limit,
            trigger_id=trigger_id,
            meta=dict(req.meta or {}),
        )
        self.matching.register_order(acct, order)
        if marketable:
            fill_qty = qty
            if req.fill_ratio is not None and 0 < req.fill_ratio < 1:
                fill_qty = max(inst.floor_qty(qty * req.fill_ratio), min(inst.lot_size, qty))
            # A marketable limit order takes the book but never pays beyond its limit.
            limit = req.price if req.type is OrderType.LIMIT else None
            price = books.config.price_model.taker_price(
                inst, req.side, ask if req.side is Side.BUY else bid, limit
            )
            accounting.fill(acct, order, price, fill_qty, maker=False)
            if order.remaining_qty > 0:
                if req.type is OrderType.MARKET:
                    # Simulated partial fill: the rest fills at the next bar's open.
                    books.pending.setdefault((acct.id, inst.symbol), []).append(order)
                elif req.tif in (TimeInForce.IOC, TimeInForce.FOK):
                    self.matching.cancel(acct, order, "ioc_remainder")
                else:
                    self.rest(acct, order)
        elif req.tif in (TimeInForce.IOC, TimeInForce.FOK):
            self.matching.cancel(acct, order, "ioc_not_marketable")
        else:
            self.rest(acct, order)
        if order.status.is_open:
            acct.working[order.id] = order
        books.touch(acct, inst.symbol)
        return order

    def rest(self, acct: Account, order: Order) -> None:
        """A limit order rests on the book: the margin of what it would open is reserved."""
        _, open_qty, _ = self.accounting.split(
            acct, order.symbol, order.side, order.pos_side, order.remaining_qty
        )
        if not order.reduce_only and open_qty > 0:
            order.frozen_margin = open_qty * order.price / order.leverage  # type: ignore[operator]

    def close_positions(self, acct: Account, inst: Instrument, pos_side: PositionSide | None) -> list[Order]:
        targets = [p for p in acct.open_positions(inst.symbol) if pos_side is None or p.side is pos_side]
        if not targets:
            raise EngineError(Reason.NO_POSITION, f"no position to close in {inst.symbol}")
        orders = []
        for pos in targets:
            hedge = acct.position_mode is PositionMode.HEDGE
            req = OrderRequest(
                symbol=inst.symbol,
                side=pos.side.closing_side,
                type=OrderType.MARKET,
                qty=pos.qty,
                pos_side=pos.side if hedge else None,
                reduce_only=True,
                source=OrderSource.CLOSE,
            )
            orders.append(self.place_order(acct, req))
        return orders

    # ------------------------------------------------------------------ trigger orders

    def place_trigger(self, acct: Account, req: TriggerRequest) -> TriggerOrder:
        books, accounting = self.books, self.accounting
        inst = books.instrument(req.symbol, rejected=True)
        settings = accounting.settings(acct, inst)
        self.matching.check_client_oid(acct, req.client_oid)
        if req.trigger_price <= 0:
            raise OrderRejected(Reason.INVALID_PARAM, "trigger price must be > 0")
        for name, price in (("trigger price", req.trigger_price), ("execute price", req.execute_price)):
            if price is not None and not inst.is_price_on_tick(price):
                raise OrderRejected(
                    Reason.PRICE_PRECISION,
                    f"{name} {price} is not a multiple of the tick size {inst.tick_size}",
                )
        if req.qty is not None and (req.qty <= 0 or not inst.is_qty_on_lot(req.qty)):
            raise OrderRejected(
                Reason.QTY_PRECISION, f"quantity {req.qty} is not a positive multiple of {inst.lot_size}"
            )
        last = books.last[inst.symbol]

        if req.kind is TriggerKind.PLAN:
            if req.side is None:
                raise OrderRejected(Reason.INVALID_PARAM, "a plan order needs a side")
            if req.close_all and req.qty is not None:
                raise OrderRejected(Reason.INVALID_PARAM, "a close-position order takes no quantity")
            if not req.close_all and req.qty is None:
                raise OrderRejected(Reason.INVALID_PARAM, "a plan order needs a quantity")
            reduce_only = req.reduce_only or req.close_all
            if req.close_all and req.pos_side is not None and req.side is req.pos_side.opening_side:
                raise OrderRejected(
                    Reason.POSITION_MODE_MISMATCH,
                    f"a close-position {req.side.value} cannot close a {req.pos_side.value} position",
                )
            self.check_position_mode(acct, req.pos_side, reduce_only)
            if req.qty is not None and req.qty < inst.min_qty:
                raise OrderRejected(
                    Reason.QTY_BELOW_MIN, f"quantity {req.qty} below the minimum {inst.min_qty}"
                )
            if req.direction is None:
                # Venues infer the direction from where the trigger sits relative to the market.
                direction = Direction.RISE if req.trigger_price > last else Direction.FALL
            else:
                direction = req.direction
                met = last >= req.trigger_price if direction is Direction.RISE else last <= req.trigger_price
                if met:
                    raise OrderRejected(
                        Reason.TRIGGER_PRICE_INVALID,
                        f"the trigger condition ({direction.value} to {req.trigger_price}) already holds "
                        f"at the current price {last}: it would trigger immediately",
                    )
            side, pos_side, qty = req.side, req.pos_side, req.qty
            margin_mode = accounting.resolve_margin_mode(acct, inst, settings, req.margin_mode)
            open_side = None if reduce_only else (pos_side or PositionSide.of(side))
            self.check_presets(
                inst,
                open_side,
                req.execute_price or req.trigger_price,
                req.take_profit,
                req.stop_loss,
                open_side is not None,
            )
        else:
            pos_side = req.pos_side
            if pos_side is None:
                open_pos = acct.open_positions(inst.symbol)
                if len(open_pos) != 1:
                    raise OrderRejected(
                        Reason.NO_POSITION, f"no single position to attach to in {inst.symbol}"
                    )
                pos_side = open_pos[0].side
            pos = acct.positions.get((inst.symbol, pos_side))
            if pos is None or not pos.is_open:
                raise OrderRejected(Reason.NO_POSITION, f"no {pos_side.value} position in {inst.symbol}")
            if req.kind in (TriggerKind.PARTIAL_LOSS, TriggerKind.PARTIAL_PROFIT) and req.qty is None:
                raise OrderRejected(Reason.INVALID_PARAM, "a partial TP/SL needs a quantity")
            profit_up = (pos_side is PositionSide.LONG) == req.kind.is_profit
            direction = Direction.RISE if profit_up else Direction.FALL
            if (direction is Direction.RISE and req.trigger_price <= last) or (
                direction is Direction.FALL and req.trigger_price >= last
            ):
                what = "take-profit" if req.kind.is_profit else "stop-loss"
                where = "above" if direction is Direction.RISE else "below"
                raise OrderRejected(
                    Reason.TRIGGER_PRICE_INVALID,
                    f"{what} of a {pos_side.value} position must be {where} the current price {last}",
                )
            side = pos_side.closing_side
            qty = None if req.kind in (TriggerKind.POS_PROFIT, TriggerKind.POS_LOSS) else req.qty
            margin_mode = pos.margin_mode
            if req.kind in (TriggerKind.POS_PROFIT, TriggerKind.POS_LOSS):
                # One position TP and one position SL per position: a new one replaces the old.
                for t in books.live_triggers(acct, inst.symbol):
                    if t.kind is req.kind and t.pos_side is pos_side:
                        self.matching.cancel_trigger(acct, t, "replaced")
        trig = TriggerOrder(
            id=books.new_id(),
            client_oid=req.client_oid or "",
            account=acct.id,
            symbol=inst.symbol,
            kind=req.kind,
            trigger_price=req.trigger_price,
            direction=direction,
            side=side,
            qty=qty,
            execute_price=req.execute_price,
            pos_side=pos_side,
            reduce_only=req.reduce_only or req.close_all or req.kind.closes_position,
            margin_mode=margin_mode,
            created_ms=books.now,
            updated_ms=books.now,
            take_profit=req.take_profit,
            stop_loss=req.stop_loss,
            meta=dict(req.meta or {}),
            hedge=acct.position_mode is PositionMode.HEDGE,
            close_all=req.close_all and req.kind is TriggerKind.PLAN,
        )
        self.matching.register_trigger(acct, trig)
        books.touch(acct, inst.symbol)
        return trig

    def fire(self, acct: Account, trig: TriggerOrder, ref: Decimal) -> None:
        """A trigger fired at ``ref``: place its order (market: filled at once around ``ref``)."""
        trig.updated_ms = self.books.now
        if trig.kind.closes_position:
            pos = acct.positions.get((trig.symbol, trig.pos_side))  # type: ignore[arg-type]
            if pos is None or not pos.is_open:
                self.matching.cancel_trigger(acct, trig, "position_closed")
                return
            qty = pos.qty if trig.qty is None else min(trig.qty, pos.qty)
            source = OrderSource.TAKE_PROFIT if trig.kind.is_profit else OrderSource.STOP_LOSS
            hedge = acct.position_mode is PositionMode.HEDGE
            req = OrderRequest(
                symbol=trig.symbol,
                side=trig.side,
                type=OrderType.MARKET if trig.execute_price is None else OrderType.LIMIT,
                qty=qty,
                price=trig.execute_price,
                pos_side=trig.pos_side if hedge else None,
                reduce_only=True,
                source=source,
            )
        elif trig.close_all:
            # Closes what the position in its direction holds now, whatever it held at placement.
            target = trig.pos_side if trig.hedge else PositionSide.of(trig.side.opposite)
            pos = acct.positions.get((trig.symbol, target))  # type: ignore[arg-type]
            if pos is None or not pos.is_open:
                acct.live.pop(trig.id, None)
                trig.status = TriggerStatus.FAILED
                trig.fail_reason = "no position to close"
                self.matching.log_trigger(
                    "trigger_failed", trig, reason=Reason.NO_POSITION, message=trig.fail_reason
                )
                return
            req = OrderRequest(
                symbol=trig.symbol,
                side=trig.side,
                type=OrderType.MARKET,
                qty=pos.qty,
                pos_side=trig.pos_side if trig.hedge else None,
                reduce_only=True,
                source=OrderSource.PLAN,
            )
        else:
            req = OrderRequest(
                symbol=trig.symbol,
                side=trig.side,
                type=OrderType.MARKET if trig.execute_price is None else OrderType.LIMIT,
                qty=trig.qty,  # type: ignore[arg-type]
                price=trig.execute_price,
                pos_side=trig.pos_side,
                reduce_only=trig.reduce_only,
                margin_mode=trig.margin_mode,
                source=OrderSource.PLAN,
                take_profit=trig.take_profit,
                stop_loss=trig.stop_loss,
            )
        acct.live.pop(trig.id, None)
        try:
            # The order executes against the price where the trigger fired, not the bar's close.
            order = self.place_order(acct, req, trigger_id=trig.id, ref_price=ref)
        except OrderRejected as e:
            trig.status = TriggerStatus.FAILED
            trig.fail_reason = e.message
            self.matching.log_trigger("trigger_failed", trig, reason=e.reason, message=e.message)
            return
        trig.status = TriggerStatus.TRIGGERED
        trig.order_id = order.id
        self.matching.log_trigger("trigger_fired", trig, order_id=order.id, ref_price=ref)

    # ------------------------------------------------------------------ checks

    @staticmethod
    def check_position_mode(acct: Account, pos_side: PositionSide | None, reduce_only: bool) -> None:
        if acct.position_mode is PositionMode.HEDGE and pos_side is None:
            raise OrderRejected(
                Reason.POSITION_MODE_MISMATCH, "hedge mode orders must say which position (open/close)"
            )
        if acct.position_mode is PositionMode.ONE_WAY and pos_side is not None:
            raise OrderRejected(
                Reason.POSITION_MODE_MISMATCH, "one-way mode orders must not name a position side"
            )

    @staticmethod
    def check_presets(
        inst: Instrument,
        side: PositionSide | None,
        ref: Decimal,
        tp: Decimal | None,
        sl: Decimal | None,
        opens: bool,
    ) -> None:
        if tp is None and sl is None:
            return
        if not opens or side is None:
            raise OrderRejected(Reason.INVALID_PARAM, "preset take-profit/stop-loss needs an opening order")
        for name, price in (("take-profit", tp), ("stop-loss", sl)):
            if price is None:
                continue
            if price <= 0 or not inst.is_price_on_tick(price):
                raise OrderRejected(
                    Reason.PRICE_PRECISION,
                    f"{name} price {price} is not a positive multiple of {inst.tick_size}",
                )
            above = (name == "take-profit") == (side is PositionSide.LONG)
            if (above and price <= ref) or (not above and price >= ref):
                where = "above" if above else "below"
                raise OrderRejected(
                    Reason.TRIGGER_PRICE_INVALID,
                    f"{name} of a {side.value} must be {where} the entry price {ref}",
                )

    # ------------------------------------------------------------------ a bar

    def resting(self, acct: Account, symbol: str) -> list[Resting]:
        """What rests on ``symbol``: limit orders (oldest first), then live triggers."""
        items = [
            Resting(
                EventType.LIMIT,
                Direction.FALL if o.side is Side.BUY else Direction.RISE,
                o.price,  # type: ignore[arg-type]
                o,
            )
            for o in acct.working.values()
            if o.symbol == symbol and o.type is OrderType.LIMIT
        ]
        for t in self.books.live_triggers(acct, symbol):
            items.append(
                Resting(
                    EventType.TRIGGER,
                    t.direction,
                    t.trigger_price,
                    t,
                    group=t.pos_side,
                    loss=t.kind.is_loss,
                    profit=t.kind.is_profit,
                )
            )
        return items

    def _levels(self, acct: Account, symbol: str) -> list[tuple[Direction, Decimal]]:
        levels = [(r.direction, r.level) for r in self.resting(acct, symbol)]
        for side in (PositionSide.LONG, PositionSide.SHORT):
            pos = acct.positions.get((symbol, side))
            if pos is not None and pos.is_open and pos.liq_price > 0:
                levels.append((pos.liq_direction, pos.liq_price))
        return levels

    def process_bar(self, acct: Account, symbol: str, bar: BarLike) -> None:
        books = self.books
        key = (acct.id, symbol)
        pending = books.pending.pop(key, None)
        if not pending and not self.liquidation.multi_symbol_cross(acct):
            cached = books.bands.get(key)
            if cached is None:
                cached = books.bands[key] = band(self._levels(acct, symbol))
            if outside_band(bar.low, bar.high, *cached):
                return

        long_pos = acct.positions.get((symbol, PositionSide.LONG))
        short_pos = acct.positions.get((symbol, PositionSide.SHORT))
        net = (long_pos.qty if long_pos else ZERO) - (short_pos.qty if short_pos else ZERO)
        path = bar_path(bar.open, bar.high, bar.low, bar.close, net)
        resting = self.resting(acct, symbol)
        events = schedule(
            path, resting, pending=pending or (), extra=self.liquidation.events(acct, symbol, path)
        )
        if not events:
            return
        inst = books.instruments[symbol]
        for ev in events:
            if ev.type is EventType.PENDING:
                order = ev.target
                if order.status.is_open:
                    price = books.config.price_model.taker_price(inst, order.side, ev.price)
                    self.accounting.fill(acct, order, price, order.remaining_qty, maker=False)
            elif ev.type is EventType.LIMIT:
                order = ev.target
                if order.status.is_open:
                    self.accounting.fill(acct, order, order.price, order.remaining_qty, maker=True)
            elif ev.type is EventType.TRIGGER:
                trig = ev.target
                if trig.status is TriggerStatus.LIVE:
                    self.fire(acct, trig, ev.price)
            else:
                positions = [
                    p for p in ev.target if p.is_open and acct.positions.get((p.symbol, p.side)) is p
                ]
                if positions:
                    self.liquidation.liquidate(acct, positions, ev.price)
        books.touch(acct, symbol)
