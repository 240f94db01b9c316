"""The engine facade: one for every venue the emulator speaks.

Pure Python, deterministic, no I/O. Time only moves through :meth:`Engine.advance_to`, which replays
every base bar that closed since the last call: resting limit orders, trigger orders (plan orders and
position TP/SL), liquidations and funding are all evaluated there, bar by bar, in time order.

Every verb either raises :class:`~.errors.EngineError` without changing anything, or applies its change
completely and appends it to the :class:`~.ledger.Ledger`.

The work is done by one part per concern, over shared :class:`~.state.Books`:

* :mod:`.matching`: the order lifecycle and the evaluation of resting orders along a bar's path
  (:mod:`.intrabar`), shared by every account kind;
* :mod:`.futures` (accounting of futures margin accounts) and :mod:`.futures_orders` (admission and
  execution of futures orders and triggers);
* :mod:`.funding`, :mod:`.liquidation` (with the formulas of :mod:`.margin`);
* :mod:`.spot`: spot accounts (Alpaca's cash and margin accounts, stocks and crypto) on the same
  matching; its verbs are :class:`~.spot.verbs.SpotVerbs`, mixed into the facade;
* :mod:`.ledger`, the record of every change; :mod:`.pricing`, fill prices.

The facade holds the lock; a venue wire calls only its public methods and reads the models it returns.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from .decimals import ZERO
from .errors import EngineError, OrderRejected, Reason
from .funding import Funding
from .futures import FuturesAccounting
from .futures_orders import FuturesOrders
from .hours import ALWAYS_OPEN, MarketHours
from .instruments import Instrument
from .ledger import Ledger
from .liquidation import Liquidation
from .matching import Matching
from .models import Account, Order, Position, SymbolSettings, TriggerOrder
from .spot.desk import SpotDesk
from .spot.instruments import SpotInstrument
from .spot.models import SpotAccount
from .spot.session import SpotSession
from .spot.verbs import SpotVerbs
from .state import BarLike, Books, PriceSource
from .types import (
    MarginMode,
    OrderRequest,
    PositionMode,
    PositionSide,
    TriggerKind,
    TriggerRequest,
    TriggerStatus,
)
from .views import BalanceView, EngineConfig, Funds, PositionView

__all__ = ["BalanceView", "BarLike", "Engine", "EngineConfig", "PositionView", "PriceSource"]

F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: Engine, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _with_hours(
    instruments: Mapping[str, Instrument | SpotInstrument],
    prices: Mapping[str, PriceSource],
    hours: Mapping[str, MarketHours],
) -> dict[str, Instrument | SpotInstrument]:
    """Spot instruments with their market hours: given here first, else the instrument's own, else
    (an instrument left at ALWAYS_OPEN) the hours its replayed series keeps (``ReplaySeries.hours``),
    so the engine and the data agree on when the market trades."""
    out: dict[str, Instrument | SpotInstrument] = {}
    for sym, inst in instruments.items():
        if isinstance(inst, SpotInstrument):
            chosen = hours.get(sym)
            if chosen is None and inst.hours is ALWAYS_OPEN:
                chosen = getattr(prices.get(sym), "hours", None)
            if chosen is not None and chosen is not inst.hours:
                inst = dataclasses.replace(inst, hours=chosen)
        out[sym] = inst
    return out


class Engine(SpotVerbs):
    """Venue-neutral matching and margin engine over replayed candles.

    Args:
        instruments: tradable instruments by symbol id: futures :class:`~.instruments.Instrument`
            and spot :class:`~.spot.instruments.SpotInstrument` (an engine usually holds one kind).
        prices: a price source (replayed candles) for every instrument.
        hours: market hours per spot symbol, replacing the instrument's own (see :func:`_with_hours`).
        start_ms: the engine's present when created; bars closed at that instant are history.
        config: simulation knobs.
        ledger: where every state change is recorded (a new one if omitted).
        first_id: the first order/fill id handed out (an emulator reset continues after the last).
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        prices: Mapping[str, PriceSource],
        *,
        start_ms: int,
        config: EngineConfig | None = None,
        ledger: Ledger | None = None,
        first_id: int = 1,
        hours: Mapping[str, MarketHours] | None = None,
    ) -> None:
        missing = set(instruments) - set(prices)
        if missing:
            raise ValueError(f"no price source for instruments {sorted(missing)}")
        self.config = config or EngineConfig()
        self.ledger = ledger if ledger is not None else Ledger()
        self._lock = threading.RLock()
        instruments = _with_hours(instruments, prices, hours or {})
        books = self._books = Books(
            instruments, prices, start_ms=start_ms, config=self.config, ledger=self.ledger, first_id=first_id
        )
        #: Every instrument by symbol (futures and spot); ``spot_instruments`` holds the spot ones.
        self.instruments: dict[str, Instrument | SpotInstrument] = {
            **books.instruments,
            **books.spot_instruments,
        }
        self._matching = Matching(books)
        self._futures = FuturesAccounting(books, self._matching)
        self._liquidation = Liquidation(books, self._matching, self._futures)
        self._futures.liquidation = self._liquidation
        self._orders = FuturesOrders(books, self._matching, self._futures, self._liquidation)
        self._funding = Funding(books, self._liquidation)
        self._spot = SpotDesk(books, self.config.spot)
        self._spot_session = SpotSession(self._spot)

    # ------------------------------------------------------------------ clock and prices

    @property
    def now_ms(self) -> int:
        return self._books.now

    @property
    def last_id(self) -> int:
        """The last id handed out (orders, fills, positions, bills share one sequence)."""
        return self._books.last_id

    def _any_instrument(self, symbol: str) -> Instrument | SpotInstrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            raise EngineError(Reason.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
        return inst

    def last_price(self, symbol: str) -> Decimal:
        return self._books.last[self._any_instrument(symbol).symbol]

    def book(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Synthetic best bid and ask around the last price."""
        inst = self._any_instrument(symbol)
        return self.config.price_model.book(inst, self._books.last[inst.symbol])  # type: ignore[arg-type]

    def funding_rate(self, symbol: str) -> Decimal:
        return self._funding.rate(symbol)

    def next_funding_ms(self, symbol: str) -> int:
        return self._funding.next_ms(symbol)

    @_locked
    def advance_to(self, t_ms: int) -> None:
        """Replay every base bar that closes in ``(now, t_ms]`` and settle funding due in that span.

        Bars of different symbols are processed in order of close time (then symbol), and funding at
        instant F after every bar closing at or before F. Fills that happen inside a bar are stamped with
        the bar's close time: the moment the venue could have known them.
        """
        books = self._books
        if t_ms <= books.now:
            return
        bars: list[tuple[int, str, BarLike]] = []
        for sym, src in books.prices.items():
            base = src.base_ms
            bars.extend((bar.t + base, sym, bar) for bar in src.closed_between(books.now, t_ms))
        if len(books.prices) > 1:
            bars.sort(key=lambda item: (item[0], item[1]))
        for close_ms, sym, bar in bars:
            self._funding.settle_due(close_ms, inclusive=False)
            self._spot_session.until(bar.t)
            books.now = close_ms
            self._on_bar(sym, bar)
        self._funding.settle_due(t_ms, inclusive=True)
        self._spot_session.until(t_ms)
        books.now = t_ms

    def _on_bar(self, symbol: str, bar: BarLike) -> None:
        books = self._books
        if symbol in books.spot_instruments:
            # Spot orders are evaluated against the previous close (no look-ahead), then it moves.
            self._spot_session.on_bar(symbol, bar)
            books.last[symbol] = bar.close
            return
        books.last[symbol] = bar.close
        active = books.active[symbol]
        if not active:
            return
        for account_id in sorted(active):
            self._orders.process_bar(books.accounts[account_id], symbol, bar)

    # ------------------------------------------------------------------ accounts and settings

    @_locked
    def open_account(
        self, account_id: str, balances: Mapping[str, Decimal] | None = None
    ) -> Account | SpotAccount:
        """Create an account (idempotent for an existing id) and deposit ``balances``.

        On an engine of spot instruments only, this opens a spot account (``EngineConfig.spot``
        decides its kind) with the cash of ``balances[spot.quote]``; see :meth:`open_spot_account`.
        """
        books = self._books
        if books.spot_instruments and not books.instruments:
            quote = self.config.spot.quote
            unknown = set(balances or {}) - {quote}
            if unknown:
                raise EngineError(
                    Reason.INVALID_PARAM, f"a spot account holds {quote} only, not {sorted(unknown)}"
                )
            return self.open_spot_account(account_id, Decimal((balances or {}).get(quote, ZERO)))
        if account_id in books.spot_accounts:
            raise EngineError(Reason.NOT_SPOT_ACCOUNT, f"account {account_id!r} is a spot account")
        acct = books.accounts.get(account_id)
        if acct is None:
            acct = Account(id=account_id, position_mode=self.config.default_position_mode)
            books.accounts[account_id] = acct
            self.ledger.append("account", books.now, account=account_id, position_mode=acct.position_mode)
        for coin, amount in (balances or {}).items():
            self.deposit(account_id, coin, amount)
        return acct

    @_locked
    def deposit(self, account_id: str, coin: str, amount: Decimal) -> None:
        if account_id in self._books.spot_accounts:
            self.spot_deposit(account_id, amount)
            return
        acct = self.account(account_id)
        amount = Decimal(amount)
        acct.wallet[coin] = acct.wallet.get(coin, ZERO) + amount
        acct.deposits[coin] = acct.deposits.get(coin, ZERO) + amount
        self._books.bill(acct, coin, "deposit", amount, ZERO)
        self.ledger.append("deposit", self._books.now, account=account_id, coin=coin, amount=amount)
        self._liquidation.refresh(acct)

    def account(self, account_id: str) -> Account:
        return self._books.account(account_id)

    def accounts(self) -> list[Account]:
        return list(self._books.accounts.values())

    def settings(self, account_id: str, symbol: str) -> SymbolSettings:
        acct = self.account(account_id)
        return self._futures.settings(acct, self._books.instrument(symbol))

    @_locked
    def set_leverage(
        self, account_id: str, symbol: str, leverage: int, pos_side: PositionSide | None = None
    ) -> SymbolSettings:
        """Set the leverage of a symbol (one side, or both when ``pos_side`` is None).

        An open isolated position is re-margined to ``entry value / leverage``: raising the leverage
        frees margin, lowering it takes margin from the available balance (rejected if not enough).
        """
        acct = self.account(account_id)
        return self._futures.set_leverage(acct, self._books.instrument(symbol), leverage, pos_side)

    @_locked
    def set_margin_mode(self, account_id: str, symbol: str, mode: MarginMode) -> SymbolSettings:
        """Switch a symbol between isolated and crossed; refused with an open position or order."""
        acct = self.account(account_id)
        return self._futures.set_margin_mode(acct, self._books.instrument(symbol), mode)

    @_locked
    def set_position_mode(self, account_id: str, mode: PositionMode) -> None:
        """One-way or hedge for the whole account; refused with any open position or order."""
        self._futures.set_position_mode(self.account(account_id), mode)

    # ------------------------------------------------------------------ orders

    @_locked
    def place_order(self, account_id: str, req: OrderRequest) -> Order:
        """Validate and place a normal order; market and marketable limit orders fill at once.

        Raises:
            OrderRejected: with the reason a venue would give; the rejection is also in the ledger.
        """
        acct = self.account(account_id)
        try:
            return self._orders.place_order(acct, req)
        except OrderRejected as e:
            self._matching.log_rejection(
                "order_rejected",
                account_id,
                req.symbol,
                req.client_oid,
                e,
                side=req.side,
                qty=req.qty,
                type=req.type,
            )
            raise

    @_locked
    def cancel_order(
        self, account_id: str, *, order_id: str | None = None, client_oid: str | None = None
    ) -> Order:
        acct = self.account(account_id)
        order = self._matching.find(acct, order_id, client_oid)
        if not isinstance(order, Order):
            raise EngineError(Reason.ORDER_NOT_FOUND, "order not found")
        if not order.status.is_open:
            raise EngineError(Reason.ORDER_NOT_CANCELLABLE, f"order {order.id} is {order.status.value}")
        self._matching.cancel(acct, order, "user")
        self._books.touch(acct, order.symbol)
        return order

    @_locked
    def cancel_all_orders(self, account_id: str, symbol: str | None = None) -> list[Order]:
        acct = self.account(account_id)
        done = [o for o in list(acct.working.values()) if symbol is None or o.symbol == symbol]
        for order in done:
            self._matching.cancel(acct, order, "user")
            self._books.touch(acct, order.symbol)
        return done

    @_locked
    def close_positions(
        self, account_id: str, symbol: str, pos_side: PositionSide | None = None
    ) -> list[Order]:
        """Close a symbol's position(s) at market (the venues' "close position" verb)."""
        acct = self.account(account_id)
        return self._orders.close_positions(acct, self._books.instrument(symbol), pos_side)

    # ------------------------------------------------------------------ trigger orders

    @_locked
    def place_trigger(self, account_id: str, req: TriggerRequest) -> TriggerOrder:
        """Place a plan order or a position TP/SL. Position kinds need an open position."""
        acct = self.account(account_id)
        try:
            return self._orders.place_trigger(acct, req)
        except OrderRejected as e:
            self._matching.log_rejection(
                "trigger_rejected", account_id, req.symbol, req.client_oid, e, trigger_kind=req.kind
            )
            raise

    @_locked
    def cancel_trigger(
        self, account_id: str, *, trigger_id: str | None = None, client_oid: str | None = None
    ) -> TriggerOrder:
        acct = self.account(account_id)
        trig = self._matching.find(acct, trigger_id, client_oid)
        if not isinstance(trig, TriggerOrder):
            raise EngineError(Reason.ORDER_NOT_FOUND, "trigger order not found")
        if trig.status is not TriggerStatus.LIVE:
            raise EngineError(Reason.ORDER_NOT_CANCELLABLE, f"trigger order {trig.id} is {trig.status.value}")
        self._matching.cancel_trigger(acct, trig, "user")
        self._books.touch(acct, trig.symbol)
        return trig

    @_locked
    def cancel_all_triggers(
        self, account_id: str, symbol: str | None = None, kinds: Iterable[TriggerKind] | None = None
    ) -> list[TriggerOrder]:
        acct = self.account(account_id)
        kinds = set(kinds) if kinds is not None else None
        done = [
            t
            for t in list(acct.live.values())
            if (symbol is None or t.symbol == symbol) and (kinds is None or t.kind in kinds)
        ]
        for t in done:
            self._matching.cancel_trigger(acct, t, "user")
            self._books.touch(acct, t.symbol)
        return done

    # ------------------------------------------------------------------ queries

    def find_order(
        self, account_id: str, *, order_id: str | None = None, client_oid: str | None = None
    ) -> Order | TriggerOrder:
        """An order or trigger order by venue id or client id (every order ever placed is kept)."""
        return self._matching.find(self.account(account_id), order_id, client_oid)

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[Order]:
        acct = self.account(account_id)
        return [o for o in acct.working.values() if symbol is None or o.symbol == symbol]

    def live_triggers(self, account_id: str, symbol: str | None = None) -> list[TriggerOrder]:
        acct = self.account(account_id)
        return [t for t in acct.live.values() if symbol is None or t.symbol == symbol]

    def positions(self, account_id: str, symbol: str | None = None) -> list[PositionView]:
        acct = self.account(account_id)
        return [self._futures.position_view(acct, pos) for pos in acct.open_positions(symbol)]

    def position_view(self, acct: Account, pos: Position) -> PositionView:
        return self._futures.position_view(acct, pos)

    def balance(self, account_id: str, coin: str) -> BalanceView:
        return self._futures.balance(self.account(account_id), coin)

    def funds(self, account_id: str, coin: str) -> Funds:
        """The balance's equity and available margin only (what an account read needs)."""
        return self._futures.funds(self.account(account_id), coin)
