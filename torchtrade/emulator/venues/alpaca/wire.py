"""Alpaca JSON shapes: the market data rows and the trading API's reference objects.

Field names and types are what alpaca-py's models parse (``alpaca/data/mappings.py``,
``alpaca/trading/models.py``): market data numbers are JSON numbers, the trading API's amounts and
sizes are decimal strings, instants are RFC-3339 (:mod:`.times`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ...engine.spot.instruments import SpotInstrument
from ..common.market import PublicTrade
from ..common.numbers import fmt
from . import times
from .bars import Bucket
from .listing import CRYPTO, AssetFacts, Symbol, asset_id, tape

# IEX is the exchange code "V" on Alpaca's stock feeds; quotes and trades of the emulator's synthetic
# book and tape come from it whatever feed is asked for.
IEX = "V"
QUOTE_CONDITIONS = ["R"]  # regular two-sided quote
TRADE_CONDITIONS = ["@"]  # regular sale


def number(value: Decimal) -> float | int:
    """A market data number: an int when whole, else the nearest float (Alpaca sends JSON numbers)."""
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


# ----------------------------------------------------------------------------- market data


def bar_row(bucket: Bucket) -> dict[str, Any]:
    c = bucket.candle
    vwap = c.quote_volume / c.volume if c.volume else c.close
    return {
        "t": times.rfc3339(c.t),
        "o": number(c.open),
        "h": number(c.high),
        "l": number(c.low),
        "c": number(c.close),
        "v": number(c.volume),
        "n": bucket.trades,
        "vw": float(vwap),
    }


def stock_trade_row(trade: PublicTrade, exchange: str) -> dict[str, Any]:
    return {
        "t": times.rfc3339_micro(trade.t_ms),
        "x": IEX,
        "p": number(trade.price),
        "s": number(trade.qty),
        "c": list(TRADE_CONDITIONS),
        "i": trade.id,
        "z": tape(exchange),
    }


def crypto_trade_row(trade: PublicTrade) -> dict[str, Any]:
    return {
        "t": times.rfc3339_micro(trade.t_ms),
        "p": number(trade.price),
        "s": number(trade.qty),
        "i": trade.id,
        "tks": "S" if trade.buyer_maker else "B",  # the taker's side
    }


def stock_quote_row(
    now_ms: int, bid: Decimal, bid_size: Decimal, ask: Decimal, ask_size: Decimal, exchange: str
) -> dict[str, Any]:
    return {
        "t": times.rfc3339_micro(now_ms),
        "ax": IEX,
        "ap": number(ask),
        "as": number(ask_size),
        "bx": IEX,
        "bp": number(bid),
        "bs": number(bid_size),
        "c": list(QUOTE_CONDITIONS),
        "z": tape(exchange),
    }


def crypto_quote_row(
    now_ms: int, bid: Decimal, bid_size: Decimal, ask: Decimal, ask_size: Decimal
) -> dict[str, Any]:
    return {
        "t": times.rfc3339_micro(now_ms),
        "bp": number(bid),
        "bs": number(bid_size),
        "ap": number(ask),
        "as": number(ask_size),
    }


# ----------------------------------------------------------------------------- trading reference


def asset_row(symbol: Symbol, facts: AssetFacts, inst: SpotInstrument, price: Decimal) -> dict[str, Any]:
    """An asset: its flags from the listing, its sizes from the engine's instrument (what it enforces;
    a stock's price increment is the one at its last ``price``)."""
    crypto = symbol.asset_class == CRYPTO
    margin = facts.maintenance_margin_requirement
    return {
        "id": str(asset_id(symbol.market_id)),
        "class": symbol.asset_class,
        "exchange": facts.exchange,
        "symbol": symbol.market_id,
        "name": facts.name,
        "status": "active",
        "tradable": facts.tradable,
        "marginable": facts.marginable,
        "maintenance_margin_requirement": margin,
        "margin_requirement_long": str(margin),
        "margin_requirement_short": str(margin),
        "shortable": facts.shortable,
        "easy_to_borrow": facts.easy_to_borrow,
        "fractionable": facts.fractionable,
        "attributes": ["fractional_eh_enabled"] if facts.fractionable and not crypto else [],
        "min_order_size": size(inst.min_order_size or inst.qty_increment),
        "min_trade_increment": size(inst.qty_increment),
        "price_increment": size(inst.tick(price)),
    }


def clock_row(now_ms: int, is_open: bool, next_open_ms: int, next_close_ms: int) -> dict[str, Any]:
    return {
        "timestamp": times.new_york(now_ms),
        "is_open": is_open,
        "next_open": times.new_york(next_open_ms),
        "next_close": times.new_york(next_close_ms),
    }


def _hhmm(ms: int, sep: str) -> str:
    local = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).astimezone(times.NEW_YORK)
    return f"{local.hour:02d}{sep}{local.minute:02d}"


def calendar_row(
    day: dt.date, open_ms: int, close_ms: int, session_open_ms: int, session_close_ms: int, settles: dt.date
) -> dict[str, Any]:
    """One trading day: regular open/close as ``HH:MM`` New York time (what alpaca-py parses), the
    extended session as ``HHMM``, and the day its trades settle."""
    return {
        "date": times.date_text(day),
        "open": _hhmm(open_ms, ":"),
        "close": _hhmm(close_ms, ":"),
        "session_open": _hhmm(session_open_ms, ""),
        "session_close": _hhmm(session_close_ms, ""),
        "settlement_date": times.date_text(settles),
    }


def size(value: Decimal) -> str:
    """A trading API size or amount as Alpaca writes it (plain, no trailing zeros, 9 decimals at most)."""
    return fmt(value, 9)
