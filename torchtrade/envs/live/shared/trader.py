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

import contextlib
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import ccxt

from ....errors import ConfigError, OrderRejected, TransientVenueError, VenueError
from ...core.account import (
    BalanceState,
    FillInfo,
    FundingInfo,
    Leg,
    OrderOutcome,
    OrderState,
    PositionState,
    Side,
    exact_sum,
)
from .base_trader import TraderBase
from .errors import translate_errors, venue_code
from .placement import DuplicateClientId, place_once, quietly, submit
from .retry import Retrier
from .venue import MarginMode, PositionMode, TradeMode, VenueProfile

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Sizing against the free balance: the price may move this much between the last close and the fill.
PRICE_BUFFER = 0.002
# The taker fee when the market does not state one (ccxt's ``market["taker"]``): on the high side.
DEFAULT_TAKER_FEE = 0.001


def affordable_amount(free_balance: Any, price: Any, leverage: Any, taker_fee: Any) -> Any:
    """The largest entry (base coin) the free balance pays for at ``leverage``: its margin and the
    taker fee on its whole value, opening and closing, at a price up to :data:`PRICE_BUFFER` worse.

    The fee is on the position's value, not the margin: at 10x a 0.06 % fee is 0.6 % of the margin,
    so a buffer on the margin alone sizes entries the venue refuses. Works on floats and on numpy
    arrays (the batched env sizes its accounts with it).
    """
    return free_balance / (price * (1 + PRICE_BUFFER) * (1 / leverage + 2 * taker_fee))


