"""Configuration of the Bitget futures envs: frozen, typed, validated field by field at construction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ....config import positive_number, require, timeframe, timeframes, window_sizes
from ....errors import ConfigError
from ....secrets import Secret
from ....timeframes import TimeFrame
from ...core.execution import PartialFillPolicy
from ...core.outage import OutagePolicy
from ..shared.venue import MarginMode, PositionMode, TradeMode

_UNIFIED_SWAP = re.compile(r"^[A-Z0-9]+/[A-Z0-9]+:[A-Z0-9]+$")
PRODUCT_TYPES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")


def _enum(owner: str, name: str, value: Any, cls: type) -> Any:
    try:
        return cls(value.lower() if isinstance(value, str) else value)
    except ValueError:
        raise ConfigError(f"{owner}.{name}={value!r}: must be one of {[m.value for m in cls]}") from None


@dataclass(frozen=True, kw_only=True)
class BitgetFuturesTradingEnvConfig:
    """Configuration of :class:`~torchtrade.envs.bitget.BitgetFuturesTorchTradingEnv`.

    Attributes:
        symbol: ccxt swap symbol, ``"BTC/USDT:USDT"`` (Bitget's ``"BTCUSDT"`` is refused with a hint).
        time_frames / window_sizes: one observation ``market_data_<tf>_<window>`` per timeframe
            (``"1min"``, ``"5min"``, ``"15min"``, ``"1h"``, ``"4h"``, ``"1d"`` or TimeFrame objects).
        execute_on: the bar the env steps on; every timeframe must be a multiple of it.
        timeframe / window_size: the single-timeframe style (``timeframe=TimeFrame(1, MINUTE),
            window_size=50``); when given they replace time_frames/window_sizes, and execute_on
            defaults to that timeframe.
        product_type: ``USDT-FUTURES``, ``COIN-FUTURES`` or ``USDC-FUTURES``; must match the symbol.
        leverage: 1..125, and within the market's own limit (checked when the env connects).
        quantity_per_trade / trade_mode: base-coin amount (QUANTITY) or position value in the quote
            coin (CASH) of each entry; rounded down to the market's precision.
        margin_mode / position_mode: ISOLATED or CROSSED; ONE_WAY or HEDGE. The margin mode is sent
            with every order (Bitget takes it from the order).
        demo: Bitget demo trading (the ``paptrading`` header). Production needs ``demo=False``.
        base_url: send every request there instead of Bitget (e.g. a ``torchtrade emulator serve``).
        api_key / api_secret / api_passphrase: keys; else the constructor's, else the environment
            variables BITGETACCESSAPIKEY / BITGETSECRETKEY / BITGETPASSPHRASE, else a ``.env`` file.
            With a local ``base_url`` the environment and ``.env`` are not read (those are the real
            venue's keys): keys given here or to the constructor are used, else the emulator's
            default keys.
        include_base_features: append raw OHLCV to the features.
        feature_warmup_bars: extra closed bars given to ``feature_preprocessing_fn`` before the window
            (None: as many as the window when a function is given, 0 otherwise).
        close_position_on_reset: flatten at every reset (``close()`` never flattens on its own).
        done_on_bankruptcy / bankrupt_threshold: terminate below ``threshold × initial value``.
        max_steps: truncate episodes after this many steps (None: never).
        request_timeout_ms: ccxt's HTTP timeout.
        retry_attempts / retry_backoff_s / retry_max_backoff_s: retries of transient failures
            (exponential backoff with jitter; 429s wait for the venue's hint).
        client_rate_limit: ccxt's own throttle (None: on, except against a local base_url).
        outage_policy: what a step does when the venue stays unreachable after the retries:
            ``"hold"`` (default: return the last observation flagged ``info["venue_unavailable"]``,
            place nothing), ``"raise"`` (raise :class:`~torchtrade.errors.VenueUnavailable`) or
            ``"flatten"`` (hold, then close everything once the venue answers again). See
            :mod:`torchtrade.envs.core.outage`.
        outage_rounds: how many times a failing phase of a step is retried whole (each time with the
            full retry policy), never past the next bar's close.
        partial_fill_policy: the unfilled rest of an entry is ``"resend"`` (once, as a new order with
            its own client id; default) or ``"drop"`` (see :mod:`torchtrade.envs.core.execution`).
        stale_read_rereads: extra position reads when a read contradicts the env's own accepted order.
        max_contradiction_steps: steps such a contradiction may stand (entries held) before the
            venue's read is taken anyway (see :mod:`torchtrade.envs.core.reconcile`).
        env_id: prefix of this env's client order ids (random if None).
        seed: seed of the env's private RNG (random actions).

    Warnings:
        A short retry backoff with many attempts can get an account rate-limited or banned.
    """

    symbol: str = "BTC/USDT:USDT"
    time_frames: Sequence[str | TimeFrame] = ("1min",)
    window_sizes: Sequence[int] = (32,)
    execute_on: str | TimeFrame | None = None
    timeframe: str | TimeFrame | None = None
    window_size: int | None = None
    product_type: str = "USDT-FUTURES"
    leverage: int = 1
    quantity_per_trade: float = 0.001
    trade_mode: TradeMode | str = TradeMode.QUANTITY
    margin_mode: MarginMode | str = MarginMode.ISOLATED
    position_mode: PositionMode | str = PositionMode.ONE_WAY
    demo: bool = True
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_secret: Secret | str | None = None
    api_passphrase: Secret | str | None = None
    include_base_features: bool = False
    feature_warmup_bars: int | None = None
    close_position_on_reset: bool = False
    done_on_bankruptcy: bool = True
    bankrupt_threshold: float = 0.1
    max_steps: int | None = None
    request_timeout_ms: int = 10_000
    retry_attempts: int = 5
    retry_backoff_s: float = 0.25
    retry_max_backoff_s: float = 8.0
    client_rate_limit: bool | None = None
    outage_policy: OutagePolicy | str = OutagePolicy.HOLD
    outage_rounds: int = 3
    partial_fill_policy: PartialFillPolicy | str = PartialFillPolicy.RESEND
    stale_read_rereads: int = 2
    max_contradiction_steps: int = 10
    env_id: str | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        owner = type(self).__name__
        set_ = object.__setattr__

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
        set_(self, "product_type", product_type)

        if self.timeframe is not None or self.window_size is not None:
            require(
                self.timeframe is not None and self.window_size is not None,
                owner,
                "timeframe" if self.timeframe is None else "window_size",
                self.timeframe if self.timeframe is None else self.window_size,
                "timeframe and window_size go together",
            )
            tfs = (timeframe(owner, "timeframe", self.timeframe),)
            windows = window_sizes(owner, "window_size", [self.window_size], 1)
        else:
            tfs = timeframes(owner, "time_frames", self.time_frames)
            windows = window_sizes(owner, "window_sizes", self.window_sizes, len(tfs))
        execute_on = (
            timeframe(owner, "execute_on", self.execute_on)
            if self.execute_on is not None
            else min(tfs, key=lambda t: t.ms)
        )
        for tf in tfs:
            require(
                tf.ms % execute_on.ms == 0,
                owner,
                "time_frames",
                [t.key for t in tfs],
                f"{tf.key} is not a multiple of execute_on={execute_on.key}",
            )
        set_(self, "time_frames", tfs)
        set_(self, "window_sizes", windows)
        set_(self, "execute_on", execute_on)
        set_(self, "timeframe", None)
        set_(self, "window_size", None)

        require(
            isinstance(self.leverage, int)
            and not isinstance(self.leverage, bool)
            and 1 <= self.leverage <= 125,
            owner,
            "leverage",
            self.leverage,
            "must be an integer in 1..125",
        )
        set_(
            self, "quantity_per_trade", positive_number(owner, "quantity_per_trade", self.quantity_per_trade)
        )
        set_(self, "trade_mode", _enum(owner, "trade_mode", self.trade_mode, TradeMode))
        set_(self, "margin_mode", _enum(owner, "margin_mode", self.margin_mode, MarginMode))
        set_(self, "position_mode", _enum(owner, "position_mode", self.position_mode, PositionMode))
        set_(self, "outage_policy", _enum(owner, "outage_policy", self.outage_policy, OutagePolicy))
        set_(
            self,
            "partial_fill_policy",
            _enum(owner, "partial_fill_policy", self.partial_fill_policy, PartialFillPolicy),
        )
        for name in ("demo", "include_base_features", "close_position_on_reset", "done_on_bankruptcy"):
            require(
                isinstance(getattr(self, name), bool),
                owner,
                name,
                getattr(self, name),
                "must be True or False",
            )
        threshold = self.bankrupt_threshold
        require(
            isinstance(threshold, int | float) and not isinstance(threshold, bool) and 0 <= threshold < 1,
            owner,
            "bankrupt_threshold",
            threshold,
            "must be a fraction in [0, 1)",
        )
        if self.base_url is not None:
            require(
                isinstance(self.base_url, str) and self.base_url.startswith(("http://", "https://")),
                owner,
                "base_url",
                self.base_url,
                "must be an http(s) URL",
            )
        for name in ("max_steps", "feature_warmup_bars"):
            value = getattr(self, name)
            if value is not None:
                low = 1 if name == "max_steps" else 0
                require(
                    isinstance(value, int) and not isinstance(value, bool) and value >= low,
                    owner,
                    name,
                    value,
                    f"must be an integer >= {low} or None",
                )
        for name, low in (
            ("request_timeout_ms", 1),
            ("retry_attempts", 1),
            ("outage_rounds", 1),
            ("stale_read_rereads", 0),
            ("max_contradiction_steps", 1),
        ):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value >= low,
                owner,
                name,
                value,
                f"must be an integer >= {low}",
            )
        for name in ("retry_backoff_s", "retry_max_backoff_s"):
            value = getattr(self, name)
            require(
                isinstance(value, int | float) and not isinstance(value, bool) and value >= 0,
                owner,
                name,
                value,
                "must be a number >= 0",
            )
        if self.env_id is not None:
            require(
                isinstance(self.env_id, str)
                and self.env_id.isascii()
                and self.env_id.isalnum()
                and len(self.env_id) <= 10,
                owner,
                "env_id",
                self.env_id,
                "at most 10 ASCII letters or digits",
            )
        for name in ("api_secret", "api_passphrase"):
            value = getattr(self, name)
            if value is not None:
                require(isinstance(value, str | Secret), owner, name, "***", "must be a string")
                set_(self, name, Secret(value))


@dataclass(frozen=True, kw_only=True)
class BitgetFuturesSLTPTradingEnvConfig(BitgetFuturesTradingEnvConfig):
    """Configuration of :class:`~torchtrade.envs.bitget.BitgetFuturesSLTPTorchTradingEnv`.

    Attributes:
        stoploss_levels: stop-loss distances as negative fractions of the entry price (-0.025 = 2.5 %
            against the position).
        takeprofit_levels: take-profit distances as positive fractions (0.05 = 5 % in favour).
        include_short_positions: add short entries (else long only).
        include_hold_action: action 0 is HOLD.

    The action space is HOLD + long × (SL, TP) [+ short × (SL, TP)]: 19 actions for 3 × 3 levels with
    shorts and hold.
    """

    stoploss_levels: Sequence[float] = (-0.025, -0.05, -0.1)
    takeprofit_levels: Sequence[float] = (0.05, 0.1, 0.2)
    include_short_positions: bool = True
    include_hold_action: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        for name, ok, why in (
            ("stoploss_levels", lambda v: -1 < v < 0, "every stop-loss level must be < 0 (and > -1)"),
            ("takeprofit_levels", lambda v: v > 0, "every take-profit level must be > 0"),
        ):
            levels = getattr(self, name)
            require(
                isinstance(levels, Sequence) and not isinstance(levels, str) and len(levels) > 0,
                owner,
                name,
                levels,
                "must be a non-empty list of numbers",
            )
            for v in levels:
                require(
                    isinstance(v, int | float) and not isinstance(v, bool) and ok(v), owner, name, levels, why
                )
            object.__setattr__(self, name, tuple(float(v) for v in levels))
        for name in ("include_short_positions", "include_hold_action"):
            require(
                isinstance(getattr(self, name), bool),
                owner,
                name,
                getattr(self, name),
                "must be True or False",
            )
