"""Bitget's error answers: one table from engine reasons to Bitget codes, and the error type.

Every business error is HTTP 400 with ``{"code": "<code>", "msg": "<text>", "requestTime": ..., "data":
null}``, as in Bitget's error-code table (https://www.bitget.com/api-doc/contract/error-code/restapi).
The ccxt class each code becomes is in ``ccxt/bitget.py`` (``exceptions['exact']``); the ones that
matter to clients are noted beside each code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...engine import EngineError, Reason
from ...params import ParamError, Problem, printable
from ..common.errors import WireError


@dataclass(frozen=True, slots=True)
class BitgetError(WireError):
    """An error answer: ``code`` (a numeric string) and ``msg`` in the body, ``status`` (400 unless
    said) as the HTTP status."""

    code: str


# --- authentication (ccxt: AuthenticationError, InvalidNonce for the timestamp) -------------------
def missing_header(name: str) -> BitgetError:
    codes = {"ACCESS_KEY": "40001", "ACCESS_SIGN": "40002", "ACCESS_PASSPHRASE": "40011"}
    return BitgetError(codes[name], f"{name} cannot be empty")


BAD_TIMESTAMP = BitgetError("40005", "Invalid ACCESS_TIMESTAMP")
TIMESTAMP_EXPIRED = BitgetError("40008", "Request timestamp expired")
UNKNOWN_KEY = BitgetError("40037", "Apikey does not exist")
BAD_PASSPHRASE = BitgetError("40012", "apikey/password is incorrect")
BAD_SIGNATURE = BitgetError("40009", "sign signature error")
# A classic account asking the Unified Trading Account API; ccxt reads any error here as "not UTA".
CLASSIC_ACCOUNT = BitgetError(
    "40084", "You are in Classic Account mode, and the Unified Account API is not supported at this time"
)

# --- generic request errors (ccxt: BadRequest) ----------------------------------------------------
NOT_FOUND = BitgetError("40404", "Request URL NOT FOUND", status=404)
VERIFICATION_FAILED = "40017"  # Parameter verification failed
CANNOT_BE_EMPTY = "40019"  # Parameter {0} cannot be empty
PARAM_ERROR = "40020"  # Parameter {0} error

# ccxt: BadRequest. Bitget's own text, for any id outside [0-9a-zA-Z-+_#] or 50 characters and more.
BAD_CLIENT_OID = BitgetError(
    "40305", "Client_oid length is not greater than 50, and cannot be Martian characters"
)

RATE_LIMITED = BitgetError("429", "Too Many Requests", status=429)  # ccxt: DDoSProtection
INTERNAL = BitgetError("50000", "Internal system error", status=500)


def empty(name: str) -> BitgetError:
    return BitgetError(CANNOT_BE_EMPTY, f"Parameter {name} cannot be empty")


def bad_param(name: str, detail: str = "") -> BitgetError:
    return BitgetError(PARAM_ERROR, f"Parameter {name} error" + (f": {detail}" if detail else ""))


def verification_failed(detail: str) -> BitgetError:
    return BitgetError(VERIFICATION_FAILED, f"Parameter verification failed: {detail}")


def from_param(e: ParamError) -> BitgetError:
    """Bitget's answer for a parameter :mod:`~...params` refused: 40019 for a missing one, 40017 for
    a body that is not a JSON object, 40020 naming the parameter otherwise."""
    if e.problem is Problem.MISSING:
        return empty(e.name)
    if e.problem is Problem.NOT_JSON:
        return verification_failed(e.detail)
    return bad_param(e.name, e.detail)


def unknown_symbol(symbol: str) -> BitgetError:
    # The realistic answer (ccxt: ExchangeError). ccxt itself raises BadSymbol before sending a request
    # for a symbol that load_markets did not list. The echo is escaped: it is the client's text.
    return BitgetError("40034", f"Parameter {printable(symbol)} does not exist")


# --- engine reasons --------------------------------------------------------------------------------
# Per route, a reason may need a different code (e.g. "not found" on detail vs cancel): routes pass
# ``overrides``.
_REASONS: dict[Reason, tuple[str, str]] = {
    Reason.UNKNOWN_SYMBOL: ("40034", "Parameter symbol does not exist"),
    Reason.INVALID_PARAM: (PARAM_ERROR, "Parameter error"),
    # Bitget documents 45111 for the minimum quantity, but ccxt leaves it unmapped; 45110 ("less than
    # the minimum amount") is what Bitget answers for a size whose value is below the minimum and
    # what ccxt maps to InvalidOrder. We answer 45110 for both so that both surface as InvalidOrder.
    Reason.QTY_BELOW_MIN: ("45110", "less than the minimum order quantity"),
    Reason.NOTIONAL_BELOW_MIN: ("45110", "less than the minimum amount"),
    Reason.QTY_PRECISION: (
        "40808",
        "Parameter verification exception size checkBDScale error",
    ),  # InvalidOrder
    Reason.PRICE_PRECISION: ("45115", "The price you enter should be a multiple of the tick size"),
    Reason.INSUFFICIENT_MARGIN: ("40762", "The order amount exceeds the balance"),  # InsufficientFunds
    Reason.LEVERAGE_OUT_OF_RANGE: ("40797", "Exceeded the maximum settable leverage"),
    Reason.DUPLICATE_CLIENT_OID: ("40786", "Duplicate clientOid"),  # ccxt: ExchangeError (no mapping)
    Reason.ORDER_NOT_FOUND: (
        "40109",
        "The data of the order cannot be found, please confirm the order number",
    ),
    Reason.ORDER_NOT_CANCELLABLE: ("40768", "Order does not exist"),  # OrderNotFound
    Reason.NO_POSITION: ("22002", "No position to close"),
    Reason.REDUCE_ONLY_INCREASES: ("40757", "Not enough position is available."),
    Reason.POSITION_MODE_MISMATCH: (
        "40774",
        "The order type for unilateral position must also be the unilateral position type.",
    ),
    Reason.MARGIN_MODE_MISMATCH: (
        "45117",
        "Currently holding positions or orders, the margin mode cannot be adjusted",
    ),
    Reason.HAS_POSITION_OR_ORDERS: (
        "45117",
        "Currently holding positions or orders, the margin mode cannot be adjusted",
    ),
    Reason.TRIGGER_PRICE_INVALID: ("40917", "The trigger price is on the wrong side of the mark price"),
    Reason.POST_ONLY_WOULD_TAKE: (
        VERIFICATION_FAILED,
        "Parameter verification failed: post only order would take",
    ),
    Reason.UNKNOWN_ACCOUNT: ("40037", "Apikey does not exist"),
}

POSITION_MODE_LOCKED = ("40920", "Position or order exists, the position mode cannot be switched")
CANCEL_NOT_FOUND = ("40768", "Order does not exist")
PLAN_NOT_FOUND = ("43025", "Plan order does not exist")


def from_engine(err: EngineError, overrides: dict[Reason, tuple[str, str]] | None = None) -> BitgetError:
    """The Bitget answer for an engine refusal; the engine's own text follows the venue's message."""
    code, msg = (overrides or {}).get(err.reason) or _REASONS[err.reason]
    return BitgetError(code, f"{msg} ({err.message})" if err.message else msg)
