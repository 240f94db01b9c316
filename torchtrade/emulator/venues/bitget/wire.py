"""Bitget V2 JSON shapes: engine objects in, venue rows out (and venue enums in, engine enums out).

Field names, string-encoded numbers and enum spellings are Bitget's own (see the sample answers in
``ccxt/bitget.py`` beside each parser). Every row carries every field the venue fills, so that ccxt's
unified structures come out complete.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...data import Candle
from ...engine import (
    Account,
    BalanceView,
    Bill,
    Fill,
    Instrument,
    MarginMode,
    Order,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    PositionView,
    Side,
    TimeInForce,
    TriggerKind,
    TriggerOrder,
    TriggerStatus,
)
from ..common.closed_positions import ClosedPosition
from ..common.market import PublicTrade
from ..common.numbers import fmt

PRODUCT_TYPES = {
    pt.lower(): pt
    for pt in (
        "USDT-FUTURES",
        "COIN-FUTURES",
        "USDC-FUTURES",
        "SUSDT-FUTURES",
        "SCOIN-FUTURES",
        "SUSDC-FUTURES",
    )
}
SERVED_PRODUCT_TYPE = "USDT-FUTURES"  # the emulator lists USDT-margined perpetuals only

MARGIN_MODES = {"isolated": MarginMode.ISOLATED, "crossed": MarginMode.CROSSED, "cross": MarginMode.CROSSED}
POS_MODES = {"one_way_mode": PositionMode.ONE_WAY, "hedge_mode": PositionMode.HEDGE}
SIDES = {"buy": Side.BUY, "sell": Side.SELL}
TRADE_SIDES = {"open": "open", "close": "close"}
ORDER_TYPES = {"market": OrderType.MARKET, "limit": OrderType.LIMIT}
FORCES = {
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
    "post_only": TimeInForce.POST_ONLY,
}
YES_NO = {"yes": True, "no": False}
HOLD_SIDES = {
    "long": PositionSide.LONG,
    "short": PositionSide.SHORT,
    "buy": PositionSide.LONG,
    "sell": PositionSide.SHORT,
}
TRIGGER_TYPES = {"mark_price": "mark_price", "fill_price": "fill_price"}

PLAN_TYPES = {
    TriggerKind.PLAN: "normal_plan",
    TriggerKind.POS_PROFIT: "pos_profit",
    TriggerKind.POS_LOSS: "pos_loss",
    TriggerKind.PARTIAL_PROFIT: "profit_plan",
    TriggerKind.PARTIAL_LOSS: "loss_plan",
}
TPSL_PLAN_TYPES = {v: k for k, v in PLAN_TYPES.items() if k is not TriggerKind.PLAN}
# The planType filter of the plan-order queries: profit_loss means every TP/SL kind.
PLAN_FILTERS = {
    "normal_plan": {TriggerKind.PLAN},
    "profit_loss": set(TPSL_PLAN_TYPES.values()),
    "track_plan": set(),  # trailing orders are not emulated: always an empty list
    **{name: {kind} for name, kind in TPSL_PLAN_TYPES.items()},
}
PLAN_STATUS = {
    TriggerStatus.LIVE: "live",
    TriggerStatus.TRIGGERED: "executed",
    TriggerStatus.CANCELED: "cancelled",
    TriggerStatus.FAILED: "fail_execute",
}


def envelope(data: Any, now_ms: int) -> dict[str, Any]:
    return {"code": "00000", "msg": "success", "requestTime": now_ms, "data": data}


def error_body(code: str, msg: str, now_ms: int) -> dict[str, Any]:
    return {"code": code, "msg": msg, "requestTime": now_ms, "data": None}


# ----------------------------------------------------------------------------- market data


def candle_row(c: Candle) -> list[str]:
    """A candle (``GET /api/v2/mix/market/candles`` and the history routes), every field a string:
    open time, open, high, low, close, base volume, quote volume."""
    return [
        str(c.t),
        fmt(c.open),
        fmt(c.high),
        fmt(c.low),
        fmt(c.close),
        fmt(c.volume),
        fmt(c.quote_volume, 6),
    ]


def contract_row(inst: Instrument) -> dict[str, Any]:
    decimals = inst.price_decimals
    end_step = (inst.tick_size * (Decimal(10) ** decimals)).to_integral_value()
    return {
        "symbol": inst.symbol,
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "buyLimitPriceRatio": "0.05",
        "sellLimitPriceRatio": "0.05",
        "feeRateUpRatio": "0.005",
        "makerFeeRate": fmt(inst.maker_fee),
        "takerFeeRate": fmt(inst.taker_fee),
        "openCostUpRatio": "0.01",
        "supportMarginCoins": [inst.settle],
        "minTradeNum": fmt(inst.min_qty),
        "priceEndStep": fmt(end_step),
        "volumePlace": str(inst.qty_decimals),
        "pricePlace": str(decimals),
        "sizeMultiplier": fmt(inst.lot_size),
        "symbolType": "perpetual",
        "minTradeUSDT": fmt(inst.min_notional),
        "maxSymbolOrderNum": "200",
        "maxProductOrderNum": "400",
        "maxPositionNum": "150",
        "symbolStatus": "normal",
        "offTime": "-1",
        "limitOpenTime": "-1",
        "deliveryTime": "",
        "deliveryStartTime": "",
        "deliveryPeriod": "",
        "launchTime": "",
        "fundInterval": str(inst.funding_interval_h),
        "minLever": "1",
        "maxLever": str(inst.max_leverage),
        "posLimit": "0.05",
        "maintainTime": "",
        "maxMarketOrderQty": fmt(inst.max_qty),
        "maxOrderQty": fmt(inst.max_qty),
    }


def coin_row(coin: str, coin_id: int) -> dict[str, Any]:
    return {
        "coinId": str(coin_id),
        "coin": coin,
        "transfer": "true",
        "areaCoin": "no",
        "chains": [
            {
                "chain": coin,
                "needTag": "false",
                "withdrawable": "true",
                "rechargeable": "true",
                "withdrawFee": "0",
                "extraWithdrawFee": "0",
                "depositConfirm": "1",
                "withdrawConfirm": "1",
                "minDepositAmount": "0",
                "minWithdrawAmount": "0",
                "browserUrl": "",
                "contractAddress": "",
                "withdrawStep": "0",
                "withdrawMinScale": "8",
                "congestion": "normal",
            }
        ],
    }


def leverage_tier_row(inst: Instrument, end_unit: Decimal) -> dict[str, Any]:
    """A position tier (``GET /api/v2/mix/market/query-position-lever``): notional bounds in USDT."""
    return {
        "symbol": inst.symbol,
        "level": "1",
        "startUnit": "0",
        "endUnit": fmt(end_unit, 0),
        "leverage": str(inst.max_leverage),
        "keepMarginRate": fmt(inst.mmr),
    }


def public_trade_row(symbol: str, trade: PublicTrade) -> dict[str, Any]:
    """A public fill (``GET /api/v2/mix/market/fills`` and ``fills-history``); side is the taker's."""
    return {
        "tradeId": str(trade.id),
        "price": fmt(trade.price),
        "size": fmt(trade.qty),
        "side": "sell" if trade.buyer_maker else "buy",
        "ts": str(trade.t_ms),
        "symbol": symbol,
    }


