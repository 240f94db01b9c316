"""Every Alpaca route over one emulator: the trading API and the market data API, one base URL.

Paths, parameters and answers follow what an unmodified alpaca-py sends and parses (see
:mod:`.reference`). Handlers are grouped by concern: :mod:`.market` (market data),
:mod:`.assets`, :mod:`.clock` (clock and calendar), over :mod:`.common`.
"""

from __future__ import annotations

from .assets import AssetRoutes
from .clock import ClockRoutes
from .market import MarketRoutes


class AlpacaRoutes(MarketRoutes, AssetRoutes, ClockRoutes):
    """Every Alpaca route over one emulator."""
