"""Bitget public contract data beyond candles: position tiers, open interest, symbol price, trades.

Each answer is derived from what the engine and the replayed data hold. The public tape and the
open interest are the venue-neutral ones of :mod:`..common.market` (its docstring states how they
are made); the other simulation choices are stated beside each route.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from starlette.responses import Response

from ...engine import Engine, Instrument
from ...http import CallContext
from ..common.market import PublicTrade, open_interest, public_trades
from . import wire
from .common import LIMIT_MAX, RoutesBase, endpoint

if TYPE_CHECKING:
    from ...runtime import Emulator

# Page sizes of the public fills routes (Bitget: recent fills up to 100, fills history up to 1000,
# default 500); a larger limit, up to LIMIT_MAX, is served as the maximum.
RECENT_FILLS = (100, 100)  # (default, max)
HISTORY_FILLS = (500, 1000)


def tier_cap(engine: Engine, inst: Instrument) -> Decimal:
    """The upper notional bound of the one position tier: the largest order's value at the last price.

    Simulation choice: the engine applies one maintenance margin rate and one maximum leverage to
    every position size, so the venue lists a single tier. Bitget's tiers are bounded, so the tier
    ends at the value of the largest order the market accepts (``maxOrderQty``) at the last price.
    """
    return (inst.max_qty * engine.last_price(inst.symbol)).to_integral_value()


def bitget_tape(
    emu: Emulator,
    symbol: str,
    limit: int,
    *,
    start_ms: int | None,
    end_ms: int | None,
    before_id: int | None,
) -> list[PublicTrade]:
    """Up to ``limit`` prints of the tape, newest first, in ``[start_ms, end_ms]``, ids below ``before_id``.

    Bitget pages back (``idLessThan``) where the shared tape pages forward; both ids and times grow
    along the tape, so the prints below an id are the prints before the time of that id's print.
    """
    if before_id is not None:
        at_or_after = public_trades(emu, symbol, from_id=before_id, limit=1)
        if at_or_after:
            bound = at_or_after[0].t_ms - 1
            end_ms = bound if end_ms is None else min(end_ms, bound)
    trades = public_trades(emu, symbol, end_ms=end_ms, limit=limit)  # the newest, oldest first
    return [t for t in reversed(trades) if start_ms is None or t.t_ms >= start_ms]


class ContractRoutes(RoutesBase):
    @endpoint("position_tiers", "GET", "/api/v2/mix/market/query-position-lever", private=False)
    def position_tiers(self, ctx: CallContext) -> Response:
        """The position tiers of one market (``fetch_market_leverage_tiers``); see :func:`tier_cap`."""
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        return self._ok([wire.leverage_tier_row(inst, tier_cap(self.emu.engine, inst))])

    @endpoint("open_interest", "GET", "/api/v2/mix/market/open-interest", private=False)
    def interest(self, ctx: CallContext) -> Response:
        """Open interest (``fetch_open_interest``): every emulated account's open positions."""
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        size = open_interest(self.emu, inst.symbol)
        return self._ok(
            {
                "openInterestList": [{"symbol": inst.symbol, "size": wire.fmt(size)}],
                "ts": str(self.emu.engine.now_ms),
            }
        )

    @endpoint("symbol_price", "GET", "/api/v2/mix/market/symbol-price", private=False)
    def symbol_price(self, ctx: CallContext) -> Response:
        """Last, index and mark price (``fetch_mark_price``): all three are the last price here."""
        p = self._query(ctx, {"symbol", "productType"})
        inst = self._market(p)
        eng = self.emu.engine
        return self._ok([wire.symbol_price_row(inst, eng.last_price(inst.symbol), eng.now_ms)])

    def _public_fills(self, ctx: CallContext, *, history: bool) -> Response:
        known = {"symbol", "productType", "limit"}
        if history:
            known |= {"idLessThan", "startTime", "endTime"}
        p = self._query(ctx, known)
        inst = self._market(p)
        default, most = HISTORY_FILLS if history else RECENT_FILLS
        limit = min(p.int("limit", default=default, lo=1, hi=LIMIT_MAX) or default, most)
        start = end = before = None
        if history:
            start = p.int("startTime", lo=0)
            end = p.int("endTime", lo=0)
            before = p.int("idLessThan", lo=0)
        trades = bitget_tape(self.emu, inst.symbol, limit, start_ms=start, end_ms=end, before_id=before)
        return self._ok([wire.public_trade_row(inst.symbol, t) for t in trades])

    @endpoint("public_fills", "GET", "/api/v2/mix/market/fills", private=False)
    def public_fills(self, ctx: CallContext) -> Response:
        """The latest public trades, newest first (the synthetic tape of :mod:`..common.market`)."""
        return self._public_fills(ctx, history=False)

    @endpoint("public_fills_history", "GET", "/api/v2/mix/market/fills-history", private=False)
    def public_fills_history(self, ctx: CallContext) -> Response:
        """Public trades newest first, ``startTime``/``endTime`` inclusive, ``idLessThan`` to page back.

        Bitget limits a query to a week of trades; the emulator serves any span (a client never
        gets more than ``limit`` rows either way).
        """
        return self._public_fills(ctx, history=True)
