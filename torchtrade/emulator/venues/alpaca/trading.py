"""The trading API's JSON shapes: orders, positions and the account, from the engine's spot views.

Field names and types are what alpaca-py's ``Order``, ``Position`` and ``TradeAccount`` parse:
amounts, sizes and prices are decimal strings, absent values ``null``, instants RFC-3339 with
microseconds, ids UUIDs (the engine's order ids already are; asset and account ids are derived).

Account fields Alpaca stopped sending on 2026-07-06 (``pattern_day_trader``, ``daytrade_count``,
``daytrading_buying_power``: FINRA's intraday margin replaced the PDT rule, as alpaca-py 0.44's models
note) are not sent either.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Any

from ...engine.spot.models import SpotOrder
from ...engine.spot.types import SpotOrderStatus
from ...engine.spot.views import SpotBalanceView, SpotPositionView
from . import times
from .listing import CRYPTO, Symbol, asset_id, facts
from .wire import size

_NAMESPACE = uuid.UUID("0b7cf0d4-6f43-4c55-8a57-79d3b5ad9c21")  # the emulator's accounts
PRICE_PLACES = 9


def _money(value: Decimal) -> str:
    return size(value)


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else size(value)


def _at(ms: int | None) -> str | None:
    return None if ms is None else times.rfc3339_micro(ms)


def order_row(order: SpotOrder, symbol: Symbol, legs: list[dict[str, Any]] | None) -> dict[str, Any]:
    """An order; ``legs`` the nested legs' rows (a bracket's take-profit and stop-loss), else null."""
    avg = order.avg_price
    failed = order.status is SpotOrderStatus.CANCELED and order.cancel_reason == "insufficient_buying_power"
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "created_at": _at(order.created_ms),
        "updated_at": _at(order.updated_ms),
        "submitted_at": _at(order.created_ms),
        "filled_at": _at(order.filled_ms),
        "expired_at": _at(order.expired_ms),
        "expires_at": _at(order.expires_ms) if order.is_open else None,
        "canceled_at": _at(order.canceled_ms),
        "failed_at": _at(order.canceled_ms) if failed else None,
        "replaced_at": _at(order.replaced_ms),
        "replaced_by": order.replaced_by,
        "replaces": order.replaces,
        "asset_id": str(asset_id(symbol.market_id)),
        "symbol": symbol.market_id,
        "asset_class": symbol.asset_class,
        "notional": _opt(order.notional),
        "qty": _opt(order.qty),
        "filled_qty": size(order.filled_qty),
        "filled_avg_price": _opt(avg),
        "order_class": order.order_class.value if order.parent_id is None else "",
        "order_type": order.type.value,
        "type": order.type.value,
        "side": order.side.value,
        "position_intent": _intent(order),
        "time_in_force": order.tif.value,
        "limit_price": _opt(order.limit_price),
        "stop_price": _opt(order.stop_price),
        "status": order.status.value,
        "extended_hours": order.extended_hours,
        "legs": legs,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "subtag": None,
        "source": None,
    }


def _intent(order: SpotOrder) -> str | None:
    """The position intent the client sent (``buy_to_open``...), else null: the emulator does not
    classify orders by intent."""
    return order.meta.get("position_intent")


def position_row(view: SpotPositionView, symbol: Symbol) -> dict[str, Any]:
    """A position. Crypto positions carry the slash-less symbol (``BTCUSD``), as Alpaca's do."""
    listed = facts(symbol)
    return {
        "asset_id": str(asset_id(symbol.market_id)),
        "symbol": symbol.legacy if symbol.asset_class == CRYPTO else symbol.market_id,
        "exchange": listed.exchange,
        "asset_class": symbol.asset_class,
        "asset_marginable": view.asset_marginable,
        "qty": size(view.qty),
        "qty_available": size(view.qty_available),
        "avg_entry_price": size(view.avg_entry_price),
        "side": view.side.value,
        "market_value": _money(view.market_value),
        "cost_basis": _money(view.cost_basis),
        "unrealized_pl": _money(view.unrealized_pl),
        "unrealized_plpc": size(view.unrealized_plpc),
        "unrealized_intraday_pl": _money(view.unrealized_intraday_pl),
        "unrealized_intraday_plpc": size(view.unrealized_intraday_plpc),
        "current_price": size(view.current_price),
        "lastday_price": size(view.lastday_price),
        "change_today": size(view.change_today),
    }


def account_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, name)


def account_number(name: str) -> str:
    """A paper account number (``PA`` and ten digits), stable per account name."""
    digits = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**10
    return f"PA{digits:010d}"


def account_row(
    name: str, view: SpotBalanceView, created_ms: int, now_ms: int, *, suspended: bool = False
) -> dict[str, Any]:
    """The account; ``suspended``: its holder suspended new orders (``suspend_trade``)."""
    return {
        "id": str(account_id(name)),
        "account_number": account_number(name),
        "status": "ACTIVE",
        "crypto_status": "ACTIVE",
        "currency": "USD",
        "buying_power": _money(view.buying_power),
        "regt_buying_power": _money(view.regt_buying_power),
        "effective_buying_power": _money(view.buying_power),
        "non_marginable_buying_power": _money(view.non_marginable_buying_power),
        "options_buying_power": "0",
        "cash": _money(view.cash),
        "accrued_fees": _money(view.accrued_fees),
        "portfolio_value": _money(view.portfolio_value),
        "equity": _money(view.equity),
        "last_equity": _money(view.last_equity),
        "long_market_value": _money(view.long_market_value),
        "short_market_value": _money(view.short_market_value),
        "position_market_value": _money(view.long_market_value - view.short_market_value),
        "initial_margin": _money(view.initial_margin),
        "maintenance_margin": _money(view.maintenance_margin),
        "last_maintenance_margin": _money(view.last_maintenance_margin),
        "sma": "0",
        "multiplier": str(view.multiplier),
        "shorting_enabled": view.shorting_enabled,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "trade_suspended_by_user": suspended,
        "created_at": _at(created_ms),
        "balance_asof": times.date_text(times.local_date(now_ms)),
        "crypto_tier": 1,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "intraday_adjustments": "0",
        "pending_reg_taf_fees": "0",
    }
