"""Each futures venue's ways on the in-process engine: codes, numbers, closes and brackets.

The facts come from the venue's emulator wire (its error table, its decimals), so that a read or a
refusal in-process is what the same call over HTTP through ccxt gives:

* Bitget: entries carry their TP/SL (presets: position TP/SL triggers on the engine); a leg is
  closed by the flash-close call (the engine's close-position verb), "nothing to close" is 22002.
* Binance: brackets are separate ``closePosition`` conditional orders (the engine's PLAN triggers
  with ``close_all``, as ``/fapi/v1/algoOrder`` places them); a leg is closed by a reduce-only market
  order of its size, and "nothing to reduce" is -2022.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from ...emulator.engine import (
    EngineError,
    Instrument,
    OrderRequest,
    OrderType,
    PositionSide,
    Side,
    TriggerKind,
    TriggerRequest,
)
from ...emulator.venues.binance import errors as binance_errors
from ...emulator.venues.binance.algo import direction_of
from ...emulator.venues.bitget import errors as bitget_errors
from ...emulator.venues.common.numbers import fmt
from ..core.account import BalanceState, FillInfo, Leg, OrderOutcome
from .trader import EngineTrader

#: The taker rate on every market of ccxt's ``binanceusdm`` (``fees["linear"]["trading"]["taker"]``):
#: what the HTTP env's sizing reads there, whatever the venue's own rate.
CCXT_BINANCE_LINEAR_TAKER = 0.0005

#: ccxt's unified margin-mode names, as the live trader's legs carry them.
_CCXT_MARGIN = {"crossed": "cross", "isolated": "isolated"}


def _amount(value: Decimal, places: int = 8) -> float:
    """A venue number as ccxt parses it: the wire's text (at most ``places`` decimals), as a float."""
    return float(fmt(value, places))


#: :func:`_amount` remembered, for sizes and prices: a replay reads the same sizes, entry prices and
#: candle prices again and again (equal Decimals, ``1.0`` and ``1.00``, give the same float: the text
#: depends only on the value). Money that moves every bar (PnL, equity, fees) takes ``_amount``.
_f = functools.lru_cache(maxsize=1 << 14)(_amount)


def _fill(fill: Any) -> FillInfo:
    return FillInfo(
        id=str(fill.id),
        order_id=str(fill.order_id),
        side=fill.side.value,
        price=_f(fill.price),
        amount=_f(fill.qty),
        fee=_amount(fill.fee),
        realized_pnl=_amount(fill.realized_pnl),
        timestamp=int(fill.t_ms),
        maker=bool(fill.maker),
    )


class BitgetRules:
    """Bitget's ways (see the module docstring); numbers as ``venues/bitget/wire.py`` writes them."""

    def code(self, err: EngineError) -> str:
        return bitget_errors.from_engine(err).code

    def market_taker(self, inst: Instrument) -> float | None:
        # ccxt's Bitget market takes the contract's ``takerFeeRate`` (the wire's instrument rate).
        return float(inst.taker_fee)

    def leg(self, trader: EngineTrader, view: Any, inst: Instrument) -> Leg:
        pos = view.position
        return Leg(
            side=pos.side.value,
            size=_f(pos.qty),
            entry_price=_f(pos.entry_price, inst.price_decimals + 4),
            mark_price=_f(view.mark),
            leverage=float(pos.leverage),
            liquidation_price=_f(view.liq_price) if view.liq_price > 0 else 0.0,
            unrealized_pnl=_amount(view.upnl),
            margin_mode=_CCXT_MARGIN[pos.margin_mode.value],
        )

    def balance(self, trader: EngineTrader, view: Any) -> BalanceState:
        # ccxt: total is accountEquity, free is maxTransferOut (the available balance here)
        return BalanceState(total=_amount(view.equity), free=_amount(view.available))

    def fill(self, fill: Any) -> FillInfo:
        return _fill(fill)

    def close_leg(self, trader: EngineTrader, leg: Leg, client_oid: str) -> OrderOutcome:
        hold = PositionSide(leg.side) if trader.hedge else None
        if not any(
            hold is None or p.side is hold
            for p in trader.engine.account(trader.account).open_positions(trader.market_id)
        ):
            return OrderOutcome(client_oid, "close", "skipped", reason="No position to close", code="22002")
        try:
            orders = trader.engine.close_positions(trader.account, trader.market_id, hold)
        except EngineError as e:
            code = self.code(e)
            if code in trader.profile.no_position_codes:
                return OrderOutcome(client_oid, "close", "skipped", reason="No position to close", code=code)
            return OrderOutcome(client_oid, "close", "rejected", amount=leg.size, reason=str(e), code=code)
        order_id = str(orders[0].id) if orders else None
        return OrderOutcome(
            client_oid,
            "close",
            "accepted",
            amount=leg.size,
            order_id=order_id,
            extra={"via": "close_position"},
        )

    def place_bracket(
        self, trader: EngineTrader, kind: str, side: str, trigger_price: float, client_oid: str
    ) -> OrderOutcome:
        raise NotImplementedError("bitget attaches brackets to the entry order")

    def cancel_brackets(self, trader: EngineTrader) -> None:
        eng = trader.engine
        eng.cancel_all_orders(trader.account, trader.market_id)
        eng.cancel_all_triggers(trader.account, trader.market_id)


