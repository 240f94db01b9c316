"""Every Alpaca route over one emulator: the trading API and the market data API, one base URL.

Paths, parameters and answers follow what an unmodified alpaca-py sends and parses (see
:mod:`.reference`). Handlers are grouped by concern, over :mod:`.common`:

* market data: :mod:`.market` (bars, latest bar/trade/quote), :mod:`.ticks` (historical trades and
  quotes), :mod:`.snapshots` (snapshots, the crypto order book);
* reference: :mod:`.assets`, :mod:`.watchlists`, :mod:`.clock` (clock and calendar),
  :mod:`.unlisted` (corporate announcements and option contracts: none listed);
* the account: :mod:`.orders`, :mod:`.positions` (and the account), :mod:`.configurations`,
  :mod:`.portfolio` (portfolio history).
"""

from __future__ import annotations

from .clock import ClockRoutes
from .configurations import ConfigurationRoutes
from .orders import OrderRoutes
from .portfolio import PortfolioRoutes
from .positions import PositionRoutes
from .snapshots import SnapshotRoutes
from .ticks import TickRoutes
from .unlisted import UnlistedRoutes
from .watchlists import WatchlistRoutes


class AlpacaRoutes(
    TickRoutes,
    SnapshotRoutes,
    WatchlistRoutes,
    ClockRoutes,
    UnlistedRoutes,
    OrderRoutes,
    PositionRoutes,
    ConfigurationRoutes,
    PortfolioRoutes,
):
    """Every Alpaca route over one emulator."""
