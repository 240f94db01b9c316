"""The configuration of every ccxt futures env (Bitget, Binance): sizing, leverage, modes, practice venue.

The seeds spell some settings differently per venue; each has one field and its aliases, and an alias
that contradicts its field raises, naming both:

* ``testnet`` (every venue) and Bitget's ``demo``: the venue's practice account (default True);
* ``max_leverage``: the leverage set on the venue when ``leverage`` is not given; a ``leverage``
  above it is refused;
* ``margin_mode`` (Bitget's seed: ``MarginMode.ISOLATED`` / ``"isolated"`` / ``"crossed"``) and
  ``margin_type`` (Binance's seed: ``"ISOLATED"``, ``"CROSSED"`` or ``"CROSS"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ....config import positive_number, require
from ....errors import ConfigError
from ...core.config import LiveEnvConfig, alias, boolean_fields, enum_field
from .venue import MarginMode, PositionMode, TradeMode

MAX_LEVERAGE = 125  # the highest any venue we trade allows; the market's own limit is checked on connect
_MARGIN_NAMES = {"isolated": MarginMode.ISOLATED, "crossed": MarginMode.CROSSED, "cross": MarginMode.CROSSED}


def margin_mode_of(owner: str, name: str, value: Any) -> MarginMode | None:
    """A margin mode from any seed spelling (enum, ``"isolated"``, ``"CROSSED"``, ``"CROSS"``)."""
    if value is None or isinstance(value, MarginMode):
        return value
    mode = _MARGIN_NAMES.get(value.lower()) if isinstance(value, str) else None
    if mode is None:
        raise ConfigError(f"{owner}.{name}={value!r}: must be 'ISOLATED' or 'CROSSED' (or 'CROSS')")
    return mode


@dataclass(frozen=True, kw_only=True)
class FuturesEnvConfig(LiveEnvConfig):
    """What a ccxt futures env adds to :class:`~torchtrade.envs.core.config.LiveEnvConfig`.

    Attributes:
        leverage: the leverage set on the venue, 1..125 and within the market's own limit (checked when
            the env connects). None: ``max_leverage`` if given, else 1.
        max_leverage: the highest leverage this env may use (the seed's name); it is the leverage set
            when ``leverage`` is not given.
        quantity_per_trade / trade_mode: base-coin amount (QUANTITY) or position value in the settle
            coin (CASH) of each entry; rounded down to the market's precision.
        margin_mode / margin_type: ISOLATED or CROSSED (aliases, see the module's docstring).
        position_mode: ONE_WAY or HEDGE.
        testnet: the venue's practice account (Bitget demo trading, Binance's futures practice venue).
            Production needs ``testnet=False``.
        initial_cash: as in :class:`LiveEnvConfig`, but None by default: a futures env's value is the
            account's equity unless it is given a budget.
    """

    leverage: int | None = None
    max_leverage: float | None = None
    quantity_per_trade: float = 0.001
    trade_mode: TradeMode | str = TradeMode.QUANTITY
    margin_mode: MarginMode | str | None = None
    margin_type: str | None = None
    position_mode: PositionMode | str = PositionMode.ONE_WAY
    testnet: bool | None = None
    initial_cash: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        set_ = object.__setattr__
        self._check_leverage(owner)
        set_(
            self, "quantity_per_trade", positive_number(owner, "quantity_per_trade", self.quantity_per_trade)
        )
        set_(self, "trade_mode", enum_field(owner, "trade_mode", self.trade_mode, TradeMode))
        set_(self, "margin_mode", margin_mode_of(owner, "margin_mode", self.margin_mode))
        set_(self, "margin_type", margin_mode_of(owner, "margin_type", self.margin_type))
        mode = alias(owner, self, "margin_mode", "margin_type", MarginMode.ISOLATED)
        set_(self, "margin_mode", mode)
        set_(self, "margin_type", mode.value.upper())
        set_(self, "position_mode", enum_field(owner, "position_mode", self.position_mode, PositionMode))
        if self.testnet is not None:
            boolean_fields(self, owner, "testnet")

    def _check_leverage(self, owner: str) -> None:
        if self.max_leverage is not None:
            value = self.max_leverage
            require(
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and 1 <= value <= MAX_LEVERAGE,
                owner,
                "max_leverage",
                value,
                f"must be a number in 1..{MAX_LEVERAGE}",
            )
        if self.leverage is not None:
            require(
                isinstance(self.leverage, int)
                and not isinstance(self.leverage, bool)
                and 1 <= self.leverage <= MAX_LEVERAGE,
                owner,
                "leverage",
                self.leverage,
                f"must be an integer in 1..{MAX_LEVERAGE}",
            )
            if self.max_leverage is not None and self.leverage > self.max_leverage:
                raise ConfigError(
                    f"{owner}.leverage={self.leverage!r} is above {owner}.max_leverage={self.max_leverage!r}"
                )
        elif self.max_leverage is not None:
            # Venues take whole leverages: the highest one within the limit.
            object.__setattr__(self, "leverage", int(self.max_leverage))
        else:
            object.__setattr__(self, "leverage", 1)

    @property
    def practice(self) -> bool:
        """True for the venue's practice account (the default), False for production."""
        return True if self.testnet is None else bool(self.testnet)
