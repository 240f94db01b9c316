"""The spot half of the :class:`~..core.Engine` facade: the verbs an Alpaca wire calls.

Every verb takes the engine's lock, raises :class:`~..errors.EngineError` (``OrderRejected`` for an
order Alpaca would refuse; its ``reason`` tells the wire which code to answer) without changing
anything, or applies its change completely and records it in the ledger. Models returned
(:class:`~.models.SpotOrder`, :class:`~.models.SpotAccount`) are the engine's own: read them, never
change them. Times are epoch milliseconds; amounts Decimals.

Typical wire calls::

    engine.open_spot_account("main", Decimal(100_000))              # or open_account(id, {"USD": ...})
    engine.spot_balance("main")                                      # GET /v2/account
    engine.submit_spot_order("main", SpotOrderRequest(symbol="AAPL", side=Side.BUY, qty=Decimal(1)))
    engine.get_spot_order("main", order_id=...) / (client_order_id=...)
    engine.list_spot_orders("main", SpotOrderQuery(status=OrderQueryStatus.ALL, nested=True))
    engine.replace_spot_order("main", order_id, limit_price=Decimal("101.5"))
    engine.cancel_spot_order("main", order_id) / cancel_all_spot_orders("main")
    engine.spot_positions("main") / spot_position("main", "AAPL")
    engine.close_spot_position("main", "AAPL", percentage=Decimal(50)) / close_all_spot_positions(...)
"""

from __future__ import annotations

import dataclasses
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..decimals import ZERO
from ..errors import EngineError, OrderRejected, Reason
from ..hours import MarketHours
from .instruments import SpotInstrument
from .models import SpotAccount, SpotOrder
from .types import AccountKind, SpotOrderQuery, SpotOrderRequest, SpotTimeInForce
from .views import SpotBalanceView, SpotPositionView

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..state import Books
    from .desk import SpotDesk


