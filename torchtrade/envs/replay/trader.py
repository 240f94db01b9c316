"""A futures trader on the in-process engine: the Trader protocol without HTTP, SDK or ccxt.

It places the orders :class:`~torchtrade.envs.live.shared.trader.FuturesTrader` places over HTTP,
as engine calls, and reads the account as the venue's wire reports it: every number goes through
the venue's own rendering (its decimals), so positions, balances, fills and funding are the HTTP
env's to the last bit. A refusal carries the venue's error code (the wire's table from engine
reasons), so a rejection is the same torchtrade outcome either way. What differs by venue (how a
position is closed, where brackets live, how numbers are written) is a :class:`VenueRules`
(:mod:`.venues`).

The sizing logic (precision, minimums, free balance, ``max_position_size``) and the multi-leg close
are the live trader's own methods, shared, not copied: they need only ``amount_to_precision`` and
the market's limits, which :class:`EnginePrecision` answers from the engine's instrument.
"""

from __future__ import annotations

import logging
import secrets
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from ...emulator.engine import (
    EngineError,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PositionSide,
    TriggerOrder,
)
from ...emulator.engine import types as engine_types
from ...emulator.runtime import Emulator
from ..core.account import BalanceState, FillInfo, FundingInfo, Leg, OrderOutcome, OrderState, PositionState
from ..live.shared.trader import FuturesTrader
from ..live.shared.venue import MarginMode, PositionMode, TradeMode, VenueProfile

logger = logging.getLogger(__name__)


class VenueRules(Protocol):
    """What a venue does its own way (see :mod:`.venues`)."""

    def code(self, err: EngineError) -> str: ...
    def market_taker(self, inst: Instrument) -> float | None: ...
    def leg(self, trader: EngineTrader, view: Any, inst: Instrument) -> Leg: ...
    def balance(self, trader: EngineTrader, view: Any) -> BalanceState: ...
    def fill(self, fill: Any) -> FillInfo: ...
    def close_leg(self, trader: EngineTrader, leg: Leg, client_oid: str) -> OrderOutcome: ...
    def place_bracket(
        self, trader: EngineTrader, kind: str, side: str, trigger_price: float, client_oid: str
    ) -> OrderOutcome: ...
    def cancel_brackets(self, trader: EngineTrader) -> None: ...


class EnginePrecision:
    """The two ccxt precision calls the shared sizing uses, answered from the engine's instrument:
    amounts truncated to the lot, prices rounded to the tick (ccxt's modes for each)."""

    def __init__(self, inst: Instrument) -> None:
        self._inst = inst

    def amount_to_precision(self, symbol: str, amount: float) -> str:
        lot = self._inst.lot_size
        value = (Decimal(repr(float(amount))) / lot).to_integral_value(rounding=ROUND_DOWN) * lot
        return format(value.normalize(), "f") if value else "0"

    def price_to_precision(self, symbol: str, price: float) -> str:
        tick = self._inst.tick_size
        value = (Decimal(repr(float(price))) / tick).to_integral_value(rounding=ROUND_HALF_UP) * tick
        return format(value.normalize(), "f")


def market_of(inst: Instrument, symbol: str, taker: float | None = None) -> dict[str, Any]:
    """The few market facts the env and the sizing read (as ccxt's market structure names them).

    ``taker``: the taker rate ccxt's market carries for this venue (the sizing's fee buffer reads it;
    None: none, as a ccxt market without one)."""
    return {
        "id": inst.symbol,
        "symbol": symbol,
        "settle": inst.settle,
        "contractSize": 1,
        "taker": taker,
        "limits": {
            "amount": {"min": float(inst.min_qty)},
            "cost": {"min": float(inst.min_notional) if inst.min_notional > 0 else None},
            "leverage": {"min": 1, "max": inst.max_leverage},
        },
    }


