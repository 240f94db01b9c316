"""What every emulated venue provides to the runtime and the HTTP layer."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from ...secrets import Secret
from ..engine import Instrument

if TYPE_CHECKING:
    from ..http import RouteSpec, VenueWire
    from ..runtime import Emulator


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key the emulator accepts, and the account it trades. The secrets never print."""

    api_key: str
    api_secret: Secret
    passphrase: Secret | None = None
    account: str = "main"

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_secret", Secret(self.api_secret))
        if self.passphrase is not None:
            object.__setattr__(self, "passphrase", Secret(self.passphrase))


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """Static market facts of one contract on one venue (tick, lot, limits, fees, margin tier)."""

    tick_size: str
    lot_size: str
    min_qty: str
    max_leverage: int
    mmr: str
    min_notional: str = "5"
    maker_fee: str = "0.0002"
    taker_fee: str = "0.0006"
    extra: dict[str, str] = field(default_factory=dict)

    def build(self, market_id: str, base: str, quote: str, settle: str) -> Instrument:
        return Instrument(
            symbol=market_id,
            base=base,
            quote=quote,
            settle=settle,
            tick_size=Decimal(self.tick_size),
            lot_size=Decimal(self.lot_size),
            min_qty=Decimal(self.min_qty),
            min_notional=Decimal(self.min_notional),
            max_leverage=self.max_leverage,
            maker_fee=Decimal(self.maker_fee),
            taker_fee=Decimal(self.taker_fee),
            mmr=Decimal(self.mmr),
        )


class Venue(Protocol):
    """A venue module's entry point (``emulator/venues/<name>/__init__.py`` exports ``VENUE``)."""

    name: str
    default_symbol: str
    default_credentials: Credentials
    wire: VenueWire

    def parse_symbol(self, symbol: str) -> tuple[str, str, str, str]:
        """``(market_id, base, quote, settle)`` for a unified symbol or a venue id; ValueError otherwise."""
        ...

    def instrument(self, market_id: str, base: str, quote: str, settle: str, price: Decimal) -> Instrument:
        """The instrument the venue lists for this market (``price`` sizes ticks of unknown markets)."""
        ...

    def routes(self, emulator: Emulator) -> list[RouteSpec]: ...


VENUES = ("bitget", "binance", "alpaca")


def load_venue(name: str) -> Venue:
    """The venue called ``name``; a ValueError listing the known venues otherwise."""
    if name not in VENUES:
        raise ValueError(f"unknown venue {name!r}; the emulator speaks: {', '.join(VENUES)}")
    module = importlib.import_module(f"torchtrade.emulator.venues.{name}")
    return module.VENUE
