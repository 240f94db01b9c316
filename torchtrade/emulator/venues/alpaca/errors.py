"""Alpaca's error answers: one type, one table from engine reasons and parameter problems to codes.

The trading API answers ``{"code": <8 digits>, "message": "<text>"}``, sometimes with more fields
(``buying_power``/``cost_basis`` on an insufficient-buying-power refusal); the code's first digits
usually repeat the HTTP status, not always (``40010001`` comes with a 422). The market data API
answers ``{"message": "<text>"}`` with no code for a bad parameter. What each code and text below
rests on (public reports of real answers):

* 401 ``40110000`` "request is not authorized": a missing or wrong key (alpaca-trade-api-go#129,
  alpaca-trade-api-csharp#244 quote the code).
* 400 ``40010000`` "request body format is invalid": a body that is not a JSON object.
* 422 ``40010001``: a field missing or malformed, "qty is required" (Alpaca-API#191,
  alpaca-trade-api-js#146), "order_id is missing" (Alpaca-API#135), and a repeated client order id,
  "client_order_id must be unique" (alpaca-py#260).
* 422 ``42210000``: a well-formed order Alpaca will not take, e.g. "fractional orders must be simple
  orders", "asset \\"LQD\\" cannot be sold short" (as quoted by users' trading code on GitHub).
* 403 ``40310000``: "insufficient buying power" with ``buying_power`` and ``cost_basis``
  (alpaca-py#225), "insufficient qty available for order (requested: N, available: M)".
* 403 ``40310000`` "new orders are rejected by user request": an account whose holder set
  ``suspend_trade`` (Lumiwealth/lumibot#373 quotes the answer); "account is not allowed to short".
* 403 ``40310100``: "trade denied due to pattern day trading protection" (the code users' clients
  test for; Alpaca removed the PDT account fields on 2026-07-06, see alpaca-py's models).
* 404 ``40410000``: "position does not exist" (Alpaca-API#215), "order not found", "asset not found",
  "watchlist not found", and for the announcements and option contracts the emulator does not list.
* 422 ``40010001`` on watchlists: "watchlist name must be unique" (alpaca-java#52), "asset not
  found: ZZZZ" for a symbol it does not list (Alpaca-API#91).
* 429 ``42910000`` "rate limit exceeded" (the text alpaca-trade-api-csharp#416 reports), with the
  ``X-RateLimit-*`` headers of :mod:`.limits`.
* Market data: 400 ``{"message": "invalid symbol: BTCUSD does not match ^[A-Z]+/[A-Z]+$"}``
  (alpaca-py#537) and the like for every bad parameter.

Texts the reports do not show are written in the same terse style; clients key on code and status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...engine import EngineError, Reason
from ...params import ParamError, Problem, printable
from ..common.errors import WireError


@dataclass(frozen=True, slots=True)
class AlpacaError(WireError):
    """An Alpaca error answer. ``code`` None: the market data API's code-less shape.

    ``extra``: further body fields, as (name, text) pairs (``buying_power``, ``cost_basis``...).
    """

    code: int | None
    extra: tuple[tuple[str, str], ...] = ()

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.msg} if self.code is None else {"code": self.code}
        if self.code is not None:
            out["message"] = self.msg
        out.update(self.extra)
        return out


# --- authentication, routing, server -------------------------------------------------------------
UNAUTHORIZED = AlpacaError(40110000, "request is not authorized", status=401)
ENDPOINT_NOT_FOUND = AlpacaError(40410000, "endpoint not found", status=404)
INTERNAL = AlpacaError(50010000, "internal server error occurred", status=500)
RATE_LIMITED = AlpacaError(42910000, "rate limit exceeded", status=429)

# --- request format ------------------------------------------------------------------------------
MALFORMED_BODY = AlpacaError(40010000, "request body format is invalid", status=400)


def invalid_field(message: str) -> AlpacaError:
    """422 ``40010001``: a field missing or malformed (``"qty is required"``, ``"invalid side"``)."""
    return AlpacaError(40010001, message, status=422)


def unprocessable(message: str) -> AlpacaError:
    """422 ``42210000``: a well-formed request Alpaca will not carry out."""
    return AlpacaError(42210000, message, status=422)


# --- not found -----------------------------------------------------------------------------------
WATCHLIST_NOT_FOUND = AlpacaError(40410000, "watchlist not found", status=404)
ANNOUNCEMENT_NOT_FOUND = AlpacaError(40410000, "corporate action announcement not found", status=404)
OPTION_CONTRACT_NOT_FOUND = AlpacaError(40410000, "option contract not found", status=404)
ORDER_NOT_FOUND = AlpacaError(40410000, "order not found", status=404)
POSITION_NOT_FOUND = AlpacaError(40410000, "position does not exist", status=404)
ASSET_NOT_FOUND = AlpacaError(40410000, "asset not found", status=404)
DUPLICATE_CLIENT_ID = invalid_field("client_order_id must be unique")

# --- account and risk ----------------------------------------------------------------------------
PDT_DENIED = AlpacaError(40310100, "trade denied due to pattern day trading protection", status=403)


def order_in_state(state: str) -> AlpacaError:
    """Cancelling or replacing an order that is no longer open."""
    return unprocessable(f'order is already in "{state}" state')


# --- market data (no code in the body) -----------------------------------------------------------
def data_error(message: str, status: int = 400) -> AlpacaError:
    return AlpacaError(None, message, status=status)


def invalid_crypto_symbol(symbol: str) -> AlpacaError:
    return data_error(f"invalid symbol: {printable(symbol)} does not match ^[A-Z]+/[A-Z]+$")


# --- parameter problems --------------------------------------------------------------------------
def from_param(e: ParamError) -> AlpacaError:
    """The trading API's answer for a parameter :mod:`~...params` refused."""
    if e.problem is Problem.NOT_JSON:
        return MALFORMED_BODY
    if e.problem is Problem.MISSING:
        return invalid_field(f"{printable(e.name)} is required")
    return invalid_field(f"invalid {printable(e.name)}")


