"""Accounting of spot accounts: cash, holdings, margin figures, buying power, fees and day trades.

Simulation choices (Alpaca's documented rules, simplified where noted):

* Equity = cash + long market value + short market value (short value negative). A short sale credits
  its proceeds to cash; covering pays from it.
* Multiplier: a cash account 1; a margin account 1 below $2,000 of equity, 2 (Reg T) up to $25,000,
  then 4 (day trading), capped by the account's ``max_multiplier``.
* Initial margin (Reg T): 50% of marginable long and of short market value; 100% of non-marginable
  longs (crypto). Maintenance: a long holding at the asset's ``maintenance_margin_requirement``
  (non-marginable: 100%), a short at max(that, 30%).
* Buying power, each net of what open opening orders reserve: ``regt_buying_power`` =
  2 × (equity - initial margin) (at multiplier 1: cash); ``daytrading_buying_power`` =
  4 × (equity - maintenance margin) at multiplier 4 (Alpaca computes it from yesterday's figures at
  the open and spends it during the day; we use the live figures); ``buying_power`` is the one of
  the current multiplier; ``non_marginable_buying_power`` (crypto, non-marginable stocks and every
  purchase of a cash account) = min(cash, equity - initial margin). Settlement is immediate (no T+1
  unsettled funds, no good-faith violations).
* Fees: the instrument's maker/taker rate on the fill value. Crypto buys pay it in the asset bought
  (the holding grows by the quantity net of the fee, as on Alpaca); sells pay it in dollars. Stocks
  pay none (regulatory SEC/TAF fees on sales are not modelled).
* A day trade: a fill that reduces a stock holding of a margin account while shares were opened in
  the same session counts one day trade per order (several buys then one sale: one day trade).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from ..decimals import ZERO, money
from ..hours import ALWAYS_OPEN, MarketHours
from ..models import Fill
from ..state import Books
from ..types import PositionSide, Side
from .instruments import NANO, SpotInstrument
from .models import Holding, SpotAccount, SpotOrder
from .types import AccountKind, AssetClass, SpotConfig, SpotOrderStatus
from .views import SpotBalanceView, SpotPositionView

FOUR = Decimal(4)
TWO = Decimal(2)


@dataclass(frozen=True, slots=True)
class Figures:
    long_market_value: Decimal
    short_market_value: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal


class SpotAccounting:
    def __init__(self, books: Books, config: SpotConfig) -> None:
        self.books = books
        self.config = config
        stocks = [i for i in books.spot_instruments.values() if i.asset_class is AssetClass.US_EQUITY]
        #: The calendar of the account's day (last_equity, day-trade window): the stock market's.
        self.hours: MarketHours = stocks[0].hours if stocks else ALWAYS_OPEN
        #: Last session's closing price of every spot symbol (lastday_price).
        self.lastday: dict[str, Decimal] = {s: books.last[s] for s in books.spot_instruments}
        self.session_start_ms = books.now

    def instrument(self, symbol: str) -> SpotInstrument:
        return self.books.spot_instruments[symbol]

    # ------------------------------------------------------------------ figures

    def figures(self, acct: SpotAccount) -> Figures:
        long_mv = short_mv = initial = maintenance = ZERO
        cfg = self.config
        for pos in acct.positions.values():
            if pos.qty == 0:
                continue
            inst = self.instrument(pos.symbol)
            mv = pos.qty * self.books.last[pos.symbol]
            if pos.qty > 0:
                long_mv += mv
                marginable = inst.marginable and acct.kind is AccountKind.MARGIN
                initial += mv * (cfg.initial_margin_rate if marginable else 1)
                maintenance += mv * (inst.maintenance_margin_requirement if marginable else 1)
            else:
                short_mv += mv
                initial -= mv * cfg.initial_margin_rate
                maintenance -= mv * max(inst.maintenance_margin_requirement, cfg.short_maintenance_rate)
        return Figures(long_mv, short_mv, initial, maintenance)

    def equity(self, acct: SpotAccount, figures: Figures | None = None) -> Decimal:
        f = figures or self.figures(acct)
        return acct.cash + f.long_market_value + f.short_market_value

    def multiplier(self, acct: SpotAccount, equity: Decimal) -> int:
        if acct.kind is AccountKind.CASH or equity < self.config.margin_min_equity:
            return 1
        if equity >= self.config.pdt_min_equity:
            return min(acct.max_multiplier, 4)
        return min(acct.max_multiplier, 2)

    @staticmethod
    def reserved(acct: SpotAccount) -> Decimal:
        return sum((o.reserved for o in acct.working.values()), ZERO)

    def balance(self, acct: SpotAccount) -> SpotBalanceView:
        f = self.figures(acct)
        equity = self.equity(acct, f)
        m = self.multiplier(acct, equity)
        held = self.reserved(acct)
        cash_bp = max(acct.cash - held, ZERO)
        regt = cash_bp if m == 1 else max((equity - f.initial_margin) * TWO - held, ZERO)
        dtbp = max((equity - f.maintenance_margin) * FOUR - held, ZERO) if m == 4 else ZERO
        if acct.kind is AccountKind.CASH:
            nmbp = cash_bp
        else:
            nmbp = max(min(acct.cash, equity - f.initial_margin) - held, ZERO)
        count = self.daytrade_count(acct)
        return SpotBalanceView(
            kind=acct.kind,
            cash=money(acct.cash),
            equity=money(equity),
            last_equity=money(acct.last_equity),
            long_market_value=money(f.long_market_value),
            short_market_value=money(f.short_market_value),
            buying_power=money(dtbp if m == 4 else regt),
            regt_buying_power=money(regt),
            daytrading_buying_power=money(dtbp),
            non_marginable_buying_power=money(nmbp),
            initial_margin=money(f.initial_margin),
            maintenance_margin=money(f.maintenance_margin),
            last_maintenance_margin=money(acct.last_maintenance_margin),
            multiplier=m,
            shorting_enabled=acct.shorting_enabled and acct.kind is AccountKind.MARGIN,
            daytrade_count=count,
            pattern_day_trader=count > self.config.pdt_max_day_trades,
            reserved=money(held),
            accrued_fees=ZERO,
        )

    def opening_power(self, acct: SpotAccount, inst: SpotInstrument, balance: SpotBalanceView) -> Decimal:
        """What an order opening (or adding to) a holding in ``inst`` may spend."""
        if inst.is_crypto or not inst.marginable or acct.kind is AccountKind.CASH:
            return balance.non_marginable_buying_power
        return balance.buying_power

    # ------------------------------------------------------------------ orders holding quantity

    @staticmethod
    def held_for_orders(acct: SpotAccount, symbol: str, side: Side, estimate: Decimal) -> Decimal:
        """Quantity that open ``side`` orders in ``symbol`` would take from the holding.

        The exits of one bracket or OCO count once (only one of them can fill); a notional order
        counts at ``notional / estimate``; legs still held for their entry count nothing.
        """
        groups: dict[str, Decimal] = {}
        for o in acct.working.values():
            if o.symbol != symbol or o.side is not side or o.status is SpotOrderStatus.HELD:
                continue
            rest = o.remaining_qty
            if rest is None:
                rest = (o.notional or ZERO) / estimate if estimate > 0 else ZERO
            key = o.parent_id or o.id
            groups[key] = max(groups.get(key, ZERO), rest)
        return sum(groups.values(), ZERO)

    # ------------------------------------------------------------------ fills

    def apply_fill(
        self, acct: SpotAccount, order: SpotOrder, price: Decimal, qty: Decimal, *, maker: bool
    ) -> Fill:
        """Book one fill of ``order``: cash, holding, fee, day trades, the order, the ledger."""
        books = self.books
        now = books.now
        inst = self.instrument(order.symbol)
        rate = inst.maker_fee if maker else inst.taker_fee
        value = price * qty
        if order.side is Side.BUY:
            acct.cash -= value
            if inst.is_crypto and rate:
                fee = (qty * rate).quantize(NANO, rounding=ROUND_HALF_EVEN)
                fee_coin = inst.base
            else:
                fee, fee_coin = ZERO, inst.quote
            delta = qty - fee
        else:
            fee = money(value * rate)
            fee_coin = inst.quote
            acct.cash += value - fee
            acct.fees_cash += fee
            delta = -qty
        opened, closed, pnl = self._move_holding(acct, inst, price, delta)
        if closed or opened:
            self._count_day_trade(acct, order, inst, opened, closed)

        order.filled_qty += qty
        order.filled_value += value
        order.fee += fee
        order.updated_ms = now
        order.filled_ms = now
        if order.qty is None:
            order.qty = qty  # a notional order's quantity is what it filled
        done = order.filled_qty >= order.qty
        order.status = SpotOrderStatus.FILLED if done else SpotOrderStatus.PARTIALLY_FILLED
        if done:
            order.reserved = ZERO
            acct.working.pop(order.id, None)
        elif order.reserved:
            rest = order.qty - order.filled_qty
            order.reserved = order.reserved * rest / (rest + qty)  # what is left still holds its share
        pos = acct.positions.get(order.symbol)
        fill = books.record_fill(
            acct.fills,
            order_id=order.id,
            client_oid=order.client_order_id,
            account=acct.id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            qty=qty,
            fee=fee,
            fee_coin=fee_coin,
            maker=maker,
            realized_pnl=pnl,
            pos_side=pos.side if pos is not None and pos.qty else PositionSide.of(order.side),
            opened_qty=opened,
            closed_qty=closed,
            source=order.source,
            order_status=order.status,
            cash=acct.cash,
        )
        return fill

    def _move_holding(
        self, acct: SpotAccount, inst: SpotInstrument, price: Decimal, delta: Decimal
    ) -> tuple[Decimal, Decimal, Decimal]:
        """Apply a signed quantity change at ``price``: (opened, closed, realized PnL)."""
        now = self.books.now
        pos = acct.positions.get(inst.symbol)
        held = pos.qty if pos is not None else ZERO
        closed = ZERO
        pnl = ZERO
        if held and (held > 0) != (delta > 0):
            closed = min(abs(delta), abs(held))
            sign = 1 if held > 0 else -1
            assert pos is not None
            pnl = (price - pos.avg_entry_price) * closed * sign
            pos.qty -= sign * closed
            pos.realized_pl += pnl
            pos.updated_ms = now
            acct.realized_pl += pnl
            if pos.qty == 0:
                self._log_holding("position_close", pos)
                acct.closed_positions.append(pos)
                del acct.positions[inst.symbol]
                pos = None
            else:
                self._log_holding("position_update", pos)
        opened = abs(delta) - closed
        if opened > 0:
            sign = 1 if delta > 0 else -1
            event = "position_update"
            if pos is None:
                pos = Holding(
                    account=acct.id,
                    symbol=inst.symbol,
                    asset_class=inst.asset_class,
                    opened_ms=now,
                    id=self.books.new_id(),
                )
                acct.positions[inst.symbol] = pos
                event = "position_open"
            size = abs(pos.qty)
            pos.avg_entry_price = (pos.avg_entry_price * size + price * opened) / (size + opened)
            pos.qty += sign * opened
            pos.updated_ms = now
            self._log_holding(event, pos)
        return opened, closed, pnl

    def _log_holding(self, kind: str, pos: Holding) -> None:
        self.books.ledger.append(
            kind,
            self.books.now,
            account=pos.account,
            symbol=pos.symbol,
            qty=pos.qty,
            entry_price=pos.avg_entry_price,
            realized_pnl=pos.realized_pl,
            position_id=pos.id,
        )

    # ------------------------------------------------------------------ day trades

    def _today(self, acct: SpotAccount) -> None:
        day = self.hours.session_date(self.books.now)
        if acct.today != day:
            acct.today = day
            acct.opened_today = {}

    def _count_day_trade(
        self, acct: SpotAccount, order: SpotOrder, inst: SpotInstrument, opened: Decimal, closed: Decimal
    ) -> None:
        if acct.kind is not AccountKind.MARGIN or inst.asset_class is not AssetClass.US_EQUITY:
            return
        self._today(acct)
        sym = inst.symbol
        if closed > 0:
            today = acct.opened_today.get(sym, ZERO)
            if today > 0:
                if not order.day_trade:
                    order.day_trade = True
                    assert acct.today is not None
                    acct.day_trades.append(acct.today)
                    self.books.ledger.append(
                        "day_trade", self.books.now, account=acct.id, symbol=sym, order_id=order.id
                    )
                acct.opened_today[sym] = today - min(today, closed)
        if opened > 0:
            acct.opened_today[sym] = acct.opened_today.get(sym, ZERO) + opened

    def would_day_trade(self, acct: SpotAccount, inst: SpotInstrument, side: Side) -> bool:
        """Whether an order on ``side`` would close shares opened in this session."""
        if acct.kind is not AccountKind.MARGIN or inst.asset_class is not AssetClass.US_EQUITY:
            return False
        held = acct.position_qty(inst.symbol)
        if held == 0 or (held > 0) == (side is Side.BUY):
            return False
        self._today(acct)
        return acct.opened_today.get(inst.symbol, ZERO) > 0

    def daytrade_count(self, acct: SpotAccount) -> int:
        """Day trades in the last ``pdt_window`` sessions, today included."""
        if not acct.day_trades:
            return 0
        today = self.hours.session_date(self.books.now)
        try:
            first = self.hours.sessions_back(today, self.config.pdt_window - 1)
        except ValueError:  # the window starts before the calendar's first session: all of it counts
            return sum(1 for d in acct.day_trades if d <= today)
        return sum(1 for d in acct.day_trades if first <= d <= today)

    # ------------------------------------------------------------------ sessions

    def roll(self, accounts: list[SpotAccount]) -> None:
        """A session ended: remember each account's equity and each symbol's closing price."""
        for acct in accounts:
            f = self.figures(acct)
            acct.last_equity = self.equity(acct, f)
            acct.last_maintenance_margin = f.maintenance_margin
        for sym in self.lastday:
            self.lastday[sym] = self.books.last[sym]
        self.session_start_ms = self.books.now

    # ------------------------------------------------------------------ positions

    def position_view(self, acct: SpotAccount, pos: Holding) -> SpotPositionView:
        """Simulation choice: the intraday P&L of a holding opened in the current session is measured
        from its entry price, of an older one from the last close (a holding added to today mixes
        both on Alpaca; we take the last close)."""
        inst = self.instrument(pos.symbol)
        px = self.books.last[pos.symbol]
        lastday = self.lastday[pos.symbol]
        mv = pos.qty * px
        cost = pos.cost_basis
        upl = mv - cost
        basis = pos.avg_entry_price if pos.opened_ms >= self.session_start_ms else lastday
        intraday = pos.qty * (px - basis)
        closing = Side.SELL if pos.qty > 0 else Side.BUY
        held = self.held_for_orders(acct, pos.symbol, closing, px)
        return SpotPositionView(
            symbol=pos.symbol,
            asset_class=pos.asset_class,
            side=pos.side,
            qty=pos.qty,
            qty_available=max(abs(pos.qty) - held, ZERO) * (1 if pos.qty > 0 else -1),
            avg_entry_price=pos.avg_entry_price,
            cost_basis=money(cost),
            market_value=money(mv),
            current_price=px,
            lastday_price=lastday,
            change_today=(px - lastday) / lastday if lastday else ZERO,
            unrealized_pl=money(upl),
            unrealized_plpc=upl / abs(cost) if cost else ZERO,
            unrealized_intraday_pl=money(intraday),
            unrealized_intraday_plpc=intraday / abs(pos.qty * basis) if basis else ZERO,
            asset_marginable=inst.marginable,
        )
