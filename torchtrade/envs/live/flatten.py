"""Flatten a symbol from outside any env (``torchtrade flatten``): the venue's trader, built from keys alone.

The trader is built as the venue's env builds it (its config validates the symbol and the URL; keys
from the environment or ``.env``, or the emulator's defaults against a local ``base_url``), but
nothing is configured on the account (no leverage, margin or position mode is set: the account stays
as it is). A futures account in hedge mode is recognised from its position rows, so that each leg is
closed on its own side. Then :func:`~torchtrade.envs.core.liquidation.liquidate` does the work.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ..core.liquidation import Liquidation, liquidate
from .shared.construction import retrier_for
from .shared.credentials import resolve
from .shared.exchange import build_exchange, is_local
from .shared.venue import PositionMode

VENUES = ("bitget", "binance", "alpaca")


def _futures_trader(venue: str, symbol: str, base_url: str | None, production: bool) -> Any:
    from .binance import BinanceFuturesTorchTradingEnv
    from .bitget import BitgetFuturesTorchTradingEnv
    from .shared.futures_env import emulator_keys

    env_class = {"bitget": BitgetFuturesTorchTradingEnv, "binance": BinanceFuturesTorchTradingEnv}[venue]
    extra: dict[str, Any] = {}
    if venue == "bitget" and isinstance(symbol, str) and symbol.count(":") == 1:
        settle = symbol.split(":")[1]  # the product type follows from the settle coin, as the config says
        extra["product_type"] = {"USDT": "USDT-FUTURES", "USDC": "USDC-FUTURES"}.get(settle, "COIN-FUTURES")
    config = env_class.config_class(symbol=symbol, base_url=base_url, testnet=not production, **extra)
    owner, profile, local = type(config).__name__, env_class.profile, is_local(base_url)
    keys = resolve(
        owner,
        given=(None, None, None),
        configured=(None, None, None),
        env_names=profile.key_env,
        fallback=emulator_keys(profile.name) if local else None,
        need_passphrase=profile.needs_passphrase,
        use_environment=not local,
    )
    exchange = build_exchange(
        profile,
        keys,
        demo=config.practice,
        base_url=base_url,
        timeout_ms=config.request_timeout_ms,
        rate_limit=not local,
    )
    trader = env_class.trader_class(
        exchange,
        profile,
        symbol,
        leverage=config.leverage,
        margin_mode=config.margin_mode,  # type: ignore[arg-type]
        position_mode=config.position_mode,  # type: ignore[arg-type]
        trade_mode=config.trade_mode,  # type: ignore[arg-type]
        quantity_per_trade=config.quantity_per_trade,
        retrier=retrier_for(config),
    )
    trader.connect(owner)
    rows = trader.call("fetch_positions", exchange.fetch_positions, [symbol])
    if any(r.get("hedged") for r in rows if r.get("symbol") == symbol):
        trader.position_mode = PositionMode.HEDGE
    return trader


def _alpaca_trader(symbol: str, base_url: str | None, production: bool) -> Any:
    from .alpaca.client import build_clients
    from .alpaca.config import AlpacaTradingEnvConfig
    from .alpaca.env import local_keys
    from .alpaca.trader import AlpacaTrader
    from .alpaca.venue import KEY_ENV

    config = AlpacaTradingEnvConfig(symbol=symbol, base_url=base_url, paper=not production)
    owner, local = type(config).__name__, is_local(base_url)
    keys = resolve(
        owner,
        given=(None, None, None),
        configured=(None, None, None),
        env_names=KEY_ENV,
        fallback=local_keys() if local else None,
        use_environment=not local,
    )
    clients = build_clients(
        keys,
        paper=config.practice,
        crypto=config.is_crypto,
        base_url=base_url,
        timeout_ms=config.request_timeout_ms,
    )
    trader = AlpacaTrader(clients, config.symbol, retrier=retrier_for(config), brackets=True)
    trader.connect(owner)
    return trader


def connect_trader(venue: str, symbol: str, *, base_url: str | None = None, production: bool = False) -> Any:
    """The venue's trader for ``symbol``, connected (markets or the asset checked).

    Raises:
        ConfigError: a bad venue, symbol or URL, or missing keys (naming the field, never a value).
        VenueError: the venue refused the keys or could not be reached.
    """
    from ...errors import ConfigError

    if venue not in VENUES:
        raise ConfigError(f"venue={venue!r}: must be one of {list(VENUES)}")
    if venue == "alpaca":
        return _alpaca_trader(symbol, base_url, production)
    return _futures_trader(venue, symbol, base_url, production)


def flatten(
    venue: str,
    symbol: str,
    *,
    base_url: str | None = None,
    production: bool = False,
    report: Callable[[str], None] | None = None,
) -> Liquidation:
    """Cancel every order and trigger of ``symbol`` on ``venue`` and close every leg (see the module)."""
    trader = connect_trader(venue, symbol, base_url=base_url, production=production)
    tag = secrets.token_hex(4)
    return liquidate(trader, client_oid=lambda n: f"ttflat{tag}-{n}", report=report)
