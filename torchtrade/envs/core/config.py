"""The configuration every live env shares, whatever the venue: frozen, typed, validated at construction.

A venue's config is a thin subclass that adds only its own fields and the seeds' aliases
(:class:`~torchtrade.envs.live.shared.config.FuturesEnvConfig` for ccxt futures venues, then e.g.
:class:`~torchtrade.envs.live.bitget.config.BitgetFuturesTradingEnvConfig`). Every failure raises
:class:`~torchtrade.errors.ConfigError` naming the field (``"Config.leverage=0: must be ..."``), never
its secret value.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...config import positive_number, require, timeframe, timeframes, window_sizes
from ...errors import ConfigError
from ...secrets import Secret
from ...timeframes import TimeFrame
from .execution import PartialFillPolicy
from .outage import OutagePolicy

DEFAULT_WINDOW = 50  # bars per observation window in the single-timeframe style, as the seeds have it


def enum_field(owner: str, name: str, value: Any, cls: type) -> Any:
    """``value`` as a member of the StrEnum ``cls`` (strings matched case-insensitively)."""
    try:
        return cls(value.lower() if isinstance(value, str) else value)
    except ValueError:
        raise ConfigError(f"{owner}.{name}={value!r}: must be one of {[m.value for m in cls]}") from None


def integer_field(owner: str, name: str, value: Any, low: int, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= low,
        owner,
        name,
        value,
        f"must be an integer >= {low}" + (" or None" if optional else ""),
    )


def boolean_fields(config: Any, owner: str, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        require(isinstance(value, bool), owner, name, value, "must be True or False")


def alias(owner: str, config: Any, name: str, other: str, default: Any, same: Any = None) -> Any:
    """The value of a field and its alias: either may be given; both, only if they agree.

    ``same(a, b)`` compares them (default ``==``, after any normalisation the caller did).
    """
    a, b = getattr(config, name), getattr(config, other)
    if a is not None and b is not None and not (same(a, b) if same else a == b):
        shown_a, shown_b = getattr(a, "value", a), getattr(b, "value", b)
        raise ConfigError(
            f"{owner}.{name}={shown_a!r} and {owner}.{other}={shown_b!r} conflict: they are two names "
            "for one setting; give one of them"
        )
    return a if a is not None else b if b is not None else default


def _next_post_init(config: Any, cls: type) -> None:
    """Cooperative ``__post_init__``: run the next one in the MRO after ``cls``, if there is one."""
    follow = getattr(super(cls, config), "__post_init__", None)
    if follow is not None:
        follow()


@dataclass(frozen=True, kw_only=True)
class LiveEnvConfig:
    """What every live env is configured with.

    Attributes:
        symbol: the market (each venue checks and normalises its own format).
        time_frames / window_sizes: one observation ``market_data_<tf>_<window>`` per timeframe
            (``"1min"``, ``"5min"``, ``"15min"``, ``"1h"``, ``"4h"``, ``"1d"`` or TimeFrame objects).
        execute_on: the bar the env steps on; every timeframe must be a multiple of it (default: the
            shortest timeframe).
        timeframe / window_size: the single-timeframe style (``timeframe=TimeFrame(1, MINUTE),
            window_size=50``); when given they replace time_frames/window_sizes (``window_size``
            defaults to 50 then), and execute_on defaults to that timeframe.
        api_key / api_secret: keys; else the constructor's, else the venue's environment variables,
            else a ``.env`` file. With a local ``base_url`` (an emulator) the environment and ``.env``
            are not read: keys given here or to the constructor are used, else the emulator's defaults.
        base_url: send every request there instead of the venue (e.g. a ``torchtrade emulator serve``).
        initial_cash: the capital the env allots itself, in the quote/settle coin. On a real account
            (which may hold more) the env's portfolio value is ``initial_cash`` plus the realized PnL,
            fees and funding of its own fills since it started, plus its position's unrealized PnL;
            CASH sizing, ``max_position_size``, the reward and bankruptcy use that value. None: the
            account's equity (what the venue reports). ``run_demo(initial_cash=...)`` funds its embedded
            emulator's account with it.
        max_position_size: the largest position value as a fraction of the portfolio value (None: no
            limit besides the free balance); a larger entry is cut to fit, or refused if what fits is
            below the venue's minimum, and ``info["orders"]`` says so.
        max_drawdown: a loss limit, as a fraction of the starting value (the env's portfolio value
            when it was built), 0 < x < 1; None: none. Reaching it flattens the symbol once (every
            order cancelled, every leg closed), logs a WARNING once, and from then on every entry is
            refused (the step holds; ``info["risk"]`` says so on every step). It does not re-arm at
            reset; ``env.risk.rearm(value)`` does. See :mod:`torchtrade.envs.core.risk`.
        max_orders_per_minute: orders the env itself sends in any 60 s of the venue's clock (None:
            no limit). An entry that would pass it is refused client-side (``info["risk"]``); a close
            is never refused.
        include_base_features: append raw OHLCV to the features.
        feature_warmup_bars: extra closed bars given to ``feature_preprocessing_fn`` before the window
            (None: as many as the window when a function is given, 0 otherwise).
        close_position_on_reset: flatten at every reset (``close()`` never flattens on its own).
        done_on_bankruptcy / bankrupt_threshold: terminate below ``threshold × initial value``.
        max_steps: truncate episodes after this many steps (None: never).
        request_timeout_ms: the HTTP timeout of one request.
        retry_attempts / retry_backoff_s / retry_max_backoff_s: retries of transient failures
            (exponential backoff with jitter; 429s wait for the venue's hint).
        client_rate_limit: the SDK's own throttle (None: on, except against a local base_url).
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
        env_id: prefix of this env's client order ids (random if None): at most 10 ASCII letters or
            digits.
        seed: seed of the env's private RNG (random actions).
        journal: a SQLite file (``"run.sqlite"``) where the env records its identity, every order
            (before sending it) and its outcome, fills, reads, equity and counters; a new env with the
            same file resumes where the last one stopped (see :mod:`torchtrade.envs.core.journal`).
            Its first ``reset()`` continues the resumed episode (without ``close_position_on_reset``).
            ``torchtrade report FILE`` reads it. None: no journal. Its directory must exist; one env
            uses a journal at a time.

    Warnings:
        A short retry backoff with many attempts can get an account rate-limited or banned.
    """

    symbol: str = ""
    time_frames: Sequence[str | TimeFrame] = ("1min",)
    window_sizes: Sequence[int] = (32,)
    execute_on: str | TimeFrame | None = None
    timeframe: str | TimeFrame | None = None
    window_size: int | None = None
    api_key: str | None = field(default=None, repr=False)
    api_secret: Secret | str | None = None
    base_url: str | None = None
    initial_cash: float | None = 10_000.0
    max_position_size: float | None = None
    max_drawdown: float | None = None
    max_orders_per_minute: int | None = None
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
    journal: str | os.PathLike[str] | None = None

    #: secret fields (held as :class:`Secret`, shown as ``***``); a venue adds its own (a passphrase)
    SECRET_FIELDS = ("api_secret",)

    def __post_init__(self) -> None:
        owner = type(self).__name__
        self._check_timeframes(owner)
        self._check_money(owner)
        self._check_behaviour(owner)
        set_ = object.__setattr__
        for name in self.SECRET_FIELDS:
            value = getattr(self, name)
            if value is not None:
                require(isinstance(value, str | Secret), owner, name, "***", "must be a string")
                set_(self, name, Secret(value))
        if self.api_key is not None:
            require(isinstance(self.api_key, str), owner, "api_key", "…", "must be a string")
        _next_post_init(self, LiveEnvConfig)  # mixins after the config (SLTPConfig) check their fields

    # ------------------------------------------------------------------ field groups

    def _check_timeframes(self, owner: str) -> None:
        set_ = object.__setattr__
        if self.timeframe is not None or self.window_size is not None:
            require(
                self.timeframe is not None,
                owner,
                "window_size",
                self.window_size,
                "goes with timeframe=...: give the timeframe too (or use time_frames/window_sizes)",
            )
            tfs = (timeframe(owner, "timeframe", self.timeframe),)
            size = self.window_size if self.window_size is not None else DEFAULT_WINDOW
            windows = window_sizes(owner, "window_size", [size], 1)
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

    def _check_money(self, owner: str) -> None:
        set_ = object.__setattr__
        if self.initial_cash is not None:
            set_(self, "initial_cash", positive_number(owner, "initial_cash", self.initial_cash))
        if self.max_position_size is not None:
            value = self.max_position_size
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            require(
                ok and 0 < value <= 1000,
                owner,
                "max_position_size",
                value,
                "must be a fraction of the portfolio value > 0 (1.0 = all of it; more with leverage)",
            )
            set_(self, "max_position_size", float(value))
        if self.max_drawdown is not None:
            value = self.max_drawdown
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            require(
                ok and 0 < value < 1,
                owner,
                "max_drawdown",
                value,
                "must be a fraction of the starting value, 0 < x < 1 (0.2 = stop after losing 20 %)",
            )
            set_(self, "max_drawdown", float(value))
        threshold = self.bankrupt_threshold
        require(
            isinstance(threshold, int | float) and not isinstance(threshold, bool) and 0 <= threshold < 1,
            owner,
            "bankrupt_threshold",
            threshold,
            "must be a fraction in [0, 1)",
        )

    def _check_behaviour(self, owner: str) -> None:
        set_ = object.__setattr__
        boolean_fields(self, owner, "include_base_features", "close_position_on_reset", "done_on_bankruptcy")
        if self.client_rate_limit is not None:
            boolean_fields(self, owner, "client_rate_limit")
        if self.base_url is not None:
            require(
                isinstance(self.base_url, str) and self.base_url.startswith(("http://", "https://")),
                owner,
                "base_url",
                self.base_url,
                "must be an http(s) URL",
            )
        integer_field(owner, "max_steps", self.max_steps, 1, optional=True)
        integer_field(owner, "max_orders_per_minute", self.max_orders_per_minute, 1, optional=True)
        integer_field(owner, "feature_warmup_bars", self.feature_warmup_bars, 0, optional=True)
        for name, low in (
            ("request_timeout_ms", 1),
            ("retry_attempts", 1),
            ("outage_rounds", 1),
            ("stale_read_rereads", 0),
            ("max_contradiction_steps", 1),
        ):
            integer_field(owner, name, getattr(self, name), low)
        for name in ("retry_backoff_s", "retry_max_backoff_s"):
            value = getattr(self, name)
            require(
                isinstance(value, int | float) and not isinstance(value, bool) and value >= 0,
                owner,
                name,
                value,
                "must be a number >= 0",
            )
        set_(self, "outage_policy", enum_field(owner, "outage_policy", self.outage_policy, OutagePolicy))
        set_(
            self,
            "partial_fill_policy",
            enum_field(owner, "partial_fill_policy", self.partial_fill_policy, PartialFillPolicy),
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
        integer_field(owner, "seed", self.seed, -(2**63), optional=True)
        if self.journal is not None:
            path = self.journal
            require(
                isinstance(path, str | os.PathLike) and str(os.fspath(path)).strip() != "",
                owner,
                "journal",
                path,
                "must be a file path",
            )
            parent = os.path.dirname(os.path.abspath(os.fspath(path)))
            require(os.path.isdir(parent), owner, "journal", path, f"its directory {parent} does not exist")
            require(not os.path.isdir(os.fspath(path)), owner, "journal", path, "is a directory, not a file")


@dataclass(frozen=True, kw_only=True)
class SLTPConfig:
    """The bracket fields of every SLTP env, mixed into each venue's SLTP config *after* the venue's
    config (``class XSLTPConfig(XConfig, SLTPConfig)``), so that the venue's defaults stand.

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
        _next_post_init(self, SLTPConfig)
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
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and ok(v),
                    owner,
                    name,
                    levels,
                    why,
                )
            object.__setattr__(self, name, tuple(float(v) for v in levels))
        boolean_fields(self, owner, "include_short_positions", "include_hold_action")
