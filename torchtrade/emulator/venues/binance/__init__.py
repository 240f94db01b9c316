"""The Binance USD-M futures venue (``fapi``), as ``ccxt.binanceusdm`` uses it.

One venue per emulator process (``torchtrade emulator serve --venue binance``). Default credentials
(printed by ``serve``): API key ``emulator-key``, secret ``emulator-secret`` (Binance keys have no
passphrase). Both of Binance's futures practice hosts that ccxt knows reach it the same way once
ccxt's URLs point at the emulator: demo trading (``enable_demo_trading(True)``, ``demo-fapi``) and
the old testnet (``set_sandbox_mode(True)``, ``testnet.binancefuture.com``; ccxt refuses its private
calls against the real testnet host, not against the emulator). See
``torchtrade.emulator.clients.ccxt_client``.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ...engine import EngineConfig, Instrument
from ...faults import FaultRule
from ...http import Admission, RouteSpec
from ..base import Credentials
from ..common.pages import gateway_error
from ..common.symbols import parse_perpetual
from . import errors, limits, wire
from .common import answer
from .instruments import spec_for
from .routes import BinanceRoutes

if TYPE_CHECKING:
    from ...runtime import Emulator

DEFAULT_CREDENTIALS = Credentials(api_key="emulator-key", api_secret="emulator-secret")


class BinanceWire:
    name = "binance"

    def rate_limited(self, rule: FaultRule, now_ms: int) -> Response:
        response = answer(errors.too_many_requests("127.0.0.1", limits.WEIGHT_LIMIT_DEFAULT))
        response.headers["Retry-After"] = f"{rule.retry_after_s:g}"  # the scripted fault's hint
        return response

    def server_error(self, rule: FaultRule) -> Response:
        return gateway_error(rule.status)

    def internal_error(self, now_ms: int) -> Response:
        return answer(errors.INTERNAL)

    def not_found(self, path: str, now_ms: int) -> Response:
        return answer(errors.unknown_path(path, "GET"))

    def not_found_for(self, path: str, method: str, now_ms: int) -> Response:
        return answer(errors.unknown_path(path, method))

    def admit(self, emulator: Emulator, spec: RouteSpec, request: Request) -> Admission:
        return limits.admit(emulator, spec, request)


class BinanceVenue:
    name = "binance"
    ccxt_id = "binanceusdm"
    default_symbol = "BTC/USDT:USDT"
    default_credentials = DEFAULT_CREDENTIALS
    wire = BinanceWire()

    def parse_symbol(self, symbol: str) -> tuple[str, str, str, str]:
        return parse_perpetual(symbol, quotes=("USDT", "USDC"), kind="USD-M (USDT/USDC)", venue="Binance")

    def instrument(self, market_id: str, base: str, quote: str, settle: str, price: Decimal) -> Instrument:
        return spec_for(market_id, price).build(market_id, base, quote, settle)

    def adapt_engine(self, config: EngineConfig) -> EngineConfig:
        # Binance: "newClientOrderId: a unique id among open orders"; the minimum notional does not
        # bind reduce-only orders ("... no smaller than 100 (unless you choose reduce only)").
        return dataclasses.replace(config, client_oid_reuse=True, reduce_only_min_notional=False)

    def routes(self, emulator: Emulator) -> list[RouteSpec]:
        return BinanceRoutes(emulator).specs()


VENUE = BinanceVenue()

__all__ = ["DEFAULT_CREDENTIALS", "VENUE", "BinanceVenue", "BinanceWire", "wire"]
