"""Matching: the order lifecycle and the evaluation of resting orders along a bar's path.

Two layers:

* :func:`schedule` and :func:`band` are shared by every account kind (futures and spot): each kind
  lists what rests on a symbol as :class:`Resting` items (a limit to trade through, a trigger level
  to touch, the stop-loss and take-profit legs protecting one holding) and gets back the bar's events
  in the order they happen (see :mod:`.intrabar` for the assumed path and the adverse-first rule).
* :class:`Matching` keeps the lifecycle of the futures :class:`~.models.Order` and
  :class:`~.models.TriggerOrder`: registration, client ids, cancellation and their ledger entries.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .decimals import ZERO
from .errors import EngineError, OrderRejected, Reason
from .intrabar import BarEvent, BarPath, EventType
from .models import Account, Order, TriggerOrder
from .state import Books
from .types import Direction, OrderStatus, TriggerStatus


@dataclass(slots=True)
class Resting:
    """Something resting on a symbol that a bar may fire.

    Attributes:
        type: ``LIMIT`` (fills when the bar trades *through* ``level``) or ``TRIGGER`` (fires when it
            touches it).
        direction: the way the price must move to reach ``level`` (a buy limit rests below: FALL).
        group: the holding a stop-loss/take-profit leg protects; legs of one group obey the
            adverse-first rule: when a loss leg fires in a bar, the profit legs of its group do not.
        loss / profit: which leg of its group this is (neither: a plain order).
    """

    type: EventType
    direction: Direction
    level: Decimal
    target: Any
    group: Hashable | None = None
    loss: bool = False
    profit: bool = False


def band(levels: Iterable[tuple[Direction, Decimal]]) -> tuple[Decimal | None, Decimal | None]:
    """The highest level a falling price can fire and the lowest a rising one can, for a fast path.

    Most bars fire nothing: when the bar's low stays above the first and its high below the second,
    the bar is skipped without building its event list.
    """
    falls: list[Decimal] = []
    rises: list[Decimal] = []
    for direction, level in levels:
        (rises if direction is Direction.RISE else falls).append(level)
    return (max(falls) if falls else None), (min(rises) if rises else None)


def outside_band(
    bar_low: Decimal, bar_high: Decimal, fall_max: Decimal | None, rise_min: Decimal | None
) -> bool:
    return (fall_max is None or bar_low > fall_max) and (rise_min is None or bar_high < rise_min)


def schedule(
    path: BarPath,
    resting: Iterable[Resting],
    *,
    pending: Iterable[Any] = (),
    extra: Iterable[BarEvent] = (),
) -> list[BarEvent]:
    """The events of one bar in the order they happen along ``path``.

    ``pending`` are market-order remainders: they fill first, at the open. ``extra`` are events a kind
    adds itself (futures liquidations). Ties at one price go by :class:`~.intrabar.EventType`, then by
    the order of ``resting`` (oldest first).
    """
    events: list[BarEvent] = []
    for order in pending:
        events.append(
            BarEvent((0, ZERO, EventType.PENDING, len(events)), EventType.PENDING, order, path.open)
        )
    fired_loss: set[Hashable] = set()
    fired: list[tuple[Resting, BarEvent]] = []
    for seq, item in enumerate(resting, start=1):
        if item.type is EventType.LIMIT:
            hit = path.crossing(item.direction, item.level, strict=True)
        else:
            hit = path.crossing(item.direction, item.level)
        if hit is None:
            continue
        if item.loss and item.group is not None:
            fired_loss.add(item.group)
        # The event's price is the level, or the open when the bar gapped through it (a futures limit
        # order still fills at its own price: its kind decides).
        fired.append((item, BarEvent((*hit[0], item.type, seq), item.type, item.target, hit[1])))
    for item, ev in fired:
        # Adverse first: a holding whose stop-loss and take-profit both fire in this bar is stopped out.
        if item.profit and item.group is not None and item.group in fired_loss:
            continue
        events.append(ev)
    events.extend(extra)
    events.sort(key=lambda e: e.key)
    return events


def bar_path(open_: Decimal, high: Decimal, low: Decimal, close: Decimal, net: Decimal) -> BarPath:
    """The assumed path of a bar for a book whose net exposure in the symbol is ``net``."""
    low_first = net > 0 if net != 0 else close >= open_
    return BarPath(open_, high, low, low_first)


class Matching:
    """Lifecycle of futures orders and trigger orders: ids, client ids, cancels and their ledger."""

    def __init__(self, books: Books) -> None:
        self.books = books

    def check_client_oid(self, acct: Account, client_oid: str | None) -> None:
        if not client_oid or client_oid not in acct.client_oids:
            return
        if self.books.config.client_oid_reuse:
            holder = acct.client_oids[client_oid]
            if holder not in acct.working and holder not in acct.live:
                return  # the order that carried it is closed: the id is free again
        raise OrderRejected(Reason.DUPLICATE_CLIENT_OID, f"duplicate client order id {client_oid!r}")

    @staticmethod
    def find(acct: Account, order_id: str | None, client_oid: str | None) -> Order | TriggerOrder:
        if order_id is None and client_oid is not None:
            order_id = acct.client_oids.get(client_oid)
        found = (acct.orders.get(order_id) or acct.triggers.get(order_id)) if order_id else None
        if found is None:
            raise EngineError(Reason.ORDER_NOT_FOUND, "order does not exist")
        if client_oid is not None and found.client_oid != client_oid:
            raise EngineError(Reason.ORDER_NOT_FOUND, "order does not exist")
        return found

    def log_rejection(
        self, kind: str, account_id: str, symbol: str, client_oid: str | None, e: EngineError, **extra: Any
    ) -> None:
        self.books.ledger.append(
            kind,
            self.books.now,
            account=account_id,
            symbol=symbol,
            reason=e.reason,
            message=e.message,
            client_oid=client_oid,
            **extra,
        )

    # ------------------------------------------------------------------ orders

    def register_order(self, acct: Account, order: Order) -> None:
        """Index a new order and record it. Venues generate a client id when none is given; the
        order id is unique, so it serves."""
        order.client_oid = order.client_oid or order.id
        acct.orders[order.id] = order
        acct.client_oids[order.client_oid] = order.id
        self.books.ledger.append(
            "order",
            self.books.now,
            account=acct.id,
            order_id=order.id,
            client_oid=order.client_oid,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            qty=order.qty,
            price=order.price,
            pos_side=order.pos_side,
            reduce_only=order.reduce_only,
            source=order.source,
            margin_mode=order.margin_mode,
            tif=order.tif,
        )

    def cancel(self, acct: Account, order: Order, why: str) -> None:
        now = self.books.now
        order.status = OrderStatus.CANCELED
        order.cancel_reason = why
        order.frozen_margin = ZERO
        acct.working.pop(order.id, None)
        order.updated_ms = now
        pending = self.books.pending.get((acct.id, order.symbol))
        if pending and order in pending:
            pending.remove(order)
        self.books.ledger.append(
            "order_canceled",
            now,
            account=acct.id,
            order_id=order.id,
            client_oid=order.client_oid,
            symbol=order.symbol,
            why=why,
            filled_qty=order.filled_qty,
        )

    # ------------------------------------------------------------------ trigger orders

    def register_trigger(self, acct: Account, trig: TriggerOrder, **extra: Any) -> None:
        """Index a new live trigger order and record it (client id as for orders)."""
        trig.client_oid = trig.client_oid or trig.id
        acct.triggers[trig.id] = trig
        acct.live[trig.id] = trig
        acct.client_oids[trig.client_oid] = trig.id
        self.log_trigger("trigger", trig, **extra)

    def cancel_trigger(self, acct: Account, trig: TriggerOrder, why: str) -> None:
        trig.status = TriggerStatus.CANCELED
        acct.live.pop(trig.id, None)
        trig.updated_ms = self.books.now
        self.log_trigger("trigger_canceled", trig, why=why)

    def log_trigger(self, kind: str, trig: TriggerOrder, **extra: Any) -> None:
        self.books.ledger.append(
            kind,
            self.books.now,
            account=trig.account,
            trigger_id=trig.id,
            client_oid=trig.client_oid,
            symbol=trig.symbol,
            trigger_kind=trig.kind,
            trigger_price=trig.trigger_price,
            direction=trig.direction,
            side=trig.side,
            qty=trig.qty,
            pos_side=trig.pos_side,
            execute_price=trig.execute_price,
            **extra,
        )
