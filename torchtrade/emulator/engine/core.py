"""The matching and margin engine: one for every venue the emulator speaks.

Pure Python, deterministic, no I/O. Time only moves through :meth:`Engine.advance_to`, which replays
every base bar that closed since the last call: resting limit orders, trigger orders (plan orders and
position TP/SL), liquidations and funding are all evaluated there, bar by bar, in time order.

Every verb either raises :class:`~.errors.EngineError` without changing anything, or applies its change
completely and appends it to the :class:`~.ledger.Ledger`.

Simulation choices are documented where they are made; see also :mod:`.pricing` (fill prices),
:mod:`.intrabar` (order of events inside a bar) and :mod:`.margin` (liquidation).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol, TypeVar

from .errors import EngineError, OrderRejected, Reason
from .instruments import Instrument
from .intrabar import BarEvent, BarPath, EventType
from .ledger import Ledger
from .margin import cross_liquidation_price, isolated_liquidation_price
from .models import Account, Bill, Fill, Order, Position, SymbolSettings, TriggerOrder
from .pricing import PriceModel
from .types import (
    Direction,
    MarginMode,
    OrderRequest,
    OrderSource,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    TriggerKind,
    TriggerRequest,
    TriggerStatus,
)

ZERO = Decimal(0)
ONE = Decimal(1)
MONEY = Decimal("1e-8")  # fees, PnL and funding are settled to 8 decimals, as venues report them
HOUR_MS = 3_600_000


class BarLike(Protocol):
    t: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


class PriceSource(Protocol):
    """What the engine needs from a replayed series (see :class:`torchtrade.emulator.data.ReplaySeries`)."""

    base_ms: int

    def closed_between(self, after_ms: int, upto_ms: int) -> list[Any]: ...

    def last_price(self, now_ms: int) -> Decimal: ...


def _money(x: Decimal) -> Decimal:
    return x.quantize(MONEY, rounding=ROUND_HALF_EVEN)


F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: Engine, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """Knobs of the simulation.

    Attributes:
        price_model: synthetic book spread and taker slippage (see :mod:`.pricing`).
        funding_rate: rate charged every funding interval (positive: longs pay shorts), unless
            ``funding_rates`` gives one for the symbol.
        funding_rates: per-symbol constant rates.
        default_leverage: leverage of a symbol before set-leverage is called.
        default_margin_mode: margin mode of a symbol before set-margin-mode is called.
        default_position_mode: position mode of a new account.
        client_oid_reuse: False (Bitget): a client order id is refused once any order carried it.
            True (Binance: "a unique id among open orders"): it is refused only while the order
            that carries it is open (a resting order, a live trigger); a lookup by client id finds
            the newest order that carried it.
        reduce_only_min_notional: True (Bitget): a reduce-only order that does not close the whole
            position must be worth the minimum notional. False (Binance: "Order's notional must be
            no smaller than ... (unless you choose reduce only)"): reduce-only orders are exempt
            (the minimum quantity still applies).
    """

    price_model: PriceModel = dataclasses.field(default_factory=PriceModel)
    funding_rate: Decimal = Decimal("0.0001")
    funding_rates: Mapping[str, Decimal] | None = None
    default_leverage: int = 20
    default_margin_mode: MarginMode = MarginMode.CROSSED
    default_position_mode: PositionMode = PositionMode.ONE_WAY
    client_oid_reuse: bool = False
    reduce_only_min_notional: bool = True


@dataclass(frozen=True, slots=True)
class BalanceView:
    """An account's balance in one settle coin, valued at the current mark prices."""

    coin: str
    wallet: Decimal  # cash: deposits + realized PnL - fees - funding
    equity: Decimal  # wallet + unrealized PnL
    available: Decimal  # what a new order may use as margin
    frozen: Decimal  # margin reserved by resting orders
    isolated_margin: Decimal
    cross_margin: Decimal  # initial margin of crossed positions
    upnl: Decimal
    upnl_cross: Decimal
    upnl_isolated: Decimal
    maintenance_cross: Decimal


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with the figures that depend on the mark price."""

    position: Position
    mark: Decimal
    upnl: Decimal
    margin: Decimal  # isolated margin, or initial margin (entry value / leverage) when crossed
    maintenance: Decimal
    liq_price: Decimal
    take_profit: Decimal | None
    stop_loss: Decimal | None


class Engine:
    """Venue-neutral matching and margin engine over replayed candles.

    Args:
        instruments: tradable instruments by symbol id.
        prices: a price source (replayed candles) for every instrument.
        start_ms: the engine's present when created; bars closed at that instant are history.
        config: simulation knobs.
        ledger: where every state change is recorded (a new one if omitted).
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        prices: Mapping[str, PriceSource],
        *,
        start_ms: int,
        config: EngineConfig | None = None,
        ledger: Ledger | None = None,
        first_id: int = 1,
    ) -> None:
        missing = set(instruments) - set(prices)
        if missing:
            raise ValueError(f"no price source for instruments {sorted(missing)}")
        self.instruments = dict(instruments)
        self.config = config or EngineConfig()
        self.ledger = ledger if ledger is not None else Ledger()
        self._prices = {s: prices[s] for s in self.instruments}
        self._lock = threading.RLock()
        self._now = start_ms
        self._last = {s: src.last_price(start_ms) for s, src in self._prices.items()}
        self._accounts: dict[str, Account] = {}
        # symbol -> ids of accounts with open positions, resting orders or live triggers in it: a bar
        # costs nothing for accounts that have nothing there.
        self._active: dict[str, set[str]] = {s: set() for s in self.instruments}
        # (account, symbol) -> market-order remainders waiting for the next bar (partial fills)
        self._pending: dict[tuple[str, str], list[Order]] = {}
        # Order, fill and trigger ids. A venue never hands out an id twice, not even across a restart:
        # an emulator reset starts the new engine after the last id of the old one (``first_id``).
        self._ids = itertools.count(first_id)
        self.last_id = first_id - 1
        # (account, symbol) -> (highest level a fall can fire, lowest level a rise can fire); see _band
        self._bands: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = {}
        # Funding is checked every hour on the hour; each instrument settles on its own interval.
        self._funding_ms = self._next_funding_after(start_ms, 1)

    # ------------------------------------------------------------------ clock and prices

    @property
    def now_ms(self) -> int:
        return self._now

    def last_price(self, symbol: str) -> Decimal:
        return self._last[self._instrument(symbol).symbol]

    def book(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Synthetic best bid and ask around the last price."""
        inst = self._instrument(symbol)
        return self.config.price_model.book(inst, self._last[inst.symbol])

    def funding_rate(self, symbol: str) -> Decimal:
        rates = self.config.funding_rates or {}
        return rates.get(symbol, self.config.funding_rate)

    def next_funding_ms(self, symbol: str) -> int:
        return self._next_funding_after(self._now, self.instruments[symbol].funding_interval_h)

    @staticmethod
    def _next_funding_after(t_ms: int, interval_h: int = 8) -> int:
        step = interval_h * HOUR_MS
        return (t_ms // step + 1) * step

    @_locked
    def advance_to(self, t_ms: int) -> None:
        """Replay every base bar that closes in ``(now, t_ms]`` and settle funding due in that span.

        Bars of different symbols are processed in order of close time (then symbol), and funding at
        instant F after every bar closing at or before F. Fills that happen inside a bar are stamped with
        the bar's close time: the moment the venue could have known them.
        """
        if t_ms <= self._now:
            return
        bars: list[tuple[int, str, BarLike]] = []
        for sym, src in self._prices.items():
            base = src.base_ms
            bars.extend((bar.t + base, sym, bar) for bar in src.closed_between(self._now, t_ms))
        if len(self._prices) > 1:
            bars.sort(key=lambda item: (item[0], item[1]))
        for close_ms, sym, bar in bars:
            while self._funding_ms < close_ms:
                self._now = self._funding_ms
                self._settle_funding(self._funding_ms)
                self._funding_ms = self._next_funding_after(self._funding_ms, 1)
            self._now = close_ms
            self._on_bar(sym, bar)
        while self._funding_ms <= t_ms:
            self._now = self._funding_ms
            self._settle_funding(self._funding_ms)
            self._funding_ms = self._next_funding_after(self._funding_ms, 1)
        self._now = t_ms

    # ------------------------------------------------------------------ accounts and settings

    @_locked
    def open_account(self, account_id: str, balances: Mapping[str, Decimal] | None = None) -> Account:
        """Create an account (idempotent for an existing id) and deposit ``balances``."""
        acct = self._accounts.get(account_id)
        if acct is None:
            acct = Account(id=account_id, position_mode=self.config.default_position_mode)
            self._accounts[account_id] = acct
            self.ledger.append("account", self._now, account=account_id, position_mode=acct.position_mode)
        for coin, amount in (balances or {}).items():
            self.deposit(account_id, coin, amount)
        return acct

    @_locked
    def deposit(self, account_id: str, coin: str, amount: Decimal) -> None:
        acct = self.account(account_id)
        amount = Decimal(amount)
        acct.wallet[coin] = acct.wallet.get(coin, ZERO) + amount
        acct.deposits[coin] = acct.deposits.get(coin, ZERO) + amount
        self._bill(acct, coin, "deposit", amount, ZERO)
        self.ledger.append("deposit", self._now, account=account_id, coin=coin, amount=amount)
        self._refresh_liquidation(acct)

    def account(self, account_id: str) -> Account:
        acct = self._accounts.get(account_id)
        if acct is None:
            raise EngineError(Reason.UNKNOWN_ACCOUNT, f"unknown account {account_id!r}")
        return acct

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def settings(self, account_id: str, symbol: str) -> SymbolSettings:
        acct = self.account(account_id)
        inst = self._instrument(symbol)
        return self._settings(acct, inst)

    def _settings(self, acct: Account, inst: Instrument) -> SymbolSettings:
        s = acct.settings.get(inst.symbol)
        if s is None:
            lev = min(self.config.default_leverage, inst.max_leverage)
            s = SymbolSettings(
                margin_mode=self.config.default_margin_mode, long_leverage=lev, short_leverage=lev
            )
            acct.settings[inst.symbol] = s
        return s

    @_locked
    def set_leverage(
        self, account_id: str, symbol: str, leverage: int, pos_side: PositionSide | None = None
    ) -> SymbolSettings:
        """Set the leverage of a symbol (one side, or both when ``pos_side`` is None).

        An open isolated position is re-margined to ``entry value / leverage``: raising the leverage
        frees margin, lowering it takes margin from the available balance (rejected if not enough).
        """
        acct = self.account(account_id)
        inst = self._instrument(symbol)
        if (
            isinstance(leverage, bool)
            or not isinstance(leverage, int)
            or not 1 <= leverage <= inst.max_leverage
        ):
            raise EngineError(
                Reason.LEVERAGE_OUT_OF_RANGE,
                f"leverage {leverage} out of range 1..{inst.max_leverage} for {inst.symbol}",
            )
        sides = [pos_side] if pos_side is not None else [PositionSide.LONG, PositionSide.SHORT]
        extra = ZERO
        for side in sides:
            pos = acct.positions.get((inst.symbol, side))
            if pos is not None and pos.is_open and pos.margin_mode is MarginMode.ISOLATED:
                extra += pos.entry_value / leverage - pos.isolated_margin
        if extra > 0 and extra > self._available(acct, inst.settle):
            raise EngineError(
                Reason.INSUFFICIENT_MARGIN, f"not enough available balance to lower leverage to {leverage}"
            )
        settings = self._settings(acct, inst)
        for side in sides:
            if side is PositionSide.LONG:
                settings.long_leverage = leverage
            else:
                settings.short_leverage = leverage
            pos = acct.positions.get((inst.symbol, side))
            if pos is not None and pos.is_open:
                pos.leverage = leverage
                if pos.margin_mode is MarginMode.ISOLATED:
                    pos.isolated_margin = pos.entry_value / leverage
        self.ledger.append(
            "leverage",
            self._now,
            account=account_id,
            symbol=inst.symbol,
            leverage=leverage,
            pos_side=pos_side.value if pos_side else None,
        )
        self._refresh_liquidation(acct)
        return settings

    @_locked
    def set_margin_mode(self, account_id: str, symbol: str, mode: MarginMode) -> SymbolSettings:
        """Switch a symbol between isolated and crossed; refused with an open position or order."""
        acct = self.account(account_id)
        inst = self._instrument(symbol)
        settings = self._settings(acct, inst)
        if settings.margin_mode is mode:
            return settings
        if acct.open_positions(inst.symbol) or self._open_orders_in(acct, inst.symbol):
            raise EngineError(
                Reason.HAS_POSITION_OR_ORDERS,
                f"cannot change margin mode of {inst.symbol} with an open position or order",
            )
        settings.margin_mode = mode
        self.ledger.append("margin_mode", self._now, account=account_id, symbol=inst.symbol, margin_mode=mode)
        return settings

    @_locked
    def set_position_mode(self, account_id: str, mode: PositionMode) -> None:
        """One-way or hedge for the whole account; refused with any open position or order."""
        acct = self.account(account_id)
        if acct.position_mode is mode:
            return
        if acct.open_positions() or acct.working or acct.live:
            raise EngineError(
                Reason.HAS_POSITION_OR_ORDERS, "cannot change position mode with open positions or orders"
            )
        acct.position_mode = mode
        self.ledger.append("position_mode", self._now, account=account_id, position_mode=mode)

    # ------------------------------------------------------------------ orders

    @_locked
    def place_order(self, account_id: str, req: OrderRequest) -> Order:
        """Validate and place a normal order; market and marketable limit orders fill at once.

        Raises:
            OrderRejected: with the reason a venue would give; the rejection is also in the ledger.
        """
        acct = self.account(account_id)
        try:
            return self._place_order(acct, req)
        except OrderRejected as e:
            self._log_rejection(
                "order_rejected",
                account_id,
                req.symbol,
                req.client_oid,
                e,
                side=req.side,
                qty=req.qty,
                type=req.type,
            )
            raise

    def _place_order(
        self,
        acct: Account,
        req: OrderRequest,
        trigger_id: str | None = None,
        ref_price: Decimal | None = None,
    ) -> Order:
        """Place an order. ``ref_price`` replaces the book for an order a trigger placed inside a bar."""
        inst = self._instrument(req.symbol, rejected=True)
        settings = self._settings(acct, inst)
        self._check_client_oid(acct, req.client_oid)
        if req.qty <= 0 or req.qty > inst.max_qty:
            raise OrderRejected(Reason.INVALID_PARAM, f"quantity {req.qty} out of range (0, {inst.max_qty}]")
        if not inst.is_qty_on_lot(req.qty):
            raise OrderRejected(
                Reason.QTY_PRECISION, f"quantity {req.qty} is not a multiple of the lot size {inst.lot_size}"
            )
        if req.type is OrderType.LIMIT:
            if req.price is None or req.price <= 0:
                raise OrderRejected(Reason.INVALID_PARAM, "a limit order needs a price > 0")
            if not inst.is_price_on_tick(req.price):
                raise OrderRejected(
                    Reason.PRICE_PRECISION,
                    f"price {req.price} is not a multiple of the tick size {inst.tick_size}",
                )
        self._check_position_mode(acct, req.pos_side, req.reduce_only)
        margin_mode = self._resolve_margin_mode(acct, inst, settings, req.margin_mode)

        if ref_price is None:
            bid, ask = self.config.price_model.book(inst, self._last[inst.symbol])
        else:
            bid = ask = ref_price
        ref = req.price if req.type is OrderType.LIMIT else (ask if req.side is Side.BUY else bid)
        assert ref is not None
        marketable = req.type is OrderType.MARKET or (
            req.price >= ask if req.side is Side.BUY else req.price <= bid  # type: ignore[operator]
        )
        if req.tif is TimeInForce.POST_ONLY and marketable:
            raise OrderRejected(Reason.POST_ONLY_WOULD_TAKE, "post-only order would take liquidity")

        qty = req.qty
        close_qty, open_qty, open_side = self._split(acct, inst.symbol, req.side, req.pos_side, qty)
        if req.reduce_only:
            if close_qty == 0:
                pos_side = req.pos_side or PositionSide.of(req.side.opposite)
                pos = acct.positions.get((inst.symbol, pos_side))
                if pos is None or not pos.is_open:
                    raise OrderRejected(Reason.NO_POSITION, f"no position to close in {inst.symbol}")
                raise OrderRejected(
                    Reason.REDUCE_ONLY_INCREASES, "reduce-only order would increase the position"
                )
            # Venues shrink a reduce-only order to the position it closes.
            qty, open_qty = close_qty, ZERO
        closes_whole = (
            req.reduce_only
            and open_qty == 0
            and close_qty == self._position_qty(acct, inst.symbol, req.side, req.pos_side)
        )
        if not closes_whole:
            # Closing a whole position is always allowed (a dust position must stay closable).
            if qty < inst.min_qty:
                raise OrderRejected(Reason.QTY_BELOW_MIN, f"quantity {qty} below the minimum {inst.min_qty}")
            exempt = req.reduce_only and not self.config.reduce_only_min_notional
            if qty * ref < inst.min_notional and not exempt:
                raise OrderRejected(
                    Reason.NOTIONAL_BELOW_MIN,
                    f"order value {qty * ref} below the minimum {inst.min_notional} {inst.quote}",
                )
        leverage = settings.leverage(open_side) if open_side else settings.leverage(PositionSide.of(req.side))
        if open_qty > 0:
            fee_rate = inst.taker_fee if marketable else inst.maker_fee
            needed = open_qty * ref / leverage + qty * ref * fee_rate
            available = self._available(acct, inst.settle)
            if needed > available:
                raise OrderRejected(
                    Reason.INSUFFICIENT_MARGIN,
                    f"order needs {_money(needed)} {inst.settle} of margin, {_money(available)} available",
                )
        self._check_presets(inst, open_side, ref, req.take_profit, req.stop_loss, open_qty > 0)

        order = Order(
            id=self._new_id(),
            client_oid=req.client_oid or "",
            account=acct.id,
            symbol=inst.symbol,
            side=req.side,
            type=req.type,
            qty=qty,
            price=req.price,
            tif=req.tif,
            pos_side=req.pos_side,
            reduce_only=req.reduce_only,
            margin_mode=margin_mode,
            leverage=leverage,
            source=req.source,
            created_ms=self._now,
            updated_ms=self._now,
            take_profit=req.take_profit,
            stop_loss=req.stop_loss,
            take_profit_limit=req.take_profit_limit,
            stop_loss_limit=req.stop_loss_limit,
            trigger_id=trigger_id,
            meta=dict(req.meta or {}),
        )
        self._register_order(acct, order)
        if marketable:
            fill_qty = qty
            if req.fill_ratio is not None and 0 < req.fill_ratio < 1:
                fill_qty = max(inst.floor_qty(qty * req.fill_ratio), min(inst.lot_size, qty))
            price = self.config.price_model.taker_price(inst, req.side, ask if req.side is Side.BUY else bid)
            if req.type is OrderType.LIMIT:
                # A marketable limit order takes the book but never pays beyond its limit.
                price = min(price, req.price) if req.side is Side.BUY else max(price, req.price)  # type: ignore[type-var]
            self._fill(acct, order, price, fill_qty, maker=False)
            if order.remaining_qty > 0:
                if req.type is OrderType.MARKET:
                    # Simulated partial fill: the rest fills at the next bar's open.
                    self._pending.setdefault((acct.id, inst.symbol), []).append(order)
                elif req.tif in (TimeInForce.IOC, TimeInForce.FOK):
                    self._cancel(acct, order, "ioc_remainder")
                else:
                    self._rest(acct, inst, order)
        elif req.tif in (TimeInForce.IOC, TimeInForce.FOK):
            self._cancel(acct, order, "ioc_not_marketable")
        else:
            self._rest(acct, inst, order)
        if order.status.is_open:
            acct.working[order.id] = order
        self._touch(acct, inst.symbol)
        return order

    def _rest(self, acct: Account, inst: Instrument, order: Order) -> None:
        _, open_qty, _ = self._split(acct, inst.symbol, order.side, order.pos_side, order.remaining_qty)
        if not order.reduce_only and open_qty > 0:
            order.frozen_margin = open_qty * order.price / order.leverage  # type: ignore[operator]

    @_locked
    def cancel_order(
        self, account_id: str, *, order_id: str | None = None, client_oid: str | None = None
    ) -> Order:
        acct = self.account(account_id)
        order = self._find_order(acct, order_id, client_oid)
        if not isinstance(order, Order):
            raise EngineError(Reason.ORDER_NOT_FOUND, "order not found")
        if not order.status.is_open:
            raise EngineError(Reason.ORDER_NOT_CANCELLABLE, f"order {order.id} is {order.status.value}")
        self._cancel(acct, order, "user")
        self._touch(acct, order.symbol)
        return order

    @_locked
    def cancel_all_orders(self, account_id: str, symbol: str | None = None) -> list[Order]:
        acct = self.account(account_id)
        done = [o for o in list(acct.working.values()) if symbol is None or o.symbol == symbol]
        for order in done:
            self._cancel(acct, order, "user")
            self._touch(acct, order.symbol)
        return done

    def _cancel(self, acct: Account, order: Order, why: str) -> None:
        order.status = OrderStatus.CANCELED
        order.cancel_reason = why
        order.frozen_margin = ZERO
        acct.working.pop(order.id, None)
        order.updated_ms = self._now
        pending = self._pending.get((acct.id, order.symbol))
        if pending and order in pending:
            pending.remove(order)
        self.ledger.append(
            "order_canceled",
            self._now,
            account=acct.id,
            order_id=order.id,
            client_oid=order.client_oid,
            symbol=order.symbol,
            why=why,
            filled_qty=order.filled_qty,
        )

    @_locked
    def close_positions(
        self, account_id: str, symbol: str, pos_side: PositionSide | None = None
    ) -> list[Order]:
        """Close a symbol's position(s) at market (the venues' "close position" verb)."""
        acct = self.account(account_id)
        inst = self._instrument(symbol)
        targets = [p for p in acct.open_positions(inst.symbol) if pos_side is None or p.side is pos_side]
        if not targets:
            raise EngineError(Reason.NO_POSITION, f"no position to close in {inst.symbol}")
        orders = []
        for pos in targets:
            hedge = acct.position_mode is PositionMode.HEDGE
            req = OrderRequest(
                symbol=inst.symbol,
                side=pos.side.closing_side,
                type=OrderType.MARKET,
                qty=pos.qty,
                pos_side=pos.side if hedge else None,
                reduce_only=True,
                source=OrderSource.CLOSE,
            )
            orders.append(self._place_order(acct, req))
        return orders

    # ------------------------------------------------------------------ trigger orders

    @_locked
    def place_trigger(self, account_id: str, req: TriggerRequest) -> TriggerOrder:
        """Place a plan order or a position TP/SL. Position kinds need an open position."""
        acct = self.account(account_id)
        try:
            return self._place_trigger(acct, req)
        except OrderRejected as e:
            self._log_rejection(
                "trigger_rejected", account_id, req.symbol, req.client_oid, e, trigger_kind=req.kind
            )
            raise

    def _place_trigger(self, acct: Account, req: TriggerRequest) -> TriggerOrder:
        inst = self._instrument(req.symbol, rejected=True)
        settings = self._settings(acct, inst)
        self._check_client_oid(acct, req.client_oid)
        if req.trigger_price <= 0:
            raise OrderRejected(Reason.INVALID_PARAM, "trigger price must be > 0")
        for name, price in (("trigger price", req.trigger_price), ("execute price", req.execute_price)):
            if price is not None and not inst.is_price_on_tick(price):
                raise OrderRejected(
                    Reason.PRICE_PRECISION,
                    f"{name} {price} is not a multiple of the tick size {inst.tick_size}",
                )
        if req.qty is not None and (req.qty <= 0 or not inst.is_qty_on_lot(req.qty)):
            raise OrderRejected(
                Reason.QTY_PRECISION, f"quantity {req.qty} is not a positive multiple of {inst.lot_size}"
            )
        last = self._last[inst.symbol]

        if req.kind is TriggerKind.PLAN:
            if req.side is None:
                raise OrderRejected(Reason.INVALID_PARAM, "a plan order needs a side")
            if req.close_all and req.qty is not None:
                raise OrderRejected(Reason.INVALID_PARAM, "a close-position order takes no quantity")
            if not req.close_all and req.qty is None:
                raise OrderRejected(Reason.INVALID_PARAM, "a plan order needs a quantity")
            reduce_only = req.reduce_only or req.close_all
            if req.close_all and req.pos_side is not None and req.side is req.pos_side.opening_side:
                raise OrderRejected(
                    Reason.POSITION_MODE_MISMATCH,
                    f"a close-position {req.side.value} cannot close a {req.pos_side.value} position",
                )
            self._check_position_mode(acct, req.pos_side, reduce_only)
            if req.qty is not None and req.qty < inst.min_qty:
                raise OrderRejected(
                    Reason.QTY_BELOW_MIN, f"quantity {req.qty} below the minimum {inst.min_qty}"
                )
            if req.direction is None:
                # Venues infer the direction from where the trigger sits relative to the market.
                direction = Direction.RISE if req.trigger_price > last else Direction.FALL
            else:
                direction = req.direction
                met = last >= req.trigger_price if direction is Direction.RISE else last <= req.trigger_price
                if met:
                    raise OrderRejected(
                        Reason.TRIGGER_PRICE_INVALID,
                        f"the trigger condition ({direction.value} to {req.trigger_price}) already holds "
                        f"at the current price {last}: it would trigger immediately",
                    )
            side, pos_side, qty = req.side, req.pos_side, req.qty
            margin_mode = self._resolve_margin_mode(acct, inst, settings, req.margin_mode)
            open_side = None if reduce_only else (pos_side or PositionSide.of(side))
            self._check_presets(
                inst,
                open_side,
                req.execute_price or req.trigger_price,
                req.take_profit,
                req.stop_loss,
                open_side is not None,
            )
        else:
            pos_side = req.pos_side
            if pos_side is None:
                open_pos = acct.open_positions(inst.symbol)
                if len(open_pos) != 1:
                    raise OrderRejected(
                        Reason.NO_POSITION, f"no single position to attach to in {inst.symbol}"
                    )
                pos_side = open_pos[0].side
            pos = acct.positions.get((inst.symbol, pos_side))
            if pos is None or not pos.is_open:
                raise OrderRejected(Reason.NO_POSITION, f"no {pos_side.value} position in {inst.symbol}")
            if req.kind in (TriggerKind.PARTIAL_LOSS, TriggerKind.PARTIAL_PROFIT) and req.qty is None:
                raise OrderRejected(Reason.INVALID_PARAM, "a partial TP/SL needs a quantity")
            profit_up = (pos_side is PositionSide.LONG) == req.kind.is_profit
            direction = Direction.RISE if profit_up else Direction.FALL
            if (direction is Direction.RISE and req.trigger_price <= last) or (
                direction is Direction.FALL and req.trigger_price >= last
            ):
                what = "take-profit" if req.kind.is_profit else "stop-loss"
                where = "above" if direction is Direction.RISE else "below"
                raise OrderRejected(
                    Reason.TRIGGER_PRICE_INVALID,
                    f"{what} of a {pos_side.value} position must be {where} the current price {last}",
                )
            side = pos_side.closing_side
            qty = None if req.kind in (TriggerKind.POS_PROFIT, TriggerKind.POS_LOSS) else req.qty
            margin_mode = pos.margin_mode
            if req.kind in (TriggerKind.POS_PROFIT, TriggerKind.POS_LOSS):
                # One position TP and one position SL per position: a new one replaces the old.
                for t in self._live_triggers(acct, inst.symbol):
                    if t.kind is req.kind and t.pos_side is pos_side:
                        self._cancel_trigger(acct, t, "replaced")
        trig = TriggerOrder(
            id=self._new_id(),
            client_oid=req.client_oid or "",
            account=acct.id,
            symbol=inst.symbol,
            kind=req.kind,
            trigger_price=req.trigger_price,
            direction=direction,
            side=side,
            qty=qty,
            execute_price=req.execute_price,
            pos_side=pos_side,
            reduce_only=req.reduce_only or req.close_all or req.kind.closes_position,
            margin_mode=margin_mode,
            created_ms=self._now,
            updated_ms=self._now,
            take_profit=req.take_profit,
            stop_loss=req.stop_loss,
            meta=dict(req.meta or {}),
            hedge=acct.position_mode is PositionMode.HEDGE,
            close_all=req.close_all and req.kind is TriggerKind.PLAN,
        )
        self._register_trigger(acct, trig)
        self._touch(acct, inst.symbol)
        return trig

    @_locked
    def cancel_trigger(
        self, account_id: str, *, trigger_id: str | None = None, client_oid: str | None = None
    ) -> TriggerOrder:
        acct = self.account(account_id)
        trig = self._find_order(acct, trigger_id, client_oid)
        if not isinstance(trig, TriggerOrder):
            raise EngineError(Reason.ORDER_NOT_FOUND, "trigger order not found")
        if trig.status is not TriggerStatus.LIVE:
            raise EngineError(Reason.ORDER_NOT_CANCELLABLE, f"trigger order {trig.id} is {trig.status.value}")
        self._cancel_trigger(acct, trig, "user")
        self._touch(acct, trig.symbol)
        return trig

    @_locked
    def cancel_all_triggers(
        self, account_id: str, symbol: str | None = None, kinds: Iterable[TriggerKind] | None = None
    ) -> list[TriggerOrder]:
        acct = self.account(account_id)
        kinds = set(kinds) if kinds is not None else None
        done = [
            t
            for t in list(acct.live.values())
            if (symbol is None or t.symbol == symbol) and (kinds is None or t.kind in kinds)
        ]
        for t in done:
            self._cancel_trigger(acct, t, "user")
            self._touch(acct, t.symbol)
        return done

    def _log_rejection(
        self, kind: str, account_id: str, symbol: str, client_oid: str | None, e: EngineError, **extra: Any
    ) -> None:
        self.ledger.append(
            kind,
            self._now,
            account=account_id,
            symbol=symbol,
            reason=e.reason,
            message=e.message,
            client_oid=client_oid,
            **extra,
        )

    def _register_order(self, acct: Account, order: Order) -> None:
        """Index a new order and record it. Venues generate a client id when none is given; the
        order id is unique, so it serves."""
        order.client_oid = order.client_oid or order.id
        acct.orders[order.id] = order
        acct.client_oids[order.client_oid] = order.id
        self.ledger.append(
            "order",
            self._now,
            account=acct.id,
            order_id=order.id,
            client_oid=order.client_oid,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            qty=order.qty,
            price=order.price,
            pos_side=order.pos_side,
            reduce_only=order.reduce_only,
            source=order.source,
            margin_mode=order.margin_mode,
            tif=order.tif,
        )

    def _register_trigger(self, acct: Account, trig: TriggerOrder, **extra: Any) -> None:
        """Index a new live trigger order and record it (client id as for orders)."""
        trig.client_oid = trig.client_oid or trig.id
        acct.triggers[trig.id] = trig
        acct.live[trig.id] = trig
        acct.client_oids[trig.client_oid] = trig.id
        self._log_trigger("trigger", trig, **extra)

    def _cancel_trigger(self, acct: Account, trig: TriggerOrder, why: str) -> None:
        trig.status = TriggerStatus.CANCELED
        acct.live.pop(trig.id, None)
        trig.updated_ms = self._now
        self._log_trigger("trigger_canceled", trig, why=why)

    def _log_trigger(self, kind: str, trig: TriggerOrder, **extra: Any) -> None:
        self.ledger.append(
            kind,
            self._now,
            account=trig.account,
            trigger_id=trig.id,
            client_oid=trig.client_oid,
            symbol=trig.symbol,
            trigger_kind=trig.kind,
            trigger_price=trig.trigger_price,
            direction=trig.direction,
            side=trig.side,
            qty=trig.qty,
            pos_side=trig.pos_side,
            execute_price=trig.execute_price,
            **extra,
        )

    # ------------------------------------------------------------------ queries

    def find_order(
        self, account_id: str, *, order_id: str | None = None, client_oid: str | None = None
    ) -> Order | TriggerOrder:
        """An order or trigger order by venue id or client id (every order ever placed is kept)."""
        return self._find_order(self.account(account_id), order_id, client_oid)

    def _find_order(
        self, acct: Account, order_id: str | None, client_oid: str | None
    ) -> Order | TriggerOrder:
        if order_id is None and client_oid is not None:
            order_id = acct.client_oids.get(client_oid)
        found = (acct.orders.get(order_id) or acct.triggers.get(order_id)) if order_id else None
        if found is None:
            raise EngineError(Reason.ORDER_NOT_FOUND, "order does not exist")
        if client_oid is not None and found.client_oid != client_oid:
            raise EngineError(Reason.ORDER_NOT_FOUND, "order does not exist")
        return found

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[Order]:
        acct = self.account(account_id)
        return [o for o in acct.working.values() if symbol is None or o.symbol == symbol]

    def live_triggers(self, account_id: str, symbol: str | None = None) -> list[TriggerOrder]:
        acct = self.account(account_id)
        return [t for t in acct.live.values() if symbol is None or t.symbol == symbol]

    def positions(self, account_id: str, symbol: str | None = None) -> list[PositionView]:
        acct = self.account(account_id)
        views = []
        for pos in acct.open_positions(symbol):
            views.append(self.position_view(acct, pos))
        return views

    def position_view(self, acct: Account, pos: Position) -> PositionView:
        inst = self.instruments[pos.symbol]
        mark = self._last[pos.symbol]
        tp = sl = None
        for t in self._live_triggers(acct, pos.symbol):
            if t.pos_side is pos.side and t.kind is TriggerKind.POS_PROFIT:
                tp = t.trigger_price
            elif t.pos_side is pos.side and t.kind is TriggerKind.POS_LOSS:
                sl = t.trigger_price
        return PositionView(
            position=pos,
            mark=mark,
            upnl=_money(pos.upnl(mark)),
            margin=_money(pos.initial_margin()),
            maintenance=_money(pos.qty * mark * inst.mmr),
            liq_price=inst.floor_price(pos.liq_price)
            if pos.side is PositionSide.LONG
            else inst.ceil_price(pos.liq_price),
            take_profit=tp,
            stop_loss=sl,
        )

    def balance(self, account_id: str, coin: str) -> BalanceView:
        acct = self.account(account_id)
        wallet = acct.wallet.get(coin, ZERO)
        iso_margin = cross_margin = upnl_c = upnl_i = maint_c = ZERO
        for pos in acct.open_positions():
            inst = self.instruments[pos.symbol]
            if inst.settle != coin:
                continue
            mark = self._last[pos.symbol]
            u = pos.upnl(mark)
            if pos.margin_mode is MarginMode.ISOLATED:
                iso_margin += pos.isolated_margin
                upnl_i += u
            else:
                cross_margin += pos.initial_margin()
                upnl_c += u
                maint_c += pos.qty * mark * inst.mmr
        frozen = self._frozen(acct, coin)
        available = wallet - iso_margin - cross_margin - frozen + min(upnl_c, ZERO)
        return BalanceView(
            coin=coin,
            wallet=_money(wallet),
            equity=_money(wallet + upnl_c + upnl_i),
            available=_money(max(available, ZERO)),
            frozen=_money(frozen),
            isolated_margin=_money(iso_margin),
            cross_margin=_money(cross_margin),
            upnl=_money(upnl_c + upnl_i),
            upnl_cross=_money(upnl_c),
            upnl_isolated=_money(upnl_i),
            maintenance_cross=_money(maint_c),
        )

    # ------------------------------------------------------------------ internals: checks

    def _instrument(self, symbol: str, *, rejected: bool = False) -> Instrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            cls = OrderRejected if rejected else EngineError
            raise cls(Reason.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
        return inst

    def _check_client_oid(self, acct: Account, client_oid: str | None) -> None:
        if not client_oid or client_oid not in acct.client_oids:
            return
        if self.config.client_oid_reuse:
            holder = acct.client_oids[client_oid]
            if holder not in acct.working and holder not in acct.live:
                return  # the order that carried it is closed: the id is free again
        raise OrderRejected(Reason.DUPLICATE_CLIENT_OID, f"duplicate client order id {client_oid!r}")

    @staticmethod
    def _check_position_mode(acct: Account, pos_side: PositionSide | None, reduce_only: bool) -> None:
        if acct.position_mode is PositionMode.HEDGE and pos_side is None:
            raise OrderRejected(
                Reason.POSITION_MODE_MISMATCH, "hedge mode orders must say which position (open/close)"
            )
        if acct.position_mode is PositionMode.ONE_WAY and pos_side is not None:
            raise OrderRejected(
                Reason.POSITION_MODE_MISMATCH, "one-way mode orders must not name a position side"
            )

    def _resolve_margin_mode(
        self, acct: Account, inst: Instrument, settings: SymbolSettings, asked: MarginMode | None
    ) -> MarginMode:
        """The order's margin mode. Asking for the other mode switches the symbol when nothing is open in
        it (as sending ``marginMode`` with an order does on Bitget); with an open position or order it is
        a mismatch the venue rejects."""
        if asked is None or asked is settings.margin_mode:
            return settings.margin_mode
        if acct.open_positions(inst.symbol) or self._open_orders_in(acct, inst.symbol):
            raise OrderRejected(
                Reason.MARGIN_MODE_MISMATCH,
                f"{inst.symbol} is in {settings.margin_mode.value} margin mode with an open position/order",
            )
        settings.margin_mode = asked
        self.ledger.append("margin_mode", self._now, account=acct.id, symbol=inst.symbol, margin_mode=asked)
        return asked

    def _check_presets(
        self,
        inst: Instrument,
        side: PositionSide | None,
        ref: Decimal,
        tp: Decimal | None,
        sl: Decimal | None,
        opens: bool,
    ) -> None:
        if tp is None and sl is None:
            return
        if not opens or side is None:
            raise OrderRejected(Reason.INVALID_PARAM, "preset take-profit/stop-loss needs an opening order")
        for name, price in (("take-profit", tp), ("stop-loss", sl)):
            if price is None:
                continue
            if price <= 0 or not inst.is_price_on_tick(price):
                raise OrderRejected(
                    Reason.PRICE_PRECISION,
                    f"{name} price {price} is not a positive multiple of {inst.tick_size}",
                )
            above = (name == "take-profit") == (side is PositionSide.LONG)
            if (above and price <= ref) or (not above and price >= ref):
                where = "above" if above else "below"
                raise OrderRejected(
                    Reason.TRIGGER_PRICE_INVALID,
                    f"{name} of a {side.value} must be {where} the entry price {ref}",
                )

    # ------------------------------------------------------------------ internals: positions

    def _split(
        self, acct: Account, symbol: str, side: Side, pos_side: PositionSide | None, qty: Decimal
    ) -> tuple[Decimal, Decimal, PositionSide | None]:
        """How much of a trade closes an existing position and how much opens one, and which side opens.

        Hedge mode: the order names its position; buying a long (or selling a short) opens, the
        other way closes. One-way mode: a trade against the position nets it first, and the remainder
        (if any) opens the opposite position (a flip).
        """
        if pos_side is not None:
            if side is pos_side.opening_side:
                return ZERO, qty, pos_side
            pos = acct.positions.get((symbol, pos_side))
            held = pos.qty if pos is not None else ZERO
            return min(qty, held), ZERO, None
        opposite = PositionSide.of(side.opposite)
        pos = acct.positions.get((symbol, opposite))
        held = pos.qty if pos is not None else ZERO
        close = min(qty, held)
        rest = qty - close
        return close, rest, (PositionSide.of(side) if rest > 0 else None)

    def _position_qty(self, acct: Account, symbol: str, side: Side, pos_side: PositionSide | None) -> Decimal:
        target = pos_side or PositionSide.of(side.opposite)
        pos = acct.positions.get((symbol, target))
        return pos.qty if pos is not None else ZERO

    def _fill(self, acct: Account, order: Order, price: Decimal, qty: Decimal, *, maker: bool) -> Fill | None:
        """Apply one fill of ``order`` to the account: positions, margin, fees, PnL, ledger."""
        inst = self.instruments[order.symbol]
        close_qty, open_qty, open_side = self._split(acct, order.symbol, order.side, order.pos_side, qty)
        if order.reduce_only:
            open_qty, open_side = ZERO, None
            qty = close_qty
            if qty == 0:
                # The position it was meant to reduce is gone: venues cancel such orders.
                self._cancel(acct, order, "nothing_to_reduce")
                return None
        coin = inst.settle
        fee = _money(price * qty * (inst.maker_fee if maker else inst.taker_fee))
        pnl = ZERO
        closed_side = PositionSide.of(order.side.opposite) if order.pos_side is None else order.pos_side
        if close_qty > 0:
            pos = acct.positions[(order.symbol, closed_side)]
            pnl = _money((price - pos.entry_price) * close_qty * pos.side.sign)
            if pos.margin_mode is MarginMode.ISOLATED:
                pos.isolated_margin -= pos.isolated_margin * close_qty / pos.qty
            pos.qty -= close_qty
            pos.realized_pnl += pnl
            pos.updated_ms = self._now
            acct.wallet[coin] = acct.wallet.get(coin, ZERO) + pnl
            acct.realized_pnl[coin] = acct.realized_pnl.get(coin, ZERO) + pnl
            if pos.qty == 0:
                pos.fees += fee if open_qty == 0 else ZERO
                self._close_position(acct, pos)
            else:
                self._log_position("position_update", pos)
        touched_side = closed_side
        if open_qty > 0:
            assert open_side is not None
            touched_side = open_side
            settings = self._settings(acct, inst)
            key = (order.symbol, open_side)
            pos = acct.positions.get(key)
            if pos is None or not pos.is_open:
                pos = Position(
                    account=acct.id,
                    symbol=order.symbol,
                    side=open_side,
                    margin_mode=order.margin_mode,
                    leverage=settings.leverage(open_side),
                    opened_ms=self._now,
                    id=self._new_id(),
                )
                acct.positions[key] = pos
                event = "position_open"
            else:
                event = "position_update"
            new_qty = pos.qty + open_qty
            pos.entry_price = (pos.entry_price * pos.qty + price * open_qty) / new_qty
            pos.qty = new_qty
            if pos.margin_mode is MarginMode.ISOLATED:
                pos.isolated_margin += open_qty * price / pos.leverage
            pos.updated_ms = self._now
            pos.fees += fee
            self._log_position(event, pos)
        acct.wallet[coin] = acct.wallet.get(coin, ZERO) - fee
        acct.fees[coin] = acct.fees.get(coin, ZERO) + fee
        kind = "close" if close_qty > 0 else "open"
        self._bill(acct, coin, kind, pnl, fee, order.symbol, closed_side if close_qty > 0 else touched_side)

        order.filled_qty += qty
        order.filled_value += price * qty
        order.fee += fee
        order.realized_pnl += pnl
        order.opened_qty += open_qty
        order.closed_qty += close_qty
        order.updated_ms = self._now
        if order.filled_qty >= order.qty:
            order.status = OrderStatus.FILLED
            order.frozen_margin = ZERO
            acct.working.pop(order.id, None)
        else:
            order.status = OrderStatus.PARTIALLY_FILLED
            if order.frozen_margin:
                order.frozen_margin = order.frozen_margin * order.remaining_qty / (order.remaining_qty + qty)
        fill = Fill(
            id=self._new_id(),
            order_id=order.id,
            client_oid=order.client_oid,
            account=acct.id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            qty=qty,
            fee=fee,
            fee_coin=coin,
            maker=maker,
            realized_pnl=pnl,
            pos_side=touched_side,
            opened_qty=open_qty,
            closed_qty=close_qty,
            source=order.source,
            t_ms=self._now,
        )
        acct.bills[-1].fill_id = fill.id  # the bill booked just above, for this fill
        acct.fills.append(fill)
        self.ledger.append(
            "fill",
            self._now,
            account=acct.id,
            fill_id=fill.id,
            order_id=order.id,
            client_oid=order.client_oid,
            symbol=order.symbol,
            side=order.side,
            price=price,
            qty=qty,
            fee=fee,
            maker=maker,
            realized_pnl=pnl,
            opened_qty=open_qty,
            closed_qty=close_qty,
            source=order.source,
            order_status=order.status,
        )
        if open_qty > 0 and (order.take_profit is not None or order.stop_loss is not None):
            self._attach_presets(acct, order, touched_side)
        self._refresh_liquidation(acct)
        return fill

    def _attach_presets(self, acct: Account, order: Order, side: PositionSide) -> None:
        """An order's preset TP/SL become the position's TP/SL once it has opened (replacing older ones)."""
        for kind, price, limit_price in (
            (TriggerKind.POS_PROFIT, order.take_profit, order.take_profit_limit),
            (TriggerKind.POS_LOSS, order.stop_loss, order.stop_loss_limit),
        ):
            if price is None:
                continue
            for t in self._live_triggers(acct, order.symbol):
                if t.kind is kind and t.pos_side is side:
                    self._cancel_trigger(acct, t, "replaced")
            rises = (side is PositionSide.LONG) == (kind is TriggerKind.POS_PROFIT)
            trig = TriggerOrder(
                id=self._new_id(),
                client_oid="",
                account=acct.id,
                symbol=order.symbol,
                kind=kind,
                trigger_price=price,
                direction=Direction.RISE if rises else Direction.FALL,
                side=side.closing_side,
                qty=None,
                execute_price=limit_price,
                pos_side=side,
                reduce_only=True,
                margin_mode=order.margin_mode,
                created_ms=self._now,
                updated_ms=self._now,
                parent_order_id=order.id,
                hedge=acct.position_mode is PositionMode.HEDGE,
            )
            self._register_trigger(acct, trig, parent_order_id=order.id)

    def _close_position(self, acct: Account, pos: Position) -> None:
        """A position went flat: record it, and cancel every trigger that protected it.

        No position TP/SL may outlive its position (a stale stop-loss would open a new position later).
        """
        pos.isolated_margin = ZERO
        pos.liq_price = ZERO
        self._log_position("position_close", pos)
        acct.closed_positions.append(dataclasses.replace(pos))
        for t in self._live_triggers(acct, pos.symbol):
            if t.kind.closes_position and t.pos_side is pos.side:
                self._cancel_trigger(acct, t, "position_closed")
        del acct.positions[(pos.symbol, pos.side)]

    def _log_position(self, kind: str, pos: Position) -> None:
        self.ledger.append(
            kind,
            self._now,
            account=pos.account,
            symbol=pos.symbol,
            pos_side=pos.side,
            qty=pos.qty,
            entry_price=pos.entry_price,
            margin_mode=pos.margin_mode,
            leverage=pos.leverage,
            isolated_margin=pos.isolated_margin,
            realized_pnl=pos.realized_pnl,
            position_id=pos.id,
        )

    def _available(self, acct: Account, coin: str) -> Decimal:
        return self.balance(acct.id, coin).available

    def _frozen(self, acct: Account, coin: str) -> Decimal:
        total = ZERO
        for o in acct.working.values():
            if o.frozen_margin and self.instruments[o.symbol].settle == coin:
                total += o.frozen_margin
        return total

    def _open_orders_in(self, acct: Account, symbol: str) -> bool:
        return any(o.symbol == symbol for o in acct.working.values()) or any(
            t.symbol == symbol for t in acct.live.values()
        )

    def _live_triggers(self, acct: Account, symbol: str) -> list[TriggerOrder]:
        return [t for t in acct.live.values() if t.symbol == symbol]

    def _touch(self, acct: Account, symbol: str) -> None:
        """Keep the per-symbol index of accounts that a bar must look at."""
        busy = (
            bool(acct.open_positions(symbol))
            or self._open_orders_in(acct, symbol)
            or bool(self._pending.get((acct.id, symbol)))
        )
        if busy:
            self._active[symbol].add(acct.id)
        else:
            self._active[symbol].discard(acct.id)
        self._bands.pop((acct.id, symbol), None)

    def _bill(
        self,
        acct: Account,
        coin: str,
        kind: str,
        amount: Decimal,
        fee: Decimal,
        symbol: str = "",
        pos_side: PositionSide | None = None,
    ) -> None:
        """Journal one wallet change (already applied): what venues serve as the account's bills."""
        acct.bills.append(
            Bill(
                id=self._new_id(),
                account=acct.id,
                coin=coin,
                kind=kind,
                amount=amount,
                fee=fee,
                balance=acct.wallet.get(coin, ZERO),
                t_ms=self._now,
                symbol=symbol,
                pos_side=pos_side,
            )
        )

    def _new_id(self) -> str:
        # 19-digit numeric ids, like the venues' own; deterministic for a given sequence of calls.
        self.last_id = next(self._ids)
        return str(1_200_000_000_000_000_000 + self.last_id)

    # ------------------------------------------------------------------ internals: liquidation

    def _refresh_liquidation(self, acct: Account) -> None:
        """Recompute every open position's liquidation price (wallet or positions changed)."""
        for key in [k for k in self._bands if k[0] == acct.id]:
            del self._bands[key]
        cross_syms: dict[str, list[Position]] = {}
        for pos in acct.open_positions():
            inst = self.instruments[pos.symbol]
            if pos.margin_mode is MarginMode.ISOLATED:
                pos.liq_price = isolated_liquidation_price(
                    pos.side, pos.qty, pos.entry_price, pos.isolated_margin, inst.mmr
                )
                pos.liq_direction = Direction.FALL if pos.side is PositionSide.LONG else Direction.RISE
            else:
                cross_syms.setdefault(pos.symbol, []).append(pos)
        for sym, group in cross_syms.items():
            inst = self.instruments[sym]
            base = self._cross_base(acct, inst.settle, exclude=sym)
            price, direction = cross_liquidation_price(group, base[0], base[1], inst.mmr)
            for pos in group:
                pos.liq_price = price
                pos.liq_direction = direction

    def _cross_base(self, acct: Account, coin: str, exclude: str) -> tuple[Decimal, Decimal]:
        """(cross equity, maintenance margin) of the account without the crossed positions in ``exclude``."""
        equity = acct.wallet.get(coin, ZERO)
        maintenance = ZERO
        for pos in acct.open_positions():
            inst = self.instruments[pos.symbol]
            if inst.settle != coin:
                continue
            if pos.margin_mode is MarginMode.ISOLATED:
                equity -= pos.isolated_margin
            elif pos.symbol != exclude:
                mark = self._last[pos.symbol]
                equity += pos.upnl(mark)
                maintenance += pos.qty * mark * inst.mmr
        return equity, maintenance

    def _liquidation_events(self, acct: Account, symbol: str, path: BarPath) -> list[BarEvent]:
        events = []
        isolated = []
        cross = []
        for side in (PositionSide.LONG, PositionSide.SHORT):
            pos = acct.positions.get((symbol, side))
            if pos is not None and pos.is_open:
                (cross if pos.margin_mode is MarginMode.CROSSED else isolated).append(pos)
        if cross and self._multi_symbol_cross(acct):
            # Other symbols' prices moved since the last refresh, and their PnL is part of the equity.
            self._refresh_liquidation(acct)
        groups = [[p] for p in isolated] + ([cross] if cross else [])
        for group in groups:
            pos = group[0]
            if pos.liq_price <= 0:
                continue
            hit = path.crossing(pos.liq_direction, pos.liq_price)
            if hit is not None:
                key = (*hit[0], EventType.LIQUIDATION, 0)
                events.append(BarEvent(key, EventType.LIQUIDATION, group, pos.liq_price))
        return events

    def _multi_symbol_cross(self, acct: Account) -> bool:
        return len({p.symbol for p in acct.open_positions() if p.margin_mode is MarginMode.CROSSED}) > 1

    def _liquidate(self, acct: Account, positions: list[Position], price: Decimal) -> None:
        """Close positions at the liquidation price and take what margin is left as a liquidation fee.

        Simulation choice: the fill is at the liquidation price even when the bar gapped beyond it (the
        venue's insurance fund absorbs the difference), so an isolated liquidation loses exactly the
        position's margin and a cross liquidation the account's cross equity; the wallet never goes
        negative. For a crossed account every crossed position (all symbols) is closed and its resting
        orders cancelled, the other symbols at their last price.
        """
        first = positions[0]
        inst = self.instruments[first.symbol]
        coin = inst.settle
        cross = first.margin_mode is MarginMode.CROSSED
        if cross:
            for o in list(acct.orders.values()):
                if o.status.is_open and o.margin_mode is MarginMode.CROSSED:
                    self._cancel(acct, o, "liquidation")
            positions = [
                p
                for p in acct.open_positions()
                if p.margin_mode is MarginMode.CROSSED and self.instruments[p.symbol].settle == coin
            ]
        margin_before = sum((p.isolated_margin for p in positions), ZERO)
        pnl_fee = ZERO
        for pos in positions:
            pinst = self.instruments[pos.symbol]
            px = price if pos.symbol == first.symbol else self._last[pos.symbol]
            px = pinst.floor_price(px) if pos.side is PositionSide.LONG else pinst.ceil_price(px)
            hedge = acct.position_mode is PositionMode.HEDGE
            order = Order(
                id=self._new_id(),
                client_oid="",
                account=acct.id,
                symbol=pos.symbol,
                side=pos.side.closing_side,
                type=OrderType.MARKET,
                qty=pos.qty,
                price=None,
                tif=TimeInForce.IOC,
                pos_side=pos.side if hedge else None,
                reduce_only=True,
                margin_mode=pos.margin_mode,
                leverage=pos.leverage,
                source=OrderSource.LIQUIDATION,
                created_ms=self._now,
                updated_ms=self._now,
            )
            self._register_order(acct, order)
            fill = self._fill(acct, order, px, pos.qty, maker=False)
            if fill is not None:
                pnl_fee += fill.realized_pnl - fill.fee
        left = self._cross_base(acct, coin, exclude="")[0] if cross else margin_before + pnl_fee
        liq_fee = _money(max(left, ZERO))
        if liq_fee > 0:
            acct.wallet[coin] -= liq_fee
            acct.fees[coin] = acct.fees.get(coin, ZERO) + liq_fee
            self._bill(acct, coin, "liquidation", ZERO, liq_fee, first.symbol, first.side)
        self.ledger.append(
            "liquidation",
            self._now,
            account=acct.id,
            symbol=first.symbol,
            price=price,
            margin_mode=first.margin_mode,
            liquidation_fee=liq_fee,
            positions=[{"symbol": p.symbol, "pos_side": p.side.value} for p in positions],
        )
        self._refresh_liquidation(acct)
        for sym in {p.symbol for p in positions}:
            self._touch(acct, sym)

    # ------------------------------------------------------------------ internals: bars and funding

    def _on_bar(self, symbol: str, bar: BarLike) -> None:
        self._last[symbol] = bar.close
        active = self._active[symbol]
        if not active:
            return
        for account_id in sorted(active):
            self._process_bar(self._accounts[account_id], symbol, bar)

    def _band(self, acct: Account, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """The highest level a falling price can fire and the lowest a rising one can, for a fast path.

        Most bars fire nothing: when the bar's low stays above the first and its high below the second,
        the bar is skipped without building its event list. Invalidated by every state change (_touch,
        _refresh_liquidation).
        """
        falls: list[Decimal] = []
        rises: list[Decimal] = []
        for order in acct.working.values():
            if order.symbol == symbol and order.type is OrderType.LIMIT:
                (falls if order.side is Side.BUY else rises).append(order.price)  # type: ignore[arg-type]
        for trig in acct.live.values():
            if trig.symbol == symbol:
                (rises if trig.direction is Direction.RISE else falls).append(trig.trigger_price)
        for side in (PositionSide.LONG, PositionSide.SHORT):
            pos = acct.positions.get((symbol, side))
            if pos is not None and pos.is_open and pos.liq_price > 0:
                (rises if pos.liq_direction is Direction.RISE else falls).append(pos.liq_price)
        return (max(falls) if falls else None), (min(rises) if rises else None)

    def _process_bar(self, acct: Account, symbol: str, bar: BarLike) -> None:
        key = (acct.id, symbol)
        pending = self._pending.pop(key, None)
        if not pending and not self._multi_symbol_cross(acct):
            band = self._bands.get(key)
            if band is None:
                band = self._bands[key] = self._band(acct, symbol)
            fall_max, rise_min = band
            if (fall_max is None or bar.low > fall_max) and (rise_min is None or bar.high < rise_min):
                return

        long_pos = acct.positions.get((symbol, PositionSide.LONG))
        short_pos = acct.positions.get((symbol, PositionSide.SHORT))
        net = (long_pos.qty if long_pos else ZERO) - (short_pos.qty if short_pos else ZERO)
        low_first = net > 0 if net != 0 else bar.close >= bar.open
        path = BarPath(bar.open, bar.high, bar.low, low_first)

        events: list[BarEvent] = []
        for order in pending or ():
            events.append(
                BarEvent((0, ZERO, EventType.PENDING, len(events)), EventType.PENDING, order, bar.open)
            )
        seq = 0
        for order in acct.working.values():
            if order.symbol != symbol or order.type is not OrderType.LIMIT:
                continue
            seq += 1
            direction = Direction.FALL if order.side is Side.BUY else Direction.RISE
            hit = path.crossing(direction, order.price, strict=True)  # type: ignore[arg-type]
            if hit is not None:
                events.append(BarEvent((*hit[0], EventType.LIMIT, seq), EventType.LIMIT, order, order.price))  # type: ignore[arg-type]
        fired_loss: set[PositionSide] = set()
        trigger_events: list[BarEvent] = []
        for trig in self._live_triggers(acct, symbol):
            seq += 1
            hit = path.crossing(trig.direction, trig.trigger_price)
            if hit is None:
                continue
            if trig.kind.is_loss and trig.pos_side is not None:
                fired_loss.add(trig.pos_side)
            trigger_events.append(
                BarEvent((*hit[0], EventType.TRIGGER, seq), EventType.TRIGGER, trig, hit[1])
            )
        for ev in trigger_events:
            trig = ev.target
            # Adverse first: a position whose SL and TP both fire in this bar is stopped out.
            if trig.kind.is_profit and trig.pos_side in fired_loss:
                continue
            events.append(ev)
        events.extend(self._liquidation_events(acct, symbol, path))
        if not events:
            return
        events.sort(key=lambda e: e.key)
        inst = self.instruments[symbol]
        for ev in events:
            if ev.type is EventType.PENDING:
                order = ev.target
                if order.status.is_open:
                    price = self.config.price_model.taker_price(inst, order.side, ev.price)
                    self._fill(acct, order, price, order.remaining_qty, maker=False)
            elif ev.type is EventType.LIMIT:
                order = ev.target
                if order.status.is_open:
                    self._fill(acct, order, order.price, order.remaining_qty, maker=True)
            elif ev.type is EventType.TRIGGER:
                trig = ev.target
                if trig.status is TriggerStatus.LIVE:
                    self._fire(acct, inst, trig, ev.price)
            else:
                positions = [
                    p for p in ev.target if p.is_open and acct.positions.get((p.symbol, p.side)) is p
                ]
                if positions:
                    self._liquidate(acct, positions, ev.price)
        self._touch(acct, symbol)

    def _fire(self, acct: Account, inst: Instrument, trig: TriggerOrder, ref: Decimal) -> None:
        """A trigger fired at ``ref``: place its order (market: filled at once around ``ref``)."""
        trig.updated_ms = self._now
        if trig.kind.closes_position:
            pos = acct.positions.get((trig.symbol, trig.pos_side))  # type: ignore[arg-type]
            if pos is None or not pos.is_open:
                self._cancel_trigger(acct, trig, "position_closed")
                return
            qty = pos.qty if trig.qty is None else min(trig.qty, pos.qty)
            source = OrderSource.TAKE_PROFIT if trig.kind.is_profit else OrderSource.STOP_LOSS
            hedge = acct.position_mode is PositionMode.HEDGE
            req = OrderRequest(
                symbol=trig.symbol,
                side=trig.side,
                type=OrderType.MARKET if trig.execute_price is None else OrderType.LIMIT,
                qty=qty,
                price=trig.execute_price,
                pos_side=trig.pos_side if hedge else None,
                reduce_only=True,
                source=source,
            )
        elif trig.close_all:
            # Closes what the position in its direction holds now, whatever it held at placement.
            target = trig.pos_side if trig.hedge else PositionSide.of(trig.side.opposite)
            pos = acct.positions.get((trig.symbol, target))  # type: ignore[arg-type]
            if pos is None or not pos.is_open:
                acct.live.pop(trig.id, None)
                trig.status = TriggerStatus.FAILED
                trig.fail_reason = "no position to close"
                self._log_trigger("trigger_failed", trig, reason=Reason.NO_POSITION, message=trig.fail_reason)
                return
            req = OrderRequest(
                symbol=trig.symbol,
                side=trig.side,
                type=OrderType.MARKET,
                qty=pos.qty,
                pos_side=trig.pos_side if trig.hedge else None,
                reduce_only=True,
                source=OrderSource.PLAN,
            )
        else:
            req = OrderRequest(
                symbol=trig.symbol,
                side=trig.side,
                type=OrderType.MARKET if trig.execute_price is None else OrderType.LIMIT,
                qty=trig.qty,
                price=trig.execute_price,
                pos_side=trig.pos_side,  # type: ignore[arg-type]
                reduce_only=trig.reduce_only,
                margin_mode=trig.margin_mode,
                source=OrderSource.PLAN,
                take_profit=trig.take_profit,
                stop_loss=trig.stop_loss,
            )
        acct.live.pop(trig.id, None)
        try:
            # The order executes against the price where the trigger fired, not the bar's close.
            order = self._place_order(acct, req, trigger_id=trig.id, ref_price=ref)
        except OrderRejected as e:
            trig.status = TriggerStatus.FAILED
            trig.fail_reason = e.message
            self._log_trigger("trigger_failed", trig, reason=e.reason, message=e.message)
            return
        trig.status = TriggerStatus.TRIGGERED
        trig.order_id = order.id
        self._log_trigger("trigger_fired", trig, order_id=order.id, ref_price=ref)

    def _settle_funding(self, t_ms: int) -> None:
        """Funding at ``t_ms`` for every open position of a symbol whose interval divides that instant.

        Payment = qty × mark × rate, paid by longs to shorts when the rate is positive. Simulation
        choice: it is settled against the wallet (not the isolated margin), so it moves crossed
        liquidation prices but not isolated ones.
        """
        hour = t_ms // HOUR_MS
        for acct in self._accounts.values():
            changed = False
            for pos in acct.open_positions():
                inst = self.instruments[pos.symbol]
                if hour % inst.funding_interval_h:
                    continue
                mark = self._last[pos.symbol]
                rate = self.funding_rate(pos.symbol)
                payment = _money(pos.qty * mark * rate * pos.side.sign)
                if payment == 0:
                    continue
                coin = inst.settle
                acct.wallet[coin] = acct.wallet.get(coin, ZERO) - payment
                acct.funding[coin] = acct.funding.get(coin, ZERO) + payment
                self._bill(acct, coin, "funding", -payment, ZERO, pos.symbol, pos.side)
                pos.funding += payment
                changed = True
                self.ledger.append(
                    "funding",
                    t_ms,
                    account=acct.id,
                    symbol=pos.symbol,
                    pos_side=pos.side,
                    qty=pos.qty,
                    mark=mark,
                    rate=rate,
                    payment=payment,
                )
            if changed:
                self._refresh_liquidation(acct)
