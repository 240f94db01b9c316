"""Liquidation of futures positions: liquidation prices, their bar events, and the forced close.

The formulas are in :mod:`.margin`; this module keeps every open position's liquidation price up to
date after each change of its account, offers it to the bar's schedule as an event, and closes the
positions when the bar reaches it.
"""

from __future__ import annotations

from decimal import Decimal

from .decimals import ZERO, money
from .futures import FuturesAccounting
from .intrabar import BarEvent, BarPath, EventType
from .margin import cross_liquidation_price, isolated_liquidation_price
from .matching import Matching
from .models import Account, Order, Position
from .state import Books
from .types import Direction, MarginMode, OrderSource, OrderType, PositionMode, PositionSide, TimeInForce


class Liquidation:
    def __init__(self, books: Books, matching: Matching, accounting: FuturesAccounting) -> None:
        self.books = books
        self.matching = matching
        self.accounting = accounting

    def refresh(self, acct: Account) -> None:
        """Recompute every open position's liquidation price (wallet or positions changed)."""
        self.books.forget_bands(acct.id)
        cross_syms: dict[str, list[Position]] = {}
        for pos in acct.open_positions():
            inst = self.books.instruments[pos.symbol]
            if pos.margin_mode is MarginMode.ISOLATED:
                pos.liq_price = isolated_liquidation_price(
                    pos.side, pos.qty, pos.entry_price, pos.isolated_margin, inst.mmr
                )
                pos.liq_direction = Direction.FALL if pos.side is PositionSide.LONG else Direction.RISE
            else:
                cross_syms.setdefault(pos.symbol, []).append(pos)
        for sym, group in cross_syms.items():
            inst = self.books.instruments[sym]
            base = self.cross_base(acct, inst.settle, exclude=sym)
            price, direction = cross_liquidation_price(group, base[0], base[1], inst.mmr)
            for pos in group:
                pos.liq_price = price
                pos.liq_direction = direction

    def cross_base(self, acct: Account, coin: str, exclude: str) -> tuple[Decimal, Decimal]:
        """(cross equity, maintenance margin) of the account without the crossed positions in ``exclude``."""
        equity = acct.wallet.get(coin, ZERO)
        maintenance = ZERO
        for pos in acct.open_positions():
            inst = self.books.instruments[pos.symbol]
            if inst.settle != coin:
                continue
            if pos.margin_mode is MarginMode.ISOLATED:
                equity -= pos.isolated_margin
            elif pos.symbol != exclude:
                mark = self.books.last[pos.symbol]
                equity += pos.upnl(mark)
                maintenance += pos.qty * mark * inst.mmr
        return equity, maintenance

    @staticmethod
    def multi_symbol_cross(acct: Account) -> bool:
        return len({p.symbol for p in acct.open_positions() if p.margin_mode is MarginMode.CROSSED}) > 1

    def events(self, acct: Account, symbol: str, path: BarPath) -> list[BarEvent]:
        events = []
        isolated = []
        cross = []
        for side in (PositionSide.LONG, PositionSide.SHORT):
            pos = acct.positions.get((symbol, side))
            if pos is not None and pos.is_open:
                (cross if pos.margin_mode is MarginMode.CROSSED else isolated).append(pos)
        if cross and self.multi_symbol_cross(acct):
            # Other symbols' prices moved since the last refresh, and their PnL is part of the equity.
            self.refresh(acct)
        groups = [[p] for p in isolated] + ([cross] if cross else [])
        for group in groups:
            pos = group[0]
            if pos.liq_price <= 0:
                continue
            hit = path.crossing(pos.liq_direction, pos.liq_price)
            if hit is not None:
                key = (*hit[0], EventType.LIQUIDATION, 0)
                events.append(BarEvent(key, EventType.LIQUIDATION, group, pos.liq_price))
        return events

    def liquidate(self, acct: Account, positions: list[Position], price: Decimal) -> None:
        """Close positions at the liquidation price and take what margin is left as a liquidation fee.

        Simulation choice: the fill is at the liquidation price even when the bar gapped beyond it (the
        venue's insurance fund absorbs the difference), so an isolated liquidation loses exactly the
        position's margin and a cross liquidation the account's cross equity; the wallet never goes
        negative. For a crossed account every crossed position (all symbols) is closed and its resting
        orders cancelled, the other symbols at their last price.
        """
        books = self.books
        first = positions[0]
        inst = books.instruments[first.symbol]
        coin = inst.settle
        cross = first.margin_mode is MarginMode.CROSSED
        if cross:
            for o in list(acct.orders.values()):
                if o.status.is_open and o.margin_mode is MarginMode.CROSSED:
                    self.matching.cancel(acct, o, "liquidation")
            positions = [
                p
                for p in acct.open_positions()
                if p.margin_mode is MarginMode.CROSSED and books.instruments[p.symbol].settle == coin
            ]
        margin_before = sum((p.isolated_margin for p in positions), ZERO)
        pnl_fee = ZERO
        for pos in positions:
            pinst = books.instruments[pos.symbol]
            px = price if pos.symbol == first.symbol else books.last[pos.symbol]
            px = pinst.floor_price(px) if pos.side is PositionSide.LONG else pinst.ceil_price(px)
            hedge = acct.position_mode is PositionMode.HEDGE
            order = Order(
                id=books.new_id(),
                client_oid="",
                account=acct.id,
                symbol=pos.symbol,
                side=pos.side.closing_side,
                type=OrderType.MARKET,
                qty=pos.qty,
                price=None,
                tif=TimeInForce.IOC,
                pos_side=pos.side if hedge else None,
                reduce_only=True,
                margin_mode=pos.margin_mode,
                leverage=pos.leverage,
                source=OrderSource.LIQUIDATION,
                created_ms=books.now,
                updated_ms=books.now,
            )
            self.matching.register_order(acct, order)
            fill = self.accounting.fill(acct, order, px, pos.qty, maker=False)
            if fill is not None:
                pnl_fee += fill.realized_pnl - fill.fee
        left = self.cross_base(acct, coin, exclude="")[0] if cross else margin_before + pnl_fee
        liq_fee = money(max(left, ZERO))
        if liq_fee > 0:
            acct.wallet[coin] -= liq_fee
            acct.fees[coin] = acct.fees.get(coin, ZERO) + liq_fee
            books.bill(acct, coin, "liquidation", ZERO, liq_fee, first.symbol, first.side)
        books.ledger.append(
            "liquidation",
            books.now,
            account=acct.id,
            symbol=first.symbol,
            price=price,
            margin_mode=first.margin_mode,
            liquidation_fee=liq_fee,
            positions=[{"symbol": p.symbol, "pos_side": p.side.value} for p in positions],
        )
        self.refresh(acct)
        for sym in {p.symbol for p in positions}:
            books.touch(acct, sym)
