"""Bitget's facts and quirks over the shared ccxt futures trader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..shared.trader import FuturesTrader
from ..shared.venue import MarginMode, PositionMode, VenueProfile

BITGET = VenueProfile(
    name="bitget",
    ccxt_id="bitget",
    key_env=("BITGETACCESSAPIKEY", "BITGETSECRETKEY", "BITGETPASSPHRASE"),
    needs_passphrase=True,
    # Bitget takes the margin mode of a position from each order's `marginMode`.
    margin_mode_per_order=True,
    # Flash close (/api/v2/mix/order/close-positions) closes a leg whatever its size: no dust.
    close_position_call=True,
    no_position_codes=("22002",),  # "No position to close"
    duplicate_order_codes=("40786", "40708", "45034"),  # "Duplicate clientOid" and its older spellings
    fill_pnl_field="profit",
    # The history-candles endpoint ccxt uses for older data answers at most 200 candles.
    ohlcv_page_limit=200,
    # Classic (not unified) account, USDT-M swaps by default: skips ccxt's account-type probe.
    ccxt_options={"defaultType": "swap", "uta": False},
    practice_name="demo trading",
)


class BitgetFuturesTrader(FuturesTrader):
    """The shared trader plus Bitget's quirks."""

    def _leverage_calls(self) -> list[Callable[[], Any]]:
        if self.margin_mode is MarginMode.ISOLATED and self.position_mode is PositionMode.HEDGE:
            # Isolated hedge mode has one leverage per side, each set with its holdSide.
            return [
                lambda side=side: self.exchange.set_leverage(self.leverage, self.symbol, {"holdSide": side})
                for side in ("long", "short")
            ]
        return super()._leverage_calls()

    def _cancel_all_params(self) -> list[dict[str, Any]]:
        # Normal orders, plan (trigger) orders, and position TP/SL are three separate books on Bitget.
        return [{}, {"trigger": True}, {"trigger": True, "planType": "profit_loss"}]
