"""Configuration of the Bitget futures envs: Bitget's own fields over the shared futures config."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ....config import require
from ....errors import ConfigError
from ....secrets import Secret
from ...core.config import SLTPConfig, alias, boolean_fields
from ..shared.config import FuturesEnvConfig

_UNIFIED_SWAP = re.compile(r"^[A-Z0-9]+/[A-Z0-9]+:[A-Z0-9]+$")
PRODUCT_TYPES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")


@dataclass(frozen=True, kw_only=True)
class BitgetFuturesTradingEnvConfig(FuturesEnvConfig):
    """Configuration of :class:`~torchtrade.envs.bitget.BitgetFuturesTorchTradingEnv`.

    Every field of :class:`~torchtrade.envs.live.shared.config.FuturesEnvConfig` (symbol, timeframes,
    keys, leverage, sizing, modes, retries, outage policy...), plus:

    Attributes:
        symbol: ccxt swap symbol, ``"BTC/USDT:USDT"`` (Bitget's ``"BTCUSDT"`` is refused with a hint).
        product_type: ``USDT-FUTURES``, ``COIN-FUTURES`` or ``USDC-FUTURES``; must match the symbol.
        demo: Bitget demo trading (the ``paptrading`` header); the seeds' name for ``testnet``, which
            means the same. Production needs ``demo=False`` (or ``testnet=False``).
        api_passphrase: the key's passphrase; else BITGETPASSPHRASE from the environment or ``.env``
            (keys: BITGETACCESSAPIKEY / BITGETSECRETKEY).

    The margin mode is sent with every order (Bitget takes it from the order).
    """

    symbol: str = "BTC/USDT:USDT"
    product_type: str = "USDT-FUTURES"
    demo: bool | None = None
    api_passphrase: Secret | str | None = None

    SECRET_FIELDS = ("api_secret", "api_passphrase")

    def __post_init__(self) -> None:
        owner = type(self).__name__
        require(isinstance(self.symbol, str), owner, "symbol", self.symbol, "must be a string")
        if not _UNIFIED_SWAP.match(self.symbol):
            hint = ""
            m = re.match(r"^([A-Z0-9]+?)(USDT|USDC|USD)$", self.symbol.upper())
            if m:
                settle = m.group(2) if m.group(2) != "USD" else m.group(1)
                hint = f"; did you mean {m.group(1)}/{m.group(2)}:{settle}?"
            raise ConfigError(
                f"{owner}.symbol={self.symbol!r}: use ccxt's swap format BASE/QUOTE:SETTLE, "
                f"e.g. 'BTC/USDT:USDT'{hint}"
            )
        super().__post_init__()
        product_type = str(self.product_type).upper()
        require(
            product_type in PRODUCT_TYPES,
            owner,
            "product_type",
            self.product_type,
            f"must be one of {list(PRODUCT_TYPES)}",
        )
        settle = self.symbol.split(":")[1]
        expected = {"USDT": "USDT-FUTURES", "USDC": "USDC-FUTURES"}.get(settle, "COIN-FUTURES")
        require(
            product_type == expected,
            owner,
            "product_type",
            self.product_type,
            f"{self.symbol} settles in {settle}: its product type is {expected}",
        )
        object.__setattr__(self, "product_type", product_type)
        if self.demo is not None:
            boolean_fields(self, owner, "demo")
        practice = alias(owner, self, "demo", "testnet", True)
        object.__setattr__(self, "demo", practice)
        object.__setattr__(self, "testnet", practice)


@dataclass(frozen=True, kw_only=True)
class BitgetFuturesSLTPTradingEnvConfig(BitgetFuturesTradingEnvConfig, SLTPConfig):
    """Configuration of :class:`~torchtrade.envs.bitget.BitgetFuturesSLTPTorchTradingEnv`: the Bitget
    config plus the bracket levels of :class:`~torchtrade.envs.core.config.SLTPConfig`."""
