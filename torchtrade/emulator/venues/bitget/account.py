"""Bitget private account routes: balances, positions, leverage, margin and position modes, bills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...engine import (
    Account,
    MarginMode,
    PositionMode,
    PositionSide,
    Reason,
    TriggerKind,
)
from ...http import CallContext
from ..common.closed_positions import closed_positions
from ..common.positions import stale_aware
from . import errors, wire
from .common import RoutesBase, endpoint

# The businessType of the fee-rate query; "contract" is an alias of "mix" in Bitget's docs.
BUSINESS_TYPES = {"mix": "mix", "contract": "mix", "spot": "spot", "margin": "margin"}


class AccountRoutes(RoutesBase):
    # ------------------------------------------------------------------ private: account

    @endpoint("accounts", "GET", "/api/v2/mix/account/accounts")
    def accounts(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType"})
        product_type = self._product_type(p)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            return self._ok([])
        acct = self._account(ctx)
        coins = sorted({i.settle for i in self.emu.engine.instruments.values()} | set(acct.wallet))
        return self._ok([self._balance_row(acct, c) for c in coins])

    def _balance_row(self, acct: Account, coin: str) -> dict[str, Any]:
        eng = self.emu.engine
        btc = eng.last_price("BTCUSDT") if "BTCUSDT" in eng.instruments else None
        return wire.balance_row(eng.balance(acct.id, coin), btc)

    @endpoint("trade_rate", "GET", "/api/v2/common/trade-rate")
    def trade_rate(self, ctx: CallContext) -> Response:
        """The account's fee rates on one market (``fetch_trading_fee``): the instrument's, no VIP tiers."""
        p = self._query(ctx, {"symbol", "businessType"})
        business = p.choice("businessType", BUSINESS_TYPES, required=True)
        inst = self._instrument(p, None)
        assert inst is not None  # a required symbol
        if business != "mix":  # the emulator lists no spot or margin markets
            raise errors.unknown_symbol(inst.symbol)
        return self._ok({"makerFeeRate": wire.fmt(inst.maker_fee), "takerFeeRate": wire.fmt(inst.taker_fee)})

    @endpoint("account", "GET", "/api/v2/mix/account/account")
    def account(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"symbol", "productType", "marginCoin"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        acct = self._account(ctx)
        settings = self.emu.engine.settings(acct.id, inst.symbol)
        row = self._balance_row(acct, inst.settle)
        for key in (
            "assetList",
            "isolatedMargin",
            "crossedMargin",
            "unionTotalMagin",
            "unionAvailable",
            "unionMm",
        ):
            row.pop(key, None)
        row.update(
            {
                "crossedMarginLeverage": settings.long_leverage,
                "isolatedLongLever": settings.long_leverage,
                "isolatedShortLever": settings.short_leverage,
                "marginMode": settings.margin_mode.value,
                "posMode": "hedge_mode" if acct.position_mode is PositionMode.HEDGE else "one_way_mode",
            }
        )
        return self._ok(row)

    def _position_rows(self, acct: Account, symbol: str | None) -> list[dict[str, Any]]:
        eng = self.emu.engine
        rows = []
        for view in eng.positions(acct.id, symbol):
            pos = view.position
            inst = eng.instruments[pos.symbol]
            tp_id = sl_id = ""
            for t in eng.live_triggers(acct.id, pos.symbol):
                if t.pos_side is pos.side and t.kind is TriggerKind.POS_PROFIT:
                    tp_id = t.id
                elif t.pos_side is pos.side and t.kind is TriggerKind.POS_LOSS:
                    sl_id = t.id
            if pos.margin_mode is MarginMode.ISOLATED:
                base = view.margin + view.upnl
                maint = view.maintenance
            else:
                bal = eng.balance(acct.id, inst.settle)
                base = bal.wallet - bal.isolated_margin + bal.upnl_cross
                maint = bal.maintenance_cross
            ratio = maint / base if base > 0 else Decimal(1)
            rows.append(wire.position_row(view, inst, acct, tp_id, sl_id, ratio))
        return rows

    def _positions(self, ctx: CallContext, key: tuple[str, ...], rows: list[dict[str, Any]]) -> Response:
        """Serve position rows, or, under a ``stale_position`` fault, the rows served before."""
        return self._ok(stale_aware(self.emu, ctx, key, rows, []))

    @endpoint("all_positions", "GET", "/api/v2/mix/position/all-position", reads_position=True)
    def all_positions(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType", "marginCoin"})
        product_type = self._product_type(p)
        coin = p.str("marginCoin", max_len=16)
        code = p.ascii_code("marginCoin")
        acct = self._account(ctx)
        rows = [] if product_type != wire.SERVED_PRODUCT_TYPE else self._position_rows(acct, None)
        if coin is not None:
            rows = [r for r in rows if r["marginCoin"] == code]
        return self._positions(
            ctx, (acct.id, "all", product_type or "", code or ("" if coin is None else "?")), rows
        )

    @endpoint("single_position", "GET", "/api/v2/mix/position/single-position", reads_position=True)
    def single_position(self, ctx: CallContext) -> Response:
        p = self._query(ctx, {"productType", "marginCoin", "symbol"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        acct = self._account(ctx)
        return self._positions(ctx, (acct.id, "single", inst.symbol), self._position_rows(acct, inst.symbol))

    @endpoint("history_positions", "GET", "/api/v2/mix/position/history-position")
    def history_positions(self, ctx: CallContext) -> Response:
        """Closed positions (``fetch_positions_history``), newest first, 20 a page by default.

        Derived from the account's fills and bills (see :mod:`..common.closed_positions`).
        ``startTime`` and ``endTime`` bound the opening time (what ccxt filters ``since`` on),
        ``idLessThan`` pages back by position id; ``productType`` defaults to USDT-FUTURES, as on
        Bitget.
        """
        p = self._query(ctx, {"symbol", "productType", "idLessThan", "startTime", "endTime", "limit"})
        product_type = self._product_type(p, required=False) or wire.SERVED_PRODUCT_TYPE
        inst = self._instrument(p, product_type, required=False)
        acct = self._account(ctx)
        eng = self.emu.engine
        records = [r for r in closed_positions(acct) if inst is None or r.symbol == inst.symbol]
        page = self._page(records, p, key=lambda r: r.opened_ms, id_of=lambda r: r.id, default=20)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        rows = [wire.history_position_row(r, eng.instruments[r.symbol]) for r in page]
        return self._ok({"list": rows, "endId": rows[-1]["positionId"] if rows else None})

    @endpoint("set_leverage", "POST", "/api/v2/mix/account/set-leverage")
    def set_leverage(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "leverage", "holdSide"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        leverage = p.int("leverage", required=True)
        hold = p.choice("holdSide", {"long": PositionSide.LONG, "short": PositionSide.SHORT})
        if leverage < 1:  # type: ignore[operator]
            raise errors.bad_param("leverage", "must be >= 1")
        acct = self._account(ctx)
        if (
            hold is not None
            and self.emu.engine.settings(acct.id, inst.symbol).margin_mode is MarginMode.CROSSED
        ):
            hold = None  # crossed margin has one leverage for both sides; Bitget ignores holdSide there
        settings = self.emu.engine.set_leverage(acct.id, inst.symbol, leverage, hold)  # type: ignore[arg-type]
        return self._ok(
            {
                "symbol": inst.symbol,
                "marginCoin": inst.settle,
                "longLeverage": str(settings.long_leverage),
                "shortLeverage": str(settings.short_leverage),
                "crossMarginLeverage": str(settings.long_leverage),
                "marginMode": settings.margin_mode.value,
            }
        )

    @endpoint("set_margin_mode", "POST", "/api/v2/mix/account/set-margin-mode")
    def set_margin_mode(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"symbol", "productType", "marginCoin", "marginMode"})
        inst = self._market(p)
        self._check_margin_coin(p, inst)
        mode = p.choice("marginMode", wire.MARGIN_MODES, required=True)
        settings = self.emu.engine.set_margin_mode(ctx.account, inst.symbol, mode)  # type: ignore[arg-type]
        return self._ok(
            {
                "symbol": inst.symbol,
                "marginCoin": inst.settle,
                "longLeverage": str(settings.long_leverage),
                "shortLeverage": str(settings.short_leverage),
                "marginMode": settings.margin_mode.value,
            }
        )

    @endpoint(
        "set_position_mode",
        "POST",
        "/api/v2/mix/account/set-position-mode",
        overrides={Reason.HAS_POSITION_OR_ORDERS: errors.POSITION_MODE_LOCKED},
    )
    def set_position_mode(self, ctx: CallContext) -> Response:
        p = self._json(ctx, {"productType", "posMode"})
        product_type = self._product_type(p)
        mode = p.choice("posMode", wire.POS_MODES, required=True)
        if product_type != wire.SERVED_PRODUCT_TYPE:
            raise errors.bad_param("productType", "the emulator serves USDT-FUTURES only")
        self.emu.engine.set_position_mode(ctx.account, mode)  # type: ignore[arg-type]
        return self._ok({"posMode": "hedge_mode" if mode is PositionMode.HEDGE else "one_way_mode"})

    @endpoint("bills", "GET", "/api/v2/mix/account/bill")
    def bills(self, ctx: CallContext) -> Response:
        p = self._query(
            ctx,
            {
                "productType",
                "coin",
                "symbol",
                "businessType",
                "onlyFunding",
                "startTime",
                "endTime",
                "limit",
                "idLessThan",
            },
        )
        product_type = self._product_type(p)
        inst = self._instrument(p, product_type, required=False)
        coin = p.str("coin", max_len=16)
        code = p.ascii_code("coin")
        business = p.str("businessType", max_len=40)
        p.str("onlyFunding", max_len=8)
        acct = self._account(ctx)
        rows = [
            wire.bill_row(b)
            for b in acct.bills
            if (inst is None or b.symbol == inst.symbol) and (coin is None or b.coin == code)
        ]
        if business is not None:
            rows = [r for r in rows if r["businessType"] == business]
        page = self._page(rows, p, key=lambda r: int(r["cTime"]), id_of=lambda r: r["billId"])
        if product_type != wire.SERVED_PRODUCT_TYPE:
            page = []
        return self._ok({"bills": page, "endId": page[-1]["billId"] if page else None})
