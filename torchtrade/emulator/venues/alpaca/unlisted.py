"""What the emulator does not list: corporate action announcements and option contracts.

The emulator replays stocks and crypto without corporate actions (its bars are raw) and lists no
option. These routes answer as Alpaca does for an account and a query that have none, so that a
program calling them runs on: the parameters are checked as Alpaca checks them (a bad one is a 422
``40010001``), the lists are empty, and one item asked for by id is a 404 ``40410000``.

* ``GET /v2/corporate_actions/announcements``: ``ca_types`` (a comma list of dividend, merger,
  spinoff, split), ``since`` and ``until`` (dates, at most 90 days apart), ``symbol``, ``cusip``,
  ``date_type`` -> ``[]``. ``GET .../announcements/{id}``: 404.
* ``GET /v2/options/contracts``: ``underlying_symbols``, ``status``, ``expiration_date[_gte|_lte]``,
  ``root_symbol``, ``type``, ``style``, ``strike_price_gte|lte``, ``limit`` (1-10000),
  ``page_token`` -> ``{"option_contracts": [], "next_page_token": null}``.
  ``GET /v2/options/contracts/{symbol_or_id}``: 404.
* ``POST /v2/positions/{symbol_or_id}/exercise``: there is no option position to exercise: 404
  "position does not exist".
"""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from ...http import CallContext
from ...params import ParamError, Params, Problem
from . import errors, times
from .common import RoutesBase, endpoint

CA_TYPES = {"dividend", "merger", "spinoff", "split"}
DATE_TYPES = {d: d for d in ("declaration_date", "ex_date", "record_date", "payable_date")}
MAX_SPAN = dt.timedelta(days=90)
ANNOUNCEMENT_PARAMS = {"ca_types", "since", "until", "symbol", "cusip", "date_type"}
CONTRACT_PARAMS = {
    "underlying_symbols",
    "status",
    "expiration_date",
    "expiration_date_gte",
    "expiration_date_lte",
    "root_symbol",
    "type",
    "style",
    "strike_price_gte",
    "strike_price_lte",
    "limit",
    "page_token",
}
STATUSES = {s: s for s in ("active", "inactive")}
TYPES = {t: t for t in ("call", "put")}
STYLES = {s: s for s in ("american", "european")}


def _date(p: Params, name: str, *, required: bool = False) -> dt.date | None:
    text = p.str(name, required=required, max_len=10)
    if text is None:
        return None
    day = times.parse_date(text)
    if day is None:
        raise ParamError(Problem.INVALID, name)
    return day


class UnlistedRoutes(RoutesBase):
    @endpoint("corporate_announcements", "GET", "/v2/corporate_actions/announcements")
    def corporate_announcements(self, ctx: CallContext) -> Response:
        p = self._query(ctx, ANNOUNCEMENT_PARAMS)
        types = p.str("ca_types", required=True, max_len=100) or ""
        if not {t.strip().lower() for t in types.split(",")} <= CA_TYPES:
            raise ParamError(Problem.INVALID, "ca_types")
        since, until = _date(p, "since", required=True), _date(p, "until", required=True)
        assert since is not None
        assert until is not None
        if until < since or until - since > MAX_SPAN:
            raise errors.invalid_field("date range is limited to 90 days")
        p.str("symbol", max_len=24)
        p.str("cusip", max_len=12)
        p.choice("date_type", DATE_TYPES)
        return self._ok([])

    @endpoint("corporate_announcement", "GET", "/v2/corporate_actions/announcements/{announcement_id}")
    def corporate_announcement(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        raise errors.ANNOUNCEMENT_NOT_FOUND

    @endpoint("option_contracts", "GET", "/v2/options/contracts")
    def option_contracts(self, ctx: CallContext) -> Response:
        p = self._query(ctx, CONTRACT_PARAMS)
        p.str("underlying_symbols", max_len=4096)
        p.choice("status", STATUSES)
        for name in ("expiration_date", "expiration_date_gte", "expiration_date_lte"):
            _date(p, name)
        p.str("root_symbol", max_len=24)
        p.choice("type", TYPES)
        p.choice("style", STYLES)
        p.decimal("strike_price_gte", allow_zero=True)
        p.decimal("strike_price_lte", allow_zero=True)
        p.int("limit", lo=1, hi=10_000)
        p.str("page_token", max_len=200)
        return self._ok({"option_contracts": [], "next_page_token": None})

    @endpoint("option_contract", "GET", "/v2/options/contracts/{symbol_or_id}")
    def option_contract(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        raise errors.OPTION_CONTRACT_NOT_FOUND

    @endpoint("exercise_option", "POST", "/v2/positions/{symbol_or_id:path}/exercise")
    def exercise_option(self, ctx: CallContext) -> Response:
        self._query(ctx, set())
        raise errors.POSITION_NOT_FOUND
