"""Configuration of the batched env; every invalid value raises ConfigError naming its field."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ...config import positive_number, require
from ...emulator.engine import EngineConfig


@dataclass(frozen=True, kw_only=True)
class BatchedEnvConfig:
    """What a batched futures env trades and how.

    The defaults are the batched env's own (a 10-bar window, 1,000 USDT a trade, random starts); to train
    what a single env trades, take its config: ``batched_config(live_config, num_envs=N)``
    (:mod:`.from_live`), which gives the same settings, specs and action table.

    Attributes:
        num_envs: accounts stepped in lockstep (the env's ``batch_size``).
        symbol: the Bitget USDT-M perpetual whose contract facts apply (``"BTCUSDT"``).
        window_size: rows of the ``market_data_<tf>_<window>`` observation.
        episode_length: steps before an account's episode is truncated (and it resets at a new start).
        random_start: each episode starts at a random bar (seeded); False: at the first bar a window fits.
        initial_cash: each account's deposit (settle coin).
        leverage: the leverage set on the venue (1..the instrument's maximum).
        margin_mode: ``"isolated"`` (the futures envs' default) or ``"crossed"``.
        trade_mode / quantity_per_trade: base-coin amount (``"quantity"``) or position value in the settle
            coin (``"cash"``) of each entry, as the live futures envs.
        max_position_size: the largest position value as a fraction of the portfolio value (None: none).
        action_kind: ``"standard"`` (short/hold/long) or ``"sltp"``.
        stoploss_levels / takeprofit_levels / include_short_positions / include_hold_action: the SLTP
            action table (:class:`~torchtrade.envs.core.actions.SLTPActions`).
        done_on_bankruptcy / bankrupt_threshold: terminate below ``threshold × initial value``.
        engine: the engine's knobs (spread, slippage, funding rate); the emulator's default is Bitget's.
        seed: seeds the random episode starts.
    """

    num_envs: int = 1
    symbol: str = "BTCUSDT"
    window_size: int = 10
    episode_length: int = 1_000
    random_start: bool = True
    initial_cash: float = 10_000.0
    leverage: int = 1
    margin_mode: Literal["isolated", "crossed"] = "isolated"
    trade_mode: Literal["quantity", "cash"] = "cash"
    quantity_per_trade: float = 1_000.0
    max_position_size: float | None = None
    action_kind: Literal["standard", "sltp"] = "standard"
    stoploss_levels: Sequence[float] = (-0.025, -0.05)
    takeprofit_levels: Sequence[float] = (0.05, 0.1)
    include_short_positions: bool = True
    include_hold_action: bool = True
    done_on_bankruptcy: bool = True
    bankrupt_threshold: float = 0.1
    engine: EngineConfig = field(default_factory=EngineConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for name in ("num_envs", "window_size", "episode_length", "leverage"):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                owner,
                name,
                value,
                "must be an integer >= 1",
            )
        positive_number(owner, "initial_cash", self.initial_cash)
        positive_number(owner, "quantity_per_trade", self.quantity_per_trade)
        if self.max_position_size is not None:
            positive_number(owner, "max_position_size", self.max_position_size)
        require(
            self.margin_mode in ("isolated", "crossed"),
            owner,
            "margin_mode",
            self.margin_mode,
            "must be 'isolated' or 'crossed'",
        )
        require(
            self.trade_mode in ("quantity", "cash"),
            owner,
            "trade_mode",
            self.trade_mode,
            "must be 'quantity' or 'cash'",
        )
        require(
            self.action_kind in ("standard", "sltp"),
            owner,
            "action_kind",
            self.action_kind,
            "must be 'standard' or 'sltp'",
        )
        require(
            0 <= self.bankrupt_threshold < 1,
            owner,
            "bankrupt_threshold",
            self.bankrupt_threshold,
            "must be in [0, 1)",
        )
        for name in ("stoploss_levels", "takeprofit_levels"):
            levels = getattr(self, name)
            sign = -1 if name == "stoploss_levels" else 1
            require(
                isinstance(levels, Sequence)
                and len(levels) > 0
                and all(isinstance(x, int | float) and math.isfinite(x) and x * sign > 0 for x in levels),
                owner,
                name,
                levels,
                "must be a non-empty list of " + ("negative" if sign < 0 else "positive") + " fractions",
            )
        require(
            isinstance(self.engine, EngineConfig), owner, "engine", self.engine, "must be an EngineConfig"
        )
