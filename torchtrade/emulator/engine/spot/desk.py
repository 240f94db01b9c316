"""The life of spot orders: submission, execution at the market, exit legs, replace, cancel, close.

Simulation choices:

* An order works only while its market is open for it (the regular session; pre/post-market too for
  an ``extended_hours`` order). One sent while closed is ``accepted`` and waits: a market order then
  fills at the open of the first bar of the next session it may trade in.
* A market order fills at once, at the synthetic ask (buy) or bid (sell) plus slippage
  (:mod:`..pricing`); a marketable limit takes the book but never pays past its limit; a resting limit
  fills as maker at its price (at the open, when a bar gaps through it). A notional order's quantity
  is ``notional / fill price`` floored to the instrument's increment.
* A stop fires when the price touches it (at once when the market is already past it) and executes
  as a market order; a stop-limit then works as a limit order.
* Orders fill in full (no partial fills). At the fill a purchase is checked again against buying
  power (a queued market order can gap past what was reserved): one that no longer fits is canceled
  (``insufficient_buying_power``), so a cash account's cash never goes negative.
* Brackets and OTO: the exit legs are ``held`` until the entry fills, then work; OCO: both exits work
  at once. The fill of one exit cancels the other; canceling an entry cancels its legs, canceling an
  exit cancels its sibling.
* Replace (Alpaca's PATCH): the order is ``replaced`` by a new order with a new id carrying the new
  terms (``replaces`` / ``replaced_by`` link them); the new terms pass the same admission checks,
  the old order's own reservation and held quantity excluded.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from ..decimals import ZERO
from ..errors import EngineError, OrderRejected, Reason
from ..state import Books
from ..types import OrderSource, Side
from .accounting import SpotAccounting
from .instruments import SpotInstrument
from .models import SpotAccount, SpotOrder
from .rules import Plan, SpotRules, replaced_request
from .types import (
    AccountKind,
    LegRole,
    OrderClass,
    OrderQueryStatus,
    SpotConfig,
    SpotOrderQuery,
    SpotOrderRequest,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
)

HUNDRED = Decimal(100)


class SpotDesk:
    def __init__(self, books: Books, config: SpotConfig) -> None:
        self.books = books
        self.config = config
        self.accounting = SpotAccounting(books, config)
        self.rules = SpotRules(books, self.accounting, config)

    # ------------------------------------------------------------------ accounts

    def open_account(
        self,
        account_id: str,
        *,
        kind: AccountKind | None,
        max_multiplier: int | None,
        shorting_enabled: bool | None,
    ) -> SpotAccount:
        books = self.books
        acct = books.spot_accounts.get(account_id)
        if acct is not None:
            return acct
        if account_id in books.accounts:
            raise EngineError(Reason.NOT_SPOT_ACCOUNT, f"account {account_id!r} is a futures account")
        cfg = self.config
        mult = cfg.max_margin_multiplier if max_multiplier is None else max_multiplier
        if mult not in (1, 2, 4):
            raise EngineError(Reason.INVALID_PARAM, f"max_multiplier must be 1, 2 or 4, got {mult}")
        acct = SpotAccount(
            id=account_id,
            kind=kind or cfg.account_kind,
            max_multiplier=mult,
            shorting_enabled=cfg.shorting_enabled if shorting_enabled is None else shorting_enabled,
            created_ms=books.now,
        )
        books.spot_accounts[account_id] = acct
        books.ledger.append(
            "account", books.now, account=account_id, account_kind=acct.kind, max_multiplier=mult, spot=True
        )
        return acct

    def deposit(self, acct: SpotAccount, amount: Decimal) -> None:
        acct.cash += amount
        acct.deposits += amount
        acct.last_equity += amount  # a deposit counts as yesterday's equity (a new account's start)
        self.books.ledger.append(
            "deposit", self.books.now, account=acct.id, coin=self.config.quote, amount=amount
        )

    def account(self, account_id: str) -> SpotAccount:
        acct = self.books.spot_accounts.get(account_id)
        if acct is None:
            if account_id in self.books.accounts:
                raise EngineError(Reason.NOT_SPOT_ACCOUNT, f"account {account_id!r} is a futures account")
            raise EngineError(Reason.UNKNOWN_ACCOUNT, f"unknown account {account_id!r}")
        return acct

    # ------------------------------------------------------------------ submission

    def _new_id(self) -> str:
        """A UUID, as Alpaca's order ids are; derived from the engine's sequence (deterministic)."""
        return str(uuid.UUID(int=int(self.books.new_id()), version=4))

    def submit(self, acct: SpotAccount, req: SpotOrderRequest) -> SpotOrder:
        plan = self.rules.admit(acct, req)
        order = self._create(acct, req, plan)
        if req.order_class is not OrderClass.SIMPLE:
            self._create_legs(acct, order, req, plan)
        self._start(acct, order, plan.inst, plan.ready)
        self.touch(acct, order.symbol)
        return order

    def _create(
        self,
        acct: SpotAccount,
        req: SpotOrderRequest,
        plan: Plan,
        *,
        status: SpotOrderStatus | None = None,
        role: LegRole | None = None,
        parent_id: str | None = None,
    ) -> SpotOrder:
        now = self.books.now
        oid = self._new_id()
        order = SpotOrder(
            id=oid,
            client_order_id=req.client_order_id or oid,
            account=acct.id,
            symbol=plan.inst.symbol,
            asset_class=plan.inst.asset_class,
            side=req.side,
            type=req.type,
            tif=req.tif,
            order_class=req.order_class,
            qty=req.qty,
            notional=req.notional,
            limit_price=req.limit_price,
            stop_price=req.stop_price,
            extended_hours=req.extended_hours,
            status=status or (SpotOrderStatus.NEW if plan.ready else SpotOrderStatus.ACCEPTED),
            created_ms=now,
            updated_ms=now,
            active_ms=plan.active_ms,
            expires_ms=plan.expires_ms,
            source=req.source,
            parent_id=parent_id,
            role=role,
            reserved=plan.reserve,
            meta=dict(req.meta or {}),
            fill_ratio=req.fill_ratio
            if req.qty is not None and req.fill_ratio and 0 < req.fill_ratio < 1
            else None,
        )
        acct.orders[oid] = order
        acct.working[oid] = order
        acct.client_oids[order.client_order_id] = oid
        self.books.ledger.append(
            "order",
            now,
            account=acct.id,
            order_id=oid,
            client_oid=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            qty=order.qty,
            notional=order.notional,
            price=order.limit_price,
            stop_price=order.stop_price,
            tif=order.tif,
            order_class=order.order_class,
            status=order.status,
            extended_hours=order.extended_hours,
            parent_id=parent_id,
            role=role,
            source=order.source,
            reserved=order.reserved,
        )
        return order

    def _create_legs(self, acct: SpotAccount, parent: SpotOrder, req: SpotOrderRequest, plan: Plan) -> None:
        """Exit legs: held until a bracket/OTO entry fills; an OCO's stop-loss works with its parent."""
        oco = req.order_class is OrderClass.OCO
        exit_side = req.side if oco else req.side.opposite
        leg_plan = Plan(plan.inst, False, ZERO, plan.active_ms, plan.expires_ms, plan.ready)
        specs: list[tuple[LegRole, SpotOrderType, Decimal | None, Decimal | None]] = []
        if oco:
            parent.role = LegRole.TAKE_PROFIT
        elif req.take_profit is not None:
            specs.append((LegRole.TAKE_PROFIT, SpotOrderType.LIMIT, req.take_profit.limit_price, None))
        if req.stop_loss is not None:
            sl = req.stop_loss
            kind = SpotOrderType.STOP if sl.limit_price is None else SpotOrderType.STOP_LIMIT
            specs.append((LegRole.STOP_LOSS, kind, sl.limit_price, sl.stop_price))
        for role, kind, limit, stop in specs:
            leg_req = SpotOrderRequest(
                symbol=req.symbol,
                side=exit_side,
                type=kind,
                qty=req.qty,
                tif=req.tif,
                limit_price=limit,
                stop_price=stop,
                order_class=req.order_class,
            )
            status = None if oco else SpotOrderStatus.HELD
            leg = self._create(acct, leg_req, leg_plan, status=status, role=role, parent_id=parent.id)
            parent.legs.append(leg.id)

    def _start(self, acct: SpotAccount, order: SpotOrder, inst: SpotInstrument, ready: bool) -> None:
        """Execute what is marketable now; an IOC/FOK order that cannot is canceled."""
        immediate = order.tif in (SpotTimeInForce.IOC, SpotTimeInForce.FOK)
        if not ready or order.tif in (SpotTimeInForce.OPG, SpotTimeInForce.CLS):
            if immediate:
                self.cancel(acct, order, "market_closed")
            return
        bid, ask = self.books.config.price_model.book(inst, self.books.last[inst.symbol])
        last = self.books.last[inst.symbol]
        if order.type in (SpotOrderType.STOP, SpotOrderType.STOP_LIMIT):
            assert order.stop_price is not None
            hit = last >= order.stop_price if order.side is Side.BUY else last <= order.stop_price
            if not hit:
                if immediate:
                    self.cancel(acct, order, "ioc_not_marketable")
                return
            if order.type is SpotOrderType.STOP:
                self.fill_market(acct, order, ask if order.side is Side.BUY else bid)
                return
            self.trigger_stop_limit(acct, order)
        if order.type is SpotOrderType.MARKET:
            self.fill_market(acct, order, ask if order.side is Side.BUY else bid)
            return
        if order.is_open and self.marketable(order, bid, ask):
            self.fill_marketable_limit(acct, order, ask if order.side is Side.BUY else bid)
        elif order.is_open and immediate:
            self.cancel(acct, order, "ioc_not_marketable")

    # ------------------------------------------------------------------ execution

    @staticmethod
    def marketable(order: SpotOrder, bid: Decimal, ask: Decimal) -> bool:
        assert order.limit_price is not None
        return order.limit_price >= ask if order.side is Side.BUY else order.limit_price <= bid

    def fill_market(self, acct: SpotAccount, order: SpotOrder, ref: Decimal) -> None:
        inst = self.accounting.instrument(order.symbol)
        price = self.books.config.price_model.taker_price(inst, order.side, ref)  # type: ignore[arg-type]
        self.fill(acct, order, price, maker=False)

    def fill_marketable_limit(self, acct: SpotAccount, order: SpotOrder, ref: Decimal) -> None:
        """Take the book around ``ref``, never past the order's limit."""
        inst = self.accounting.instrument(order.symbol)
        pm = self.books.config.price_model
        self.fill(acct, order, pm.taker_price(inst, order.side, ref, order.limit_price), maker=False)  # type: ignore[arg-type]

    def trigger_stop_limit(self, acct: SpotAccount, order: SpotOrder) -> None:
        order.stop_triggered = True
        order.updated_ms = self.books.now
        self.books.ledger.append(
            "order_triggered",
            self.books.now,
            account=acct.id,
            order_id=order.id,
            client_oid=order.client_order_id,
        )

    def fill(self, acct: SpotAccount, order: SpotOrder, price: Decimal, *, maker: bool) -> bool:
        """Fill the order at ``price`` if the account can take it; else cancel it. True if it traded.

        The whole rest fills, except a first fill under ``fill_ratio`` (fault injection).
        """
        inst = self.accounting.instrument(order.symbol)
        qty = order.remaining_qty
        if qty is None:
            assert order.notional is not None
            qty = inst.floor_qty(order.notional / price)
        elif order.fill_ratio is not None and order.filled_qty == 0:
            qty = min(qty, max(inst.floor_qty(qty * order.fill_ratio), inst.qty_increment))
        held = acct.position_qty(order.symbol)
        closing = (held > 0 and order.side is Side.SELL) or (held < 0 and order.side is Side.BUY)
        if closing:
            qty = min(qty, abs(held))  # the holding shrank since: never flip it
        elif order.side is Side.SELL and inst.is_crypto:
            qty = ZERO  # nothing left to sell
        if qty <= 0 or (inst.is_crypto and inst.min_order_size is not None and qty < inst.min_order_size):
            self.cancel(acct, order, "nothing_to_fill")
            return False
        if not closing:
            power = self.accounting.opening_power(acct, inst, self.accounting.balance(acct)) + order.reserved
            if qty * price > power:
                self.cancel(acct, order, "insufficient_buying_power")
                return False
        self.accounting.apply_fill(acct, order, price, qty, maker=maker)
        if order.status is SpotOrderStatus.FILLED:
            self._after_fill(acct, order)
        return True

    def _after_fill(self, acct: SpotAccount, order: SpotOrder) -> None:
        now = self.books.now
        if order.parent_id is not None or order.order_class is OrderClass.OCO:
            # An exit filled: its siblings (the other exit) are canceled.
            for other in self._group(acct, order):
                if other is not order and other.is_open:
                    self.cancel(acct, other, "oco", cascade=False)
            return
        for leg_id in order.legs:
            leg = acct.orders[leg_id]
            if leg.status is SpotOrderStatus.HELD:
                leg.qty = order.filled_qty
                leg.status = SpotOrderStatus.NEW
                leg.updated_ms = now
                self.books.ledger.append(
                    "order_active", now, account=acct.id, order_id=leg.id, client_oid=leg.client_order_id
                )

    @staticmethod
    def _group(acct: SpotAccount, order: SpotOrder) -> list[SpotOrder]:
        """The exits of one complex order (an OCO's parent is an exit too)."""
        parent = acct.orders[order.parent_id] if order.parent_id else order
        group = [acct.orders[i] for i in parent.legs]
        if parent.order_class is OrderClass.OCO:
            group.append(parent)
        return group

    # ------------------------------------------------------------------ cancel, expire

    def cancel(
        self,
        acct: SpotAccount,
        order: SpotOrder,
        why: str,
        *,
        status: SpotOrderStatus = SpotOrderStatus.CANCELED,
        cascade: bool = True,
    ) -> list[SpotOrder]:
        """End an open order (and, with ``cascade``, the legs that depend on it). Returns all ended."""
        now = self.books.now
        ended = [order]
        order.status = status
        order.cancel_reason = why
        order.reserved = ZERO
        order.updated_ms = now
        if status is SpotOrderStatus.EXPIRED:
            order.expired_ms = now
        elif status is SpotOrderStatus.CANCELED:
            order.canceled_ms = now
        acct.working.pop(order.id, None)
        kind = "order_expired" if status is SpotOrderStatus.EXPIRED else "order_canceled"
        self.books.ledger.append(
            kind,
            now,
            account=acct.id,
            order_id=order.id,
            client_oid=order.client_order_id,
            symbol=order.symbol,
            why=why,
            status=status,
            filled_qty=order.filled_qty,
        )
        if cascade:
            if order.legs and order.order_class is not OrderClass.OCO and order.filled_qty == 0:
                dependents = [acct.orders[i] for i in order.legs]
            elif order.order_class is not OrderClass.SIMPLE:
                dependents = [o for o in self._group(acct, order) if o is not order]
            else:
                dependents = []
            for other in dependents:
                if other.is_open:
                    ended += self.cancel(acct, other, why, status=status, cascade=False)
        self.touch(acct, order.symbol)
        return ended

    def cancel_all(self, acct: SpotAccount) -> list[SpotOrder]:
        ended: list[SpotOrder] = []
        for order in list(acct.working.values()):
            if order.is_open:
                ended += self.cancel(acct, order, "user")
        return ended

    # ------------------------------------------------------------------ replace

    def replace(
        self,
        acct: SpotAccount,
        order: SpotOrder,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        tif: SpotTimeInForce | None = None,
        client_order_id: str | None = None,
    ) -> SpotOrder:
        self.rules.check_account(acct)
        if not order.is_open or order.filled_qty > 0:
            raise OrderRejected(
                Reason.ORDER_NOT_REPLACEABLE, f"order is {order.status.value}: cannot be replaced"
            )
        if qty is not None and order.notional is not None:
            raise OrderRejected(Reason.ORDER_NOT_REPLACEABLE, "a notional order's qty cannot be replaced")
        if limit_price is not None and order.type not in (SpotOrderType.LIMIT, SpotOrderType.STOP_LIMIT):
            raise OrderRejected(
                Reason.INVALID_PARAM, f"limit_price does not apply to {order.type.value} orders"
            )
        if stop_price is not None and order.type not in (SpotOrderType.STOP, SpotOrderType.STOP_LIMIT):
            raise OrderRejected(
                Reason.INVALID_PARAM, f"stop_price does not apply to {order.type.value} orders"
            )
        if order.stop_triggered and stop_price is not None:
            raise OrderRejected(Reason.ORDER_NOT_REPLACEABLE, "the stop already triggered")
        req = replaced_request(
            order,
            qty=qty,
            limit_price=limit_price,
            stop_price=stop_price,
            tif=tif,
            client_order_id=client_order_id,
        )
        complex_ = order.order_class is not OrderClass.SIMPLE
        if complex_:
            # A complex order keeps its shape: only the prices and size of this order are checked.
            inst = self.rules.instrument(order.symbol)
            self.rules.check_client_oid(acct, client_order_id)
            if req.qty is not None and (req.qty <= 0 or not inst.is_qty_on_step(req.qty) or req.qty % 1):
                raise OrderRejected(Reason.QTY_PRECISION, f"qty {req.qty} must be a positive whole number")
            for name, price in (("limit_price", req.limit_price), ("stop_price", req.stop_price)):
                self.rules.check_price(inst, name, price)
            reserve = ZERO
            if order.reserved:
                # An entry that opens a holding reserves its new value, within what its own frees.
                reserve = self.rules.order_value(inst, req)
                power = self.accounting.opening_power(acct, inst, self.accounting.balance(acct))
                if reserve > power + order.reserved:
                    raise OrderRejected(Reason.INSUFFICIENT_BUYING_POWER, "insufficient buying power")
            ready = order.status is not SpotOrderStatus.ACCEPTED
            plan = Plan(inst, bool(reserve), reserve, order.active_ms, order.expires_ms, ready)
        else:
            acct.working.pop(order.id)  # its own reservation and held quantity do not count
            try:
                plan = self.rules.admit(acct, req)
            finally:
                acct.working[order.id] = order
        now = self.books.now
        order.status = SpotOrderStatus.REPLACED
        order.replaced_ms = now
        order.updated_ms = now
        order.reserved = ZERO
        acct.working.pop(order.id, None)
        new = self._create(
            acct,
            req,
            plan,
            status=order_status_after(order, plan),
            role=order.role,
            parent_id=order.parent_id,
        )
        new.order_class = order.order_class
        new.replaces = order.id
        new.legs = list(order.legs)
        new.stop_triggered = order.stop_triggered
        order.replaced_by = new.id
        for leg_id in new.legs:
            acct.orders[leg_id].parent_id = new.id
        if order.parent_id is not None:
            siblings = acct.orders[order.parent_id].legs
            siblings[siblings.index(order.id)] = new.id
        self.books.ledger.append(
            "order_replaced",
            now,
            account=acct.id,
            order_id=order.id,
            replaced_by=new.id,
            client_oid=order.client_order_id,
        )
        if new.status is not SpotOrderStatus.HELD:
            self._start(acct, new, plan.inst, plan.ready)
        self.touch(acct, new.symbol)
        return new

    # ------------------------------------------------------------------ positions

    def close_position(
        self, acct: SpotAccount, symbol: str, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> SpotOrder:
        """A market order that closes (part of) a holding: ``qty`` of it, or ``percentage`` (0-100]."""
        inst = self.rules.instrument(symbol)
        pos = acct.holding(inst.symbol)
        if pos is None:
            raise EngineError(Reason.NO_POSITION, "position does not exist")
        size = abs(pos.qty)
        if qty is not None and percentage is not None:
            raise EngineError(Reason.INVALID_PARAM, "qty or percentage, not both")
        if qty is not None:
            if not 0 < qty <= size:
                raise EngineError(Reason.INSUFFICIENT_QTY, f"qty must be in (0, {size}]")
            amount = qty
        elif percentage is not None:
            if not 0 < percentage <= HUNDRED:
                raise EngineError(Reason.INVALID_PARAM, "percentage must be in (0, 100]")
            amount = size if percentage == HUNDRED else inst.floor_qty(size * percentage / HUNDRED)
            if amount <= 0:
                raise EngineError(Reason.INVALID_PARAM, "percentage closes less than the smallest quantity")
        else:
            amount = size
        req = SpotOrderRequest(
            symbol=inst.symbol,
            side=Side.SELL if pos.qty > 0 else Side.BUY,
            qty=amount,
            tif=SpotTimeInForce.GTC if inst.is_crypto else SpotTimeInForce.DAY,
            source=OrderSource.CLOSE,
        )
        return self.submit(acct, req)

    # ------------------------------------------------------------------ queries

    @staticmethod
    def find(acct: SpotAccount, order_id: str | None, client_order_id: str | None) -> SpotOrder:
        if order_id is None and client_order_id is not None:
            order_id = acct.client_oids.get(client_order_id)
        order = acct.orders.get(order_id) if order_id else None
        if order is None or (client_order_id is not None and order.client_order_id != client_order_id):
            raise EngineError(Reason.ORDER_NOT_FOUND, "order not found")
        return order

    @staticmethod
    def list_orders(acct: SpotAccount, query: SpotOrderQuery) -> list[SpotOrder]:
        q = query
        status = q.status
        rows = [
            o
            for o in acct.orders.values()
            if (status is OrderQueryStatus.ALL or o.is_open == (status is OrderQueryStatus.OPEN))
            and (q.after_ms is None or o.created_ms > q.after_ms)
            and (q.until_ms is None or o.created_ms < q.until_ms)
            and (q.symbols is None or o.symbol in q.symbols)
            and (q.side is None or o.side is q.side)
            and not (q.nested and o.parent_id is not None)
        ]
        rows.sort(key=lambda o: o.created_ms)  # stable: same instant keeps submission order
        if not q.ascending:
            rows.reverse()
        return rows if q.limit is None else rows[: q.limit]

    # ------------------------------------------------------------------ index

    def touch(self, acct: SpotAccount, symbol: str) -> None:
        """Keep the per-symbol index of accounts whose orders a bar must look at."""
        if acct.busy_in(symbol):
            self.books.active[symbol].add(acct.id)
        else:
            self.books.active[symbol].discard(acct.id)


def order_status_after(old: SpotOrder, plan: Plan) -> SpotOrderStatus:
    """The status of the order that replaces ``old``: a held leg stays held."""
    if old.status is SpotOrderStatus.HELD:
        return SpotOrderStatus.HELD
    return SpotOrderStatus.NEW if plan.ready else SpotOrderStatus.ACCEPTED
