"""Binance USD-M futures JSON shapes: engine objects in, venue rows out (venue enums in, engine out).

Field names, enum spellings and the mix of JSON numbers (ids, times) and decimal strings (prices,
sizes, amounts) are Binance's own, as in the sample answers of ``ccxt/binance.py`` beside each
parser. Every row carries every field the venue fills, so that ccxt's unified structures come out
complete.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...data import Candle, Period
from ...engine import (
    Account,
    BalanceView,
    Bill,
    Fill,
    Instrument,
    MarginMode,
    Order,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionView,
    Side,
    TimeInForce,
    TriggerOrder,
    TriggerStatus,
)
from ..common.numbers import fixed, fmt
from .instruments import price_precision

SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}
# "BOTH" is one-way mode: no position side (None in the engine).
POSITION_SIDES = {"BOTH": "BOTH", "LONG": "LONG", "SHORT": "SHORT"}
HEDGE_SIDES = {"LONG": PositionSide.LONG, "SHORT": PositionSide.SHORT}
# What /fapi/v1/order takes; the conditional types go to the algo endpoint (-4120 here).
ORDER_TYPES = {"LIMIT": OrderType.LIMIT, "MARKET": OrderType.MARKET}
ALGO_ORDER_TYPES = {
    "STOP_MARKET": "STOP_MARKET",
    "TAKE_PROFIT_MARKET": "TAKE_PROFIT_MARKET",
    "STOP": "STOP",
    "TAKE_PROFIT": "TAKE_PROFIT",
    "TRAILING_STOP_MARKET": "TRAILING_STOP_MARKET",
}
TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "GTX": TimeInForce.POST_ONLY,
    "GTD": "GTD",  # accepted by Binance, not emulated: refused with a message saying so
}
_TIF_OUT = {
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.POST_ONLY: "GTX",
}
WORKING_TYPES = {"MARK_PRICE": "MARK_PRICE", "CONTRACT_PRICE": "CONTRACT_PRICE"}
BOOLS = {"true": True, "false": False}
RESPONSE_TYPES = {"ACK": "ACK", "RESULT": "RESULT"}
SELF_TRADE_MODES = {m: m for m in ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")}
_MATCH_MODES = "NONE OPPONENT OPPONENT_5 OPPONENT_10 OPPONENT_20 QUEUE QUEUE_5 QUEUE_10 QUEUE_20"
PRICE_MATCH = {m: m for m in _MATCH_MODES.split()}
MARGIN_TYPES = {"ISOLATED": MarginMode.ISOLATED, "CROSSED": MarginMode.CROSSED}
# Kline intervals, case-sensitive ("1m" a minute, "1M" a month): Binance's spelling is ccxt's.
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")
INCOME_TYPES = {
    t: t
    for t in (
        "TRANSFER",
        "WELCOME_BONUS",
        "REALIZED_PNL",
        "FUNDING_FEE",
        "COMMISSION",
        "INSURANCE_CLEAR",
        "REFERRAL_KICKBACK",
        "COMMISSION_REBATE",
        "API_REBATE",
        "CONTEST_REWARD",
        "CROSS_COLLATERAL_TRANSFER",
        "OPTIONS_PREMIUM_FEE",
        "OPTIONS_SETTLE_PROFIT",
        "INTERNAL_TRANSFER",
        "AUTO_EXCHANGE",
        "DELIVERED_SETTELMENT",
        "COIN_SWAP_DEPOSIT",
        "COIN_SWAP_WITHDRAW",
        "POSITION_LIMIT_INCREASE_FEE",
        "STRATEGY_UMFUTURES_TRANSFER",
        "FEE_RETURN",
        "BFUSD_REWARD",
    )
}
ORDER_TYPES_LISTED = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"]
ORDER_TYPES_LISTED.append("TRAILING_STOP_MARKET")  # listed as Binance lists it; refused (not emulated)
DELIVERY_PERPETUAL = 4133404800000  # Binance's deliveryDate of a perpetual (2100-12-25)
AMOUNT_DECIMALS = 8


def position_side_out(pos_side: PositionSide | None) -> str:
    return "BOTH" if pos_side is None else pos_side.value.upper()


def error_body(code: int, msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg}


# ----------------------------------------------------------------------------- market data


def symbol_row(inst: Instrument, onboard_ms: int) -> dict[str, Any]:
    lot = fmt(inst.lot_size)
    return {
        "symbol": inst.symbol,
        "pair": inst.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": DELIVERY_PERPETUAL,
        "onboardDate": onboard_ms,
        "status": "TRADING",
        "maintMarginPercent": fixed(inst.mmr * 100, 4),
        "requiredMarginPercent": fixed(Decimal(100) / inst.max_leverage, 4),
        "baseAsset": inst.base,
        "quoteAsset": inst.quote,
        "marginAsset": inst.settle,
        "pricePrecision": price_precision(inst.symbol, inst.price_decimals),
        "quantityPrecision": inst.qty_decimals,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(inst.tick_size),
                "maxPrice": "10000000",
                "tickSize": fmt(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(inst.min_qty),
                "maxQty": fmt(inst.max_qty),
                "stepSize": lot,
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": fmt(inst.min_qty),
                "maxQty": fmt(inst.max_qty),
                "stepSize": lot,
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": fmt(inst.min_notional)},
        ],
        "orderTypes": list(ORDER_TYPES_LISTED),
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }


def kline_row(c: Candle, period: Period) -> list[Any]:
    """``[open time, o, h, l, c, volume, close time, quote volume, trades, taker buy base, taker buy
    quote, ignore]``. The files carry no trade counts nor taker volumes: 0."""
    return [
        c.t,
        fmt(c.open),
        fmt(c.high),
        fmt(c.low),
        fmt(c.close),
        fmt(c.volume),
        period.next(c.t) - 1,
        fmt(c.quote_volume, AMOUNT_DECIMALS),
        0,
        "0",
        "0",
        "0",
    ]


# ----------------------------------------------------------------------------- orders


def order_status(order: Order) -> str:
    if order.status is OrderStatus.LIVE:
        return "NEW"
    if order.status is OrderStatus.PARTIALLY_FILLED:
        return "PARTIALLY_FILLED"
    if order.status is OrderStatus.FILLED:
        return "FILLED"
    # Cancelled by the client: CANCELED; by the venue (IOC/FOK rest, nothing left to reduce,
    # liquidation): EXPIRED, as Binance reports them.
    return "CANCELED" if order.cancel_reason == "user" else "EXPIRED"


def order_row(order: Order, trigger: TriggerOrder | None) -> dict[str, Any]:
    """A ``/fapi/v1/order`` row. ``trigger``: the conditional order that placed it, if any."""
    kind = "MARKET" if order.type is OrderType.MARKET else "LIMIT"
    avg = order.avg_price
    return {
        "orderId": int(order.id),
        "symbol": order.symbol,
        "status": order_status(order),
        "clientOrderId": order.client_oid,
        "price": fmt(order.price) if order.price is not None else "0",
        "avgPrice": fmt(avg, 12) if avg else "0",
        "origQty": fmt(order.qty),
        "executedQty": fmt(order.filled_qty),
        "cumQty": fmt(order.filled_qty),
        "cumQuote": fmt(order.filled_value, AMOUNT_DECIMALS),
        "timeInForce": _TIF_OUT[order.tif],
        "type": kind,
        "reduceOnly": order.reduce_only,
        "closePosition": bool(trigger is not None and trigger.close_all),
        "side": order.side.value.upper(),
        "positionSide": position_side_out(order.pos_side),
        "stopPrice": fmt(trigger.trigger_price) if trigger is not None else "0",
        "workingType": trigger.meta.get("workingType", "CONTRACT_PRICE") if trigger else "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": trigger.meta.get("orderType", kind) if trigger else kind,
        "priceMatch": "NONE",
        "selfTradePreventionMode": order.meta.get("selfTradePreventionMode", "EXPIRE_MAKER"),
        "goodTillDate": 0,
        "time": order.created_ms,
        "updateTime": order.updated_ms,
    }


def algo_status(trig: TriggerOrder, child: Order | None) -> str:
    if trig.status is TriggerStatus.LIVE:
        return "NEW"
    if trig.status is TriggerStatus.CANCELED:
        return "CANCELED"
    if trig.status is TriggerStatus.FAILED:
        # Fired with nothing to do (a close-position order on a flat position) or its order was
        # refused (a reduce-only one with nothing to reduce): Binance reports it EXPIRED.
        return "EXPIRED"
    return "TRIGGERED" if child is not None and child.status.is_open else "FINISHED"


def algo_row(trig: TriggerOrder, child: Order | None) -> dict[str, Any]:
    """A ``/fapi/v1/algoOrder`` row (a conditional order) as Binance answers create and queries."""
    fired = trig.status is TriggerStatus.TRIGGERED
    return {
        "algoId": int(trig.id),
        "clientAlgoId": trig.client_oid,
        "algoType": "CONDITIONAL",
        "orderType": trig.meta.get("orderType", "STOP_MARKET"),
        "symbol": trig.symbol,
        "side": trig.side.value.upper(),
        "positionSide": position_side_out(trig.pos_side if trig.hedge else None),
        "timeInForce": trig.meta.get("timeInForce", "GTC"),
        "quantity": fmt(trig.qty) if trig.qty is not None else "0",
        "algoStatus": algo_status(trig, child),
        "actualOrderId": trig.order_id or "",
        "actualPrice": fmt(child.avg_price, 12) if child is not None and child.avg_price else "0",
        "triggerPrice": fmt(trig.trigger_price),
        "price": fmt(trig.execute_price) if trig.execute_price is not None else "0",
        "icebergQuantity": None,
        "tpTriggerPrice": "0",
        "tpPrice": "0",
        "slTriggerPrice": "0",
        "slPrice": "0",
        "tpOrderType": "",
        "selfTradePreventionMode": trig.meta.get("selfTradePreventionMode", "EXPIRE_MAKER"),
        "workingType": trig.meta.get("workingType", "CONTRACT_PRICE"),
        "priceMatch": "NONE",
        "closePosition": trig.close_all,
        "priceProtect": trig.meta.get("priceProtect", "false") == "true",
        "reduceOnly": trig.reduce_only,
        "activatePrice": "",
        "callbackRate": "",
        "createTime": trig.created_ms,
        "updateTime": trig.updated_ms,
        "triggerTime": trig.updated_ms if fired else 0,
        "goodTillDate": 0,
    }


def user_trade_row(fill: Fill, hedge: bool) -> dict[str, Any]:
    return {
        "buyer": fill.side is Side.BUY,
        "commission": fmt(fill.fee),
        "commissionAsset": fill.fee_coin,
        "id": int(fill.id),
        "maker": fill.maker,
        "orderId": int(fill.order_id),
        "price": fmt(fill.price),
        "qty": fmt(fill.qty),
        "quoteQty": fmt(fill.price * fill.qty, AMOUNT_DECIMALS),
        "realizedPnl": fmt(fill.realized_pnl),
        "side": fill.side.value.upper(),
        "positionSide": position_side_out(fill.pos_side if hedge else None),
        "symbol": fill.symbol,
        "time": fill.t_ms,
    }


# ----------------------------------------------------------------------------- account


def signed_amount(view: PositionView) -> Decimal:
    """``positionAmt``: negative for a short, in both modes (hedge shorts too, as Binance reports)."""
    pos = view.position
    return pos.qty * pos.side.sign


def break_even(view: PositionView, inst: Instrument) -> Decimal:
    """The price at which closing (paying the taker fee again) returns the fees paid."""
    pos = view.position
    per_unit = pos.fees / pos.qty if pos.qty else Decimal(0)
    sign = pos.side.sign
    return (pos.entry_price + sign * per_unit) / (1 - sign * inst.taker_fee)


def position_risk_row(view: PositionView, inst: Instrument, acct: Account, *, v2: bool) -> dict[str, Any]:
    """A ``positionRisk`` row (v3 by default; ``v2`` adds leverage and margin type)."""
    pos = view.position
    hedge = acct.position_mode is PositionMode.HEDGE
    notional = view.mark * pos.qty * pos.side.sign
    isolated = pos.margin_mode is MarginMode.ISOLATED
    wallet = view.margin if isolated else Decimal(0)
    row: dict[str, Any] = {
        "symbol": pos.symbol,
        "positionSide": position_side_out(pos.side if hedge else None),
        "positionAmt": fmt(signed_amount(view)),
        "entryPrice": fmt(pos.entry_price, 12),
        "breakEvenPrice": fmt(break_even(view, inst), inst.price_decimals + 4),
        "markPrice": fmt(view.mark, 12),
        "unRealizedProfit": fixed(view.upnl, AMOUNT_DECIMALS),
        "liquidationPrice": fmt(view.liq_price) if view.liq_price > 0 else "0",
        # Binance's isolatedMargin is the isolated wallet plus the unrealized PnL; 0 when crossed
        # (which is how ccxt tells the margin mode from a v3 row).
        "isolatedMargin": fixed(wallet + view.upnl, AMOUNT_DECIMALS) if isolated else "0",
        "notional": fixed(notional, AMOUNT_DECIMALS),
        "marginAsset": inst.settle,
        "isolatedWallet": fixed(wallet, AMOUNT_DECIMALS) if isolated else "0",
        "updateTime": pos.updated_ms,
    }
    if v2:
        row.update(
            {
                "marginType": "isolated" if isolated else "cross",
                "isAutoAddMargin": "false",
                "leverage": str(pos.leverage),
                "maxNotionalValue": MAX_NOTIONAL,
            }
        )
    else:
        initial = abs(notional) / pos.leverage
        row.update(
            {
                "initialMargin": fixed(initial, AMOUNT_DECIMALS),
                "maintMargin": fixed(view.maintenance, AMOUNT_DECIMALS),
                "positionInitialMargin": fixed(initial, AMOUNT_DECIMALS),
                "openOrderInitialMargin": "0",
                "adl": 0,
                "bidNotional": "0",
                "askNotional": "0",
            }
        )
    return row


def flat_position_row(
    inst: Instrument, side: str, leverage: int, mode: MarginMode, *, v2: bool
) -> dict[str, Any]:
    """A zero row (v2 lists every symbol; v3 those with open orders only)."""
    row: dict[str, Any] = {
        "symbol": inst.symbol,
        "positionSide": side,
        "positionAmt": "0",
        "entryPrice": "0.0",
        "breakEvenPrice": "0.0",
        "markPrice": "0",
        "unRealizedProfit": fixed(0, AMOUNT_DECIMALS),
        "liquidationPrice": "0",
        "isolatedMargin": "0",
        "notional": "0",
        "marginAsset": inst.settle,
        "isolatedWallet": "0",
        "updateTime": 0,
    }
    if v2:
        row.update(
            {
                "marginType": "isolated" if mode is MarginMode.ISOLATED else "cross",
                "isAutoAddMargin": "false",
                "leverage": str(leverage),
                "maxNotionalValue": MAX_NOTIONAL,
            }
        )
    else:
        row.update(
            {
                "initialMargin": "0",
                "maintMargin": "0",
                "positionInitialMargin": "0",
                "openOrderInitialMargin": "0",
                "adl": 0,
                "bidNotional": "0",
                "askNotional": "0",
            }
        )
    return row


# One bracket per symbol (see .instruments): its notional cap is what any leverage allows.
BRACKET_CAP = Decimal(10) ** 9
MAX_NOTIONAL = fmt(BRACKET_CAP)


def bracket_row(inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": inst.symbol,
        "notionalCoef": 1.0,
        "brackets": [
            {
                "bracket": 1,
                "initialLeverage": inst.max_leverage,
                "notionalCap": int(BRACKET_CAP),
                "notionalFloor": 0,
                "maintMarginRatio": float(inst.mmr),
                "cum": 0.0,
            }
        ],
    }


def asset_row(bal: BalanceView, maintenance: Decimal, updated_ms: int) -> dict[str, Any]:
    """One ``assets`` entry of ``/fapi/v2|v3/account`` (margin figures of one settle coin)."""
    position_margin = bal.isolated_margin + bal.cross_margin
    return {
        "asset": bal.coin,
        "walletBalance": fixed(bal.wallet, AMOUNT_DECIMALS),
        "unrealizedProfit": fixed(bal.upnl, AMOUNT_DECIMALS),
        "marginBalance": fixed(bal.equity, AMOUNT_DECIMALS),
        "maintMargin": fixed(maintenance, AMOUNT_DECIMALS),
        "initialMargin": fixed(position_margin + bal.frozen, AMOUNT_DECIMALS),
        "positionInitialMargin": fixed(position_margin, AMOUNT_DECIMALS),
        "openOrderInitialMargin": fixed(bal.frozen, AMOUNT_DECIMALS),
        "crossWalletBalance": fixed(bal.wallet - bal.isolated_margin, AMOUNT_DECIMALS),
        "crossUnPnl": fixed(bal.upnl_cross, AMOUNT_DECIMALS),
        "availableBalance": fixed(bal.available, AMOUNT_DECIMALS),
        "maxWithdrawAmount": fixed(bal.available, AMOUNT_DECIMALS),
        "marginAvailable": True,
        "updateTime": updated_ms,
    }


def balance_row(bal: BalanceView, updated_ms: int) -> dict[str, Any]:
    """A ``/fapi/v2|v3/balance`` row."""
    return {
        "accountAlias": "SgsR",
        "asset": bal.coin,
        "balance": fixed(bal.wallet, AMOUNT_DECIMALS),
        "crossWalletBalance": fixed(bal.wallet - bal.isolated_margin, AMOUNT_DECIMALS),
        "crossUnPnl": fixed(bal.upnl_cross, AMOUNT_DECIMALS),
        "availableBalance": fixed(bal.available, AMOUNT_DECIMALS),
        "maxWithdrawAmount": fixed(bal.available, AMOUNT_DECIMALS),
        "marginAvailable": True,
        "updateTime": updated_ms,
    }


def income_rows(bill: Bill) -> list[dict[str, Any]]:
    """A wallet change as Binance's income history books it: a fill's PnL and its commission are
    two rows (``REALIZED_PNL``, ``COMMISSION``); funding is ``FUNDING_FEE``; a deposit ``TRANSFER``;
    what a liquidation takes beyond the loss ``INSURANCE_CLEAR``. Amounts are signed (a fee paid is
    negative). The PnL row's ``tranId`` is the fill's id, the others the bill's."""
    base = {"symbol": bill.symbol, "asset": bill.coin, "time": bill.t_ms, "info": ""}
    trade = bill.fill_id
    rows = []
    if bill.kind == "deposit":
        rows.append({**base, "incomeType": "TRANSFER", "income": fmt(bill.amount), "tranId": int(bill.id)})
        rows[-1]["info"] = "TRANSFER"
    elif bill.kind == "funding":
        rows.append({**base, "incomeType": "FUNDING_FEE", "income": fmt(bill.amount), "tranId": int(bill.id)})
        rows[-1]["info"] = "FUNDING_FEE"
    elif bill.kind == "liquidation":
        rows.append(
            {**base, "incomeType": "INSURANCE_CLEAR", "income": fmt(-bill.fee), "tranId": int(bill.id)}
        )
    else:
        if bill.amount != 0:
            rows.append(
                {
                    **base,
                    "incomeType": "REALIZED_PNL",
                    "income": fmt(bill.amount),
                    "tranId": int(trade or bill.id),
                }
            )
        if bill.fee != 0:
            rows.append(
                {**base, "incomeType": "COMMISSION", "income": fmt(-bill.fee), "tranId": int(bill.id)}
            )
    for row in rows:
        row["tradeId"] = trade
    return rows
