"""Alpaca's admission rules for spot orders: what is refused, with which reason, and when an order may
work.

Every check raises :class:`~..errors.OrderRejected` with a distinct :class:`~..errors.Reason` (the wire
maps it to Alpaca's code) and changes nothing. In order (after the account's own switch: an
account whose holder suspended new orders takes none):

1. Shape: a known symbol; a unique ``client_order_id`` (at most 128 characters, unique among every
   order the account ever placed); exactly one of qty and notional, positive; the prices the type
   needs, positive and on the price increment (stocks: no sub-penny prices at or above $1).
2. Asset class: crypto takes market, limit and stop-limit orders, ``gtc`` and ``ioc``, the simple class
   only, no extended hours; stocks take every type, ``day/gtc/opg/cls/ioc/fok``; ``opg``/``cls``
   only with market or limit; ``extended_hours`` only on a ``day`` limit order.
3. Fractions: a fractional quantity or a notional needs a fractionable asset, a market or limit
   order, ``day`` time in force (stocks), the simple class, at least $1; whole shares otherwise;
   crypto quantities on the ``min_trade_increment`` with at least ``min_order_size``.
4. Order classes (stocks only): a bracket needs a take-profit limit and a stop-loss stop, an entry in
   ``day`` or ``gtc``, whole shares, and for a buy ``stop < entry < take-profit`` (a sell: reversed);
   an OTO one of the two; an OCO is a limit order (the take-profit) plus a stop-loss that both exit an
   existing holding.
5. Timing: ``opg`` is accepted only outside the regular session, ``cls`` not in the last 10 minutes
   before the close (Alpaca: after 3:50 pm).
6. The holding: a sale of a long (or a purchase against a short) may not exceed what open orders
   leave available (Alpaca does not flip a position in one order); a sale without a long is a short
   sale: stocks only, a margin account with shorting enabled and multiplier > 1, an asset both
   shortable and easy to borrow, whole shares.
7. Wash trades: refused when an opposite-side open order in the symbol could trade against it (either
   is a market or stop order, or the buy's limit is at or above the sell's). The legs of one complex
   order do not count against each other.
8. PDT protection: a margin account whose equity at the last close was below $25,000 may not make a
   4th day trade within 5 sessions (an order closing stock opened in this session).
9. Buying power: an opening buy is valued at its limit (a market or stop buy at the ask plus
   ``market_buy_buffer``; a notional buy at its notional), a short sale at max(limit, ask plus
   ``short_buffer``), against the buying power its asset may use (see :mod:`.accounting`); open
   orders' reservations are already deducted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..decimals import ZERO
from ..errors import OrderRejected, Reason
from ..state import Books
from ..types import Side
from .accounting import SpotAccounting
from .instruments import SpotInstrument
from .models import SpotAccount, SpotOrder
from .types import (
    AccountKind,
    OrderClass,
    SpotConfig,
    SpotOrderRequest,
    SpotOrderStatus,
    SpotOrderType,
    SpotTimeInForce,
)

ONE = Decimal(1)
CLS_CUTOFF_MS = 10 * 60_000
CRYPTO_TYPES = frozenset({SpotOrderType.MARKET, SpotOrderType.LIMIT, SpotOrderType.STOP_LIMIT})
CRYPTO_TIFS = frozenset({SpotTimeInForce.GTC, SpotTimeInForce.IOC})
AUCTION_TIFS = frozenset({SpotTimeInForce.OPG, SpotTimeInForce.CLS})
BRACKET_TIFS = frozenset({SpotTimeInForce.DAY, SpotTimeInForce.GTC})
LIMIT_TYPES = frozenset({SpotOrderType.LIMIT, SpotOrderType.STOP_LIMIT})
STOP_TYPES = frozenset({SpotOrderType.STOP, SpotOrderType.STOP_LIMIT})


def _reject(reason: Reason, message: str, figures: dict[str, str] | None = None) -> OrderRejected:
    return OrderRejected(reason, message, figures)


@dataclass(frozen=True, slots=True)
class Plan:
    """What admission decided: when the order works, what it reserves, whether it opens a holding."""

    inst: SpotInstrument
    opening: bool
    reserve: Decimal
    active_ms: int
    expires_ms: int | None
    ready: bool  # its market is open for it now


class SpotRules:
    def __init__(self, books: Books, accounting: SpotAccounting, config: SpotConfig) -> None:
        self.books = books
        self.accounting = accounting
        self.config = config

    def instrument(self, symbol: str) -> SpotInstrument:
        inst = self.books.spot_instruments.get(symbol)
        if inst is None:
            raise _reject(Reason.UNKNOWN_SYMBOL, f"asset not found: {symbol!r}")
        return inst

    def check_client_oid(self, acct: SpotAccount, client_oid: str | None) -> None:
        if client_oid is None:
            return
        if not client_oid or len(client_oid) > self.config.client_oid_max_len:
            raise _reject(
                Reason.INVALID_PARAM,
                f"client_order_id must be 1 to {self.config.client_oid_max_len} characters",
            )
        if client_oid in acct.client_oids:
            raise _reject(Reason.DUPLICATE_CLIENT_OID, "client_order_id must be unique")

    # ------------------------------------------------------------------ the checks

    @staticmethod
    def check_account(acct: SpotAccount) -> None:
        """An account whose holder suspended trading takes no new order, nor a replacement."""
        if acct.orders_suspended:
            raise _reject(Reason.ORDERS_SUSPENDED, "new orders are rejected by user request")

    def admit(self, acct: SpotAccount, req: SpotOrderRequest) -> Plan:
        self.check_account(acct)
        inst = self.instrument(req.symbol)
        self.check_client_oid(acct, req.client_order_id)
        self._shape(inst, req)
        self._asset_class(inst, req)
        self._fractions(inst, req)
        self._order_class(acct, inst, req)
        active_ms, expires_ms, ready = self._timing(inst, req)
        opening = self._holding(acct, inst, req)
        self._wash_trade(acct, req)
        self._pdt(acct, inst, req)
        reserve = self._buying_power(acct, inst, req) if opening else ZERO
        return Plan(inst, opening, reserve, active_ms, expires_ms, ready)

    def _shape(self, inst: SpotInstrument, req: SpotOrderRequest) -> None:
        if (req.qty is None) == (req.notional is None):
            raise _reject(Reason.INVALID_PARAM, "qty or notional is required (not both)")
        if req.qty is not None and not 0 < req.qty <= inst.max_qty:
            raise _reject(Reason.INVALID_PARAM, f"qty must be > 0 and at most {inst.max_qty}")
        if req.notional is not None and req.notional <= 0:
            raise _reject(Reason.INVALID_PARAM, "notional must be > 0")
        needs_limit = req.type in LIMIT_TYPES
        needs_stop = req.type in STOP_TYPES
        if needs_limit != (req.limit_price is not None):
            what = "required" if needs_limit else "not allowed"
            raise _reject(Reason.INVALID_PARAM, f"limit_price is {what} for {req.type.value} orders")
        if needs_stop != (req.stop_price is not None):
            what = "required" if needs_stop else "not allowed"
            raise _reject(Reason.INVALID_PARAM, f"stop_price is {what} for {req.type.value} orders")
        for name, price in (("limit_price", req.limit_price), ("stop_price", req.stop_price)):
            self.check_price(inst, name, price)

    def check_price(self, inst: SpotInstrument, name: str, price: Decimal | None) -> None:
        if price is None:
            return
        if price <= 0:
            raise _reject(Reason.INVALID_PARAM, f"{name} must be > 0")
        if not inst.is_price_on_tick(price):
            raise _reject(
                Reason.PRICE_PRECISION,
                f"invalid {name} {price}. sub-penny increment does not fulfill minimum pricing criteria"
                if not inst.is_crypto
                else f"{name} {price} is not a multiple of the price increment {inst.tick(price)}",
            )

    def _asset_class(self, inst: SpotInstrument, req: SpotOrderRequest) -> None:
        if inst.is_crypto:
            if req.type not in CRYPTO_TYPES:
                raise _reject(
                    Reason.ORDER_TYPE_NOT_SUPPORTED, f"{req.type.value} orders are not supported for crypto"
                )
            if req.tif not in CRYPTO_TIFS:
                raise _reject(Reason.TIF_NOT_SUPPORTED, f"invalid crypto time_in_force {req.tif.value}")
            if req.order_class is not OrderClass.SIMPLE:
                raise _reject(
                    Reason.ORDER_CLASS_NOT_SUPPORTED,
                    f"{req.order_class.value} orders are not supported for crypto",
                )
            if req.extended_hours:
                raise _reject(Reason.EXTENDED_HOURS_INVALID, "extended hours do not apply to crypto orders")
            return
        if req.tif in AUCTION_TIFS and req.type not in (SpotOrderType.MARKET, SpotOrderType.LIMIT):
            raise _reject(Reason.TIF_NOT_SUPPORTED, f"{req.tif.value} orders must be market or limit orders")
        if req.extended_hours and (req.type is not SpotOrderType.LIMIT or req.tif is not SpotTimeInForce.DAY):
            raise _reject(Reason.EXTENDED_HOURS_INVALID, "extended hours order must be DAY limit orders")

    def _fractions(self, inst: SpotInstrument, req: SpotOrderRequest) -> None:
        if inst.is_crypto:
            if req.qty is not None:
                step = inst.qty_increment
                if req.qty % step:
                    raise _reject(Reason.QTY_PRECISION, f"qty {req.qty} is not a multiple of {step}")
                if inst.min_order_size is not None and req.qty < inst.min_order_size:
                    raise _reject(
                        Reason.QTY_BELOW_MIN,
                        f"qty {req.qty} is below the minimum order size {inst.min_order_size}",
                    )
            return
        fractional = req.notional is not None or (req.qty is not None and req.qty % 1 != 0)
        if not fractional:
            return
        if not inst.fractionable:
            raise _reject(Reason.FRACTIONAL_NOT_ALLOWED, f"asset {inst.symbol} is not fractionable")
        if req.qty is not None and not inst.is_qty_on_step(req.qty):
            raise _reject(Reason.QTY_PRECISION, "qty can take up to 9 decimal points")
        if req.notional is not None and req.notional % Decimal("0.01"):
            raise _reject(Reason.INVALID_PARAM, "notional can take up to 2 decimal points")
        if req.type not in (SpotOrderType.MARKET, SpotOrderType.LIMIT):
            raise _reject(Reason.FRACTIONAL_NOT_ALLOWED, "fractional orders must be market or limit orders")
        if req.tif is not SpotTimeInForce.DAY:
            raise _reject(Reason.FRACTIONAL_NOT_ALLOWED, "fractional orders must be DAY orders")
        if req.order_class is not OrderClass.SIMPLE:
            raise _reject(Reason.FRACTIONAL_NOT_ALLOWED, "fractional orders must be simple orders")
        value = req.notional
        if value is None:
            assert req.qty is not None
            value = req.qty * (req.limit_price or self.books.last[inst.symbol])
        if value < inst.min_notional:
            raise _reject(Reason.NOTIONAL_BELOW_MIN, f"cost basis must be >= {inst.min_notional}")

    def _order_class(self, acct: SpotAccount, inst: SpotInstrument, req: SpotOrderRequest) -> None:
        oc = req.order_class
        if oc is OrderClass.SIMPLE:
            if req.take_profit is not None or req.stop_loss is not None:
                raise _reject(
                    Reason.INVALID_PARAM, "take_profit/stop_loss need the bracket, oto or oco class"
                )
            return
        tp, sl = req.take_profit, req.stop_loss
        if oc is OrderClass.BRACKET and (tp is None or sl is None):
            raise _reject(Reason.INVALID_PARAM, "bracket orders require take_profit and stop_loss")
        if oc is OrderClass.OTO and (tp is None) == (sl is None):
            raise _reject(Reason.INVALID_PARAM, "oto orders require one of take_profit or stop_loss")
        if oc is OrderClass.OCO:
            if tp is None or sl is None:
                raise _reject(Reason.INVALID_PARAM, "oco orders require take_profit and stop_loss")
            if req.type is not SpotOrderType.LIMIT or req.limit_price != tp.limit_price:
                raise _reject(
                    Reason.INVALID_PARAM, "an oco order is a limit order at take_profit.limit_price"
                )
        if req.tif not in BRACKET_TIFS:
            raise _reject(Reason.TIF_NOT_SUPPORTED, f"{oc.value} orders must be day or gtc")
        if req.extended_hours:
            raise _reject(Reason.EXTENDED_HOURS_INVALID, f"{oc.value} orders cannot trade extended hours")
        for name, price in (
            ("take_profit.limit_price", tp.limit_price if tp else None),
            ("stop_loss.stop_price", sl.stop_price if sl else None),
            ("stop_loss.limit_price", sl.limit_price if sl else None),
        ):
            self.check_price(inst, name, price)
        bid, ask = self.books.config.price_model.book(inst, self.books.last[inst.symbol])
        if oc is OrderClass.OCO:
            base = bid if req.side is Side.SELL else ask  # the exits bracket the market
        else:
            base = req.limit_price or req.stop_price or (ask if req.side is Side.BUY else bid)
        buy = req.side is Side.BUY
        # The exits close the entry: for a buy, take-profit above and stop-loss below the base price.
        exits_sell = buy if oc is not OrderClass.OCO else req.side is Side.SELL
        if tp is not None and (tp.limit_price <= base if exits_sell else tp.limit_price >= base):
            where = "above" if exits_sell else "below"
            raise _reject(
                Reason.TRIGGER_PRICE_INVALID, f"take_profit.limit_price must be {where} the base price {base}"
            )
        if sl is not None and (sl.stop_price >= base if exits_sell else sl.stop_price <= base):
            where = "below" if exits_sell else "above"
            raise _reject(
                Reason.TRIGGER_PRICE_INVALID, f"stop_loss.stop_price must be {where} the base price {base}"
            )

    def _timing(self, inst: SpotInstrument, req: SpotOrderRequest) -> tuple[int, int | None, bool]:
        """(active from, expires at, working now). Crypto works at once and never expires."""
        now = self.books.now
        hours = inst.hours
        if inst.is_crypto:
            return now, None, True
        regular_open = hours.is_open(now)
        if req.tif is SpotTimeInForce.OPG:
            if regular_open:
                raise _reject(
                    Reason.MARKET_TIMING, "opg orders are only accepted outside the regular session"
                )
            start = hours.next_open(now)
            return start, hours.session_close(start), False
        if req.tif is SpotTimeInForce.CLS:
            close = hours.session_close(now) if regular_open else None
            if close is not None and close - now <= CLS_CUTOFF_MS:
                raise _reject(Reason.MARKET_TIMING, "cls orders are not accepted in the last 10 minutes")
            start = now if regular_open else hours.next_open(now)
            return start, hours.session_close(start), regular_open
        ext = req.extended_hours
        start = hours.next_open(now, extended=ext)
        expires = hours.session_close(start, extended=ext) if req.tif is SpotTimeInForce.DAY else None
        return start, expires, start <= now

    def _holding(self, acct: SpotAccount, inst: SpotInstrument, req: SpotOrderRequest) -> bool:
        """Whether the order opens (or adds to) a holding; refuses what the holding cannot take."""
        held = acct.position_qty(inst.symbol)
        bid, ask = self.books.config.price_model.book(inst, self.books.last[inst.symbol])
        estimate = (
            req.qty
            if req.qty is not None
            else (req.notional or ZERO) / (ask if req.side is Side.BUY else bid)
        )
        closes = (held > 0 and req.side is Side.SELL) or (held < 0 and req.side is Side.BUY)
        if req.order_class is OrderClass.OCO and not closes:
            raise _reject(Reason.INSUFFICIENT_QTY, "an oco order exits an existing position: none to exit")
        if closes:
            busy = self.accounting.held_for_orders(acct, inst.symbol, req.side, bid if held > 0 else ask)
            available = abs(held) - busy
            if estimate > available:
                what = (
                    f"insufficient balance for {inst.base}"
                    if inst.is_crypto
                    else "insufficient qty available for order"
                )
                raise _reject(
                    Reason.INSUFFICIENT_QTY, f"{what} (requested: {estimate}, available: {available})"
                )
            return False
        if req.side is Side.BUY:
            return True
        # A sale without a long holding: a short sale.
        if inst.is_crypto:
            raise _reject(
                Reason.INSUFFICIENT_QTY,
                f"insufficient balance for {inst.base} (requested: {estimate}, available: 0)",
            )
        equity = self.accounting.equity(acct)
        if (
            acct.kind is AccountKind.CASH
            or not acct.shorting_enabled
            or self.accounting.multiplier(acct, equity) == 1
        ):
            raise _reject(Reason.SHORT_NOT_ALLOWED, "account is not allowed to short")
        if not inst.shortable or not inst.easy_to_borrow:
            raise _reject(Reason.NOT_SHORTABLE, f"asset {inst.symbol} cannot be sold short")
        if req.notional is not None or (req.qty is not None and req.qty % 1 != 0):
            raise _reject(Reason.FRACTIONAL_NOT_ALLOWED, "fractional orders cannot be sold short")
        return True

    def _wash_trade(self, acct: SpotAccount, req: SpotOrderRequest) -> None:
        mine = _working_price(req.type, req.limit_price)
        for o in acct.working.values():
            if o.symbol != req.symbol or o.side is req.side or o.status is SpotOrderStatus.HELD:
                continue
            theirs = _working_price(o.type, o.limit_price)
            buy, sell = (mine, theirs) if req.side is Side.BUY else (theirs, mine)
            if buy is None or sell is None or buy >= sell:
                raise _reject(Reason.WASH_TRADE, "potential wash trade detected. use complex orders")

    def _pdt(self, acct: SpotAccount, inst: SpotInstrument, req: SpotOrderRequest) -> None:
        cfg = self.config
        if acct.last_equity >= cfg.pdt_min_equity or not self.accounting.would_day_trade(
            acct, inst, req.side
        ):
            return
        if self.accounting.daytrade_count(acct) >= cfg.pdt_max_day_trades:
            raise _reject(Reason.PDT_PROTECTION, "trade denied due to pattern day trading protection")

    def order_value(self, inst: SpotInstrument, req: SpotOrderRequest) -> Decimal:
        """The value an opening order is checked (and reserved) at."""
        if req.notional is not None:
            return req.notional
        assert req.qty is not None
        _, ask = self.books.config.price_model.book(inst, self.books.last[inst.symbol])
        if req.side is Side.SELL:
            return req.qty * max(req.limit_price or ZERO, ask * (ONE + self.config.short_buffer))
        if req.limit_price is not None:
            return req.qty * req.limit_price
        ref = max(ask, req.stop_price or ZERO)
        return req.qty * ref * (ONE + self.config.market_buy_buffer)

    def _buying_power(self, acct: SpotAccount, inst: SpotInstrument, req: SpotOrderRequest) -> Decimal:
        value = self.order_value(inst, req)
        power = self.accounting.opening_power(acct, inst, self.accounting.balance(acct))
        if value > power:
            raise _reject(
                Reason.INSUFFICIENT_BUYING_POWER,
                f"insufficient buying power (order value {value:.2f}, buying power {power:.2f})",
                {"buying_power": f"{power:.2f}", "cost_basis": f"{value:.2f}"},
            )
        return value


def _working_price(kind: SpotOrderType, limit: Decimal | None) -> Decimal | None:
    """The price an order trades at for the wash-trade check (None: at the market)."""
    return limit if kind in (SpotOrderType.LIMIT, SpotOrderType.STOP_LIMIT) else None


def replaced_request(old: SpotOrder, **changes: object) -> SpotOrderRequest:
    """The request an order would be with ``changes`` (for replace: the same order, new terms)."""
    fields: dict[str, object] = {
        "symbol": old.symbol,
        "side": old.side,
        "type": old.type,
        "qty": old.qty if old.notional is None else None,
        "notional": old.notional,
        "tif": old.tif,
        "limit_price": old.limit_price,
        "stop_price": old.stop_price,
        "extended_hours": old.extended_hours,
        "source": old.source,
    }
    fields.update({k: v for k, v in changes.items() if v is not None})
    return SpotOrderRequest(**fields)  # type: ignore[arg-type]
