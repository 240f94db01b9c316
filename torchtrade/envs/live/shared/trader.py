"""A futures trader over ccxt, shared by every ccxt venue: orders, brackets, modes, reads.

Reliability is part of every call, not an add-on:

* every order carries a client order id chosen by the caller (derived from env, episode, step and leg,
  so a retry reuses it);
* a transient failure while placing an order (timeout, reset, 5xx, 429) is *ambiguous*: the order may
  have landed. Before resending, the order is looked up by its client id; a resend that the venue
  refuses as a duplicate id is resolved the same way. So an intended order is placed once;
* transient failures are retried with exponential backoff and jitter, 429s after the venue's hint;
* a venue refusal (margin, minimum size, precision...) is returned as a ``rejected`` outcome with the
  venue's code, logged at WARNING; nothing raises into the env's step;
* amounts are rounded down to the market's precision, checked against its minimum amount and minimum
  order value, and never exceed what the free balance can margin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import ccxt

from ....errors import ConfigError, OrderRejected, TransientVenueError, VenueError
from ...core.account import FLAT, BalanceState, FillInfo, OrderOutcome, PositionState, Side
from .errors import translate_errors, venue_code
from .retry import Retrier
from .venue import MarginMode, PositionMode, TradeMode, VenueProfile

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Room left for the taker fee (both ways) when sizing an order against the free balance.
FEE_BUFFER = 0.002


class _DuplicateClientId(Exception):
    pass


class FuturesTrader:
    """Trades one linear perpetual on a ccxt venue.

    Args:
        exchange: a configured ccxt exchange (keys, sandbox mode, URLs).
        profile: the venue's facts.
        symbol: ccxt unified symbol (``"BTC/USDT:USDT"``).
        leverage: leverage set once at :meth:`configure`.
        margin_mode / position_mode: account settings set at :meth:`configure`.
        trade_mode / quantity_per_trade: how much each entry trades (see :class:`TradeMode`).
        retrier: retry policy for transient failures.
    """

    def __init__(
        self,
        exchange: ccxt.Exchange,
        profile: VenueProfile,
        symbol: str,
        *,
        leverage: int,
        margin_mode: MarginMode,
        position_mode: PositionMode,
        trade_mode: TradeMode,
        quantity_per_trade: float,
        retrier: Retrier,
    ) -> None:
        self.exchange = exchange
        self.profile = profile
        self.symbol = symbol
        self.leverage = leverage
        self.margin_mode = margin_mode
        self.position_mode = position_mode
        self.trade_mode = trade_mode
        self.quantity_per_trade = quantity_per_trade
        self.retrier = retrier
        self.calls = 0  # venue requests made (every attempt counts)
        self.market: dict[str, Any] = {}

    # ------------------------------------------------------------------ plumbing

    def call(self, op: str, fn: Callable[..., T], *args: Any, order: bool = False, **kwargs: Any) -> T:
        """One venue call, translated to torchtrade errors and retried while transient."""

        def attempt() -> T:
            self.calls += 1
            with translate_errors(self.exchange, self.profile.name, op, order=order):
                return fn(*args, **kwargs)

        return self.retrier.run(attempt)

    @property
    def retries(self) -> int:
        return self.retrier.retries

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[list[float]]:
        return self.call(
            "fetch_ohlcv", self.exchange.fetch_ohlcv, symbol, timeframe, since, limit, params or {}
        )

    def fetch_time(self) -> int:
        return int(self.call("fetch_time", self.exchange.fetch_time))

    # ------------------------------------------------------------------ setup

    def connect(self, owner: str) -> dict[str, Any]:
        """Load the markets and check the symbol and leverage against the venue's market info."""
        self.call("load_markets", self.exchange.load_markets)
        market = self.exchange.markets.get(self.symbol)
        if market is None:
            raise ConfigError(
                f"{owner}.symbol={self.symbol!r}: not listed by {self.profile.name} "
                f"({len(self.exchange.markets)} markets loaded)"
            )
        if not (market.get("swap") or market.get("future")):
            raise ConfigError(f"{owner}.symbol={self.symbol!r}: not a futures market")
        limits = market.get("limits", {}).get("leverage", {})
        low, high = limits.get("min") or 1, limits.get("max")
        if high is not None and not low <= self.leverage <= high:
            raise ConfigError(f"{owner}.leverage={self.leverage!r}: {self.symbol} allows {low:g}..{high:g}")
        self.market = market
        return market

    def configure(self) -> None:
        """Set position mode, margin mode and leverage once. A venue that refuses because a position is
        open in another mode is logged; the env then trades in the venue's current settings."""
        steps: list[tuple[str, Callable[[], Any]]] = [
            (
                "set_position_mode",
                lambda: self.exchange.set_position_mode(
                    self.position_mode is PositionMode.HEDGE, self.symbol
                ),
            ),
            ("set_margin_mode", lambda: self.exchange.set_margin_mode(self.margin_mode.ccxt, self.symbol)),
        ]
        steps += [("set_leverage", fn) for fn in self._leverage_calls()]
        for op, fn in steps:
            try:
                self.call(op, fn)
            except VenueError as e:
                if isinstance(e, TransientVenueError):
                    raise
                logger.warning("%s refused by %s (code %s): %s", op, self.profile.name, e.code, e)

    def _leverage_calls(self) -> list[Callable[[], Any]]:
        return [lambda: self.exchange.set_leverage(self.leverage, self.symbol)]

    # ------------------------------------------------------------------ reads

    def position(self) -> PositionState:
        """The venue's net position in the symbol (one request)."""
        rows = self.call("fetch_positions", self.exchange.fetch_positions, [self.symbol])
        open_rows = [p for p in rows if p.get("symbol") == self.symbol and (p.get("contracts") or 0) > 0]
        if not open_rows:
            return FLAT
        if len(open_rows) > 1:
            logger.warning(
                "%s holds both a long and a short in %s; the env sees the net position",
                self.profile.name,
                self.symbol,
            )
        signed = sum(p["contracts"] * (1 if p["side"] == "long" else -1) for p in open_rows)
        main = max(open_rows, key=lambda p: p["contracts"])
        if signed == 0:
            return FLAT
        return PositionState(
            side="long" if signed > 0 else "short",
            size=abs(float(signed)),
            entry_price=float(main.get("entryPrice") or 0.0),
            mark_price=float(main.get("markPrice") or 0.0),
            leverage=float(main.get("leverage") or self.leverage),
            liquidation_price=float(main.get("liquidationPrice") or 0.0),
            unrealized_pnl=float(sum(p.get("unrealizedPnl") or 0.0 for p in open_rows)),
            margin_mode=main.get("marginMode"),
        )

    def balance(self) -> BalanceState:
        """Equity and free balance in the market's settle coin (one request)."""
        bal = self.call("fetch_balance", self.exchange.fetch_balance)
        coin = bal.get(self.market.get("settle", "USDT")) or {}
        return BalanceState(total=float(coin.get("total") or 0.0), free=float(coin.get("free") or 0.0))

    def fills_since(self, since_ms: int) -> list[FillInfo]:
        """Our fills in the symbol from ``since_ms`` on (one request)."""
        trades = self.call("fetch_my_trades", self.exchange.fetch_my_trades, self.symbol, since_ms, 100)
        out = []
        for t in trades:
            info = t.get("info") or {}
            fee = (t.get("fee") or {}).get("cost") or 0.0
            out.append(
                FillInfo(
                    id=str(t["id"]),
                    order_id=str(t.get("order")),
                    side=t["side"],
                    price=float(t["price"]),
                    amount=float(t["amount"]),
                    fee=float(fee),
                    realized_pnl=float(info.get(self.profile.fill_pnl_field) or 0.0),
                    timestamp=int(t["timestamp"]),
                    maker=t.get("takerOrMaker") == "maker",
                )
            )
        return out

    # ------------------------------------------------------------------ orders

    def amount_for(self, price: float, free_balance: float | None) -> tuple[float, str | None]:
        """The entry amount: rounded down to precision, within the free balance, checked against minimums.

        Returns ``(amount, None)`` or ``(0, reason)`` when no valid order can be sent.
        """
        raw = (
            self.quantity_per_trade
            if self.trade_mode is TradeMode.QUANTITY
            else self.quantity_per_trade / price
        )
        if free_balance is not None and price > 0:
            affordable = free_balance * self.leverage / (price * (1 + FEE_BUFFER))
            if raw > affordable:
                logger.info(
                    "order of %g %s capped to %g: free balance %.2f at %dx",
                    raw,
                    self.symbol,
                    affordable,
                    free_balance,
                    self.leverage,
                )
                raw = affordable
        try:
            amount = float(self.exchange.amount_to_precision(self.symbol, raw))
        except (ccxt.InvalidOrder, ccxt.ArgumentsRequired):
            return 0.0, f"amount {raw:.10g} rounds down to 0 at the market's precision"
        limits = self.market.get("limits", {})
        min_amount = (limits.get("amount") or {}).get("min")
        if amount <= 0:
            return 0.0, f"amount {raw:.10g} rounds down to 0 at the market's precision"
        if min_amount is not None and amount < min_amount:
            return 0.0, f"amount {amount:g} is below the market's minimum {min_amount:g}"
        min_cost = (limits.get("cost") or {}).get("min")
        if min_cost is not None and amount * price < min_cost:
            return 0.0, f"order value {amount * price:.4f} is below the market's minimum {min_cost:g}"
        return amount, None

    def _order_params(self, client_oid: str, *, reduce_only: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"clientOrderId": client_oid}
        if self.profile.margin_mode_per_order:
            params["marginMode"] = self.margin_mode.ccxt
        if self.position_mode is PositionMode.HEDGE:
            params["hedged"] = True
        if reduce_only:
            params["reduceOnly"] = True
        return params

    def open(
        self,
        side: Side,
        price: float,
        *,
        client_oid: str,
        free_balance: float | None = None,
        stop_loss: float | None = None,
        take_profit: float | None = None,
    ) -> OrderOutcome:
        """Open (or add to) a position at market, with optional stop-loss and take-profit prices placed
        on the venue together with the order."""
        action = f"open_{side}"
        amount, reason = self.amount_for(price, free_balance)
        if reason is not None:
            logger.warning("not sending %s %s (%s): %s", action, self.symbol, client_oid, reason)
            return OrderOutcome(client_oid, action, "rejected", reason=reason, code="precheck")
        params = self._order_params(client_oid)
        if stop_loss is not None:
            params["stopLoss"] = {
                "triggerPrice": float(self.exchange.price_to_precision(self.symbol, stop_loss))
            }
        if take_profit is not None:
            params["takeProfit"] = {
                "triggerPrice": float(self.exchange.price_to_precision(self.symbol, take_profit))
            }
        ccxt_side = "buy" if side == "long" else "sell"
        outcome = self._submit(action, ccxt_side, amount, params, client_oid)
        if stop_loss is not None or take_profit is not None:
            outcome.extra = {k: params[k]["triggerPrice"] for k in ("stopLoss", "takeProfit") if k in params}
        return outcome

    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome:
        """Close ``position`` with a reduce-only market order for its whole size."""
        if not position.is_open:
            return OrderOutcome(client_oid, "close", "skipped", reason="No position to close")
        ccxt_side = "sell" if position.side == "long" else "buy"
        amount = float(self.exchange.amount_to_precision(self.symbol, position.size))
        params = self._order_params(client_oid, reduce_only=True)
        outcome = self._submit("close", ccxt_side, amount, params, client_oid)
        if outcome.status == "rejected" and outcome.code in self.profile.no_position_codes:
            return OrderOutcome(
                client_oid, "close", "skipped", reason="No position to close", code=outcome.code
            )
        return outcome

    def close_position(self, client_oid: str | None = None) -> OrderOutcome:
        """Close whatever position the venue holds in the symbol; "No position to close" when flat."""
        import secrets

        oid = client_oid or f"ttclose-{secrets.token_hex(6)}"
        outcome = self.close(self.position(), client_oid=oid)
        if outcome.status == "skipped":
            logger.info("close_position %s: %s", self.symbol, outcome.reason)
        return outcome

    def cancel_brackets(self) -> None:
        """Cancel the symbol's resting and trigger orders (the venue drops position TP/SL with the
        position; this clears anything left by an interrupted run)."""
        for params in self._cancel_all_params():
            try:
                self.call("cancel_all_orders", self.exchange.cancel_all_orders, self.symbol, params)
            except VenueError as e:
                if isinstance(e, TransientVenueError):
                    raise
                logger.info("cancel_all_orders %s %s: %s", self.symbol, params, e)

    def _cancel_all_params(self) -> list[dict[str, Any]]:
        return [{}]

    def _submit(
        self, action: str, side: str, amount: float, params: dict[str, Any], client_oid: str
    ) -> OrderOutcome:
        """Place one market order exactly once, whatever the network does."""

        def attempt() -> dict[str, Any]:
            self.calls += 1
            with translate_errors(self.exchange, self.profile.name, "create_order", order=True):
                try:
                    return self.exchange.create_order(self.symbol, "market", side, amount, None, dict(params))
                except ccxt.ExchangeError as e:
                    if venue_code(e) in self.profile.duplicate_order_codes:
                        raise _DuplicateClientId(str(e)) from e
                    raise

        def once() -> dict[str, Any]:
            try:
                return attempt()
            except TransientVenueError:
                # Ambiguous: the order may have reached the venue. Look before resending.
                found = self.find_order(client_oid)
                if found is not None:
                    logger.info("order %s was placed despite the error; not resending", client_oid)
                    return found
                raise
            except _DuplicateClientId:
                found = self.find_order(client_oid)
                if found is None:
                    raise OrderRejected(
                        f"duplicate client id {client_oid} but no such order",
                        op="create_order",
                        venue=self.profile.name,
                    ) from None
                logger.info("order %s was already placed by an earlier attempt", client_oid)
                return found

        try:
            order = self.retrier.run(once)
        except OrderRejected as e:
            logger.warning(
                "%s %s %g %s rejected by %s (code %s, client id %s): %s",
                action,
                side,
                amount,
                self.symbol,
                self.profile.name,
                e.code,
                client_oid,
                e,
            )
            return OrderOutcome(client_oid, action, "rejected", amount=amount, reason=str(e), code=e.code)
        except TransientVenueError as e:
            found = self._find_quietly(client_oid)
            if found is not None:
                return OrderOutcome(
                    client_oid, action, "accepted", amount=amount, order_id=str(found.get("id"))
                )
            logger.error(
                "%s %s %g %s: unconfirmed after retries (client id %s): %s",
                action,
                side,
                amount,
                self.symbol,
                client_oid,
                e,
            )
            return OrderOutcome(client_oid, action, "unknown", amount=amount, reason=str(e), code=e.code)
        return OrderOutcome(client_oid, action, "accepted", amount=amount, order_id=str(order.get("id")))

    def find_order(self, client_oid: str) -> dict[str, Any] | None:
        """The order with this client id, or None if the venue has none (retried while transient)."""

        def attempt() -> dict[str, Any] | None:
            self.calls += 1
            try:
                with translate_errors(self.exchange, self.profile.name, "fetch_order"):
                    return self.exchange.fetch_order(None, self.symbol, {"clientOrderId": client_oid})
            except VenueError as e:
                if isinstance(e, TransientVenueError):
                    raise
                if isinstance(e.__cause__, ccxt.OrderNotFound):
                    return None
                raise

        return self.retrier.run(attempt)

    def _find_quietly(self, client_oid: str) -> dict[str, Any] | None:
        try:
            return self.find_order(client_oid)
        except VenueError:
            return None
