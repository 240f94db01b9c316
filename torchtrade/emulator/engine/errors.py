"""Domain errors of the matching/margin engine.

The engine speaks in venue-neutral *reasons*; each venue's wire layer maps a reason to that venue's
own error code and HTTP status in one table (``emulator/venues/<venue>/errors.py``).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why the engine refused a request. Values are stable identifiers used in the ledger."""

    UNKNOWN_SYMBOL = "unknown_symbol"
    INVALID_PARAM = "invalid_param"
    QTY_BELOW_MIN = "qty_below_min"
    NOTIONAL_BELOW_MIN = "notional_below_min"
    QTY_PRECISION = "qty_precision"
    PRICE_PRECISION = "price_precision"
    INSUFFICIENT_MARGIN = "insufficient_margin"
    LEVERAGE_OUT_OF_RANGE = "leverage_out_of_range"
    DUPLICATE_CLIENT_OID = "duplicate_client_oid"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_NOT_CANCELLABLE = "order_not_cancellable"
    NO_POSITION = "no_position"
    REDUCE_ONLY_INCREASES = "reduce_only_increases"
    POSITION_MODE_MISMATCH = "position_mode_mismatch"
    MARGIN_MODE_MISMATCH = "margin_mode_mismatch"
    HAS_POSITION_OR_ORDERS = "has_position_or_orders"
    TRIGGER_PRICE_INVALID = "trigger_price_invalid"
    POST_ONLY_WOULD_TAKE = "post_only_would_take"
    UNKNOWN_ACCOUNT = "unknown_account"
    # Spot accounts (Alpaca). A wire maps each to its code: Alpaca answers 403 with 40310000 for
    # buying power, quantity, shorting and wash trades, 40310100 for PDT protection, 422 (42210000)
    # for the order-shape reasons.
    INSUFFICIENT_BUYING_POWER = "insufficient_buying_power"
    INSUFFICIENT_QTY = "insufficient_qty"  # selling (or covering) more than the holding has available
    NOT_SHORTABLE = "not_shortable"  # the asset is not shortable (or not easy to borrow)
    SHORT_NOT_ALLOWED = "short_not_allowed"  # the account may not short (cash account, small equity)
    PDT_PROTECTION = "pdt_protection"  # a 4th day trade in 5 sessions with equity below $25,000
    WASH_TRADE = "wash_trade"  # an opposite-side open order in the symbol could trade against it
    TIF_NOT_SUPPORTED = "tif_not_supported"  # time in force not allowed for this asset or order
    ORDER_TYPE_NOT_SUPPORTED = "order_type_not_supported"
    ORDER_CLASS_NOT_SUPPORTED = "order_class_not_supported"  # brackets/OTO/OCO on crypto, ...
    FRACTIONAL_NOT_ALLOWED = "fractional_not_allowed"  # asset not fractionable, or a fractional rule
    EXTENDED_HOURS_INVALID = "extended_hours_invalid"  # extended hours need a DAY limit order
    MARKET_TIMING = "market_timing"  # opg/cls at the wrong moment of the day
    ORDER_NOT_REPLACEABLE = "order_not_replaceable"
    ORDERS_SUSPENDED = "orders_suspended"  # the account holder suspended new orders (Alpaca's suspend_trade)
    NOT_SPOT_ACCOUNT = "not_spot_account"  # a spot verb on a futures account, or a futures verb on a spot one


class EngineError(Exception):
    """A request the engine refuses. Nothing in the engine's state changed when this is raised."""

    def __init__(self, reason: Reason, message: str, figures: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        #: the numbers behind the refusal, as the venue states them (e.g. ``buying_power``, ``cost_basis``)
        self.figures: dict[str, str] = dict(figures or {})

    def __repr__(self) -> str:
        return f"EngineError({self.reason.value!r}, {self.message!r})"


class OrderRejected(EngineError):
    """An order (or trigger order) that the venue would reject at placement."""
