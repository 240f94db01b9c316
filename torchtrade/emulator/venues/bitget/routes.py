"""Bitget V2 routes: parse the request, call the engine, serialise the answer. Nothing else.

Paths, parameters and answers follow what an unmodified ``ccxt.bitget`` sends and reads (ccxt's
``bitget.py`` is the specification we test against) and Bitget's V2 API reference. The handlers are
grouped by concern: :mod:`.market`, :mod:`.contract`, :mod:`.account`, :mod:`.orders`, over :mod:`.common`.
"""

from __future__ import annotations

from .account import AccountRoutes
from .common import bitget_error
from .contract import ContractRoutes
from .market import MarketRoutes
from .orders import OrderRoutes

__all__ = ["BitgetRoutes", "bitget_error"]


class BitgetRoutes(MarketRoutes, ContractRoutes, AccountRoutes, OrderRoutes):
    """Every Bitget route over one emulator (:meth:`specs` lists them)."""