def symbol_price_row(inst: Instrument, price: Decimal, now_ms: int) -> dict[str, Any]:
    """``GET /api/v2/mix/market/symbol-price``. The emulator's mark and index are its last price."""
    text = fmt(price)
    return {"symbol": inst.symbol, "price": text, "indexPrice": text, "markPrice": text, "ts": str(now_ms)}


# ----------------------------------------------------------------------------- orders


def _order_sides(
    order_side: Side, pos_side: PositionSide | None, reduce_only: bool, source: OrderSource
) -> tuple[str, str, str, str]:
    """(side, tradeSide, posSide, posMode) as Bitget reports an order.

    Hedge mode names the *position*: closing a long is ``side=buy, tradeSide=close``.
    """
    if pos_side is not None:
        trade_side = "close" if reduce_only else "open"
        if source is OrderSource.LIQUIDATION:
            trade_side = f"burst_close_{pos_side.value}"
        return pos_side.opening_side.value, trade_side, pos_side.value, "hedge_mode"
    trade_side = f"{order_side.value}_single"
    if source is OrderSource.LIQUIDATION:
        trade_side = f"burst_{trade_side}"
    return order_side.value, trade_side, "net", "one_way_mode"


_ORDER_SOURCES = {
    OrderSource.PLAN: "plan",
    OrderSource.TAKE_PROFIT: "pos_profit",
    OrderSource.STOP_LOSS: "pos_loss",
    OrderSource.LIQUIDATION: "liquidation",
}


