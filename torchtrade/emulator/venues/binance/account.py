"""Binance private account routes: account and balances, positions, leverage, margin type,
position mode, leverage brackets, income history, fee rates and symbol settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ...engine import Account, MarginMode, PositionMode, PositionSide, Reason
from ...http import CallContext
from ..common.numbers import fixed, fmt
from ..common.positions import stale_aware
from . import errors, wire
from .common import WEEK_MS, RoutesBase, ascending_page, endpoint

INCOME_LIMIT_DEFAULT = 100
INCOME_LIMIT_MAX = 1000
LEVERAGE_MAX = 125  # Binance's largest leverage on any USD-M symbol
SUCCESS = {"code": 200, "msg": "success"}


class AccountRoutes(RoutesBase):
    # ------------------------------------------------------------------ balances

    def _last_update(self, acct: Account, coin: str) -> int:
        # ccxt skips a v3 account asset whose updateTime is 0 ("never used"): the time of the
        # account's last wallet change in that coin (its deposit at the latest).
        for bill in reversed(acct.bills):
            if bill.coin == coin:
                return bill.t_ms
        return 0

    def _coins(self, acct: Account) -> list[str]:
        return sorted({i.settle for i in self.emu.engine.instruments.values()} | set(acct.wallet))

    def _maintenance(self, acct: Account, coin: str) -> Decimal:
        eng = self.emu.engine
        return sum(
            (
                v.maintenance
                for v in eng.positions(acct.id)
                if eng.instruments[v.position.symbol].settle == coin
            ),
            Decimal(0),
        )

    def _account_answer(self, acct: Account, *, v2: bool) -> dict[str, Any]:
        eng = self.emu.engine
        assets = []
        totals: dict[str, Decimal] = {}
        for coin in self._coins(acct):
            bal = eng.balance(acct.id, coin)
            row = wire.asset_row(bal, self._maintenance(acct, coin), self._last_update(acct, coin))
            assets.append(row)
            if coin == "USDT":
                totals = {k: Decimal(row[k]) for k in row if isinstance(row[k], str) and k != "asset"}

        def fmt8(name: str) -> str:
            return fixed(totals.get(name, Decimal(0)), 8)

        positions = []
        for view in eng.positions(acct.id):
            inst = eng.instruments[view.position.symbol]
            row = wire.position_risk_row(view, inst, acct, v2=False)
            positions.append(
                {
                    k: row[k]
                    for k in (
                        "symbol",
                        "positionSide",
                        "positionAmt",
                        "unRealizedProfit",
                        "isolatedMargin",
                        "notional",
                        "isolatedWallet",
                        "initialMargin",
                        "maintMargin",
                        "updateTime",
                    )
                }
            )
            positions[-1]["unrealizedProfit"] = positions[-1].pop("unRealizedProfit")
            if v2:
                positions[-1].update(
                    {
                        "leverage": str(view.position.leverage),
                        "entryPrice": row["entryPrice"],
                        "breakEvenPrice": row["breakEvenPrice"],
                        "positionInitialMargin": row["positionInitialMargin"],
                        "openOrderInitialMargin": "0",
                        "isolated": view.position.margin_mode is MarginMode.ISOLATED,
                        "maxNotional": wire.MAX_NOTIONAL,
                        "bidNotional": "0",
                        "askNotional": "0",
                    }
                )
        answer: dict[str, Any] = {
            "totalInitialMargin": fmt8("initialMargin"),
            "totalMaintMargin": fmt8("maintMargin"),
            "totalWalletBalance": fmt8("walletBalance"),
            "totalUnrealizedProfit": fmt8("unrealizedProfit"),
            "totalMarginBalance": fmt8("marginBalance"),
            "totalPositionInitialMargin": fmt8("positionInitialMargin"),
            "totalOpenOrderInitialMargin": fmt8("openOrderInitialMargin"),
            "totalCrossWalletBalance": fmt8("crossWalletBalance"),
            "totalCrossUnPnl": fmt8("crossUnPnl"),
            "availableBalance": fmt8("availableBalance"),
            "maxWithdrawAmount": fmt8("maxWithdrawAmount"),
            "assets": assets,
            "positions": positions,
        }
        if v2:
            answer.update(
                {
                    "feeTier": 0,
                    "feeBurn": False,
                    "canTrade": True,
                    "canDeposit": True,
                    "canWithdraw": True,
                    "updateTime": 0,
                    "multiAssetsMargin": False,
                    "tradeGroupId": -1,
                }
            )
        return answer

    @endpoint("account_v3", "GET", "/fapi/v3/account", weight=5, reads_position=True)
    def account_v3(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        acct = self._account(ctx)
        return self._ok(
            stale_aware(self.emu, ctx, (acct.id, "account", 3), self._account_answer(acct, v2=False), {})
        )

    @endpoint("account_v2", "GET", "/fapi/v2/account", weight=5, reads_position=True)
    def account_v2(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        acct = self._account(ctx)
        return self._ok(
            stale_aware(self.emu, ctx, (acct.id, "account", 2), self._account_answer(acct, v2=True), {})
        )

    def _balances(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        acct = self._account(ctx)
        eng = self.emu.engine
        return self._ok(
            [wire.balance_row(eng.balance(acct.id, c), self._last_update(acct, c)) for c in self._coins(acct)]
        )

    @endpoint("balance_v3", "GET", "/fapi/v3/balance", weight=5)
    def balance_v3(self, ctx: CallContext) -> Response:
        return self._balances(ctx)

    @endpoint("balance_v2", "GET", "/fapi/v2/balance", weight=5)
    def balance_v2(self, ctx: CallContext) -> Response:
        return self._balances(ctx)

    # ------------------------------------------------------------------ positions

    def _position_rows(self, acct: Account, symbol: str | None, *, v2: bool) -> list[dict[str, Any]]:
        """v3: open positions, and zero rows for symbols with open orders only; v2: every symbol
        (one row in one-way mode, LONG and SHORT in hedge mode), open or not."""
        eng = self.emu.engine
        hedge = acct.position_mode is PositionMode.HEDGE
        rows = []
        for inst in eng.instruments.values():
            if symbol is not None and inst.symbol != symbol:
                continue
            settings = eng.settings(acct.id, inst.symbol)
            views = {v.position.side: v for v in eng.positions(acct.id, inst.symbol)}
            busy = any(o.symbol == inst.symbol for o in acct.working.values()) or any(
                t.symbol == inst.symbol for t in acct.live.values()
            )
            sides = [PositionSide.LONG, PositionSide.SHORT] if hedge else [None]
            for side in sides:
                view = next(iter(views.values()), None) if side is None else views.get(side)
                if view is not None:
                    rows.append(wire.position_risk_row(view, inst, acct, v2=v2))
                elif v2 or (busy and not views):
                    name = wire.position_side_out(side)
                    lev = settings.leverage(side or PositionSide.LONG)
                    rows.append(wire.flat_position_row(inst, name, lev, settings.margin_mode, v2=v2))
        return rows

    def _position_risk(self, ctx: CallContext, *, v2: bool) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._symbol(ctx, p, required=False)
        acct = self._account(ctx)
        symbol = inst.symbol if inst is not None else None
        rows = self._position_rows(acct, symbol, v2=v2)
        return self._ok(stale_aware(self.emu, ctx, (acct.id, "positionRisk", v2, symbol), rows, []))

    @endpoint("position_risk_v3", "GET", "/fapi/v3/positionRisk", weight=5, reads_position=True)
    def position_risk_v3(self, ctx: CallContext) -> Response:
        return self._position_risk(ctx, v2=False)

    @endpoint("position_risk_v2", "GET", "/fapi/v2/positionRisk", weight=5, reads_position=True)
    def position_risk_v2(self, ctx: CallContext) -> Response:
        return self._position_risk(ctx, v2=True)

    # ------------------------------------------------------------------ settings

    @endpoint(
        "set_leverage",
        "POST",
        "/fapi/v1/leverage",
        overrides={Reason.INSUFFICIENT_MARGIN: errors.LEVERAGE_MARGIN},
    )
    def set_leverage(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "leverage"})
        inst = self._market(ctx, p)
        raw = p.raw("leverage")
        leverage = p.int("leverage", required=True)
        if not 1 <= leverage <= min(inst.max_leverage, LEVERAGE_MAX):  # type: ignore[operator]
            raise errors.bad_leverage(raw)
        settings = self.emu.engine.set_leverage(ctx.account, inst.symbol, leverage)  # type: ignore[arg-type]
        return self._ok(
            {
                "leverage": settings.long_leverage,
                "maxNotionalValue": wire.MAX_NOTIONAL,
                "symbol": inst.symbol,
            }
        )

    def _busy(self, acct: Account, symbol: str | None) -> tuple[bool, bool]:
        """(open orders or conditional orders, open positions) in ``symbol`` (None: any)."""
        orders = any(symbol in (None, o.symbol) for o in acct.working.values()) or any(
            symbol in (None, t.symbol) for t in acct.live.values()
        )
        return orders, bool(acct.open_positions(symbol))

    @endpoint("set_margin_type", "POST", "/fapi/v1/marginType")
    def set_margin_type(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol", "marginType"})
        inst = self._market(ctx, p)
        mode = p.choice("marginType", wire.MARGIN_TYPES, required=True)
        acct = self._account(ctx)
        if self.emu.engine.settings(acct.id, inst.symbol).margin_mode is mode:
            raise errors.MARGIN_TYPE_UNCHANGED
        orders, positions = self._busy(acct, inst.symbol)
        if positions:
            raise errors.MARGIN_TYPE_POSITION
        if orders:
            raise errors.MARGIN_TYPE_OPEN_ORDERS
        self.emu.engine.set_margin_mode(acct.id, inst.symbol, mode)  # type: ignore[arg-type]
        return self._ok(SUCCESS)

    @endpoint("position_mode", "GET", "/fapi/v1/positionSide/dual", weight=30)
    def position_mode(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        return self._ok({"dualSidePosition": self._account(ctx).position_mode is PositionMode.HEDGE})

    @endpoint("set_position_mode", "POST", "/fapi/v1/positionSide/dual")
    def set_position_mode(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"dualSidePosition"})
        hedge = self._bool(p, "dualSidePosition")
        if hedge is None:
            raise errors.mandatory("dualSidePosition")
        acct = self._account(ctx)
        mode = PositionMode.HEDGE if hedge else PositionMode.ONE_WAY
        if acct.position_mode is mode:
            raise errors.POSITION_SIDE_UNCHANGED
        orders, positions = self._busy(acct, None)
        if positions:
            raise errors.POSITION_SIDE_POSITION
        if orders:
            raise errors.POSITION_SIDE_OPEN_ORDERS
        self.emu.engine.set_position_mode(acct.id, mode)
        return self._ok(SUCCESS)

    @endpoint("leverage_bracket", "GET", "/fapi/v1/leverageBracket", weight=1)
    def leverage_bracket(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._symbol(ctx, p, required=False)
        if inst is not None:
            return self._ok([wire.bracket_row(inst)])
        return self._ok([wire.bracket_row(i) for i in self.emu.engine.instruments.values()])

    @endpoint("commission_rate", "GET", "/fapi/v1/commissionRate", weight=20)
    def commission_rate(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._market(ctx, p)
        return self._ok(
            {
                "symbol": inst.symbol,
                "makerCommissionRate": fmt(inst.maker_fee),
                "takerCommissionRate": fmt(inst.taker_fee),
                "rpiCommissionRate": "0",
            }
        )

    @endpoint("symbol_config", "GET", "/fapi/v1/symbolConfig", weight=5)
    def symbol_config(self, ctx: CallContext) -> Response:
        p = self._params(ctx, {"symbol"})
        inst = self._symbol(ctx, p, required=False)
        acct = self._account(ctx)
        eng = self.emu.engine
        rows = []
        for i in [inst] if inst is not None else list(eng.instruments.values()):
            s = eng.settings(acct.id, i.symbol)
            rows.append(
                {
                    "symbol": i.symbol,
                    "marginType": "ISOLATED" if s.margin_mode is MarginMode.ISOLATED else "CROSSED",
                    "isAutoAddMargin": "false",
                    "leverage": s.long_leverage,
                    "maxNotionalValue": wire.MAX_NOTIONAL,
                }
            )
        return self._ok(rows)

    @endpoint("account_config", "GET", "/fapi/v1/accountConfig", weight=5)
    def account_config(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        acct = self._account(ctx)
        return self._ok(
            {
                "feeTier": 0,
                "canTrade": True,
                "canDeposit": True,
                "canWithdraw": True,
                "dualSidePosition": acct.position_mode is PositionMode.HEDGE,
                "updateTime": 0,
                "multiAssetsMargin": False,
                "tradeGroupId": -1,
            }
        )

    @endpoint("multi_assets_margin", "GET", "/fapi/v1/multiAssetsMargin", weight=30)
    def multi_assets_margin(self, ctx: CallContext) -> Response:
        self._params(ctx, set())
        return self._ok({"multiAssetsMargin": False})  # single-asset mode: USDT margins USDT markets

    # ------------------------------------------------------------------ income

    @endpoint("income", "GET", "/fapi/v1/income", weight=30)
    def income(self, ctx: CallContext) -> Response:
        """The wallet's history (``fetch_funding_history`` asks ``incomeType=FUNDING_FEE``)."""
        p = self._params(ctx, {"symbol", "incomeType", "startTime", "endTime", "page", "limit"})
        inst = self._symbol(ctx, p, required=False)
        kind = p.choice("incomeType", wire.INCOME_TYPES)
        start, end = self._window(p)
        p.int("page", lo=1)
        limit = (
            p.int("limit", default=INCOME_LIMIT_DEFAULT, lo=1, hi=INCOME_LIMIT_MAX) or INCOME_LIMIT_DEFAULT
        )
        recent = start is None and end is None
        if recent:
            start = self.emu.engine.now_ms - WEEK_MS  # "the recent 7-day data"
        acct = self._account(ctx)
        rows = [
            r
            for bill in acct.bills
            for r in wire.income_rows(bill)
            if (inst is None or r["symbol"] == inst.symbol)
            and (kind is None or r["incomeType"] == kind)
            and (start is None or r["time"] >= start)
            and (end is None or r["time"] <= end)
        ]
        page = ascending_page(
            rows,
            key=lambda r: r["time"],
            id_of=lambda r: r["tranId"],
            start=None if recent else start,
            end=None,
            from_id=None,
            limit=limit,
        )
        return self._ok(page)
