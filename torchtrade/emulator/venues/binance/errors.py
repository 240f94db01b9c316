"""Binance USD-M futures error answers: one table from engine reasons to Binance codes, and the type.

Every error is ``{"code": <negative int>, "msg": "<text>"}``; the HTTP status is 400 for a refused
request, 401 for an API key Binance does not accept, 404 for an unknown path, 429/418 for request
weight. Codes and texts are Binance's (its futures error-code list, as quoted in ``ccxt/binance.py``
beside ``exceptions``). The ccxt class a code becomes is noted where it matters to clients; note
that ccxt keys its *linear* table (-2019, -2021, -2022, -4116, -4164...) by Binance's host names,
so against an emulator URL those codes surface as plain ``ExchangeError`` carrying the code, while
the common table (-1021, -1022, -1100, -1102, -1111, -1121, -2011, -2013, -2015, -4003, -4061...)
applies as on Binance.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...engine import EngineError, Reason
from ...params import ParamError, Problem, printable
from ..common.errors import WireError

DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER_RANGE = r"^[0-9]{1,20}$"
CLIENT_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"


@dataclass(frozen=True, slots=True)
class BinanceError(WireError):
    """An error answer: ``code``/``msg`` in the body, ``status`` as the HTTP status."""

    code: int


# --- request format (ccxt: BadRequest) -----------------------------------------------------------
def mandatory(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def either(first: str, second: str) -> BinanceError:
    return BinanceError(-1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!")


def illegal(name: str, legal: str) -> BinanceError:
    return BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def invalid_data(name: str, detail: str = "") -> BinanceError:
    text = f"Data sent for parameter '{name}' is not valid."
    return BinanceError(-1130, text + (f" ({printable(detail, 120)})" if detail else ""))


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


MALFORMED = BinanceError(-1100, "Illegal characters found in the request body.")
INVALID_SYMBOL = BinanceError(-1121, "Invalid symbol.")  # ccxt: BadSymbol
INVALID_SIDE = BinanceError(-1117, "Invalid side.")
INVALID_TYPE = BinanceError(-1116, "Invalid orderType.")
INVALID_TIF = BinanceError(-1115, "Invalid timeInForce.")
INVALID_INTERVAL = BinanceError(-1120, "Invalid interval.")
INVALID_POSITION_SIDE = BinanceError(-4060, "Invalid position side.")
START_AFTER_END = BinanceError(-1023, "Start time is greater than end time.")
PRECISION = BinanceError(-1111, "Precision is over the maximum defined for this asset.")

# --- authentication (ccxt: AuthenticationError; -1021 InvalidNonce) ------------------------------
API_KEY_FORMAT = BinanceError(-2014, "API-key format invalid.", status=401)
INVALID_API_KEY = BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)
BAD_SIGNATURE = BinanceError(-1022, "Signature for this request is not valid.")
OUTSIDE_RECV_WINDOW = BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
AHEAD_OF_SERVER = BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")

# --- server side --------------------------------------------------------------------------------
INTERNAL = BinanceError(-1000, "An unknown error occured while processing the request.", status=500)


def unknown_path(path: str, method: str) -> BinanceError:
    return BinanceError(-5000, f"Path {printable(path, 80)}, Method {method} is invalid", status=404)


def too_many_requests(ip: str, limit: int) -> BinanceError:
    # ccxt: DDoSProtection (any 429). The text is Binance's, with the emulator's own limit.
    return BinanceError(
        -1003,
        f"Too many requests; current limit of IP({ip}) is {limit} requests per minute. Please use the "
        "websocket for live updates to avoid polling the API.",
        status=429,
    )


def banned(ip: str, until_ms: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Way too many requests; IP({ip}) banned until {until_ms}. Please use the websocket for live "
        "updates to avoid bans.",
        status=418,
    )


# --- orders --------------------------------------------------------------------------------------
ORDER_DOES_NOT_EXIST = BinanceError(-2013, "Order does not exist.")  # ccxt: OrderNotFound
UNKNOWN_ORDER = BinanceError(-2011, "Unknown order sent.")  # ccxt: OrderNotFound
MARGIN_INSUFFICIENT = BinanceError(-2019, "Margin is insufficient.")  # linear: InsufficientFunds
WOULD_TRIGGER = BinanceError(-2021, "Order would immediately trigger.")  # linear: OrderImmediatelyFillable
REDUCE_ONLY_REJECTED = BinanceError(-2022, "ReduceOnly Order is rejected.")  # linear: InvalidOrder
PRICE_NOT_POSITIVE = BinanceError(-4001, "Price less than 0.")
QTY_NOT_POSITIVE = BinanceError(-4003, "Quantity less than or equal to zero.")
QTY_BELOW_MIN = BinanceError(-4004, "Quantity less than min quantity.")
QTY_ABOVE_MAX = BinanceError(-4005, "Quantity greater than max quantity.")
PRICE_TICK = BinanceError(-4014, "Price not increased by tick size.")
QTY_STEP = BinanceError(-4023, "Quantity not increased by step size.")
POSITION_SIDE_MISMATCH = BinanceError(-4061, "Order's position side does not match user's setting.")
DUPLICATE_CLIENT_ID = BinanceError(-4116, "ClientOrderId is duplicated.")  # linear: InvalidOrder
USE_ALGO_ENDPOINT = BinanceError(
    -4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
)
CLOSE_POSITION_EXISTS = BinanceError(
    -4130, "An open stop or take profit order with GTE and closePosition in the direction is existing."
)
CLOSE_POSITION_QUANTITY = BinanceError(-4137, "Quantity must be zero with closePosition equals true")
POST_ONLY_REJECTED = BinanceError(
    -5022,
    "Due to the order could not be executed as maker, the Post Only order will be rejected. The order "
    "will not be recorded in the order history",
)


def min_notional(minimum: str) -> BinanceError:
    return BinanceError(
        -4164, f"Order's notional must be no smaller than {minimum} (unless you choose reduce only)."
    )


# --- account settings ----------------------------------------------------------------------------
def bad_leverage(leverage: object) -> BinanceError:
    return BinanceError(-4028, f"Leverage {printable(str(leverage), 20)} is not valid")


LEVERAGE_MARGIN = BinanceError(-2028, "Leverage is smaller than permitted: insufficient margin balance")
MARGIN_TYPE_UNCHANGED = BinanceError(-4046, "No need to change margin type.")  # ccxt: MarginModeAlreadySet
MARGIN_TYPE_OPEN_ORDERS = BinanceError(-4047, "Margin type cannot be changed if there exists open orders.")
MARGIN_TYPE_POSITION = BinanceError(-4048, "Margin type cannot be changed if there exists position.")
POSITION_SIDE_UNCHANGED = BinanceError(-4059, "No need to change position side.")
POSITION_SIDE_OPEN_ORDERS = BinanceError(
    -4067, "Position side cannot be changed if there exists open orders."
)
POSITION_SIDE_POSITION = BinanceError(-4068, "Position side cannot be changed if there exists position.")


# --- engine reasons ------------------------------------------------------------------------------
# Per route, a reason may need another code (an unknown order is -2013 on a query, -2011 on a
# cancel): routes pass ``overrides``.
_REASONS: dict[Reason, BinanceError] = {
    Reason.UNKNOWN_SYMBOL: INVALID_SYMBOL,
    Reason.INVALID_PARAM: BinanceError(-1130, "Data sent for parameter is not valid."),
    Reason.QTY_BELOW_MIN: QTY_BELOW_MIN,
    Reason.QTY_PRECISION: QTY_STEP,
    Reason.PRICE_PRECISION: PRICE_TICK,
    Reason.INSUFFICIENT_MARGIN: MARGIN_INSUFFICIENT,
    Reason.LEVERAGE_OUT_OF_RANGE: BinanceError(-4028, "Leverage is not valid"),
    Reason.DUPLICATE_CLIENT_OID: DUPLICATE_CLIENT_ID,
    Reason.ORDER_NOT_FOUND: ORDER_DOES_NOT_EXIST,
    Reason.ORDER_NOT_CANCELLABLE: UNKNOWN_ORDER,
    Reason.NO_POSITION: REDUCE_ONLY_REJECTED,
    Reason.REDUCE_ONLY_INCREASES: REDUCE_ONLY_REJECTED,
    Reason.POSITION_MODE_MISMATCH: POSITION_SIDE_MISMATCH,
    Reason.MARGIN_MODE_MISMATCH: MARGIN_TYPE_OPEN_ORDERS,
    Reason.HAS_POSITION_OR_ORDERS: MARGIN_TYPE_POSITION,
    Reason.TRIGGER_PRICE_INVALID: WOULD_TRIGGER,
    Reason.POST_ONLY_WOULD_TAKE: POST_ONLY_REJECTED,
    Reason.UNKNOWN_ACCOUNT: INVALID_API_KEY,
}


def from_engine(
    err: EngineError, overrides: dict[Reason, BinanceError] | None = None, min_notional_text: str = ""
) -> BinanceError:
    """Binance's answer for an engine refusal: Binance's fixed text (the engine's detail is in the
    ledger). ``min_notional_text`` is the market's minimum, which Binance's -4164 text quotes."""
    found = (overrides or {}).get(err.reason)
    if found is not None:
        return found
    if err.reason is Reason.NOTIONAL_BELOW_MIN:
        return min_notional(min_notional_text or "the minimum")
    return _REASONS[err.reason]


# Choice parameters Binance answers with a code of their own; any other bad choice is -1130.
_ENUM_CODES = {
    "side": INVALID_SIDE,
    "type": INVALID_TYPE,
    "timeInForce": INVALID_TIF,
    "interval": INVALID_INTERVAL,
    "positionSide": INVALID_POSITION_SIDE,
}
# Number and id parameters: a value outside the grammar is "illegal characters", as on Binance.
_DECIMALS = {
    "quantity",
    "price",
    "stopPrice",
    "triggerPrice",
    "activatePrice",
    "callbackRate",
    "amount",
}
_INTEGERS = {
    "orderId",
    "algoId",
    "fromId",
    "startTime",
    "endTime",
    "limit",
    "leverage",
    "timestamp",
    "recvWindow",
    "page",
    "goodTillDate",
}


def from_param(e: ParamError) -> BinanceError:
    """Binance's answer for a parameter :mod:`~...params` refused."""
    if e.problem is Problem.MISSING:
        return mandatory(e.name)
    if e.problem is Problem.NOT_JSON:
        return MALFORMED
    if e.name in _ENUM_CODES:
        return _ENUM_CODES[e.name]
    if e.name in _DECIMALS:
        return illegal(e.name, DECIMAL_RANGE)
    if e.name in _INTEGERS:
        return illegal(e.name, INTEGER_RANGE)
    return invalid_data(e.name, e.detail)