def order_row(order: Order, inst: Instrument, status_key: str = "state") -> dict[str, Any]:
    side, trade_side, pos_side, pos_mode = _order_sides(
        order.side, order.pos_side, order.reduce_only, order.source
    )
    kind = "market" if order.type is OrderType.MARKET else "limit"
    source = _ORDER_SOURCES.get(order.source)
    order_source = f"{source}_{kind}" if source else ("market" if kind == "market" else "normal")
    avg = order.avg_price
    canceled_by_user = order.status is OrderStatus.CANCELED and order.cancel_reason == "user"
    return {
        "symbol": order.symbol,
        "size": fmt(order.qty),
        "orderId": order.id,
        "clientOid": order.client_oid,
        "baseVolume": fmt(order.filled_qty),
        "priceAvg": fmt(avg, inst.price_decimals + 4) if avg else "",
        "fee": fmt(-order.fee) if order.fee else "0",
        "price": fmt(order.price) if order.price else "0",
        status_key: order.status.value,
        "side": side,
        "force": order.tif.value,
        "totalProfits": fmt(order.realized_pnl),
        "posSide": pos_side,
        "marginCoin": inst.settle,
        "presetStopSurplusPrice": fmt(order.take_profit),
        "presetStopSurplusType": "",
        "presetStopSurplusExecutePrice": fmt(order.take_profit_limit),
        "presetStopLossPrice": fmt(order.stop_loss),
        "presetStopLossType": "",
        "presetStopLossExecutePrice": fmt(order.stop_loss_limit),
        "quoteVolume": fmt(order.filled_value),
        "orderType": kind,
        "leverage": str(order.leverage),
        "marginMode": order.margin_mode.value,
        "reduceOnly": "YES" if order.reduce_only else "NO",
        "enterPointSource": "SYS" if order.source is OrderSource.LIQUIDATION else "API",
        "tradeSide": trade_side,
        "posMode": pos_mode,
        "orderSource": order_source,
        "cancelReason": "normal_cancel" if canceled_by_user else "",
        "cTime": str(order.created_ms),
        "uTime": str(order.updated_ms),
    }


