"""Read-only views of spot accounts, with the figures that depend on prices (what the wire serves)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..types import PositionSide
from .types import AccountKind, AssetClass


@dataclass(frozen=True, slots=True)
class SpotBalanceView:
    """An account as Alpaca's ``GET /v2/account`` reports it (dollars; short market value negative).

    ``buying_power`` is what a new opening order in a marginable stock may use: the day-trading
    buying power at multiplier 4, the Reg T one at 2, cash at 1. ``non_marginable_buying_power`` is
    what crypto and non-marginable stocks may use. Every figure is net of what open orders reserve.
    """

    kind: AccountKind
    cash: Decimal
    equity: Decimal
    last_equity: Decimal
    long_market_value: Decimal
    short_market_value: Decimal
    buying_power: Decimal
    regt_buying_power: Decimal
    daytrading_buying_power: Decimal
    non_marginable_buying_power: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    last_maintenance_margin: Decimal
    multiplier: int
    shorting_enabled: bool
    daytrade_count: int
    pattern_day_trader: bool
    reserved: Decimal  # buying power held by open orders
    accrued_fees: Decimal

    @property
    def portfolio_value(self) -> Decimal:
        return self.equity


@dataclass(frozen=True, slots=True)
class SpotPositionView:
    """A position as Alpaca's ``GET /v2/positions`` reports it (qty, market value, cost basis signed)."""

    symbol: str
    asset_class: AssetClass
    side: PositionSide
    qty: Decimal
    qty_available: Decimal  # not held by open closing orders
    avg_entry_price: Decimal
    cost_basis: Decimal
    market_value: Decimal
    current_price: Decimal
    lastday_price: Decimal
    change_today: Decimal  # fraction
    unrealized_pl: Decimal
    unrealized_plpc: Decimal  # fraction of the cost basis
    unrealized_intraday_pl: Decimal
    unrealized_intraday_plpc: Decimal
    asset_marginable: bool
