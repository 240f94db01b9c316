"""Binance USD-M futures: its facts and quirks over the shared ccxt futures trader.

Binance has no entry order with attached TP/SL: the stop-loss and the take-profit are separate
conditional orders (``STOP_MARKET`` / ``TAKE_PROFIT_MARKET`` with ``closePosition=true``, which this
ccxt sends to the algo-order endpoints). The shared env places them after the entry fills, closes the
position at once if one cannot be placed, and cancels what is left when the position is gone (see
:mod:`torchtrade.envs.core.execution`).
"""

from __future__ import annotations

from typing import Any

from ...core.account import OrderOutcome, Side
from ..shared.trader import FuturesTrader
from ..shared.venue import PositionMode, VenueProfile

BINANCE = VenueProfile(
    name="binance",
    ccxt_id="binanceusdm",
    key_env=("BINANCE_API_KEY", "BINANCE_API_SECRET", None),
    no_position_codes=("-2022",),  # "ReduceOnly Order is rejected": nothing left to reduce
    duplicate_order_codes=("-4116",),  # "ClientOrderId is duplicated"
    fill_pnl_field="realizedPnl",
    # Klines answer at most 1,500 candles, but this ccxt caps a request's limit at 1,000.
    ohlcv_page_limit=1000,
    practice_name="demo trading",
    practice_call="demo_trading",  # ccxt refuses sandbox mode for futures; demo trading is the practice venue
    attached_brackets=False,
    # A client id is refused only while an order with it is open: a filled one can be sent again.
    client_ids_unique_while_open=True,
    # ccxt maps these linear-futures codes only on Binance's own hosts (not behind a proxy or an
    # emulator): what they mean, whatever the host.
    error_codes={
        "-2019": "insufficient_margin",  # Margin is insufficient
        "-2021": "order_rejected",  # Order would immediately trigger
        "-2022": "order_rejected",  # ReduceOnly Order is rejected
        "-4164": "order_rejected",  # Order's notional must be no smaller than ...
    },
)

_KIND_PARAM = {"stop_loss": "stopLossPrice", "take_profit": "takeProfitPrice"}


class BinanceFuturesTrader(FuturesTrader):
    """The shared trader plus Binance's separate conditional orders."""

    def place_bracket(self, kind: str, side: Side, trigger_price: float, *, client_oid: str) -> OrderOutcome:
        """One closing conditional order of a ``side`` position: ``kind`` is ``stop_loss`` or
        ``take_profit``. ``closePosition=true`` closes whatever the position holds when it fires (no
        quantity), so a partial fill's resend is covered too."""
        params: dict[str, Any] = {
            "clientOrderId": client_oid,
            _KIND_PARAM[kind]: float(self.exchange.price_to_precision(self.symbol, trigger_price)),
            "closePosition": True,
        }
        if self.position_mode is PositionMode.HEDGE:
            params["positionSide"] = "LONG" if side == "long" else "SHORT"
        closing = "sell" if side == "long" else "buy"
        outcome = self._submit(kind, closing, None, params, client_oid, lookup={"trigger": True})
        outcome.extra[kind] = params[_KIND_PARAM[kind]]
        return outcome

    def open_brackets(self) -> list[dict[str, Any]]:
        """The symbol's open conditional orders (one request)."""
        return self.call(
            "fetch_open_orders", self.exchange.fetch_open_orders, self.symbol, None, None, {"trigger": True}
        )

    def _cancel_all_params(self) -> list[dict[str, Any]]:
        # Regular orders and conditional (algo) orders are two books on Binance.
        return [{}, {"trigger": True}]