def plan_row(
    trig: TriggerOrder, inst: Instrument, position_qty: Decimal | None, child: Order | None
) -> dict[str, Any]:
    side_enum = trig.side
    side, trade_side, pos_side, pos_mode = _order_sides(
        side_enum,
        trig.pos_side if trig.hedge else None,
        trig.reduce_only,
        OrderSource.API,
    )
    size = trig.qty if trig.qty is not None else position_qty
    kind = "market" if trig.execute_price is None else "limit"
    # A TP/SL order's own trigger is its take-profit or stop-loss price: ccxt reads it from these
    # fields (its unified stopLossPrice / takeProfitPrice), and freqtrade, which checks its stop-loss
    # on Bitget futures through stopLossPrice, relies on it. A plan order's are its attached TP/SL.
    take_profit, stop_loss = trig.take_profit, trig.stop_loss
    if trig.kind is not TriggerKind.PLAN:
        if trig.kind.is_loss:
            stop_loss = trig.trigger_price
        else:
            take_profit = trig.trigger_price
    row: dict[str, Any] = {
        "planType": PLAN_TYPES[trig.kind],
        "symbol": trig.symbol,
        "size": fmt(size),
        "orderId": trig.id,
        "clientOid": trig.client_oid,
        "price": fmt(trig.execute_price) if trig.execute_price else "0",
        "executePrice": fmt(trig.execute_price) if trig.execute_price else "0",
        "callbackRatio": "",
        "triggerPrice": fmt(trig.trigger_price),
        "triggerType": trig.meta.get("triggerType", "mark_price"),
        "planStatus": PLAN_STATUS[trig.status],
        "side": side,
        "posSide": pos_side,
        "marginCoin": inst.settle,
        "marginMode": trig.margin_mode.value,
        "enterPointSource": "API",
        "tradeSide": trade_side,
        "posMode": pos_mode,
        "orderType": kind,
        "reduceOnly": "YES" if trig.reduce_only else "NO",
        "orderSource": f"{PLAN_TYPES[trig.kind].replace('normal_', '')}_{kind}",
        "cTime": str(trig.created_ms),
        "uTime": str(trig.updated_ms),
        "stopSurplusExecutePrice": "",
        "stopSurplusTriggerPrice": fmt(take_profit),
        "stopSurplusTriggerType": "mark_price" if take_profit else "",
        "stopLossExecutePrice": "",
        "stopLossTriggerPrice": fmt(stop_loss),
        "stopLossTriggerType": "mark_price" if stop_loss else "",
    }
    if trig.status is not TriggerStatus.LIVE:
        row["executeOrderId"] = trig.order_id or ""
        row["priceAvg"] = fmt(child.avg_price) if child is not None and child.avg_price else ""
        row["baseVolume"] = fmt(child.filled_qty) if child is not None else "0"
    return row


def fill_row(fill: Fill, hedge: bool) -> dict[str, Any]:
    if hedge:
        trade_side = "open" if fill.opened_qty > 0 else "close"
        pos_mode = "hedge_mode"
    else:
        trade_side = f"{fill.side.value}_single"
        pos_mode = "one_way_mode"
    return {
        "tradeId": fill.id,
        "symbol": fill.symbol,
        "orderId": fill.order_id,
        "price": fmt(fill.price),
        "baseVolume": fmt(fill.qty),
        "feeDetail": [
            {
                "deduction": "no",
                "feeCoin": fill.fee_coin,
                "totalDeductionFee": "0",
                "totalFee": fmt(-fill.fee),
            }
        ],
        "side": fill.side.value,
        "quoteVolume": fmt(fill.price * fill.qty),
        "profit": fmt(fill.realized_pnl),
        "enterPointSource": "sys" if fill.source is OrderSource.LIQUIDATION else "api",
        "tradeSide": trade_side,
        "posMode": pos_mode,
        "tradeScope": "maker" if fill.maker else "taker",
        "cTime": str(fill.t_ms),
    }


# ----------------------------------------------------------------------------- account


def position_row(
    view: PositionView, inst: Instrument, acct: Account, tp_id: str, sl_id: str, margin_ratio: Decimal
) -> dict[str, Any]:
    pos = view.position
    pos_mode = "hedge_mode" if acct.position_mode is PositionMode.HEDGE else "one_way_mode"
    # Break-even: the price at which closing (paying the taker fee again) returns the fees paid.
    per_unit_fees = pos.fees / pos.qty if pos.qty else Decimal(0)
    sign = pos.side.sign
    break_even = (pos.entry_price + sign * per_unit_fees) / (1 - sign * inst.taker_fee)
    return {
        "marginCoin": inst.settle,
        "symbol": pos.symbol,
        "holdSide": pos.side.value,
        "openDelegateSize": "0",
        "marginSize": fmt(view.margin),
        "available": fmt(pos.qty),
        "locked": "0",
        "total": fmt(pos.qty),
        "leverage": str(pos.leverage),
        "achievedProfits": fmt(pos.realized_pnl),
        "openPriceAvg": fmt(pos.entry_price, inst.price_decimals + 4),
        "marginMode": pos.margin_mode.value,
        "posMode": pos_mode,
        "unrealizedPL": fmt(view.upnl),
        "liquidationPrice": fmt(view.liq_price) if view.liq_price > 0 else "0",
        "keepMarginRate": fmt(inst.mmr),
        "markPrice": fmt(view.mark),
        "breakEvenPrice": fmt(break_even, inst.price_decimals),
        "totalFee": fmt(-pos.funding) if pos.funding else "",
        "deductedFee": fmt(pos.fees),
        "takeProfit": fmt(view.take_profit),
        "stopLoss": fmt(view.stop_loss),
        "takeProfitId": tp_id,
        "stopLossId": sl_id,
        "marginRatio": fmt(margin_ratio),
        "assetMode": "single",
        "autoMargin": "off",
        "cTime": str(pos.opened_ms),
        "uTime": str(pos.updated_ms),
    }


