"""Binance USD-M futures routes: parse the request, call the engine, serialise the answer.

Paths, parameters and answers follow what an unmodified ``ccxt.binanceusdm`` sends and reads
(ccxt's ``binance.py`` is the specification we test against). The handlers are grouped by concern:
:mod:`.market`, :mod:`.account`, :mod:`.orders`, :mod:`.algo`, over :mod:`.common`.
"""

from __future__ import annotations

from ...http import RouteSpec
from ..common.routing import collect
from .account import AccountRoutes
from .algo import AlgoRoutes
from .market import MarketRoutes
from .orders import OrderRoutes


class BinanceRoutes(MarketRoutes, AccountRoutes, OrderRoutes, AlgoRoutes):
    """Every Binance route over one emulator."""

    def specs(self) -> list[RouteSpec]:
        return collect(self)