#: Binance's conditional order type of each bracket kind.
_ALGO_TYPES = {"stop_loss": "STOP_MARKET", "take_profit": "TAKE_PROFIT_MARKET"}


class BinanceRules:
    """Binance USD-M's ways (see the module docstring); numbers as ``venues/binance/wire.py`` writes
    them (v3 positionRisk and account rows)."""

    def code(self, err: EngineError) -> str:
        return str(binance_errors.from_engine(err).code)

    def market_taker(self, inst: Instrument) -> float | None:
        # ccxt's binanceusdm market takes its own fee table's linear taker rate, not the venue's.
        return CCXT_BINANCE_LINEAR_TAKER

    def leg(self, trader: EngineTrader, view: Any, inst: Instrument) -> Leg:
        pos = view.position
        return Leg(
            side=pos.side.value,
            size=abs(_f(pos.qty)),
            entry_price=_f(pos.entry_price, 12),
            mark_price=_f(view.mark, 12),
            # the v3 positionRisk row has no leverage: the live trader falls back to its own
            leverage=float(trader.leverage),
            liquidation_price=_f(view.liq_price) if view.liq_price > 0 else 0.0,
            unrealized_pnl=_amount(view.upnl),
            margin_mode=_CCXT_MARGIN[pos.margin_mode.value],
        )

    def balance(self, trader: EngineTrader, view: Any) -> BalanceState:
        # ccxt (v3 account assets): total is marginBalance (equity), free is availableBalance
        return BalanceState(total=_amount(view.equity), free=_amount(view.available))

    def fill(self, fill: Any) -> FillInfo:
        return _fill(fill)

    def close_leg(self, trader: EngineTrader, leg: Leg, client_oid: str) -> OrderOutcome:
        req = OrderRequest(
            symbol=trader.market_id,
            side=Side.SELL if leg.side == "long" else Side.BUY,
            type=OrderType.MARKET,
            qty=Decimal(repr(leg.size)),
            pos_side=PositionSide(leg.side) if trader.hedge else None,
            reduce_only=True,
            client_oid=client_oid,
        )
        outcome = trader.place("close", req, leg.size)
        if outcome.status == "rejected" and outcome.code in trader.profile.no_position_codes:
            return OrderOutcome(
                client_oid, "close", "skipped", reason="No position to close", code=outcome.code
            )
        return outcome

    def place_bracket(
        self, trader: EngineTrader, kind: str, side: str, trigger_price: float, client_oid: str
    ) -> OrderOutcome:
        price = float(trader.exchange.price_to_precision(trader.symbol, trigger_price))
        closing = Side.SELL if side == "long" else Side.BUY
        order_type = _ALGO_TYPES[kind]
        pos_side = PositionSide(side) if trader.hedge else None
        acct = trader.engine.account(trader.account)
        exists = any(
            t.close_all
            and t.symbol == trader.market_id
            and t.side is closing
            and (t.pos_side if t.hedge else None) is pos_side
            and t.meta.get("orderType") == order_type
            for t in acct.live.values()
        )
        if exists:  # the wire's -4130: one closePosition order per type and side
            e = binance_errors.CLOSE_POSITION_EXISTS
            return OrderOutcome(
                client_oid, kind, "rejected", reason=e.msg, code=str(e.code), extra={kind: price}
            )
        req = TriggerRequest(
            symbol=trader.market_id,
            kind=TriggerKind.PLAN,
            trigger_price=Decimal(repr(price)),
            side=closing,
            qty=None,
            pos_side=pos_side,
            reduce_only=trader.hedge,
            client_oid=client_oid,
            meta={
                "orderType": order_type,
                "workingType": "CONTRACT_PRICE",
                "timeInForce": "GTE_GTC",
                "priceProtect": "false",
            },
            direction=direction_of(order_type, closing),
            close_all=True,
        )
        try:
            trig = trader.engine.place_trigger(trader.account, req)
        except EngineError as e:
            outcome = OrderOutcome(client_oid, kind, "rejected", reason=str(e), code=self.code(e))
        else:
            outcome = OrderOutcome(client_oid, kind, "accepted", order_id=str(trig.id))
        outcome.extra[kind] = price
        return outcome

    def cancel_brackets(self, trader: EngineTrader) -> None:
        eng = trader.engine
        eng.cancel_all_orders(trader.account, trader.market_id)
        eng.cancel_all_triggers(trader.account, trader.market_id)


RULES: dict[str, Any] = {"bitget": BitgetRules(), "binance": BinanceRules()}
