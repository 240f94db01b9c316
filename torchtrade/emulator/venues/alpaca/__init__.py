"""The Alpaca venue: the Trading API v2 and the Market Data API (stocks v2, crypto v1beta3).

One venue per emulator process (``torchtrade emulator serve --venue alpaca``), replaying US stocks
and crypto pairs side by side. Default credentials (printed by ``serve``): API key ``emulator-key``,
secret ``emulator-secret``; paper and live keys look the same to the emulator. Point alpaca-py's
clients at it with ``url_override``: one base URL serves the trading and the data routes::

    TradingClient(key, secret, paper=True, url_override=url)
    StockHistoricalDataClient(key, secret, url_override=url)
    CryptoHistoricalDataClient(url_override=url)  # crypto data needs no key

What alpaca-py sends and reads is in :mod:`.reference`; the routes are in :mod:`.routes`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ....markets import ALWAYS_OPEN, us_equity_hours
from ...engine.hours import MarketHours
from ...engine.spot.instruments import SpotInstrument
from ...faults import FaultRule
from ...http import Admission, RouteSpec
from ..base import Credentials
from ..common.pages import gateway_error
from . import defaults, errors, limits, listing
from .common import answer
from .routes import AlpacaRoutes

if TYPE_CHECKING:
    from ...runtime import Emulator

DEFAULT_CREDENTIALS = Credentials(api_key="emulator-key", api_secret="emulator-secret")


class AlpacaWire:
    name = "alpaca"

    def rate_limited(self, rule: FaultRule, now_ms: int) -> Response:
        return limits.fault_answer(rule.retry_after_s)

    def server_error(self, rule: FaultRule) -> Response:
        return gateway_error(rule.status)

    def internal_error(self, now_ms: int) -> Response:
        return answer(errors.INTERNAL)

    def not_found(self, path: str, now_ms: int) -> Response:
        return answer(errors.ENDPOINT_NOT_FOUND)

    def admit(self, emulator: Emulator, spec: RouteSpec, request: Request) -> Admission:
        return limits.admit(emulator, spec, request)


class AlpacaVenue:
    name = "alpaca"
    default_symbol = "SPY"
    default_credentials = DEFAULT_CREDENTIALS
    default_balances = defaults.BALANCES
    wire = AlpacaWire()

    def defaults(self) -> dict[str, Any]:
        """What an Alpaca emulator starts from unless told otherwise (see :mod:`.defaults`)."""
        return defaults.config_overrides()

    def parse_symbol(self, symbol: str) -> tuple[str, str, str, str]:
        found = listing.parse(symbol)
        if found is None:
            raise ValueError(
                f"symbol {symbol!r}: expected a US stock such as SPY or a crypto pair such as BTC/USD "
                f"(quoted in {', '.join(listing.CRYPTO_QUOTES)})"
            )
        return found.market_id, found.base, found.quote, found.quote

    def market_hours(self, market_id: str) -> MarketHours:
        """Stocks trade in the XNYS sessions (with pre/post-market), crypto around the clock."""
        symbol = listing.parse(market_id)
        if symbol is not None and symbol.asset_class == listing.CRYPTO:
            return ALWAYS_OPEN
        return us_equity_hours()

    def instrument(
        self, market_id: str, base: str, quote: str, settle: str, price: Decimal
    ) -> SpotInstrument:
        symbol = listing.parse(market_id)
        assert symbol is not None, market_id
        listed = listing.facts(symbol)
        flags = {
            "fractionable": listed.fractionable,
            "shortable": listed.shortable,
            "easy_to_borrow": listed.easy_to_borrow,
            "marginable": listed.marginable,
            "maintenance_margin_requirement": Decimal(listed.maintenance_margin_requirement) / 100,
        }
        if symbol.asset_class != listing.CRYPTO:
            return SpotInstrument.stock(market_id, hours=self.market_hours(market_id), **flags)
        steps = listing.crypto_sizes(price)
        return SpotInstrument.crypto(
            market_id,
            min_order_size=steps.min_order_size,
            min_trade_increment=steps.min_trade_increment,
            price_increment=steps.price_increment,
            **flags,
        )

    def routes(self, emulator: Emulator) -> list[RouteSpec]:
        return AlpacaRoutes(emulator).specs()


VENUE = AlpacaVenue()

__all__ = ["DEFAULT_CREDENTIALS", "VENUE", "AlpacaVenue", "AlpacaWire"]