def history_position_row(rec: ClosedPosition, inst: Instrument) -> dict[str, Any]:
    """A closed position (``GET /api/v2/mix/position/history-position``); fees and funding paid < 0.

    ``positionId``, ``posMode`` and ``leverage`` go beyond the sample in ccxt (which reads them when
    present): the position's id, mode and leverage as the venue's other position rows give them.
    """
    places = inst.price_decimals + 4
    return {
        "positionId": rec.id,
        "marginCoin": inst.settle,
        "symbol": rec.symbol,
        "holdSide": rec.side.value,
        "openAvgPrice": fmt(rec.open_avg, places),
        "closeAvgPrice": fmt(rec.close_avg, places),
        "marginMode": rec.margin_mode.value,
        "posMode": "hedge_mode" if rec.hedged else "one_way_mode",
        "leverage": str(rec.leverage),
        "openTotalPos": fmt(rec.open_qty),
        "closeTotalPos": fmt(rec.close_qty),
        "pnl": fmt(rec.pnl),
        "netProfit": fmt(rec.net_profit),
        "totalFunding": fmt(-rec.funding),
        "openFee": fmt(-rec.open_fee),
        "closeFee": fmt(-rec.close_fee),
        "ctime": str(rec.opened_ms),
        "utime": str(rec.closed_ms),
    }


def balance_row(bal: BalanceView, btc_price: Decimal | None) -> dict[str, Any]:
    cross_equity = bal.wallet - bal.isolated_margin + bal.upnl_cross
    risk = bal.maintenance_cross / cross_equity if cross_equity > 0 else Decimal(0)
    return {
        "marginCoin": bal.coin,
        "locked": fmt(bal.frozen),
        "available": fmt(bal.available),
        "crossedMaxAvailable": fmt(bal.available),
        "isolatedMaxAvailable": fmt(bal.available),
        "maxTransferOut": fmt(bal.available),
        "accountEquity": fmt(bal.equity),
        "usdtEquity": fmt(bal.equity),
        "btcEquity": fmt(bal.equity / btc_price) if btc_price else "0",
        "crossedRiskRate": fmt(risk),
        "unrealizedPL": fmt(bal.upnl),
        "coupon": "0",
        "unionTotalMagin": fmt(bal.equity),
        "unionAvailable": fmt(bal.available),
        "unionMm": fmt(bal.maintenance_cross),
        "assetList": [{"coin": bal.coin, "balance": fmt(bal.wallet), "available": fmt(bal.available)}],
        "isolatedMargin": fmt(bal.isolated_margin),
        "crossedMargin": fmt(bal.cross_margin),
        "crossedUnrealizedPL": fmt(bal.upnl_cross),
        "isolatedUnrealizedPL": fmt(bal.upnl_isolated),
        "assetMode": "single",
    }


def bill_row(bill: Bill) -> dict[str, Any]:
    """An account bill (``GET /api/v2/mix/account/bill``): the wallet changed by ``amount + fee``."""
    side = bill.pos_side.value if bill.pos_side is not None else ""
    business = {
        "deposit": "trans_from_exchange",
        "open": f"open_{side}",
        "close": f"close_{side}",
        "funding": "contract_settle_fee",
        "liquidation": f"burst_{side}_loss_query",
    }[bill.kind]
    return {
        "billId": bill.id,
        "symbol": bill.symbol,
        "amount": fmt(bill.amount),
        "fee": fmt(-bill.fee),
        "feeByCoupon": "",
        "businessType": business,
        "coin": bill.coin,
        "balance": fmt(bill.balance),
        "cTime": str(bill.t_ms),
    }
