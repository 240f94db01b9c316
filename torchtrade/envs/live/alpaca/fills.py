"""Fills and realized PnL of a spot symbol, from the venue's orders.

alpaca-py has no call for executions (Alpaca's account activities are outside its TradingClient),
so fills are read from the orders themselves: an order whose ``filled_qty`` grew since the last
read yields one fill for the growth, priced so that the order's cumulative ``filled_avg_price``
holds, and named ``<order id>:<filled qty>`` (the same growth read twice is the same fill).

A spot account reports no realized PnL per fill. The book keeps the symbol's average cost, as
Alpaca's position does (``avg_entry_price``): a fill that adds to the position moves the average; a
fill that reduces it realizes ``size × (price − average)`` (signed by the side held). The book is
seeded with the position the venue holds when the env starts.

Fees are not in the orders either: a fill's fee is its value times ``fee_rate`` (Alpaca's crypto
taker rate; stocks pay no commission). A crypto buy's fee is taken in the coin bought, so its
holding is a little smaller than its ``filled_qty``: the position the venue reports is the truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ...core.account import FillInfo


def _ms(t: datetime | None) -> int | None:
    return int(t.timestamp() * 1000) if t is not None else None


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


class FillBook:
    """The fills of the env's orders in one symbol, and the average cost they realize against."""

    def __init__(self, fee_rate: Decimal = Decimal(0)) -> None:
        self.fee_rate = fee_rate
        self._seen: dict[str, tuple[Decimal, Decimal]] = {}  # order id -> (filled qty, avg price)
        # order id -> its (filled_qty, filled_avg_price) as last examined: an order read again with the
        # same two fields is decided the same way, so it is not examined again (a read lists up to
        # FILLS_LOOKBACK orders, nearly all of them settled long ago)
        self._examined: dict[Any, tuple[Any, Any]] = {}  # by the model's own id (a UUID: no str())
        self._fills: list[FillInfo] = []
        self.qty = Decimal(0)  # signed: > 0 long, < 0 short
        self.average = Decimal(0)

    def seed(self, signed_qty: Decimal, average: Decimal) -> None:
        """Start from the venue's position (what the env found when it started)."""
        self.qty, self.average = signed_qty, average if signed_qty else Decimal(0)

    def absorb(self, orders: Iterable[Any]) -> None:
        """Record the fills of ``orders`` (alpaca-py ``Order`` models, bracket legs nested) not seen yet."""
        flat: list[Any] = []
        examined = self._examined
        for order in orders:
            for one in (order, *(order.legs or ())):
                if examined.get(one.id) != (one.filled_qty, one.filled_avg_price):
                    flat.append(one)
        flat.sort(key=lambda o: (_ms(o.filled_at or o.updated_at) or 0, str(o.id)))
        for order in flat:
            self._absorb_one(order)

    def _absorb_one(self, order: Any) -> None:
        oid = str(order.id)
        self._examined[order.id] = (order.filled_qty, order.filled_avg_price)
        filled, average = _dec(order.filled_qty), _dec(order.filled_avg_price)
        before_qty, before_avg = self._seen.get(oid, (Decimal(0), Decimal(0)))
        if filled <= before_qty or average <= 0:
            return
        self._seen[oid] = (filled, average)
        delta = filled - before_qty
        price = (average * filled - before_avg * before_qty) / delta
        side = str(getattr(order.side, "value", order.side)).lower()
        realized = self._apply(delta if side == "buy" else -delta, price)
        self._fills.append(
            FillInfo(
                id=f"{oid}:{filled.normalize()}",
                order_id=oid,
                side=side,
                price=float(price),
                amount=float(delta),
                fee=float(delta * price * self.fee_rate),
                realized_pnl=float(realized),
                timestamp=_ms(order.filled_at or order.updated_at) or 0,
            )
        )

    def _apply(self, trade: Decimal, price: Decimal) -> Decimal:
        """Average-cost accounting of one signed trade; returns the PnL it realizes."""
        q = self.qty
        if q == 0 or (q > 0) == (trade > 0):
            new = q + trade
            self.average = (abs(q) * self.average + abs(trade) * price) / abs(new)
            self.qty = new
            return Decimal(0)
        closing = min(abs(trade), abs(q))
        realized = closing * (price - self.average) * (1 if q > 0 else -1)
        self.qty = q + trade
        if self.qty == 0:
            self.average = Decimal(0)
        elif (self.qty > 0) != (q > 0):  # flipped: the rest opened at this price
            self.average = price
        return realized

    def since(self, since_ms: int) -> list[FillInfo]:
        return [f for f in self._fills if f.timestamp >= since_ms]
