"""What every live env builds from its config the same way, whatever the venue and its SDK.

A venue's env class connects its own clients and trader; the retry policy, the candle history the
feed keeps, the action scheme and the core's settings come from the shared config
(:class:`~torchtrade.envs.core.config.LiveEnvConfig`) and are built here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....timeframes import TimeFrame
from ...core.actions import LongOnlyActions, SLTPActions, StandardActions
from ...core.clock import EnvClock, VenueClock, emulator_exhaustion_probe
from ...core.config import LiveEnvConfig, SLTPConfig
from .ids import ClientOrderIds
from .retry import Retrier, RetryPolicy


def own_config(env: Any, config: LiveEnvConfig | None) -> Any:
    """``config``, or the env's default config when None; of the env's ``config_class`` or a TypeError."""
    config = config or env.config_class()
    if not isinstance(config, env.config_class):
        raise TypeError(
            f"{type(env).__name__} needs a {env.config_class.__name__}, got {type(config).__name__}"
        )
    return config


def default_clock(fetch_time: Callable[[], int], base_url: str | None, local: bool) -> EnvClock:
    """The venue's clock at its own pace. Against a local emulator it can also tell when the replay has
    run out (a real venue never does); that costs a control request only after a step without a bar."""
    return VenueClock(fetch_time, exhausted_probe=emulator_exhaustion_probe(base_url) if local else None)  # type: ignore[arg-type]


def retrier_for(config: LiveEnvConfig, sleep: Callable[[float], None] | None = None) -> Retrier:
    """The config's retry policy (``sleep``: how retries wait; tests pass a fast one)."""
    policy = RetryPolicy(
        attempts=config.retry_attempts,
        initial_s=config.retry_backoff_s,
        max_s=config.retry_max_backoff_s,
        jitter_s=min(config.retry_backoff_s, 0.25),
    )
    return Retrier(policy, sleep=sleep) if sleep is not None else Retrier(policy)


def feed_history(config: LiveEnvConfig, custom_features: bool) -> dict[TimeFrame, int]:
    """Closed candles the feed keeps per timeframe: each window, plus the warm-up bars a feature
    function needs (as many as the window by default when one is given)."""
    warmup = config.feature_warmup_bars
    history = {
        tf: w + (warmup if warmup is not None else (w if custom_features else 0))
        for tf, w in zip(config.time_frames, config.window_sizes, strict=True)  # type: ignore[arg-type]
    }
    # The env acts on the last execute_on close, so that bar is always fed (two bars suffice).
    history.setdefault(config.execute_on, 2)  # type: ignore[arg-type]
    return history


def actions_for(
    config: LiveEnvConfig, *, shorts: bool = True
) -> StandardActions | SLTPActions | LongOnlyActions:
    """Bracketed entries for an SLTP config; else short/hold/long, or close/hold/long without shorts."""
    if isinstance(config, SLTPConfig):
        return SLTPActions(
            config.stoploss_levels,
            config.takeprofit_levels,
            include_short_positions=bool(config.include_short_positions),
            include_hold_action=config.include_hold_action,
        )
    return StandardActions() if shorts else LongOnlyActions()


def core_settings(config: LiveEnvConfig, retrier: Retrier) -> dict[str, Any]:
    """The :class:`~torchtrade.envs.core.env.LiveTradingEnv` arguments a config decides."""
    return {
        "time_frames": config.time_frames,
        "window_sizes": config.window_sizes,
        "execute_on": config.execute_on,
        "client_ids": ClientOrderIds(config.env_id),
        "include_base_features": config.include_base_features,
        "done_on_bankruptcy": config.done_on_bankruptcy,
        "bankrupt_threshold": config.bankrupt_threshold,
        "close_position_on_reset": config.close_position_on_reset,
        "max_steps": config.max_steps,
        "seed": config.seed,
        "outage_policy": config.outage_policy,
        "outage_rounds": config.outage_rounds,
        "partial_fill_policy": config.partial_fill_policy,
        "stale_read_rereads": config.stale_read_rereads,
        "max_contradiction_steps": config.max_contradiction_steps,
        "sleep": retrier.sleep,
        "reread_backoff_s": config.retry_backoff_s,
        "initial_cash": config.initial_cash,
        "max_position_size": config.max_position_size,
        "max_drawdown": config.max_drawdown,
        "max_orders_per_minute": config.max_orders_per_minute,
        "journal": config.journal,
    }
