"""Alpaca's account configurations: ``GET`` and ``PATCH /v2/account/configurations``, per account.

What the emulator does with each field (alpaca-py's ``AccountConfiguration``):

* ``no_shorting``, ``max_margin_multiplier`` (``"1"``, ``"2"`` or ``"4"``) and ``suspend_trade``
  are the engine account's own switches (:meth:`~...engine.Engine.configure_spot_account`): a
  long-only account is refused a short sale (403 ``40310000`` "account is not allowed to short"),
  the multiplier caps buying power, a suspended account is refused every new order and replacement
  (403 ``40310000`` "new orders are rejected by user request"). Open orders are left working.
* ``fractional_trading`` false: a stock order by notional is a 422 ``40010001`` "qty is required",
  one of a fractional quantity "qty must be integer", as Alpaca answers an account without fractional
  trading (Alpaca-API#236); crypto pairs trade in fractions whatever it says. Closing a position
  (``DELETE /v2/positions``) is not affected.
* ``trade_confirm_email`` (``all``/``none``), ``ptp_no_exception_entry``,
  ``max_options_trading_level`` (0-3), ``dtbp_check`` and ``pdt_check`` (``entry``/``exit``/``both``)
  are stored and answered back only: the emulator sends no e-mail, lists no PTP symbol and no option,
  and its PDT protection does not depend on them. ``dtbp_check`` and ``pdt_check`` are null until a
  client sets them (Alpaca stopped sending them on 2026-07-06, alpaca-py's model notes).
* ``PATCH`` changes the fields it names; a null field (alpaca-py sends every field of the model,
  unset ones as null) changes nothing. A bad value is a 422 ``40010001`` and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ...engine.spot.types import SpotOrderRequest
from ...http import CallContext
from ...params import ParamError, Params, Problem
from . import errors
from .common import RoutesBase, endpoint
from .listing import CRYPTO
from .order_request import flag

if TYPE_CHECKING:
    from ...runtime import Emulator

CHECKS = {c: c for c in ("entry", "exit", "both")}
EMAILS = {e: e for e in ("all", "none")}
MULTIPLIERS = {"1": 1, "2": 2, "4": 4}
FIELDS = {
    "dtbp_check",
    "fractional_trading",
    "max_margin_multiplier",
    "no_shorting",
    "pdt_check",
    "suspend_trade",
    "trade_confirm_email",
    "ptp_no_exception_entry",
    "max_options_trading_level",
}
STORED_DEFAULTS: dict[str, Any] = {
    "dtbp_check": None,
    "pdt_check": None,
    "fractional_trading": True,
    "trade_confirm_email": "all",
    "ptp_no_exception_entry": False,
    "max_options_trading_level": 0,
}


def _multiplier(p: Params) -> int | None:
    """``"1"``, ``"2"`` or ``"4"`` (alpaca-py's string), or the same as a JSON number."""
    value = p.raw("max_margin_multiplier")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = str(int(value)) if value in (1, 2, 4) else "invalid"
    if value is None:
        return None
    if not isinstance(value, str) or value not in MULTIPLIERS:
        raise ParamError(Problem.INVALID, "max_margin_multiplier")
    return MULTIPLIERS[value]


def fractional_trading(emulator: Emulator, account: str) -> bool:
    """Whether ``account`` may send fractional and notional stock orders (its configuration)."""
    table = emulator.wire_cache.get("account_configurations", {})
    return bool(table.get(account, STORED_DEFAULTS)["fractional_trading"])


def check_fractions(emulator: Emulator, account: str, req: SpotOrderRequest, asset_class: str) -> None:
    """Alpaca's answer to a fractional stock order from an account without fractional trading."""
    if asset_class == CRYPTO or fractional_trading(emulator, account):
        return
    if req.notional is not None:
        raise errors.invalid_field("qty is required")
    if req.qty is not None and req.qty % 1 != 0:
        raise errors.invalid_field("qty must be integer")


class ConfigurationRoutes(RoutesBase):
    def _stored(self, account: str) -> dict[str, Any]:
        """The fields the emulator only stores, for ``account`` (fresh on every reset)."""
        table = self.emu.wire_cache.setdefault("account_configurations", {})
        return table.setdefault(account, dict(STORED_DEFAULTS))

    def _configuration(self, account: str) -> dict[str, Any]:
        acct = self.emu.engine.spot_account(account)
        return {
            **self._stored(account),
            "max_margin_multiplier": str(acct.max_multiplier),
            "no_shorting": not acct.shorting_enabled,
            "suspend_trade": acct.orders_suspended,
        }

    @endpoint("account_configurations", "GET", "/v2/account/configurations")
    def account_configurations(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        return self._ok(self._configuration(ctx.account or ""))

    @endpoint("set_account_configurations", "PATCH", "/v2/account/configurations")
    def set_account_configurations(self, ctx: CallContext) -> Response:
        p = self._body(ctx, FIELDS)
        account = ctx.account or ""
        # Read every field before changing anything: a bad one leaves the configuration as it was.
        stored = {
            "dtbp_check": p.choice("dtbp_check", CHECKS),
            "pdt_check": p.choice("pdt_check", CHECKS),
            "fractional_trading": flag(p, "fractional_trading"),
            "trade_confirm_email": p.choice("trade_confirm_email", EMAILS),
            "ptp_no_exception_entry": flag(p, "ptp_no_exception_entry"),
            "max_options_trading_level": p.int("max_options_trading_level", lo=0, hi=3),
        }
        multiplier = _multiplier(p)
        no_shorting = flag(p, "no_shorting")
        suspend = flag(p, "suspend_trade")
        self.emu.engine.configure_spot_account(
            account,
            max_multiplier=multiplier,
            shorting_enabled=None if no_shorting is None else not no_shorting,
            orders_suspended=suspend,
        )
        self._stored(account).update({k: v for k, v in stored.items() if v is not None})
        return self._ok(self._configuration(account))