class EngineTrader:
    """Trades one linear perpetual on the in-process engine (see the module docstring).

    Args:
        emulator_of: the session's current emulator (a restart replaces its run).
        account: the engine account traded.
        profile: the venue's facts (the live trader's profile).
        rules: the venue's ways (:mod:`.venues`).
        symbol / leverage / margin_mode / position_mode / trade_mode / quantity_per_trade: as for
            :class:`~torchtrade.envs.live.shared.trader.FuturesTrader`.
    """

    calls = 0  # no venue request is ever made
    retries = 0

    def __init__(
        self,
        emulator_of: Any,
        account: str,
        profile: VenueProfile,
        rules: VenueRules,
        symbol: str,
        *,
        leverage: int,
        margin_mode: MarginMode,
        position_mode: PositionMode,
        trade_mode: TradeMode,
        quantity_per_trade: float,
    ) -> None:
        self._emulator_of = emulator_of
        self.account = account
        self.profile = profile
        self.rules = rules
        self.symbol = symbol
        self.leverage = leverage
        self.margin_mode = margin_mode
        self.position_mode = position_mode
        self.trade_mode = trade_mode
        self.quantity_per_trade = quantity_per_trade
        self.rebind()

    def rebind(self) -> None:
        """Read the instrument of the emulator's current run (a restart rebuilds it)."""
        emulator = self._emulator_of()
        market_id = emulator.venue.parse_symbol(self.symbol)[0]
        self.inst: Instrument = emulator.engine.instruments[market_id]  # type: ignore[assignment]
        self.market = market_of(self.inst, self.symbol, self.rules.market_taker(self.inst))
        self.exchange = EnginePrecision(self.inst)

    # ------------------------------------------------------------------ plumbing

    @property
    def engine(self) -> Any:
        return self._emulator_of().engine

    @property
    def emulator(self) -> Emulator:
        return self._emulator_of()

    @property
    def market_id(self) -> str:
        return self.inst.symbol

    @property
    def attached_brackets(self) -> bool:
        return self.profile.attached_brackets

    @property
    def hedge(self) -> bool:
        return self.position_mode is PositionMode.HEDGE

    @property
    def engine_margin_mode(self) -> engine_types.MarginMode:
        return engine_types.MarginMode(self.margin_mode.value)

    def fetch_time(self) -> int:
        return self.emulator.clock.now_ms()

    def configure(self) -> None:
        """Position mode, margin mode and leverage, as the live trader sets them once; a refusal is
        logged and the account keeps its settings (the live trader does the same)."""
        eng, acct, sym = self.engine, self.account, self.market_id
        steps = [
            (
                "set_position_mode",
                lambda: eng.set_position_mode(acct, engine_types.PositionMode(self.position_mode.value)),
            ),
            ("set_margin_mode", lambda: eng.set_margin_mode(acct, sym, self.engine_margin_mode)),
            ("set_leverage", lambda: eng.set_leverage(acct, sym, self.leverage)),
        ]
        for op, fn in steps:
            try:
                fn()
            except EngineError as e:
                logger.warning("%s refused by %s (code %s): %s", op, self.profile.name, self.rules.code(e), e)

    # ------------------------------------------------------------------ reads

    def position(self) -> PositionState:
        eng = self.engine
        legs = {}
        for view in eng.positions(self.account, self.market_id):
            leg = self.rules.leg(self, view, self.inst)
            if leg.size > 0:
                legs[leg.side] = leg
        return PositionState(tuple(legs[s] for s in ("long", "short") if s in legs))

    def balance(self) -> BalanceState:
        # The rules read the view's equity and available only: the engine's Funds are those two.
        return self.rules.balance(self, self.engine.funds(self.account, self.inst.settle))

    def fills_since(self, since_ms: int) -> list[FillInfo]:
        acct = self.engine.account(self.account)
        fills = acct.fills
        out: list[FillInfo] = []
        # Newest last: walk back only over the fills at or after since_ms (a step reads a few).
        for f in reversed(fills):
            if f.t_ms < since_ms:
                break
            if f.symbol == self.market_id:
                out.append(self.rules.fill(f))
        out.reverse()
        return out[:100]  # the live trader asks for 100

    def funding_since(self, since_ms: int) -> list[FundingInfo]:
        acct = self.engine.account(self.account)
        out = []
        for b in reversed(acct.bills):
            if b.t_ms < since_ms:
                break
            if b.kind == "funding" and b.symbol == self.market_id:
                out.append(FundingInfo(id=str(b.id), timestamp=int(b.t_ms), amount=float(_fmt(b.amount))))
        out.reverse()
        return out[:100]

    def order_state(self, order_id: str) -> OrderState:
        try:
            order = self.engine.find_order(self.account, order_id=order_id)
        except EngineError as e:
            raise self._error(e, "fetch_order") from e
        filled = getattr(order, "filled_qty", Decimal(0))
        avg = getattr(order, "avg_price", None)
        return OrderState(
            order_id=str(order.id),
            status=_ccxt_status(order),
            amount=float(getattr(order, "qty", None) or 0),
            filled=float(filled),
            average=float(avg) if avg else None,
        )

    def find_order(self, client_oid: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            order = self.engine.find_order(self.account, client_oid=client_oid)
        except EngineError:
            return None
        return {"id": str(order.id), "clientOrderId": order.client_oid, "status": _ccxt_status(order)}

    def _error(self, e: EngineError, op: str) -> Exception:
        from ...errors import OrderRejected

        return OrderRejected(str(e), code=self.rules.code(e), op=op, venue=self.profile.name)

    # ------------------------------------------------------------------ orders

    amount_for = FuturesTrader.amount_for

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
        action = f"open_{side}"
        notes: dict[str, Any] = {}
        amount, reason = self.amount_for(price, free_balance, amount, max_value, notes)
        if reason is not None:
            logger.warning("not sending %s %s (%s): %s", action, self.symbol, client_oid, reason)
            return OrderOutcome(client_oid, action, "rejected", reason=reason, code="precheck", extra=notes)
        sl = (
            float(self.exchange.price_to_precision(self.symbol, stop_loss)) if stop_loss is not None else None
        )
        tp = (
            float(self.exchange.price_to_precision(self.symbol, take_profit))
            if take_profit is not None
            else None
        )
        req = OrderRequest(
            symbol=self.market_id,
            side=engine_types.Side.BUY if side == "long" else engine_types.Side.SELL,
            type=OrderType.MARKET,
            qty=Decimal(repr(amount)),
            pos_side=PositionSide(side) if self.hedge else None,
            margin_mode=self.engine_margin_mode if self.profile.margin_mode_per_order else None,
            client_oid=client_oid,
            take_profit=Decimal(repr(tp)) if tp is not None else None,
            stop_loss=Decimal(repr(sl)) if sl is not None else None,
        )
        outcome = self.place(action, req, amount)
        outcome.extra.update(notes)
        if sl is not None:
            outcome.extra["stopLoss"] = sl
        if tp is not None:
            outcome.extra["takeProfit"] = tp
        return outcome

    def place(self, action: str, req: OrderRequest, amount: float) -> OrderOutcome:
        """One order through the engine: accepted with its id, or rejected with the venue's code."""
        try:
            order = self.engine.place_order(self.account, req)
        except EngineError as e:
            code = self.rules.code(e)
            logger.warning(
                "%s %s %s rejected by %s (code %s, client id %s): %s",
                action,
                req.side.value,
                amount,
                self.symbol,
                code,
                req.client_oid,
                e,
            )
            return OrderOutcome(
                req.client_oid or "", action, "rejected", amount=amount, reason=str(e), code=code
            )
        return OrderOutcome(req.client_oid or "", action, "accepted", amount=amount, order_id=str(order.id))

    close = FuturesTrader.close

    def _close_leg(self, leg: Leg, client_oid: str) -> OrderOutcome:
        return self.rules.close_leg(self, leg, client_oid)

    def close_position(self, client_oid: str | None = None) -> OrderOutcome:
        """Close whatever the venue holds in the symbol; "No position to close" when flat."""
        oid = client_oid or f"ttclose{secrets.token_hex(6)}"
        return self.close(self.position(), client_oid=oid)

    def place_bracket(self, kind: str, side: str, trigger_price: float, *, client_oid: str) -> OrderOutcome:
        return self.rules.place_bracket(self, kind, side, trigger_price, client_oid)

    def open_brackets(self) -> list[dict[str, Any]]:
        if self.attached_brackets:
            return []
        return [
            {"id": str(t.id), "clientOrderId": t.client_oid}
            for t in self.engine.live_triggers(self.account, self.market_id)
        ]

    def cancel_order(self, order_id: str) -> bool:
        try:
            self.engine.cancel_order(self.account, order_id=order_id)
        except EngineError as e:
            logger.info("cancel_order %s %s: %s (code %s)", self.symbol, order_id, e, self.rules.code(e))
            return False
        return True

    def cancel_brackets(self) -> None:
        self.rules.cancel_brackets(self)


def _fmt(value: Decimal, places: int = 8) -> str:
    from ...emulator.venues.common.numbers import fmt

    return fmt(value, places)


def _ccxt_status(order: Order | TriggerOrder) -> str:
    status = order.status
    if isinstance(status, OrderStatus):
        if status.is_open:
            return "open"
        return "closed" if status is OrderStatus.FILLED else "canceled"
    return {"live": "open", "triggered": "closed", "canceled": "canceled", "failed": "rejected"}.get(
        status.value, status.value
    )
