"""The Bitget V2 USDT-M futures venue (classic account, demo trading accepted).

Default credentials (printed by ``torchtrade emulator serve``): API key ``emulator-key``, secret
``emulator-secret``, passphrase ``emulator-passphrase``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from starlette.responses import Response

from ...engine import Instrument
from ...faults import FaultRule
from ..base import Credentials
from ..common.pages import gateway_error
from ..common.symbols import parse_perpetual
from . import errors, wire
from .instruments import spec_for
from .routes import BitgetRoutes, bitget_error

if TYPE_CHECKING:
    from ...http import RouteSpec
    from ...runtime import Emulator

DEFAULT_CREDENTIALS = Credentials(
    api_key="emulator-key", api_secret="emulator-secret", passphrase="emulator-passphrase"
)


class BitgetWire:
    name = "bitget"

    def rate_limited(self, rule: FaultRule, now_ms: int) -> Response:
        response = bitget_error(errors.RATE_LIMITED, now_ms)
        # Bitget reports the remaining per-second allowance in x-mbx-used-remain-limit (API FAQ);
        # Retry-After is the standard hint clients honour.
        response.headers["Retry-After"] = f"{rule.retry_after_s:g}"
        response.headers["x-mbx-used-remain-limit"] = "0"
        return response

    def server_error(self, rule: FaultRule) -> Response:
        return gateway_error(rule.status)

    def internal_error(self, now_ms: int) -> Response:
        return bitget_error(errors.INTERNAL, now_ms)

    def not_found(self, path: str, now_ms: int) -> Response:
        return bitget_error(errors.NOT_FOUND, now_ms)


class BitgetVenue:
    name = "bitget"
    default_symbol = "BTC/USDT:USDT"
    default_credentials = DEFAULT_CREDENTIALS
    wire = BitgetWire()

    def parse_symbol(self, symbol: str) -> tuple[str, str, str, str]:
        return parse_perpetual(symbol, quotes=("USDT",), kind="USDT-margined", venue="Bitget")

    def instrument(self, market_id: str, base: str, quote: str, settle: str, price: Decimal) -> Instrument:
        return spec_for(market_id, price).build(market_id, base, quote, settle)

    def routes(self, emulator: Emulator) -> list[RouteSpec]:
        return BitgetRoutes(emulator).specs()


VENUE = BitgetVenue()

__all__ = ["DEFAULT_CREDENTIALS", "VENUE", "BitgetVenue", "BitgetWire", "wire"]
