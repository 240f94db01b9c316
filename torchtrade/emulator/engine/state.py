"""The books every part of the engine works on: clock, last prices, accounts, ids and indexes.

One :class:`Books` per engine. Matching, accounting, funding and liquidation read and change it; only
the :class:`~.core.Engine` facade is seen from outside, and it holds the lock around every verb.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from .decimals import ZERO
from .errors import EngineError, OrderRejected, Reason
from .instruments import Instrument
from .ledger import Ledger
from .models import Account, Bill, Fill, Order, TriggerOrder
from .spot.instruments import SpotInstrument
from .types import OrderSource, OrderStatus, PositionSide, Side
from .views import EngineConfig

if TYPE_CHECKING:
    from .spot.models import SpotAccount


class BarLike(Protocol):
    t: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


class PriceSource(Protocol):
    """What the engine needs from a replayed series (see :class:`torchtrade.emulator.data.ReplaySeries`)."""

    base_ms: int

    def closed_between(self, after_ms: int, upto_ms: int) -> list[Any]: ...

    def last_price(self, now_ms: int) -> Decimal: ...


class Books:
    """Shared state of one engine.

    Attributes:
        instruments: futures instruments by symbol.
        spot_instruments: spot instruments (stocks, crypto pairs) by symbol.
        now: the engine's present (epoch ms).
        last: last price (close of the last closed bar) by symbol.
        accounts: every futures account by id.
        spot_accounts: every spot account by id (ids are unique across both kinds).
        active: symbol -> ids of accounts with something a bar must look at (a position, a resting
            order, a live trigger, a pending remainder): a bar costs nothing for the others.
        pending: (account, symbol) -> market-order remainders waiting for the next bar.
        bands: (account, symbol) -> the fast-path band of :meth:`~.matching.Matching.band`.
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument | SpotInstrument],
        prices: Mapping[str, PriceSource],
        *,
        start_ms: int,
        config: EngineConfig,
        ledger: Ledger,
        first_id: int,
    ) -> None:
        self.instruments: dict[str, Instrument] = {}
        self.spot_instruments: dict[str, SpotInstrument] = {}
        for sym, inst in instruments.items():
            if isinstance(inst, SpotInstrument):
                self.spot_instruments[sym] = inst
            else:
                self.instruments[sym] = inst
        self.config = config
        self.ledger = ledger
        self.prices = {s: prices[s] for s in instruments}
        self.now = start_ms
        self.last = {s: src.last_price(start_ms) for s, src in self.prices.items()}
        self.accounts: dict[str, Account] = {}
        self.spot_accounts: dict[str, SpotAccount] = {}
        self.active: dict[str, set[str]] = {s: set() for s in instruments}
        self.pending: dict[tuple[str, str], list[Order]] = {}
        self.bands: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = {}
        # Order, fill and trigger ids. A venue never hands out an id twice, not even across a restart:
        # an emulator reset starts the new engine after the last id of the old one (``first_id``).
        self._ids = itertools.count(first_id)
        self.last_id = first_id - 1

    def new_id(self) -> str:
        # 19-digit numeric ids, like the venues' own; deterministic for a given sequence of calls.
        self.last_id = next(self._ids)
        return str(1_200_000_000_000_000_000 + self.last_id)

    def instrument(self, symbol: str, *, rejected: bool = False) -> Instrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            cls = OrderRejected if rejected else EngineError
            raise cls(Reason.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
        return inst

    def account(self, account_id: str) -> Account:
        acct = self.accounts.get(account_id)
        if acct is None:
            if account_id in self.spot_accounts:
                raise EngineError(Reason.NOT_SPOT_ACCOUNT, f"account {account_id!r} is a spot account")
            raise EngineError(Reason.UNKNOWN_ACCOUNT, f"unknown account {account_id!r}")
        return acct

    # ------------------------------------------------------------------ indexes

    @staticmethod
    def live_triggers(acct: Account, symbol: str) -> list[TriggerOrder]:
        return [t for t in acct.live.values() if t.symbol == symbol]

    @staticmethod
    def open_orders_in(acct: Account, symbol: str) -> bool:
        return any(o.symbol == symbol for o in acct.working.values()) or any(
            t.symbol == symbol for t in acct.live.values()
        )

    def touch(self, acct: Account, symbol: str) -> None:
        """Keep the per-symbol index of accounts that a bar must look at."""
        busy = (
            bool(acct.open_positions(symbol))
            or self.open_orders_in(acct, symbol)
            or bool(self.pending.get((acct.id, symbol)))
        )
        if busy:
            self.active[symbol].add(acct.id)
        else:
            self.active[symbol].discard(acct.id)
        self.bands.pop((acct.id, symbol), None)

    def forget_bands(self, account_id: str) -> None:
        for key in [k for k in self.bands if k[0] == account_id]:
            del self.bands[key]

    # ------------------------------------------------------------------ journal

    def bill(
        self,
        acct: Account,
        coin: str,
        kind: str,
        amount: Decimal,
        fee: Decimal,
        symbol: str = "",
        pos_side: PositionSide | None = None,
    ) -> None:
        """Journal one wallet change (already applied): what venues serve as the account's bills."""
        acct.bills.append(
            Bill(
                id=self.new_id(),
                account=acct.id,
                coin=coin,
                kind=kind,
                amount=amount,
                fee=fee,
                balance=acct.wallet.get(coin, ZERO),
                t_ms=self.now,
                symbol=symbol,
                pos_side=pos_side,
            )
        )

    def record_fill(
        self,
        fills: list[Fill],
        *,
        order_id: str,
        client_oid: str,
        account: str,
        symbol: str,
        side: Side,
        price: Decimal,
        qty: Decimal,
        fee: Decimal,
        fee_coin: str,
        maker: bool,
        realized_pnl: Decimal,
        pos_side: PositionSide,
        opened_qty: Decimal,
        closed_qty: Decimal,
        source: OrderSource,
        order_status: OrderStatus | str,
        **extra: Any,
    ) -> Fill:
        """A new fill, appended to ``fills`` and to the ledger (every account kind records fills so)."""
        fill = Fill(
            id=self.new_id(),
            order_id=order_id,
            client_oid=client_oid,
            account=account,
            symbol=symbol,
            side=side,
            price=price,
            qty=qty,
            fee=fee,
            fee_coin=fee_coin,
            maker=maker,
            realized_pnl=realized_pnl,
            pos_side=pos_side,
            opened_qty=opened_qty,
            closed_qty=closed_qty,
            source=source,
            t_ms=self.now,
        )
        fills.append(fill)
        self.ledger.append(
            "fill",
            self.now,
            account=account,
            fill_id=fill.id,
            order_id=order_id,
            client_oid=client_oid,
            symbol=symbol,
            side=side,
            price=price,
            qty=qty,
            fee=fee,
            maker=maker,
            realized_pnl=realized_pnl,
            opened_qty=opened_qty,
            closed_qty=closed_qty,
            source=source,
            order_status=order_status,
            fee_coin=fee_coin,
            **extra,
        )
        return fill