class FuturesTrader(TraderBase):
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

    @contextlib.contextmanager
    def translated(self, op: str, *, order: bool = False) -> Iterator[None]:
        with translate_errors(
            self.exchange, self.profile.name, op, order=order, codes=self.profile.error_codes
        ):
            yield

    def _attempt(self) -> None:
        self.calls += 1

    @property
    def attached_brackets(self) -> bool:
        """The entry order carries its TP/SL (else the env places separate legs, see place_bracket)."""
        return self.profile.attached_brackets

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
        """The venue's position in the symbol, every leg as the venue reports it (one request).

        Sizes are the venue's own numbers (contracts × contract size, computed exactly); nothing is
        netted here: in hedge mode a long and a short are two legs (see :class:`PositionState`).
        """
        rows = self.call("fetch_positions", self.exchange.fetch_positions, [self.symbol])
        contract = Decimal(repr(float(self.market.get("contractSize") or 1)))
        legs: dict[str, Leg] = {}
        for p in rows:
            contracts = p.get("contracts") or 0
            side = p.get("side")
            if p.get("symbol") != self.symbol or contracts <= 0 or side not in ("long", "short"):
                continue
            size = float(Decimal(repr(float(contracts))) * contract)
            if side in legs:  # a venue answering one side twice (isolated + crossed rows): add them up
                size = exact_sum((legs[side].size, size))
            legs[side] = Leg(
                side=side,
                size=size,
                entry_price=float(p.get("entryPrice") or 0.0),
                mark_price=float(p.get("markPrice") or 0.0),
                leverage=float(p.get("leverage") or self.leverage),
                liquidation_price=float(p.get("liquidationPrice") or 0.0),
                unrealized_pnl=float(p.get("unrealizedPnl") or 0.0),
                margin_mode=p.get("marginMode"),
            )
        return PositionState(tuple(legs[s] for s in ("long", "short") if s in legs))

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

    def funding_since(self, since_ms: int) -> list[FundingInfo]:
        """Funding paid or received in the symbol from ``since_ms`` on (one request)."""
        rows = self.call(
            "fetch_funding_history", self.exchange.fetch_funding_history, self.symbol, since_ms, 100
        )
        return [
            FundingInfo(
                id=str(r.get("id") or r["timestamp"]),
                timestamp=int(r["timestamp"]),
                amount=float(r["amount"]),
            )
            for r in rows
            if r.get("timestamp") is not None and r.get("amount") is not None
        ]

    def order_state(self, order_id: str) -> OrderState:
        """How much of an order has filled, and whether it is still working (one request)."""
        order = self.call("fetch_order", self.exchange.fetch_order, order_id, self.symbol)
        return OrderState(
            order_id=str(order.get("id") or order_id),
            status=str(order.get("status") or ""),
            amount=float(order.get("amount") or 0.0),
            filled=float(order.get("filled") or 0.0),
            average=float(order.get("average") or 0.0) or None,
        )

    def _cancel(self, order_id: str) -> None:
        self.call("cancel_order", self.exchange.cancel_order, order_id, self.symbol)

    # ------------------------------------------------------------------ orders

    def amount_for(
        self,
        price: float,
        free_balance: float | None,
        amount: float | None = None,
        max_value: float | None = None,
        notes: dict[str, Any] | None = None,
    ) -> tuple[float, str | None]:
        """The entry amount: rounded down to precision, within the free balance and ``max_value`` (the
        largest position value allowed), checked against minimums.

        ``amount`` replaces the configured ``quantity_per_trade`` (a partial fill's remainder). What cut
        the amount goes into ``notes["capped"]``. Returns ``(amount, None)`` or ``(0, reason)`` when no
        valid order can be sent.
        """
        if amount is not None:
            raw = amount
        elif self.trade_mode is TradeMode.QUANTITY:
            raw = self.quantity_per_trade
        else:
            raw = self.quantity_per_trade / price
        if max_value is not None and price > 0 and raw * price > max_value:
            logger.info(
                "order of %g %s cut to %g: max_position_size allows a value of %.2f",
                raw,
                self.symbol,
                max_value / price,
                max_value,
            )
            if notes is not None:
                notes["capped"] = {"by": "max_position_size", "wanted": raw, "max_value": max_value}
            raw = max_value / price
        if free_balance is not None and price > 0:
            taker = float(self.market.get("taker") or DEFAULT_TAKER_FEE)
            affordable = affordable_amount(free_balance, price, self.leverage, taker)
            if raw > affordable:
                if notes is not None:
                    notes["capped"] = {"by": "free_balance", "wanted": raw, "free_balance": free_balance}
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
        amount: float | None = None,
        max_value: float | None = None,
    ) -> OrderOutcome:
        """Open (or add to) a position at market, with optional stop-loss and take-profit prices placed
        on the venue together with the order; ``amount`` overrides the configured size, ``max_value``
        caps the position's value (see :meth:`amount_for`)."""
        action = f"open_{side}"
        notes: dict[str, Any] = {}
        amount, reason = self.amount_for(price, free_balance, amount, max_value, notes)
        if reason is not None:
            logger.warning("not sending %s %s (%s): %s", action, self.symbol, client_oid, reason)
            return OrderOutcome(client_oid, action, "rejected", reason=reason, code="precheck", extra=notes)
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
        outcome.extra.update(notes)
        if stop_loss is not None or take_profit is not None:
            outcome.extra.update(
                {k: params[k]["triggerPrice"] for k in ("stopLoss", "takeProfit") if k in params}
            )
        return outcome

    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome:
        """Close every leg of ``position``, whatever its size: nothing is left behind, not even dust.

        Where the venue has a close-position call (Bitget's flash close), it is used: the venue closes
        the leg it holds, so no amount is recomputed. It takes no client order id, but it is idempotent
        by nature: an attempt after an ambiguous failure that finds nothing to close means the first
        one did. Elsewhere each leg gets a reduce-only market order for exactly the size the venue
        reported (leg ``close``, ``closel``/``closes`` in hedge mode).
        """
        legs = [leg for leg in position.legs if leg.size > 0]
        if not legs:
            return OrderOutcome(client_oid, "close", "skipped", reason="No position to close")
        outcomes = [
            self._close_leg(leg, client_oid if len(legs) == 1 else f"{client_oid}{leg.side[0]}")
            for leg in legs
        ]
        if len(outcomes) == 1:
            return outcomes[0]
        accepted = [o for o in outcomes if o.accepted]
        status = (
            "accepted"
            if accepted
            else next((o.status for o in outcomes if o.status in ("rejected", "unknown")), "skipped")
        )
        return OrderOutcome(
            client_oid,
            "close",
            status,  # type: ignore[arg-type]
            amount=exact_sum(o.amount for o in accepted),
            order_id=",".join(o.order_id for o in accepted if o.order_id) or None,
            reason="; ".join(o.reason for o in outcomes if o.reason) or None,
            code=next((o.code for o in outcomes if o.code), None),
            extra={"legs": [o.as_dict() for o in outcomes]},
        )

    def _close_leg(self, leg: Leg, client_oid: str) -> OrderOutcome:
        if self.profile.close_position_call:
            return self._flash_close(leg, client_oid)
        ccxt_side = "sell" if leg.side == "long" else "buy"
        params = self._order_params(client_oid, reduce_only=True)
        outcome = self._submit("close", ccxt_side, leg.size, params, client_oid)
        if outcome.status == "rejected" and outcome.code in self.profile.no_position_codes:
            return OrderOutcome(
                client_oid, "close", "skipped", reason="No position to close", code=outcome.code
            )
        return outcome

    def _flash_close(self, leg: Leg, client_oid: str) -> OrderOutcome:
        """One leg through the venue's close-position call, retried safely (see :meth:`close`)."""
        hedge = self.position_mode is PositionMode.HEDGE
        ambiguous = False

        def attempt() -> dict[str, Any]:
            nonlocal ambiguous
            self.calls += 1
            try:
                with translate_errors(
                    self.exchange,
                    self.profile.name,
                    "close_position",
                    order=True,
                    codes=self.profile.error_codes,
                ):
                    return self.exchange.close_position(self.symbol, leg.side if hedge else None)
            except TransientVenueError:
                ambiguous = True
                raise

        try:
            order = self.retrier.run(attempt)
        except OrderRejected as e:
            if e.code in self.profile.no_position_codes:
                if ambiguous:
                    # Either an earlier attempt closed it, or it was gone already: its fill will tell.
                    logger.info("close of %s %s probably landed on an earlier attempt", leg.side, self.symbol)
                    return OrderOutcome(
                        client_oid,
                        "close",
                        "accepted",
                        amount=leg.size,
                        extra={"via": "close_position", "unconfirmed": True},
                    )
                return OrderOutcome(
                    client_oid, "close", "skipped", reason="No position to close", code=e.code
                )
            logger.warning(
                "close %s %g %s rejected by %s (code %s): %s",
                leg.side,
                leg.size,
                self.symbol,
                self.profile.name,
                e.code,
                e,
            )
            return OrderOutcome(client_oid, "close", "rejected", amount=leg.size, reason=str(e), code=e.code)
        except TransientVenueError as e:
            logger.error("close %s %g %s: unconfirmed after retries: %s", leg.side, leg.size, self.symbol, e)
            return OrderOutcome(client_oid, "close", "unknown", amount=leg.size, reason=str(e), code=e.code)
        order_id = str(order.get("id") or "") or None
        logger.info(
            "order submitted: close %s %g %s to %s through its close-position call (order id %s)",
            leg.side,
            leg.size,
            self.symbol,
            self.profile.name,
            order_id,
        )
        return OrderOutcome(
            client_oid,
            "close",
            "accepted",
            amount=leg.size,
            order_id=order_id,
            extra={"via": "close_position"},
        )

    def place_bracket(self, kind: str, side: Side, trigger_price: float, *, client_oid: str) -> OrderOutcome:
        """A separate closing conditional order (venues without attached brackets override this)."""
        raise NotImplementedError(f"{self.profile.name} attaches brackets to the entry order")

    def open_brackets(self) -> list[dict[str, Any]]:
        """Separate conditional orders of the symbol (none where brackets are attached to positions)."""
        return []

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

    def open_orders(self) -> list[dict[str, Any]]:
        """Every open order and trigger of the symbol, in each of the venue's books (one request per
        book): ``{"id", "type", "book"}``."""
        out = []
        for params in self._cancel_all_params():
            rows = self.call(
                "fetch_open_orders", self.exchange.fetch_open_orders, self.symbol, None, None, dict(params)
            )
            book = params.get("planType") or ("trigger" if params.get("trigger") else "regular")
            out += [{"id": str(o.get("id")), "type": o.get("type"), "book": book} for o in rows]
        return out

    def cancel_all(self) -> list[dict[str, Any]]:
        """Cancel every open order and trigger of the symbol (a kill, ``torchtrade flatten``); returns
        those that were open. Only the books that hold one are asked to cancel."""
        orders = self.open_orders()
        for params in self._cancel_all_params():
            book = params.get("planType") or ("trigger" if params.get("trigger") else "regular")
            if any(o["book"] == book for o in orders):
                self.call("cancel_all_orders", self.exchange.cancel_all_orders, self.symbol, dict(params))
        return orders

    def _submit(
        self,
        action: str,
        side: str,
        amount: float | None,
        params: dict[str, Any],
        client_oid: str,
        *,
        lookup: dict[str, Any] | None = None,
    ) -> OrderOutcome:
        """Place one market order exactly once, whatever the network does.

        ``amount`` None: the venue takes the size from the order itself (a close-position trigger).
        ``lookup``: extra parameters to find the order by its client id (a conditional order's book).
        """

        def attempt() -> dict[str, Any]:
            self.calls += 1
            with translate_errors(
                self.exchange, self.profile.name, "create_order", order=True, codes=self.profile.error_codes
            ):
                try:
                    return self.exchange.create_order(self.symbol, "market", side, amount, None, dict(params))
                except ccxt.ExchangeError as e:
                    if venue_code(e) in self.profile.duplicate_order_codes:
                        raise DuplicateClientId(str(e)) from e
                    raise

        # This venue would accept a resend of a filled order: a lookup that finds nothing is repeated.
        pause = (
            max(self.retrier.policy.initial_s, 0.05) if self.profile.client_ids_unique_while_open else None
        )
        return submit(
            lambda: place_once(
                self.retrier,
                attempt,
                lambda: self.find_order(client_oid, lookup),
                client_oid=client_oid,
                venue=self.profile.name,
                recheck_pause_s=pause,
            ),
            lambda: quietly(lambda: self.find_order(client_oid, lookup)),
            lambda order: str(order.get("id")),
            client_oid=client_oid,
            action=action,
            amount=amount or 0.0,
            describe=f"{action} {side} {amount} {self.symbol}",
            venue=self.profile.name,
        )

    def find_order(self, client_oid: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The order with this client id, or None if the venue has none (retried while transient).

        ``params`` name another book to look in (``{"trigger": True}``: conditional orders)."""

        def attempt() -> dict[str, Any] | None:
            self.calls += 1
            try:
                with translate_errors(
                    self.exchange, self.profile.name, "fetch_order", codes=self.profile.error_codes
                ):
                    return self.exchange.fetch_order(
                        None, self.symbol, {"clientOrderId": client_oid, **(params or {})}
                    )
            except VenueError as e:
                if isinstance(e, TransientVenueError):
                    raise
                if isinstance(e.__cause__, ccxt.OrderNotFound):
                    return None
                raise

        return self.retrier.run(attempt)
