"""alpaca-py's ``TradingClient``, answered in-process by the engine's spot verbs (no HTTP).

The in-process Alpaca env runs the live :class:`~torchtrade.envs.live.alpaca.trader.AlpacaTrader`
unchanged (its sizing, shorts, brackets, closes, fills book and queued-order logic are shared, not
copied) over this client. Each method is the HTTP round trip without the network: the request is
turned into what alpaca-py would send (``to_request_fields``, JSON-encoded as ``requests`` does),
read by the emulator wire's own parser (:func:`~torchtrade.emulator.venues.alpaca.order_request.
order_request`), carried out by the engine's spot verb the route calls, written by the wire's own
rows (:mod:`~torchtrade.emulator.venues.alpaca.trading`: decimal strings, RFC-3339 instants) and
parsed by alpaca-py's own models (``Order``, ``Position``, ``TradeAccount``, ``Asset``, ``Clock``).
So every number and instant the trader reads is the HTTP env's, bit for bit. A refusal is raised
as alpaca-py raises it (an ``APIError`` with the wire's status and body), so the live trader's error
translation (:mod:`~torchtrade.envs.live.alpaca.errors`) decides its torchtrade outcome either way.

Not carried in-process (they are the HTTP emulator's, for testing a client): authentication, rate
limits and scripted faults.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.models import Asset, Clock, Order, Position, TradeAccount
from alpaca.trading.requests import GetOrdersRequest, OrderRequest

from ...emulator.engine import EngineError
from ...emulator.engine.spot.types import OrderQueryStatus
from ...emulator.params import ParamError, Params, parse_json_object
from ...emulator.runtime import Emulator
from ...emulator.venues.alpaca import errors as wire_errors
from ...emulator.venues.alpaca import times
from ...emulator.venues.alpaca.assets import AssetRoutes
from ...emulator.venues.alpaca.configurations import check_fractions
from ...emulator.venues.alpaca.errors import AlpacaError
from ...emulator.venues.alpaca.listing import parse
from ...emulator.venues.alpaca.order_request import ORDER_FIELDS, order_request
from ...emulator.venues.alpaca.orders import OrderRoutes
from ...emulator.venues.alpaca.positions import PositionRoutes
from ...emulator.venues.alpaca.trading import account_row, position_row
from ...emulator.venues.alpaca.wire import clock_row

T = TypeVar("T")
#: parsed answers kept per kind (a training run's would grow without bound)
ORDER_CACHE = 10_000


def _state(order: Any) -> tuple[Any, ...]:
    """What an order's row is written from and may change: its status, fills, prices and times."""
    return (
        order.id,
        order.status,
        order.filled_qty,
        order.avg_price,
        order.qty,
        order.limit_price,
        order.stop_price,
        order.updated_ms,
        order.filled_ms,
        order.canceled_ms,
        order.expired_ms,
        order.replaced_ms,
    )


def _api_error(err: AlpacaError) -> APIError:
    """The wire's error answer as alpaca-py raises it: the JSON body, the HTTP status on a response."""
    response = requests.Response()
    response.status_code = err.status
    return APIError(json.dumps(err.body()), requests.HTTPError(response=response))