def data_from_param(e: ParamError) -> AlpacaError:
    """The market data API's answer for a parameter :mod:`~...params` refused."""
    if e.problem is Problem.MISSING:
        return data_error(f"missing {printable(e.name)}")
    return data_error(f"invalid {printable(e.name)}")


# --- engine reasons ------------------------------------------------------------------------------
# Per reason: Alpaca's status, code, and its fixed text (None: the engine's own message, which the
# spot rules write in Alpaca's words, e.g. "fractional orders must be DAY orders").
_TABLE: dict[Reason, tuple[int, int, str | None]] = {
    Reason.UNKNOWN_SYMBOL: (422, 40010001, None),
    Reason.INVALID_PARAM: (422, 40010001, None),
    Reason.DUPLICATE_CLIENT_OID: (422, 40010001, "client_order_id must be unique"),
    Reason.QTY_BELOW_MIN: (422, 42210000, None),
    Reason.QTY_PRECISION: (422, 42210000, None),
    Reason.PRICE_PRECISION: (422, 42210000, None),
    Reason.NOTIONAL_BELOW_MIN: (422, 42210000, None),
    Reason.TRIGGER_PRICE_INVALID: (422, 42210000, None),
    Reason.TIF_NOT_SUPPORTED: (422, 42210000, None),
    Reason.ORDER_TYPE_NOT_SUPPORTED: (422, 42210000, None),
    Reason.ORDER_CLASS_NOT_SUPPORTED: (422, 42210000, None),
    Reason.FRACTIONAL_NOT_ALLOWED: (422, 42210000, None),
    Reason.EXTENDED_HOURS_INVALID: (422, 42210000, None),
    Reason.MARKET_TIMING: (422, 42210000, None),
    Reason.ORDER_NOT_REPLACEABLE: (422, 42210000, None),
    Reason.ORDER_NOT_CANCELLABLE: (422, 42210000, None),
    Reason.NOT_SHORTABLE: (422, 42210000, None),
    Reason.INSUFFICIENT_BUYING_POWER: (403, 40310000, "insufficient buying power"),
    Reason.INSUFFICIENT_MARGIN: (403, 40310000, "insufficient buying power"),
    Reason.INSUFFICIENT_QTY: (403, 40310000, None),
    Reason.SHORT_NOT_ALLOWED: (403, 40310000, None),
    Reason.WASH_TRADE: (403, 40310000, None),
    Reason.ORDERS_SUSPENDED: (403, 40310000, "new orders are rejected by user request"),
    Reason.PDT_PROTECTION: (403, 40310100, "trade denied due to pattern day trading protection"),
    Reason.ORDER_NOT_FOUND: (404, 40410000, "order not found"),
    Reason.NO_POSITION: (404, 40410000, "position does not exist"),
    Reason.UNKNOWN_ACCOUNT: (401, 40110000, "request is not authorized"),
    Reason.NOT_SPOT_ACCOUNT: (401, 40110000, "request is not authorized"),
}


def from_engine(err: EngineError, overrides: dict[Reason, AlpacaError] | None = None) -> AlpacaError:
    """Alpaca's answer for an engine refusal; a reason the table does not know is a 422."""
    found = (overrides or {}).get(err.reason)
    if found is not None:
        return found
    status, code, text = _TABLE.get(err.reason, (422, 42210000, None))
    message = text or printable(err.message, 200)
    if err.figures:
        # Alpaca's body carries the figures of a buying-power refusal ({"buying_power", "cost_basis"},
        # alpaca-py#225).
        return AlpacaError(code, message, status=status, extra=tuple(err.figures.items()))
    return AlpacaError(code, message, status=status)
