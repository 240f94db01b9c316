"""Configuration of the Binance USD-M futures envs: Binance's own fields over the shared futures config."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ....config import require
from ....errors import ConfigError
from ...core.config import SLTPConfig
from ..shared.config import FuturesEnvConfig

_UNIFIED = re.compile(r"^([A-Z0-9]+)/([A-Z0-9]+):([A-Z0-9]+)$")
_BINANCE_ID = re.compile(r"^([A-Z0-9]+?)(USDT|USDC)$")


def unified_symbol(owner: str, symbol: object) -> str:
    """``"BTCUSDT"`` (Binance's id) or ``"BTC/USDT:USDT"`` (ccxt's) as ccxt's linear swap symbol."""
    require(isinstance(symbol, str), owner, "symbol", symbol, "must be a string")
    assert isinstance(symbol, str)
    m = _UNIFIED.match(symbol)
    if m:
        if m.group(2) != m.group(3) or m.group(2) not in ("USDT", "USDC"):
            raise ConfigError(
                f"{owner}.symbol={symbol!r}: USD-M futures are margined in their quote coin (USDT or USDC), "
                f"e.g. 'BTC/USDT:USDT'"
            )
        return symbol
    m = _BINANCE_ID.match(symbol)
    if m:
        return f"{m.group(1)}/{m.group(2)}:{m.group(2)}"
    raise ConfigError(
        f"{owner}.symbol={symbol!r}: use Binance's id ('BTCUSDT') or ccxt's swap symbol ('BTC/USDT:USDT')"
    )


@dataclass(frozen=True, kw_only=True)
class BinanceFuturesTradingEnvConfig(FuturesEnvConfig):
    """Configuration of :class:`~torchtrade.envs.binance.BinanceFuturesTorchTradingEnv`.

    Every field of :class:`~torchtrade.envs.live.shared.config.FuturesEnvConfig` (symbol, timeframes,
    keys, leverage / ``max_leverage``, sizing, ``margin_type`` / ``margin_mode``, position mode,
    ``testnet``, retries, outage policy...), plus:

    Attributes:
        symbol: Binance's id (``"BTCUSDT"``) or ccxt's swap symbol (``"BTC/USDT:USDT"``); kept as the
            latter.
        testnet: Binance's futures practice venue (default True). This ccxt no longer supports the old
            futures testnet through sandbox mode; ``testnet=True`` uses Binance's demo trading
            (``demo-fapi.binance.com``), which takes keys made on the demo trading site.

    Keys: arguments, config, BINANCE_API_KEY / BINANCE_API_SECRET, or ``.env``.
    """

    symbol: str = "BTC/USDT:USDT"

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", unified_symbol(type(self).__name__, self.symbol))
        super().__post_init__()


@dataclass(frozen=True, kw_only=True)
class BinanceFuturesSLTPTradingEnvConfig(BinanceFuturesTradingEnvConfig, SLTPConfig):
    """Configuration of :class:`~torchtrade.envs.binance.BinanceFuturesSLTPTorchTradingEnv`: the Binance
    config plus the bracket levels of :class:`~torchtrade.envs.core.config.SLTPConfig`."""