class EngineTradingClient:
    """The ``TradingClient`` calls the Alpaca trader makes, on an in-process emulator's engine.

    Args:
        emulator_of: the session's emulator (one object across restarts; its engine is re-read).
        account: the engine account traded (the emulator's default credentials').
    """

    def __init__(self, emulator_of: Callable[[], Emulator], account: str) -> None:
        self._emulator_of = emulator_of
        self.account = account
        emulator = emulator_of()
        # The wire's route groups, for their helpers (symbol lookup, order rows with nested legs);
        # their endpoints (which need an HTTP request) are never called.
        self._orders = OrderRoutes(emulator)
        self._positions = PositionRoutes(emulator)
        self._assets = AssetRoutes(emulator)
        # Parsed orders by what their row depends on: a closed order never changes, and a fills read
        # lists the last hundred orders every time (alpaca-py's model parse is the cost).
        self._parsed: dict[tuple[Any, ...], Order] = {}
        self._last: dict[tuple[int, bool], tuple[tuple[Any, ...], Order]] = {}  # by order object
        # Account and position reads likewise, by the engine's (frozen) view they are written from:
        # a flat account, or a price that did not move, reads the same row again.
        self._accounts: dict[tuple[Any, ...], TradeAccount] = {}
        self._held: dict[tuple[Any, ...], Position] = {}

    @staticmethod
    def _remember(cache: dict[Any, Any], key: Any, value: T) -> T:
        """Keep ``value`` under ``key`` (a cache grown past its bound starts over: a long run)."""
        if len(cache) > ORDER_CACHE:
            cache.clear()
        cache[key] = value
        return value

    @property
    def engine(self) -> Any:
        return self._emulator_of().engine

    @staticmethod
    def _wire(fn: Callable[[], T]) -> T:
        """Run one route's work; a refusal becomes the wire's answer, raised as alpaca-py does."""
        try:
            return fn()
        except AlpacaError as e:
            raise _api_error(e) from None
        except ParamError as e:
            raise _api_error(wire_errors.from_param(e)) from None
        except EngineError as e:
            raise _api_error(wire_errors.from_engine(e)) from None

    # ------------------------------------------------------------------ reference

    def get_asset(self, symbol_or_asset_id: str) -> Asset:
        return self._wire(
            lambda: Asset(**self._assets._asset_row(self._assets._find(str(symbol_or_asset_id))))
        )

    def get_clock(self) -> Clock:
        emulator = self._emulator_of()
        now = emulator.engine.now_ms
        clock = emulator.market_clock(now)
        return Clock(**clock_row(now, clock.is_open, clock.next_open_ms, clock.next_close_ms))

    # ------------------------------------------------------------------ account and positions

    def get_account(self) -> TradeAccount:
        def run() -> TradeAccount:
            engine = self.engine
            view = engine.spot_balance(self.account)
            acct = engine.spot_account(self.account)
            now = engine.now_ms
            # The row is a pure function of these (the present only through its New York date).
            key = (view, acct.created_ms, acct.orders_suspended, times.local_date(now))
            parsed = self._accounts.get(key)
            if parsed is None:
                row = account_row(self.account, view, acct.created_ms, now, suspended=acct.orders_suspended)
                parsed = self._remember(self._accounts, key, TradeAccount(**row))
            return parsed

        return self._wire(run)

    def get_open_position(self, symbol_or_asset_id: str) -> Position:
        def run() -> Position:
            symbol = self._positions._position_symbol(str(symbol_or_asset_id))
            try:
                view = self.engine.spot_position(self.account, symbol.market_id)
            except EngineError:
                raise wire_errors.POSITION_NOT_FOUND from None
            key = (view, symbol)
            parsed = self._held.get(key)
            if parsed is None:
                parsed = self._remember(self._held, key, Position(**position_row(view, symbol)))
            return parsed

        return self._wire(run)

    # ------------------------------------------------------------------ orders

    def submit_order(self, order_data: OrderRequest) -> Order:
        # What alpaca-py posts (its fields as JSON), read back as the wire reads a body.
        body = json.dumps(order_data.to_request_fields()).encode()

        def run() -> Order:
            req, symbol, _ = order_request(Params(parse_json_object(body), set(ORDER_FIELDS)))
            check_fractions(self._emulator_of(), self.account, req, symbol.asset_class)
            order = self.engine.submit_spot_order(self.account, req)
            return Order(**self._orders._order(order, nested=True))

        return self._wire(run)

    def get_orders(self, filter: GetOrdersRequest | None = None) -> list[Order]:
        fields = filter.to_request_fields() if filter is not None else {}

        def run() -> list[Order]:
            symbols = fields.get("symbols")
            after, until = fields.get("after"), fields.get("until")
            nested = bool(fields.get("nested"))
            rows = self.engine.list_spot_orders(
                self.account,
                status=OrderQueryStatus(str(getattr(fields.get("status"), "value", None) or "open")),
                limit=int(fields.get("limit") or 50),
                # the instants as the wire parses alpaca-py's ISO text
                after_ms=times.parse_instant(str(after)) if after is not None else None,
                until_ms=times.parse_instant(str(until)) if until is not None else None,
                ascending=str(getattr(fields.get("direction"), "value", "desc")) == "asc",
                symbols=[f.market_id for f in map(parse, symbols) if f is not None] if symbols else None,
                nested=nested,
            )
            return [self._order(o, nested) for o in rows]

        return self._wire(run)

    def _order(self, order: Any, nested: bool) -> Order:
        """alpaca-py's model of the wire's row of ``order``, parsed once per state of the order."""
        legs = self.engine.spot_order_legs(self.account, order) if nested and order.legs else ()
        key = (nested, _state(order), *map(_state, legs)) if legs else (nested, _state(order))
        # The last answer for this very order object first: compared, not hashed (its Decimals are the
        # same objects while the order does not change); the state includes the order's id.
        last = self._last.get((id(order), nested))
        if last is not None and last[0] == key:
            return last[1]
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._remember(self._parsed, key, Order(**self._orders._order(order, nested=nested)))
        self._remember(self._last, (id(order), nested), (key, parsed))
        return parsed

    def get_order_by_id(self, order_id: str) -> Order:
        def run() -> Order:
            order = self.engine.get_spot_order(self.account, order_id=str(order_id))
            return Order(**self._orders._order(order, nested=False))

        return self._wire(run)

    def get_order_by_client_id(self, client_id: str) -> Order:
        def run() -> Order:
            order = self.engine.get_spot_order(self.account, client_order_id=client_id)
            return Order(**self._orders._order(order, nested=False))

        return self._wire(run)

    def cancel_order_by_id(self, order_id: str) -> None:
        def run() -> None:
            engine = self.engine
            order = engine.get_spot_order(self.account, order_id=str(order_id))
            if not order.is_open:
                raise wire_errors.order_in_state(order.status.value)
            engine.cancel_spot_order(self.account, str(order_id))

        self._wire(run)
