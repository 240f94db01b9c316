"""Spot orders along the replayed bars: queued orders at the open, resting limits and stops along the
bar's path, day orders at the close, and the end of each session (yesterday's equity, last prices).

Simulation choices:

* Bars are evaluated with the shared :func:`~..matching.schedule` (path against the holding; a
  bracket's stop-loss before its take-profit when both fall in one bar).
* An order may trade on a bar that starts while its market is open for it: the regular session,
  or the extended one for an ``extended_hours`` order. Stops and brackets trade the regular session
  only (Alpaca's stops do not trigger in extended hours).
* A market order waiting for the open fills at the first eligible bar's open (plus slippage); an
  ``opg`` order there too (an ``opg`` limit only if the open is at or better than its limit, else it
  expires); a ``cls`` order executes at the last price when the session's close passes (a ``cls``
  limit only if that price is at or better than its limit).
* A day order expires once the session it works in has closed (the extended close for an extended
  hours order), before any later bar is evaluated.
* A session ends at the regular close of the stock calendar (crypto only: UTC midnight): each
  account's ``last_equity`` and each symbol's ``lastday_price`` are taken then.
"""

from __future__ import annotations

from decimal import Decimal

from ..intrabar import EventType
from ..matching import Resting, bar_path, schedule
from ..state import BarLike
from ..types import Direction, Side
from .desk import SpotDesk
from .models import SpotAccount, SpotOrder
from .types import LegRole, OrderClass, SpotOrderStatus, SpotOrderType, SpotTimeInForce


class SpotSession:
    def __init__(self, desk: SpotDesk) -> None:
        self.desk = desk
        self.books = desk.books
        self.hours = desk.accounting.hours
        self.roll_ms = self._next_roll(self.books.now)

    def _next_roll(self, t_ms: int) -> int:
        hours = self.hours
        start = t_ms if hours.is_open(t_ms) else hours.next_open(t_ms)
        close = hours.session_close(start)
        assert close is not None
        return close

    # ------------------------------------------------------------------ time passing

    def until(self, t_ms: int) -> None:
        """Everything due at or before ``t_ms`` that no bar carries, in time order: expiries, session
        ends. Each is stamped with its own instant."""
        books = self.books
        if not books.spot_accounts:
            if self.roll_ms <= t_ms:
                self.roll_ms = self._next_roll(t_ms)
            return
        while True:
            due = self._next_expiry()
            if self.roll_ms <= t_ms and (due is None or self.roll_ms <= due):
                self._expire(self.roll_ms)
                books.now = max(books.now, self.roll_ms)
                self.desk.accounting.roll(list(books.spot_accounts.values()))
                self.roll_ms = self._next_roll(self.roll_ms)
            elif due is not None and due <= t_ms:
                self._expire(due)
            else:
                return

    def _next_expiry(self) -> int | None:
        due = [
            o.expires_ms
            for acct in self.books.spot_accounts.values()
            for o in acct.working.values()
            if o.expires_ms is not None
        ]
        return min(due) if due else None

    def _expire(self, t_ms: int) -> None:
        """End (or, for cls orders, execute) every open order expiring at or before ``t_ms``."""
        self.books.now = max(self.books.now, t_ms)
        for acct_id in sorted(self.books.spot_accounts):
            acct = self.books.spot_accounts[acct_id]
            due = sorted(
                (o for o in acct.working.values() if o.expires_ms is not None and o.expires_ms <= t_ms),
                key=lambda o: o.expires_ms,  # type: ignore[arg-type, return-value]
            )
            for order in due:
                if not order.is_open:
                    continue
                if order.tif is SpotTimeInForce.CLS and order.status is not SpotOrderStatus.HELD:
                    self._on_close(acct, order)
                if order.is_open:
                    self.desk.cancel(acct, order, "session_end", status=SpotOrderStatus.EXPIRED)

    def _on_close(self, acct: SpotAccount, order: SpotOrder) -> None:
        last = self.books.last[order.symbol]
        if order.type is SpotOrderType.MARKET:
            self.desk.fill_market(acct, order, last)
        elif order.limit_price is not None and self.desk.marketable(order, last, last):
            self.desk.fill_marketable_limit(acct, order, last)

    # ------------------------------------------------------------------ a bar

    def on_bar(self, symbol: str, bar: BarLike) -> None:
        """One replayed bar of a spot symbol (``books.last`` still holds the previous close)."""
        active = self.books.active[symbol]
        if not active:
            return
        hours = self.desk.accounting.instrument(symbol).hours
        regular = hours.is_open(bar.t)
        extended = regular or hours.is_open(bar.t, extended=True)
        if not extended:
            return
        for acct_id in sorted(active):
            self._process(self.books.spot_accounts[acct_id], symbol, bar, regular)

    def _process(self, acct: SpotAccount, symbol: str, bar: BarLike, regular: bool) -> None:
        pending: list[SpotOrder] = []
        resting: list[Resting] = []
        now = self.books.now
        for o in list(acct.working.values()):
            if o.symbol != symbol or o.status is SpotOrderStatus.HELD or o.active_ms > bar.t:
                continue
            if o.tif is SpotTimeInForce.CLS or not (regular or o.extended_hours):
                continue
            if o.status is SpotOrderStatus.ACCEPTED:
                o.status = SpotOrderStatus.NEW
                o.updated_ms = now
                self.books.ledger.append(
                    "order_active", now, account=acct.id, order_id=o.id, client_oid=o.client_order_id
                )
            if o.tif is SpotTimeInForce.OPG or o.type is SpotOrderType.MARKET:
                pending.append(o)
                continue
            group = (o.parent_id or o.id) if o.order_class is not OrderClass.SIMPLE else None
            loss, profit = o.role is LegRole.STOP_LOSS, o.role is LegRole.TAKE_PROFIT
            buy = o.side is Side.BUY
            if o.works_as_limit:
                assert o.limit_price is not None
                direction = Direction.FALL if buy else Direction.RISE
                resting.append(Resting(EventType.LIMIT, direction, o.limit_price, o, group, loss, profit))
            else:
                assert o.stop_price is not None
                direction = Direction.RISE if buy else Direction.FALL
                resting.append(Resting(EventType.TRIGGER, direction, o.stop_price, o, group, loss, profit))
        if not pending and not resting:
            return
        path = bar_path(bar.open, bar.high, bar.low, bar.close, acct.position_qty(symbol))
        for ev in schedule(path, resting, pending=pending):
            order: SpotOrder = ev.target
            if not order.is_open:
                continue
            if ev.type is EventType.PENDING:
                self._at_open(acct, order, bar.open)
            elif ev.type is EventType.LIMIT:
                self.desk.fill(acct, order, ev.price, maker=True)
            elif order.type is SpotOrderType.STOP:
                self.desk.fill_market(acct, order, ev.price)
            else:
                self.desk.trigger_stop_limit(acct, order)
                if self.desk.marketable(order, ev.price, ev.price):
                    self.desk.fill_marketable_limit(acct, order, ev.price)
        self.desk.touch(acct, symbol)

    def _at_open(self, acct: SpotAccount, order: SpotOrder, open_: Decimal) -> None:
        if order.type is SpotOrderType.MARKET:
            self.desk.fill_market(acct, order, open_)
        elif self.desk.marketable(order, open_, open_):
            self.desk.fill_marketable_limit(acct, order, open_)
        else:
            self.desk.cancel(acct, order, "opg_not_marketable", status=SpotOrderStatus.EXPIRED)
