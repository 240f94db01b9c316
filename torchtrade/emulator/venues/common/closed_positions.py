"""An account's closed positions, with their totals, derived from its fills and bills.

What a venue's positions-history route serves (Bitget's ``history-position``; Bybit's closed PnL and
OKX's positions history are the same records). Binance USD-M has no such route (ccxt:
``fetchPositionsHistory: False``), so only Bitget reads it today.

The engine keeps each position as it was when it went flat (``Account.closed_positions``: id,
side, margin mode, leverage, entry price, realized PnL, funding, open and update times) but not
how much it opened and closed, at what average close price, or which fees were paid opening and
which closing. Those are derived here from the account's fills and bills:

* A position's events are the fills of its symbol whose id lies between its own id and the id of
  the next position of the same symbol and side. Engine ids come from one counter: a position gets
  its id just before the fill that opens it, and a new position of that side cannot start before
  the old one closed.
* The part of a fill that opened (``opened_qty``) belongs to the position on the fill's side, the
  part that closed (``closed_qty``) to the opposite side: a one-way fill that flips a position
  closes one and opens the other. A fill's fee is shared between the two parts by quantity.
* A liquidation fee (the margin the venue keeps when it liquidates) is a closing fee.

So ``net_profit = pnl - open_fee - close_fee - funding`` is exactly what the position did to the
wallet.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from ...engine import Account, MarginMode, Position, PositionSide

_ZERO = Decimal(0)


@dataclass(slots=True)
class ClosedPosition:
    """One position from open to flat; fees and funding are amounts paid (positive)."""

    id: str
    symbol: str
    side: PositionSide
    margin_mode: MarginMode
    leverage: int
    opened_ms: int
    closed_ms: int
    funding: Decimal
    hedged: bool = False
    open_qty: Decimal = _ZERO
    open_value: Decimal = _ZERO
    close_qty: Decimal = _ZERO
    close_value: Decimal = _ZERO
    pnl: Decimal = _ZERO
    open_fee: Decimal = _ZERO
    close_fee: Decimal = _ZERO

    @property
    def open_avg(self) -> Decimal:
        return self.open_value / self.open_qty if self.open_qty else _ZERO

    @property
    def close_avg(self) -> Decimal:
        return self.close_value / self.close_qty if self.close_qty else _ZERO

    @property
    def net_profit(self) -> Decimal:
        return self.pnl - self.open_fee - self.close_fee - self.funding


def _record(pos: Position) -> ClosedPosition:
    return ClosedPosition(
        id=pos.id,
        symbol=pos.symbol,
        side=pos.side,
        margin_mode=pos.margin_mode,
        leverage=pos.leverage,
        opened_ms=pos.opened_ms,
        closed_ms=pos.updated_ms,
        funding=pos.funding,
    )


def closed_positions(acct: Account) -> list[ClosedPosition]:
    """Every position of ``acct`` that went flat, in the order they closed."""
    records = [_record(p) for p in acct.closed_positions]
    if not records:
        return []
    # Per (symbol, side): every position's id in order (open ones too: they bound the last closed
    # one), and the record of the closed ones.
    ids: dict[tuple[str, PositionSide], list[int]] = defaultdict(list)
    by_id: dict[int, ClosedPosition] = {}
    for rec in records:
        ids[(rec.symbol, rec.side)].append(int(rec.id))
        by_id[int(rec.id)] = rec
    for pos in acct.positions.values():
        if pos.id:
            ids[(pos.symbol, pos.side)].append(int(pos.id))
    for key in ids:
        ids[key].sort()

    def owner(symbol: str, side: PositionSide, event_id: int) -> ClosedPosition | None:
        keyed = ids.get((symbol, side))
        if not keyed:
            return None
        i = bisect.bisect_left(keyed, event_id) - 1
        return by_id.get(keyed[i]) if i >= 0 else None

    for fill in acct.fills:
        fid = int(fill.id)
        if fill.opened_qty > 0:
            rec = owner(fill.symbol, PositionSide.of(fill.side), fid)
            if rec is not None:
                if rec.open_qty == 0:  # the opening fill: its order says which position mode
                    order = acct.orders.get(fill.order_id)
                    rec.hedged = order is not None and order.pos_side is not None
                rec.open_qty += fill.opened_qty
                rec.open_value += fill.price * fill.opened_qty
                rec.open_fee += fill.fee * fill.opened_qty / fill.qty
        if fill.closed_qty > 0:
            rec = owner(fill.symbol, PositionSide.of(fill.side.opposite), fid)
            if rec is not None:
                rec.close_qty += fill.closed_qty
                rec.close_value += fill.price * fill.closed_qty
                rec.close_fee += fill.fee * fill.closed_qty / fill.qty
                rec.pnl += fill.realized_pnl
    for bill in acct.bills:
        if bill.kind == "liquidation" and bill.pos_side is not None:
            rec = owner(bill.symbol, bill.pos_side, int(bill.id))
            if rec is not None:
                rec.close_fee += bill.fee
    return records
