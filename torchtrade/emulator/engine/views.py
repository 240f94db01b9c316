"""The engine's knobs and the read-only views it hands to the venue wires."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .models import Position
from .pricing import PriceModel
from .spot.types import SpotConfig
from .types import MarginMode, PositionMode


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """Knobs of the simulation.

    Attributes:
        price_model: synthetic book spread and taker slippage (see :mod:`.pricing`).
        funding_rate: rate charged every funding interval (positive: longs pay shorts), unless
            ``funding_rates`` gives one for the symbol.
        funding_rates: per-symbol constant rates.
        default_leverage: leverage of a symbol before set-leverage is called.
        default_margin_mode: margin mode of a symbol before set-margin-mode is called.
        default_position_mode: position mode of a new account.
        client_oid_reuse: False (Bitget): a client order id is refused once any order carried it.
            True (Binance: "a unique id among open orders"): it is refused only while the order
            that carries it is open (a resting order, a live trigger); a lookup by client id finds
            the newest order that carried it.
        reduce_only_min_notional: True (Bitget): a reduce-only order that does not close the whole
            position must be worth the minimum notional. False (Binance: "Order's notional must be
            no smaller than ... (unless you choose reduce only)"): reduce-only orders are exempt
            (the minimum quantity still applies).
        spot: knobs of spot accounts (Alpaca's cash and margin accounts).
    """

    price_model: PriceModel = dataclasses.field(default_factory=PriceModel)
    funding_rate: Decimal = Decimal("0.0001")
    funding_rates: Mapping[str, Decimal] | None = None
    default_leverage: int = 20
    default_margin_mode: MarginMode = MarginMode.CROSSED
    default_position_mode: PositionMode = PositionMode.ONE_WAY
    client_oid_reuse: bool = False
    reduce_only_min_notional: bool = True
    spot: SpotConfig = dataclasses.field(default_factory=SpotConfig)


@dataclass(frozen=True, slots=True)
class BalanceView:
    """An account's balance in one settle coin, valued at the current mark prices."""

    coin: str
    wallet: Decimal  # cash: deposits + realized PnL - fees - funding
    equity: Decimal  # wallet + unrealized PnL
    available: Decimal  # what a new order may use as margin
    frozen: Decimal  # margin reserved by resting orders
    isolated_margin: Decimal
    cross_margin: Decimal  # initial margin of crossed positions
    upnl: Decimal
    upnl_cross: Decimal
    upnl_isolated: Decimal
    maintenance_cross: Decimal


class Funds(NamedTuple):
    """The two figures of :class:`BalanceView` an account read needs most, without the other nine."""

    equity: Decimal
    available: Decimal


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with the figures that depend on the mark price."""

    position: Position
    mark: Decimal
    upnl: Decimal
    margin: Decimal  # isolated margin, or initial margin (entry value / leverage) when crossed
    maintenance: Decimal
    liq_price: Decimal
    take_profit: Decimal | None
    stop_loss: Decimal | None
