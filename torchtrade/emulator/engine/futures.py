"""Accounting of a futures margin account: positions, wallet, margin, fees and realized PnL.

What a fill does to a linear perpetual account (one-way netting or hedge legs, isolated or crossed
margin), the per-symbol settings (leverage, margin mode), the account's position mode, and the
balance and position views. Liquidation prices are recomputed after every change by
:class:`~.liquidation.Liquidation`.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING

from .decimals import ZERO, money
from .errors import EngineError, OrderRejected, Reason
from .instruments import Instrument
from .matching import Matching
from .models import Account, Fill, Order, Position, SymbolSettings, TriggerOrder
from .state import Books
from .types import (
    Direction,
    MarginMode,
    OrderStatus,
    PositionMode,
    PositionSide,
    Side,
    TriggerKind,
)
from .views import BalanceView, Funds, PositionView

if TYPE_CHECKING:
    from .liquidation import Liquidation


class FuturesAccounting:
    """Futures margin accounting over the shared books."""

    def __init__(self, books: Books, matching: Matching) -> None:
        self.books = books
        self.matching = matching
        self.liquidation: Liquidation  # wired by the engine (they call each other)

    # ------------------------------------------------------------------ settings

    def settings(self, acct: Account, inst: Instrument) -> SymbolSettings:
        s = acct.settings.get(inst.symbol)
        if s is None:
            cfg = self.books.config
            lev = min(cfg.default_leverage, inst.max_leverage)
            s = SymbolSettings(margin_mode=cfg.default_margin_mode, long_leverage=lev, short_leverage=lev)
            acct.settings[inst.symbol] = s
        return s

    def set_leverage(
        self, acct: Account, inst: Instrument, leverage: int, pos_side: PositionSide | None
    ) -> SymbolSettings:
        if (
            isinstance(leverage, bool)
            or not isinstance(leverage, int)
            or not 1 <= leverage <= inst.max_leverage
        ):
            raise EngineError(
                Reason.LEVERAGE_OUT_OF_RANGE,
                f"leverage {leverage} out of range 1..{inst.max_leverage} for {inst.symbol}",
            )
        sides = [pos_side] if pos_side is not None else [PositionSide.LONG, PositionSide.SHORT]
        extra = ZERO
        for side in sides:
            pos = acct.positions.get((inst.symbol, side))
            if pos is not None and pos.is_open and pos.margin_mode is MarginMode.ISOLATED:
                extra += pos.entry_value / leverage - pos.isolated_margin
        if extra > 0 and extra > self.available(acct, inst.settle):
            raise EngineError(
                Reason.INSUFFICIENT_MARGIN, f"not enough available balance to lower leverage to {leverage}"
            )
        settings = self.settings(acct, inst)
        for side in sides:
            if side is PositionSide.LONG:
                settings.long_leverage = leverage
            else:
                settings.short_leverage = leverage
            pos = acct.positions.get((inst.symbol, side))
            if pos is not None and pos.is_open:
                pos.leverage = leverage
                if pos.margin_mode is MarginMode.ISOLATED:
                    pos.isolated_margin = pos.entry_value / leverage
        self.books.ledger.append(
            "leverage",
            self.books.now,
            account=acct.id,
            symbol=inst.symbol,
            leverage=leverage,
            pos_side=pos_side.value if pos_side else None,
        )
        self.liquidation.refresh(acct)
        return settings

    def set_margin_mode(self, acct: Account, inst: Instrument, mode: MarginMode) -> SymbolSettings:
        settings = self.settings(acct, inst)
        if settings.margin_mode is mode:
            return settings
        if acct.open_positions(inst.symbol) or self.books.open_orders_in(acct, inst.symbol):
            raise EngineError(
                Reason.HAS_POSITION_OR_ORDERS,
                f"cannot change margin mode of {inst.symbol} with an open position or order",
            )
        settings.margin_mode = mode
        self.books.ledger.append(
            "margin_mode", self.books.now, account=acct.id, symbol=inst.symbol, margin_mode=mode
        )
        return settings

    def set_position_mode(self, acct: Account, mode: PositionMode) -> None:
        if acct.position_mode is mode:
            return
        if acct.open_positions() or acct.working or acct.live:
            raise EngineError(
                Reason.HAS_POSITION_OR_ORDERS, "cannot change position mode with open positions or orders"
            )
        acct.position_mode = mode
        self.books.ledger.append("position_mode", self.books.now, account=acct.id, position_mode=mode)

    def resolve_margin_mode(
        self, acct: Account, inst: Instrument, settings: SymbolSettings, asked: MarginMode | None
    ) -> MarginMode:
        """The order's margin mode. Asking for the other mode switches the symbol when nothing is open in
        it (as sending ``marginMode`` with an order does on Bitget); with an open position or order it is
        a mismatch the venue rejects."""
        if asked is None or asked is settings.margin_mode:
            return settings.margin_mode
        if acct.open_positions(inst.symbol) or self.books.open_orders_in(acct, inst.symbol):
            raise OrderRejected(
                Reason.MARGIN_MODE_MISMATCH,
                f"{inst.symbol} is in {settings.margin_mode.value} margin mode with an open position/order",
            )
        settings.margin_mode = asked
        self.books.ledger.append(
            "margin_mode", self.books.now, account=acct.id, symbol=inst.symbol, margin_mode=asked
        )
        return asked

    # ------------------------------------------------------------------ positions

    @staticmethod
    def split(
        acct: Account, symbol: str, side: Side, pos_side: PositionSide | None, qty: Decimal
    ) -> tuple[Decimal, Decimal, PositionSide | None]:
        """How much of a trade closes an existing position and how much opens one, and which side opens.

        Hedge mode: the order names its position; buying a long (or selling a short) opens, the
        other way closes. One-way mode: a trade against the position nets it first, and the remainder
        (if any) opens the opposite position (a flip).
        """
        if pos_side is not None:
            if side is pos_side.opening_side:
                return ZERO, qty, pos_side
            pos = acct.positions.get((symbol, pos_side))
            held = pos.qty if pos is not None else ZERO
            return min(qty, held), ZERO, None
        opposite = PositionSide.of(side.opposite)
        pos = acct.positions.get((symbol, opposite))
        held = pos.qty if pos is not None else ZERO
        close = min(qty, held)
        rest = qty - close
        return close, rest, (PositionSide.of(side) if rest > 0 else None)

    @staticmethod
    def position_qty(acct: Account, symbol: str, side: Side, pos_side: PositionSide | None) -> Decimal:
        target = pos_side or PositionSide.of(side.opposite)
        pos = acct.positions.get((symbol, target))
        return pos.qty if pos is not None else ZERO

    def fill(self, acct: Account, order: Order, price: Decimal, qty: Decimal, *, maker: bool) -> Fill | None:
        """Apply one fill of ``order`` to the account: positions, margin, fees, PnL, ledger."""
        books = self.books
        now = books.now
        inst = books.instruments[order.symbol]
        close_qty, open_qty, open_side = self.split(acct, order.symbol, order.side, order.pos_side, qty)
        if order.reduce_only:
            open_qty, open_side = ZERO, None
            qty = close_qty
            if qty == 0:
                # The position it was meant to reduce is gone: venues cancel such orders.
                self.matching.cancel(acct, order, "nothing_to_reduce")
                return None
        coin = inst.settle
        fee = money(price * qty * (inst.maker_fee if maker else inst.taker_fee))
        pnl = ZERO
        closed_side = PositionSide.of(order.side.opposite) if order.pos_side is None else order.pos_side
        if close_qty > 0:
            pos = acct.positions[(order.symbol, closed_side)]
            pnl = money((price - pos.entry_price) * close_qty * pos.side.sign)
            if pos.margin_mode is MarginMode.ISOLATED:
                pos.isolated_margin -= pos.isolated_margin * close_qty / pos.qty
            pos.qty -= close_qty
            pos.realized_pnl += pnl
            pos.updated_ms = now
            acct.wallet[coin] = acct.wallet.get(coin, ZERO) + pnl
            acct.realized_pnl[coin] = acct.realized_pnl.get(coin, ZERO) + pnl
            if pos.qty == 0:
                pos.fees += fee if open_qty == 0 else ZERO
                self.close_position(acct, pos)
            else:
                self.log_position("position_update", pos)
        touched_side = closed_side
        if open_qty > 0:
            assert open_side is not None
            touched_side = open_side
            settings = self.settings(acct, inst)
            key = (order.symbol, open_side)
            pos = acct.positions.get(key)
            if pos is None or not pos.is_open:
                pos = Position(
                    account=acct.id,
                    symbol=order.symbol,
                    side=open_side,
                    margin_mode=order.margin_mode,
                    leverage=settings.leverage(open_side),
                    opened_ms=now,
                    id=books.new_id(),
                )
                acct.positions[key] = pos
                event = "position_open"
            else:
                event = "position_update"
            new_qty = pos.qty + open_qty
            pos.entry_price = (pos.entry_price * pos.qty + price * open_qty) / new_qty
            pos.qty = new_qty
            if pos.margin_mode is MarginMode.ISOLATED:
                pos.isolated_margin += open_qty * price / pos.leverage
            pos.updated_ms = now
            pos.fees += fee
            self.log_position(event, pos)
        acct.wallet[coin] = acct.wallet.get(coin, ZERO) - fee
        acct.fees[coin] = acct.fees.get(coin, ZERO) + fee
        kind = "close" if close_qty > 0 else "open"
        books.bill(acct, coin, kind, pnl, fee, order.symbol, closed_side if close_qty > 0 else touched_side)

        order.filled_qty += qty
        order.filled_value += price * qty
        order.fee += fee
        order.realized_pnl += pnl
        order.opened_qty += open_qty
        order.closed_qty += close_qty
        order.updated_ms = now
        if order.filled_qty >= order.qty:
            order.status = OrderStatus.FILLED
            order.frozen_margin = ZERO
            acct.working.pop(order.id, None)
        else:
            order.status = OrderStatus.PARTIALLY_FILLED
            if order.frozen_margin:
                order.frozen_margin = order.frozen_margin * order.remaining_qty / (order.remaining_qty + qty)
        fill = books.record_fill(
            acct.fills,
            order_id=order.id,
            client_oid=order.client_oid,
            account=acct.id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            qty=qty,
            fee=fee,
            fee_coin=coin,
            maker=maker,
            realized_pnl=pnl,
            pos_side=touched_side,
            opened_qty=open_qty,
            closed_qty=close_qty,
            source=order.source,
            order_status=order.status,
        )
        acct.bills[-1].fill_id = fill.id  # the bill booked just above, for this fill
        if open_qty > 0 and (order.take_profit is not None or order.stop_loss is not None):
            self.attach_presets(acct, order, touched_side)
        self.liquidation.refresh(acct)
        return fill

    def attach_presets(self, acct: Account, order: Order, side: PositionSide) -> None:
        """An order's preset TP/SL become the position's TP/SL once it has opened (replacing older ones)."""
        for kind, price, limit_price in (
            (TriggerKind.POS_PROFIT, order.take_profit, order.take_profit_limit),
            (TriggerKind.POS_LOSS, order.stop_loss, order.stop_loss_limit),
        ):
            if price is None:
                continue
            for t in self.books.live_triggers(acct, order.symbol):
                if t.kind is kind and t.pos_side is side:
                    self.matching.cancel_trigger(acct, t, "replaced")
            rises = (side is PositionSide.LONG) == (kind is TriggerKind.POS_PROFIT)
            trig = TriggerOrder(
                id=self.books.new_id(),
                client_oid="",
                account=acct.id,
                symbol=order.symbol,
                kind=kind,
                trigger_price=price,
                direction=Direction.RISE if rises else Direction.FALL,
                side=side.closing_side,
                qty=None,
                execute_price=limit_price,
                pos_side=side,
                reduce_only=True,
                margin_mode=order.margin_mode,
                created_ms=self.books.now,
                updated_ms=self.books.now,
                parent_order_id=order.id,
                hedge=acct.position_mode is PositionMode.HEDGE,
            )
            self.matching.register_trigger(acct, trig, parent_order_id=order.id)

    def close_position(self, acct: Account, pos: Position) -> None:
        """A position went flat: record it, and cancel every trigger that protected it.

        No position TP/SL may outlive its position (a stale stop-loss would open a new position later).
        """
        pos.isolated_margin = ZERO
        pos.liq_price = ZERO
        self.log_position("position_close", pos)
        acct.closed_positions.append(dataclasses.replace(pos))
        for t in self.books.live_triggers(acct, pos.symbol):
            if t.kind.closes_position and t.pos_side is pos.side:
                self.matching.cancel_trigger(acct, t, "position_closed")
        del acct.positions[(pos.symbol, pos.side)]

    def log_position(self, kind: str, pos: Position) -> None:
        self.books.ledger.append(
            kind,
            self.books.now,
            account=pos.account,
            symbol=pos.symbol,
            pos_side=pos.side,
            qty=pos.qty,
            entry_price=pos.entry_price,
            margin_mode=pos.margin_mode,
            leverage=pos.leverage,
            isolated_margin=pos.isolated_margin,
            realized_pnl=pos.realized_pnl,
            position_id=pos.id,
        )

    # ------------------------------------------------------------------ views

    def position_view(self, acct: Account, pos: Position) -> PositionView:
        inst = self.books.instruments[pos.symbol]
        mark = self.books.last[pos.symbol]
        tp = sl = None
        for t in self.books.live_triggers(acct, pos.symbol):
            if t.pos_side is pos.side and t.kind is TriggerKind.POS_PROFIT:
                tp = t.trigger_price
            elif t.pos_side is pos.side and t.kind is TriggerKind.POS_LOSS:
                sl = t.trigger_price
        return PositionView(
            position=pos,
            mark=mark,
            upnl=money(pos.upnl(mark)),
            margin=money(pos.initial_margin()),
            maintenance=money(pos.qty * mark * inst.mmr),
            liq_price=inst.floor_price(pos.liq_price)
            if pos.side is PositionSide.LONG
            else inst.ceil_price(pos.liq_price),
            take_profit=tp,
            stop_loss=sl,
        )

    def _sums(self, acct: Account, coin: str) -> tuple[Decimal, ...]:
        """Unrounded: wallet, isolated margin, cross margin, crossed and isolated uPnL, cross
        maintenance and frozen margin, in ``coin`` at the current marks."""
        wallet = acct.wallet.get(coin, ZERO)
        iso_margin = cross_margin = upnl_c = upnl_i = maint_c = ZERO
        for pos in acct.open_positions():
            inst = self.books.instruments[pos.symbol]
            if inst.settle != coin:
                continue
            mark = self.books.last[pos.symbol]
            u = pos.upnl(mark)
            if pos.margin_mode is MarginMode.ISOLATED:
                iso_margin += pos.isolated_margin
                upnl_i += u
            else:
                cross_margin += pos.initial_margin()
                upnl_c += u
                maint_c += pos.qty * mark * inst.mmr
        return wallet, iso_margin, cross_margin, upnl_c, upnl_i, maint_c, self.frozen(acct, coin)

    @staticmethod
    def _funds(sums: tuple[Decimal, ...]) -> Funds:
        wallet, iso_margin, cross_margin, upnl_c, upnl_i, _, frozen = sums
        available = wallet - iso_margin - cross_margin - frozen + min(upnl_c, ZERO)
        return Funds(money(wallet + upnl_c + upnl_i), money(max(available, ZERO)))

    def balance(self, acct: Account, coin: str) -> BalanceView:
        sums = self._sums(acct, coin)
        wallet, iso_margin, cross_margin, upnl_c, upnl_i, maint_c, frozen = sums
        equity, available = self._funds(sums)
        return BalanceView(
            coin=coin,
            wallet=money(wallet),
            equity=equity,
            available=available,
            frozen=money(frozen),
            isolated_margin=money(iso_margin),
            cross_margin=money(cross_margin),
            upnl=money(upnl_c + upnl_i),
            upnl_cross=money(upnl_c),
            upnl_isolated=money(upnl_i),
            maintenance_cross=money(maint_c),
        )

    def funds(self, acct: Account, coin: str) -> Funds:
        """``balance(...).equity`` and ``.available``, the same numbers, without the other figures."""
        return self._funds(self._sums(acct, coin))

    def available(self, acct: Account, coin: str) -> Decimal:
        return self.funds(acct, coin).available

    def frozen(self, acct: Account, coin: str) -> Decimal:
        total = ZERO
        for o in acct.working.values():
            if o.frozen_margin and self.books.instruments[o.symbol].settle == coin:
                total += o.frozen_margin
        return total
