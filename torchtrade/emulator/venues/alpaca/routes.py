"""Every Alpaca route over one emulator: the trading API and the market data API, one base URL.

Paths, parameters and answers follow what an unmodified alpaca-py sends and parses (see
:mod:`.reference`). Handlers are grouped by concern: :mod:`.market` (market data),
:mod:`.assets`, :mod:`.clock` (clock and calendar), :mod:`.orders`, :mod:`.positions` (and the
account), over :mod:`.common`.
"""

from __future__ import annotations

from .assets import AssetRoutes
from .clock import ClockRoutes
from .market import MarketRoutes
from .orders import OrderRoutes
from .positions import PositionRoutes


class AlpacaRoutes(MarketRoutes, AssetRoutes, ClockRoutes, OrderRoutes, PositionRoutes):
    """Every Alpaca route over one emulator."""