class SpotVerbs:
    """Mixed into the engine facade (which provides the lock, the books and the desk)."""

    _lock: threading.RLock
    _books: Books
    _spot: SpotDesk
    ledger: Ledger

    # ------------------------------------------------------------------ instruments and accounts

    @property
    def spot_instruments(self) -> dict[str, SpotInstrument]:
        return self._books.spot_instruments

    def market_hours(self, symbol: str) -> MarketHours:
        """When ``symbol`` trades (the calendar the engine was given for it)."""
        inst = self._books.spot_instruments.get(symbol)
        if inst is None:
            raise EngineError(Reason.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
        return inst.hours

    def open_spot_account(
        self,
        account_id: str,
        cash: Decimal = ZERO,
        *,
        kind: AccountKind | None = None,
        max_multiplier: int | None = None,
        shorting_enabled: bool | None = None,
    ) -> SpotAccount:
        """Create a spot account (idempotent for an existing id) and deposit ``cash`` dollars.

        ``kind`` (cash or margin), ``max_multiplier`` (1, 2, 4) and ``shorting_enabled`` default to
        ``EngineConfig.spot``; the account holder may change the last two (:meth:`configure_spot_account`).
        """
        with self._lock:
            acct = self._spot.open_account(
                account_id, kind=kind, max_multiplier=max_multiplier, shorting_enabled=shorting_enabled
            )
            if cash:
                self._spot.deposit(acct, Decimal(cash))
            return acct

    def configure_spot_account(
        self,
        account_id: str,
        *,
        max_multiplier: int | None = None,
        shorting_enabled: bool | None = None,
        orders_suspended: bool | None = None,
    ) -> SpotAccount:
        """Change what the account holder may change (Alpaca's account configurations); None keeps.

        ``max_multiplier`` 1, 2 or 4 (the ceiling of the effective multiplier); ``shorting_enabled``
        False makes the account long-only; ``orders_suspended`` True refuses every new order. Open
        orders and holdings are left as they are.

        Raises:
            EngineError: ``INVALID_PARAM`` for another multiplier; nothing changed then.
        """
        with self._lock:
            acct = self._spot.account(account_id)
            if max_multiplier is not None and max_multiplier not in (1, 2, 4):
                raise EngineError(
                    Reason.INVALID_PARAM, f"max_multiplier must be 1, 2 or 4, got {max_multiplier}"
                )
            if max_multiplier is not None:
                acct.max_multiplier = max_multiplier
            if shorting_enabled is not None:
                acct.shorting_enabled = shorting_enabled
            if orders_suspended is not None:
                acct.orders_suspended = orders_suspended
            self.ledger.append(
                "account_configured",
                self._books.now,
                account=account_id,
                max_multiplier=acct.max_multiplier,
                shorting_enabled=acct.shorting_enabled,
                orders_suspended=acct.orders_suspended,
            )
            return acct

    def spot_deposit(self, account_id: str, amount: Decimal) -> None:
        with self._lock:
            self._spot.deposit(self._spot.account(account_id), Decimal(amount))

    def is_spot_account(self, account_id: str) -> bool:
        return account_id in self._books.spot_accounts

    def spot_account(self, account_id: str) -> SpotAccount:
        return self._spot.account(account_id)

    def spot_accounts(self) -> list[SpotAccount]:
        return list(self._books.spot_accounts.values())

    def spot_balance(self, account_id: str) -> SpotBalanceView:
        """The account's figures (``GET /v2/account``) at the current prices."""
        with self._lock:
            return self._spot.accounting.balance(self._spot.account(account_id))

    # ------------------------------------------------------------------ orders

    def submit_spot_order(self, account_id: str, req: SpotOrderRequest) -> SpotOrder:
        """Admit and place an order (``POST /v2/orders``); what is marketable fills at once.

        Returns the order (its legs, for a bracket/OTO/OCO, are ``get_spot_order`` of ``order.legs``).

        Raises:
            OrderRejected: Alpaca's refusal (see :mod:`.rules` for the checks and their reasons); it
                is also recorded in the ledger as ``order_rejected``.
        """
        with self._lock:
            acct = self._spot.account(account_id)
            try:
                return self._spot.submit(acct, req)
            except OrderRejected as e:
                self._log_spot_rejection(account_id, req.symbol, req.client_order_id, e, side=req.side)
                raise

    def replace_spot_order(
        self,
        account_id: str,
        order_id: str,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        tif: SpotTimeInForce | None = None,
        client_order_id: str | None = None,
    ) -> SpotOrder:
        """Replace an open order's terms (``PATCH /v2/orders/{id}``): returns the new order."""
        with self._lock:
            acct = self._spot.account(account_id)
            order = self._spot.find(acct, order_id, None)
            try:
                return self._spot.replace(
                    acct,
                    order,
                    qty=qty,
                    limit_price=limit_price,
                    stop_price=stop_price,
                    tif=tif,
                    client_order_id=client_order_id,
                )
            except OrderRejected as e:
                self._log_spot_rejection(account_id, order.symbol, client_order_id, e, replacing=order_id)
                raise

    def cancel_spot_order(
        self, account_id: str, order_id: str | None = None, *, client_order_id: str | None = None
    ) -> SpotOrder:
        """Cancel an open order (``DELETE /v2/orders/{id}``), with the legs that depend on it.

        Raises:
            EngineError: ``ORDER_NOT_FOUND``, or ``ORDER_NOT_CANCELLABLE`` when it is no longer open.
        """
        with self._lock:
            acct = self._spot.account(account_id)
            order = self._spot.find(acct, order_id, client_order_id)
            if not order.is_open:
                raise EngineError(Reason.ORDER_NOT_CANCELLABLE, f"order is already {order.status.value}")
            self._spot.cancel(acct, order, "user")
            return order

    def cancel_all_spot_orders(self, account_id: str) -> list[SpotOrder]:
        """Cancel every open order (``DELETE /v2/orders``): every order ended, legs included."""
        with self._lock:
            return self._spot.cancel_all(self._spot.account(account_id))

    def get_spot_order(
        self, account_id: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> SpotOrder:
        """An order by id or by client order id (every order ever placed is kept)."""
        return self._spot.find(self._spot.account(account_id), order_id, client_order_id)

    def spot_order_legs(self, account_id: str, order: SpotOrder) -> list[SpotOrder]:
        acct = self._spot.account(account_id)
        return [acct.orders[i] for i in order.legs]

    def list_spot_orders(
        self, account_id: str, query: SpotOrderQuery | None = None, **filters: Any
    ) -> list[SpotOrder]:
        """``GET /v2/orders``: the orders ``query`` selects (see :class:`~.types.SpotOrderQuery`);
        ``filters`` are its fields, given one by one (``status=``, ``limit=``, ``after_ms=``, ...)."""
        q = dataclasses.replace(query or SpotOrderQuery(), **filters)
        with self._lock:
            return self._spot.list_orders(self._spot.account(account_id), q)

    # ------------------------------------------------------------------ positions

    def spot_positions(self, account_id: str) -> list[SpotPositionView]:
        """Open positions by symbol (``GET /v2/positions``)."""
        with self._lock:
            acct = self._spot.account(account_id)
            return [
                self._spot.accounting.position_view(acct, acct.positions[s])
                for s in sorted(acct.positions)
                if acct.positions[s].qty != 0
            ]

    def spot_position(self, account_id: str, symbol: str) -> SpotPositionView:
        with self._lock:
            acct = self._spot.account(account_id)
            pos = acct.holding(symbol)
            if pos is None:
                raise EngineError(Reason.NO_POSITION, "position does not exist")
            return self._spot.accounting.position_view(acct, pos)

    def close_spot_position(
        self,
        account_id: str,
        symbol: str,
        *,
        qty: Decimal | None = None,
        percentage: Decimal | None = None,
    ) -> SpotOrder:
        """Close all or part of a position at market (``DELETE /v2/positions/{symbol}``).

        Raises:
            EngineError: ``NO_POSITION``; ``INSUFFICIENT_QTY`` when open orders hold the shares.
        """
        with self._lock:
            acct = self._spot.account(account_id)
            try:
                return self._spot.close_position(acct, symbol, qty=qty, percentage=percentage)
            except OrderRejected as e:
                self._log_spot_rejection(account_id, symbol, None, e, close=True)
                raise

    def close_all_spot_positions(
        self, account_id: str, *, cancel_orders: bool = False
    ) -> list[tuple[str, SpotOrder | EngineError]]:
        """Close every position (``DELETE /v2/positions``), first canceling open orders when asked.

        Returns one ``(symbol, order or the refusal)`` per position, by symbol.
        """
        with self._lock:
            acct = self._spot.account(account_id)
            if cancel_orders:
                self._spot.cancel_all(acct)
            out: list[tuple[str, SpotOrder | EngineError]] = []
            for symbol in sorted(acct.positions):
                if acct.holding(symbol) is None:
                    continue
                try:
                    out.append((symbol, self._spot.close_position(acct, symbol)))
                except EngineError as e:
                    out.append((symbol, e))
            return out

    def _log_spot_rejection(
        self, account_id: str, symbol: str, client_oid: str | None, e: EngineError, **extra: object
    ) -> None:
        self.ledger.append(
            "order_rejected",
            self._books.now,
            account=account_id,
            symbol=symbol,
            reason=e.reason,
            message=e.message,
            client_oid=client_oid,
            **extra,
        )
