"""A spot trader over alpaca-py's TradingClient: US stocks (long, short, brackets) and crypto (long).

What it shares with the futures trader (:mod:`torchtrade.envs.live.shared.placement`): a client
order id on every order, reused by every retry; after an ambiguous failure the order is looked up by
that id (``GET /v2/orders:by_client_order_id``) before anything is resent; a venue refusal is a
``rejected`` outcome with Alpaca's code, never an exception in the env's step.

What is Alpaca's:

* **Sizing**: a long entry of a fractionable asset is a *notional* order (dollars, to the cent);
  shorts, bracketed entries and non-fractionable assets trade whole shares; crypto quantities go to
  the pair's ``min_trade_increment``. Never more than the free balance (less a small buffer) nor
  ``max_position_size`` × portfolio value.
* **Shorts**: only stocks Alpaca lists as shortable *and* easy to borrow; anything else is refused
  before sending, with the reason in ``info``. Crypto is long only.
* **Closes** sell (or buy back) exactly the quantity the venue reports, as an order with our client
  id; a partial sell therefore never closes more than it says. Resting orders of the symbol (the
  bracket legs, which hold the shares) are cancelled first, and the position read again.
* **Brackets** (stocks): one ``order_class=bracket`` order, whole shares, ``gtc`` so that the legs
  outlive the session; when one leg fills, the venue cancels the other. Crypto has none: the env
  enforces its levels itself (:attr:`client_brackets`).
* **Market hours**: a market order sent while the market is closed waits for the next open (as on
  Alpaca): the outcome says ``queued`` and the entry is confirmed by the position after the open.
  With ``extended_hours`` every order is a marketable limit order (last close ± ``limit_slippage``)
  with ``extended_hours=True``, which Alpaca requires outside the regular session.
* **Fills** are read from the orders (see :mod:`.fills`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alpaca.common.enums import Sort
from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)

from ....errors import ConfigError, TransientVenueError, VenueError
from ...core.account import (
    FLAT,
    BalanceState,
    FillInfo,
    FundingInfo,
    OrderOutcome,
    OrderState,
    PositionState,
    Side,
)
from ..shared.base_trader import TraderBase
from ..shared.placement import DuplicateClientId, place_once, quietly, submit
from ..shared.retry import Retrier
from ..shared.venue import TradeMode
from .client import AlpacaClients
from .errors import VENUE, is_duplicate_client_id, is_not_found, translate_errors
from .fills import FillBook
from .venue import (
    CRYPTO_BUFFER,
    CRYPTO_SIZE_SLACK,
    CRYPTO_TAKER_FEE,
    MIN_STOCK_NOTIONAL,
    QUEUED,
    STOCK_BUFFER,
    AssetFacts,
    ccxt_status,
    round_notional,
)

logger = logging.getLogger(__name__)

#: orders listed per fills read (newest first): far more than an env places while a position lives
FILLS_LOOKBACK = 100


class AlpacaTrader(TraderBase):
    """Trades one Alpaca symbol (a stock or a crypto pair) for an env.

    Args:
        clients: the env's alpaca-py clients.
        symbol: ``"AAPL"`` or ``"BTC/USD"``.
        retrier: retry policy for transient failures.
        brackets: the env places bracketed entries (stocks: venue brackets; crypto: client-side).
        extended_hours: trade with marketable limit orders flagged ``extended_hours``.
        limit_slippage: how far through the last close such a limit is priced.
        trade_mode / quantity_per_trade: a fixed entry size (None: the env's budget).
        is_open: ``(t_ms) -> bool``, whether the asset's market is open at ``t_ms`` (None: always).
    """

    leverage = 1.0  # a spot account holds no leveraged position (margin shows in margin_ratio)

    def __init__(
        self,
        clients: AlpacaClients,
        symbol: str,
        *,
        retrier: Retrier,
        brackets: bool = False,
        extended_hours: bool = False,
        limit_slippage: float = 0.005,
        trade_mode: TradeMode | None = None,
        quantity_per_trade: float | None = None,
        is_open: Callable[[int], bool] | None = None,
    ) -> None:
        self.clients = clients
        self.trading = clients.trading
        self.symbol = symbol
        self.retrier = retrier
        self.brackets = brackets
        self.extended_hours = extended_hours
        self.limit_slippage = limit_slippage
        self.trade_mode = trade_mode
        self.quantity_per_trade = quantity_per_trade
        self.is_open = is_open
        self.asset: AssetFacts | None = None
        self.market: dict[str, Any] = {"id": symbol}
        self.fills = FillBook(fee_rate=CRYPTO_TAKER_FEE if self.crypto else Decimal(0))
        self._orders_from: int | None = (
            None  # venue ms: orders submitted before the env's start are not its own
        )
        self._qty_text: dict[float, str] = {}
        self._seeded = False  # the venue's own spelling of the last sizes read

    # ------------------------------------------------------------------ plumbing

    @property
    def calls(self) -> int:
        """HTTP requests sent so far (every attempt and every page counts)."""
        return self.clients.requests

    @property
    def crypto(self) -> bool:
        return "/" in self.symbol

    @property
    def attached_brackets(self) -> bool:
        """Stocks: the bracket legs go with the entry (one bracket order); crypto has no venue brackets."""
        return not self.crypto

    @property
    def size_slack(self) -> float:
        """A crypto buy's holding is what filled net of the fee, which Alpaca takes in the coin bought:
        a position read within 1 % of what the env's fills say agrees with them (stocks: exactly)."""
        return CRYPTO_SIZE_SLACK if self.crypto else 0.0

    @property
    def client_brackets(self) -> bool:
        """The env enforces SL/TP itself, on every bar (crypto: Alpaca has no crypto brackets)."""
        return self.crypto

    @contextlib.contextmanager
    def translated(self, op: str, *, order: bool = False) -> Iterator[None]:
        with translate_errors(op, order=order):
            yield

    def _facts(self) -> AssetFacts:
        if self.asset is None:
            raise VenueError(f"{self.symbol}: connect() first", venue=VENUE, op="connect")
        return self.asset

    # ------------------------------------------------------------------ setup

    def connect(self, owner: str) -> AssetFacts:
        """Check the symbol against the venue's assets (one request).

        Raises:
            ConfigError: an unknown, inactive or untradable symbol, or one of another asset class.
            AuthError: the keys are refused.
        """
        try:
            asset = self.call("get_asset", self.trading.get_asset, self.symbol)
        except VenueError as e:
            if isinstance(e, TransientVenueError) or not is_not_found(e):
                raise
            raise ConfigError(f"{owner}.symbol={self.symbol!r}: Alpaca lists no such asset") from e
        facts = AssetFacts.of(asset)
        if facts.crypto != self.crypto:
            kind = "a crypto pair: write it with a slash, e.g. 'BTC/USD'" if facts.crypto else "not crypto"
            raise ConfigError(f"{owner}.symbol={self.symbol!r}: Alpaca says it is {kind}")
        status = str(getattr(asset.status, "value", asset.status)).lower()
        if not asset.tradable or status != "active":
            raise ConfigError(f"{owner}.symbol={self.symbol!r}: not tradable on Alpaca (status {status})")
        self.asset = facts
        return facts

    def fetch_time(self) -> int:
        """The venue's time (``GET /v2/clock``), in epoch ms."""
        clock = self.call("get_clock", self.trading.get_clock)
        return int(clock.timestamp.timestamp() * 1000)

    # ------------------------------------------------------------------ reads

    def position(self) -> PositionState:
        """The venue's position in the symbol (one request); flat when the venue has none (404)."""
        try:
            p = self.call("get_open_position", self.trading.get_open_position, self._facts().position_symbol)
        except VenueError as e:
            if isinstance(e, TransientVenueError) or not is_not_found(e):
                raise
            p = None
        qty = Decimal(str(p.qty)) if p is not None else Decimal(0)
        if not self._seeded:
            # The first read is what the env starts from: the average cost its own fills move.
            self.fills.seed(qty, Decimal(str(p.avg_entry_price or 0)) if p is not None else Decimal(0))
            self._seeded = True
        if p is None or qty == 0:
            return FLAT
        size = float(abs(qty))
        self._qty_text = {size: str(abs(qty))}
        side: Side = "short" if qty < 0 or str(getattr(p.side, "value", p.side)) == "short" else "long"
        return PositionState.single(
            side,
            size,
            entry_price=float(p.avg_entry_price or 0.0),
            mark_price=float(p.current_price or 0.0),
            leverage=self.leverage,
            unrealized_pnl=float(p.unrealized_pl or 0.0),
        )

    def balance(self) -> BalanceState:
        """Equity and what an entry may spend (one request).

        ``free`` is the cash an entry may use without borrowing: the account's cash, within its
        buying power (for crypto, its non-marginable buying power: crypto is never bought on margin).
        A short sale's proceeds raise the cash, not what the env may spend: the buying power bounds it.
        """
        account = self.call("get_account", self.trading.get_account)
        cash = float(account.cash or 0.0)
        power = account.non_marginable_buying_power if self.crypto else account.buying_power
        free = min(cash, float(power or 0.0))
        return BalanceState(total=float(account.equity or 0.0), free=max(free, 0.0))

    def fills_since(self, since_ms: int) -> list[FillInfo]:
        """Fills of the env's orders in the symbol from ``since_ms`` on (one request).

        The orders are listed from the earliest ``since_ms`` ever asked for (the env's start, on the
        venue's clock), newest first: a bracket leg that fills now was submitted with its entry.
        """
        self._orders_from = since_ms if self._orders_from is None else min(self._orders_from, since_ms)
        orders = self.call(
            "get_orders",
            self.trading.get_orders,
            GetOrdersRequest(
                status=QueryOrderStatus.ALL,
                symbols=[self.symbol],
                after=datetime.fromtimestamp((self._orders_from - 1000) / 1000, UTC),
                limit=FILLS_LOOKBACK,
                direction=Sort.DESC,
                nested=True,
            ),
        )
        self.fills.absorb(orders)
        return self.fills.since(since_ms)

    def funding_since(self, since_ms: int) -> list[FundingInfo]:
        """Spot pays no funding (the env never asks: its funding interval never comes)."""
        return []

    def order_state(self, order_id: str) -> OrderState:
        """How much of an order has filled, and whether it is still working (one request)."""
        order = self.call("get_order_by_id", self.trading.get_order_by_id, order_id)
        filled = float(order.filled_qty or 0.0)
        status = ccxt_status(order.status)
        amount = float(order.qty) if order.qty is not None else filled  # a notional order: what filled
        return OrderState(
            order_id=str(order.id),
            status=status,
            amount=amount,
            filled=filled,
            average=float(order.filled_avg_price or 0.0) or None,
        )

    def _cancel(self, order_id: str) -> None:
        self.call("cancel_order_by_id", self.trading.cancel_order_by_id, order_id)

    def find_order(self, client_oid: str) -> Any | None:
        """The order with this client id, or None if the venue has none (retried while transient)."""
        try:
            return self.call("get_order_by_client_id", self.trading.get_order_by_client_id, client_oid)
        except VenueError as e:
            if isinstance(e, TransientVenueError) or not is_not_found(e):
                raise
            return None

    def open_brackets(self) -> list[dict[str, Any]]:
        """Resting orders of the symbol (stocks: bracket legs; one request). Crypto has none to ask for."""
        if self.crypto:
            return []
        return [{"id": str(o.id), "type": str(o.type)} for o in self._open_orders()]

    def _open_orders(self) -> list[Any]:
        request = GetOrdersRequest(status=QueryOrderStatus.OPEN, symbols=[self.symbol], nested=False)
        return list(self.call("get_orders", self.trading.get_orders, request))

    def cancel_brackets(self) -> None:
        """Cancel the symbol's resting orders (Alpaca's own cancel-all would cancel every symbol's)."""
        if self.crypto:
            return
        for order in self._open_orders():
            self.cancel_order(str(order.id))

    def open_orders(self) -> list[dict[str, Any]]:
        """Every open order of the symbol, stock or crypto (one request): ``{"id", "type", "book"}``."""
        return [
            {"id": str(o.id), "type": str(getattr(o.type, "value", o.type)), "book": "orders"}
            for o in self._open_orders()
        ]

    def cancel_all(self) -> list[dict[str, Any]]:
        """Cancel every open order of the symbol, bracket legs included (a kill, ``torchtrade
        flatten``); returns those that were open. Alpaca's own cancel-all would cancel every symbol's."""
        orders = self.open_orders()
        for order in orders:
            self.cancel_order(order["id"])
        return orders

    # ------------------------------------------------------------------ sizing

    def _buffer(self) -> float:
        return CRYPTO_BUFFER if self.crypto else STOCK_BUFFER

    def size(
        self,
        side: Side,
        price: float,
        free_balance: float | None,
        *,
        amount: float | None = None,
        max_value: float | None = None,
        whole: bool = False,
        notes: dict[str, Any] | None = None,
    ) -> tuple[Decimal | None, Decimal | None, str | None]:
        """``(qty, notional, None)`` of an entry (one of the two set), or ``(None, None, reason)``.

        A long entry of a fractionable asset is sized in dollars (notional), unless ``whole`` shares
        are needed (brackets) or ``amount`` (coins or shares: a partial fill's rest) is given.
        """
        facts = self._facts()
        notes = notes if notes is not None else {}
        # What an entry may spend: the free balance, less room for the price moving to the fill
        # (and crypto's fee).
        affordable = free_balance * (1 - self._buffer()) if free_balance is not None else None
        value: float | None = None
        qty: float | None = amount
        if qty is None:
            if self.quantity_per_trade is not None and self.trade_mode is TradeMode.QUANTITY:
                qty = self.quantity_per_trade
            elif self.quantity_per_trade is not None:
                value = self.quantity_per_trade
            else:
                value = affordable if affordable is not None else 0.0  # the env's whole budget
        wanted = value if value is not None else (qty or 0.0) * price
        limit = None
        if max_value is not None and wanted > max_value:
            notes["capped"] = {"by": "max_position_size", "wanted": wanted, "max_value": max_value}
            limit = max_value
        if affordable is not None and wanted > affordable and (limit is None or affordable < limit):
            notes["capped"] = {"by": "free_balance", "wanted": wanted, "free_balance": free_balance}
            limit = affordable
        if limit is not None:
            logger.info("entry of %s cut to a value of %.2f (%s)", self.symbol, limit, notes["capped"]["by"])
            value, qty = (limit, None) if value is not None else (None, limit / price)
        whole = whole or not facts.fractionable or side == "short"
        if value is not None and not whole and amount is None:
            notional = round_notional(value)
            return self._check(None, notional, price)
        raw = qty if qty is not None else (value or 0.0) / price
        return self._check(facts.round_qty(raw, whole=whole), None, price)

    def _check(
        self, qty: Decimal | None, notional: Decimal | None, price: float
    ) -> tuple[Decimal | None, Decimal | None, str | None]:
        facts = self._facts()
        value = notional if notional is not None else (qty or Decimal(0)) * Decimal(repr(price))
        if (qty is not None and qty <= 0) or (notional is not None and notional <= 0):
            return None, None, "the entry rounds down to nothing at the asset's precision"
        if not facts.crypto and qty is not None and qty % 1 and value < MIN_STOCK_NOTIONAL:
            return None, None, f"a fractional order of ${value:.2f} is below Alpaca's ${MIN_STOCK_NOTIONAL}"
        if not facts.crypto and notional is not None and notional < MIN_STOCK_NOTIONAL:
            return None, None, f"a notional order of ${notional} is below Alpaca's ${MIN_STOCK_NOTIONAL}"
        if facts.crypto and facts.min_order_size is not None:
            coins = qty if qty is not None else Decimal(repr(float(notional or 0) / price))
            if coins < facts.min_order_size:
                return (
                    None,
                    None,
                    f"{coins:f} {self.symbol} is below the pair's minimum {facts.min_order_size}",
                )
        return qty, notional, None

    # ------------------------------------------------------------------ orders

    def open(
        self,
        side: str,
        price: float,
        *,
        client_oid: str,
        free_balance: float | None = None,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        amount: float | None = None,
        max_value: float | None = None,
    ) -> OrderOutcome:
        """Open (or add to) a position at market: ``notional`` or ``qty``, with a bracket when SL/TP
        are given (stocks). Refusals before sending (shorts, minimums) are ``rejected`` outcomes with
        ``code="precheck"`` (or ``"not_shortable"``) and the reason."""
        action = f"open_{side}"
        facts = self._facts()
        if side == "short" and not (facts.shortable and facts.easy_to_borrow):
            reason = (
                f"{self.symbol} is crypto, which Alpaca does not sell short"
                if facts.crypto
                else f"{self.symbol} cannot be sold short on Alpaca (shortable={facts.shortable}, "
                f"easy_to_borrow={facts.easy_to_borrow})"
            )
            logger.warning("not sending %s %s (%s): %s", action, self.symbol, client_oid, reason)
            return OrderOutcome(client_oid, action, "rejected", reason=reason, code="not_shortable")
        bracket = stop_loss is not None and take_profit is not None and not facts.crypto
        notes: dict[str, Any] = {}
        qty, notional, reason = self.size(
            side,  # type: ignore[arg-type]
            price,
            free_balance,
            amount=amount,
            max_value=max_value,
            whole=bracket,
            notes=notes,
        )
        if reason is not None:
            logger.warning("not sending %s %s (%s): %s", action, self.symbol, client_oid, reason)
            return OrderOutcome(client_oid, action, "rejected", reason=reason, code="precheck", extra=notes)
        order_side = OrderSide.BUY if side == "long" else OrderSide.SELL
        fields: dict[str, Any] = {"qty": float(qty)} if qty is not None else {"notional": float(notional)}  # type: ignore[arg-type]
        if bracket:
            fields.update(
                order_class=OrderClass.BRACKET,
                time_in_force=TimeInForce.GTC,  # the legs must outlive the session
                take_profit=TakeProfitRequest(limit_price=float(facts.round_price(take_profit))),  # type: ignore[arg-type]
                stop_loss=StopLossRequest(stop_price=float(facts.round_price(stop_loss))),  # type: ignore[arg-type]
            )
            notes.update(
                stopLoss=fields["stop_loss"].stop_price, takeProfit=fields["take_profit"].limit_price
            )
        estimate = float(qty) if qty is not None else float(notional) / price  # type: ignore[arg-type]
        outcome = self._send(action, order_side, price, fields, client_oid, amount=estimate)
        outcome.extra.update(notes)
        if notional is not None:
            outcome.extra["notional"] = float(notional)
        return outcome

    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome:
        """Sell (or buy back) exactly what the venue holds, never more: a partial sell stays partial.

        Resting orders of the symbol (bracket legs hold the shares) are cancelled first and the
        position read again, so that the close never sells what a leg has just sold (which would
        open a short). Nothing held: ``skipped``.
        """
        if not position.is_open:
            return OrderOutcome(client_oid, "close", "skipped", reason="No position to close")
        if self.brackets and not self.crypto and self._open_orders_cancelled():
            position = self.position()
            if not position.is_open:
                return OrderOutcome(client_oid, "close", "skipped", reason="No position to close")
        leg = position.main
        assert leg is not None
        order_side = OrderSide.SELL if leg.side == "long" else OrderSide.BUY
        qty = self._qty_text.get(leg.size) or format(Decimal(repr(leg.size)), "f")
        return self._send(
            "close", order_side, leg.mark_price or leg.entry_price, {"qty": qty}, client_oid, amount=leg.size
        )

    def _open_orders_cancelled(self) -> bool:
        orders = self._open_orders()
        for order in orders:
            self.cancel_order(str(order.id))
        return bool(orders)

    def place_bracket(self, kind: str, side: Side, trigger_price: float, *, client_oid: str) -> OrderOutcome:
        raise NotImplementedError("Alpaca brackets go with the entry (stocks) or are the env's (crypto)")

    def _request(self, side: OrderSide, price: float, fields: dict[str, Any], client_oid: str) -> Any:
        """The order request: market, or a marketable limit flagged ``extended_hours``."""
        tif = TimeInForce.GTC if self.crypto else TimeInForce.DAY  # crypto takes only gtc and ioc
        common = {"symbol": self.symbol, "side": side, "client_order_id": client_oid, "time_in_force": tif}
        common.update(fields)
        if self.extended_hours and not self.crypto and "order_class" not in fields:
            through = 1 + self.limit_slippage if side is OrderSide.BUY else 1 - self.limit_slippage
            limit = float(self._facts().round_price(price * through))
            return LimitOrderRequest(limit_price=limit, extended_hours=True, **common)
        return MarketOrderRequest(**common)

    def _send(
        self,
        action: str,
        side: OrderSide,
        price: float,
        fields: dict[str, Any],
        client_oid: str,
        *,
        amount: float,
    ) -> OrderOutcome:
        request = self._request(side, price, fields, client_oid)

        def attempt() -> Any:
            try:
                with translate_errors("submit_order", order=True):
                    return self.trading.submit_order(request)
            except VenueError as e:
                cause = e.__cause__
                if cause is not None and hasattr(cause, "status_code") and is_duplicate_client_id(cause):  # type: ignore[arg-type]
                    raise DuplicateClientId(str(e)) from e
                raise

        placed: list[Any] = []
        size = fields.get("qty") or f"${fields.get('notional')}"

        def place() -> Any:
            order = place_once(
                self.retrier, attempt, lambda: self.find_order(client_oid), client_oid=client_oid, venue=VENUE
            )
            placed.append(order)
            return order

        outcome = submit(
            place,
            lambda: quietly(lambda: self.find_order(client_oid)),
            lambda order: str(order.id),
            client_oid=client_oid,
            action=action,
            amount=amount,
            describe=f"{action} {side.value} {size} {self.symbol}",
            venue=VENUE,
        )
        order = placed[-1] if placed else None
        if outcome.accepted and order is not None and ccxt_status(order.status) == "closed":
            # Filled already (the venue answered the order filled): what it bought is known, so the
            # fills need not be compared with an estimate (a dollar amount's quantity).
            outcome.amount = float(order.filled_qty or outcome.amount)
        if outcome.accepted and order is not None and self._queued(order):
            logger.info("%s %s: the market is closed; the order waits for the next open", action, client_oid)
            outcome.extra["queued"] = True
        return outcome

    def _queued(self, order: Any) -> bool:
        """The venue holds the order for the next open: taken, nothing filled, sent while closed."""
        status = str(getattr(order.status, "value", order.status)).lower()
        if self.is_open is None or status not in QUEUED or float(order.filled_qty or 0) > 0:
            return False
        submitted = order.submitted_at or order.created_at
        return submitted is not None and not self.is_open(int(submitted.timestamp() * 1000))
