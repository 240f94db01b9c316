"""A ccxt futures env, built from a venue profile: keys, client, trader, feed, clock, then the core.

The construction follows TorchRL's wrapper order: validate (the config did), connect (keys, client,
markets), declare (the core builds the specs from a first read) and warm up. A venue's env is a thin
subclass naming its config class, its :class:`~torchtrade.envs.live.shared.venue.VenueProfile` and its
trader class.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import ccxt

from ....ccxt_util import guard_secrets
from ....secrets import Secret
from ...core.clock import EnvClock
from ...core.env import LiveTradingEnv
from ...core.monitoring import Monitor
from ...core.observation import FeatureFn
from ...core.reward import RewardFn
from .config import FuturesEnvConfig
from .construction import actions_for, core_settings, default_clock, feed_history, own_config, retrier_for
from .credentials import ApiKeys, resolve
from .exchange import build_exchange, is_local
from .feed import CandleFeed
from .replayable import Replayable
from .trader import FuturesTrader
from .venue import VenueProfile

if TYPE_CHECKING:
    from torchrl.record.loggers import Logger

logger = logging.getLogger(__name__)


def emulator_keys(venue: str) -> ApiKeys:
    """The documented default keys of the local emulator of ``venue``."""
    from ....emulator.venues.base import load_venue

    c = load_venue(venue).default_credentials
    return ApiKeys(c.api_key, c.api_secret, c.passphrase)


class FuturesTorchTradingEnv(Replayable, LiveTradingEnv):
    """A live env on a ccxt futures venue (a venue subclass sets the class attributes).

    With an :class:`~torchtrade.envs.core.config.SLTPConfig` config the actions are bracketed entries
    (HOLD + side × (SL, TP)); otherwise {0: short, 1: hold, 2: long}.

    Args:
        config: the env's configuration (validated at construction).
        api_key / api_secret / api_passphrase: keys (else config, environment, ``.env``); the
            passphrase only where the venue signs with one.
        feature_preprocessing_fn: ``df -> df`` whose ``features_*`` columns are the features.
        reward_fn: ``(previous_value, current_value, info) -> float`` (default: log return).
        clock: how to wait for bars (default: the venue's server time at its own pace;
            :class:`~torchtrade.envs.core.clock.EmulatorClock` jumps an emulator instead).
        exchange: a ready ccxt client to use instead of building one (advanced).
        retry_sleep: how retries wait (tests pass a fast one).
        logger: a :class:`torchrl.record.loggers.Logger` (CSV, TensorBoard, W&B, MLflow) that gets each
            step's numbers and each episode's summary (see :mod:`torchtrade.envs.core.monitoring`).

    Raises:
        ConfigError: an invalid or missing setting, naming the field.
    """

    config_class: ClassVar[type[FuturesEnvConfig]]
    profile: ClassVar[VenueProfile]
    trader_class: ClassVar[type[FuturesTrader]] = FuturesTrader
    _replay_builder = "torchtrade.envs.replay:build_futures_replay"

    def __init__(
        self,
        config: FuturesEnvConfig | None = None,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        api_passphrase: str | Secret | None = None,
        *,
        feature_preprocessing_fn: FeatureFn | None = None,
        reward_fn: RewardFn | None = None,
        clock: EnvClock | None = None,
        exchange: ccxt.Exchange | None = None,
        retry_sleep: Any = None,
        logger: Logger | None = None,
    ) -> None:
        config = own_config(self, config)
        self.config = config
        profile = self.profile
        owner = type(config).__name__
        local = is_local(config.base_url)
        if exchange is None:
            exchange = self._build_exchange(config, owner, local, (api_key, api_secret, api_passphrase))
        else:
            guard_secrets(exchange)  # a client built by the user: its keys stay out of the logs too
        retrier = retrier_for(config, retry_sleep)
        trader = self.trader_class(
            exchange,
            profile,
            config.symbol,
            leverage=config.leverage,  # type: ignore[arg-type]
            margin_mode=config.margin_mode,  # type: ignore[arg-type]
            position_mode=config.position_mode,  # type: ignore[arg-type]
            trade_mode=config.trade_mode,  # type: ignore[arg-type]
            quantity_per_trade=config.quantity_per_trade,
            retrier=retrier,
        )
        trader.connect(owner)
        feed = self._make_feed(config, trader, exchange, feature_preprocessing_fn is not None)
        trader.configure()
        super().__init__(
            trader=trader,
            feed=feed,
            clock=clock or default_clock(trader.fetch_time, config.base_url, local),
            actions=actions_for(config),
            feature_preprocessing_fn=feature_preprocessing_fn,
            reward_fn=reward_fn,
            **core_settings(config, retrier),
            funding_interval_ms=profile.funding_interval_h * 3_600_000,
            monitor=Monitor(logger),
        )

    # ------------------------------------------------------------------ construction steps

    def _build_exchange(
        self,
        config: FuturesEnvConfig,
        owner: str,
        local: bool,
        given: tuple[str | None, str | Secret | None, str | Secret | None],
    ) -> ccxt.Exchange:
        profile = self.profile
        keys = resolve(
            owner,
            given=given,
            configured=(
                config.api_key,
                config.api_secret,  # type: ignore[arg-type]
                getattr(config, "api_passphrase", None),
            ),
            env_names=profile.key_env,
            fallback=emulator_keys(profile.name) if local else None,
            need_passphrase=profile.needs_passphrase,
            use_environment=not local,
        )
        rate_limit = config.client_rate_limit if config.client_rate_limit is not None else not local
        return build_exchange(
            profile,
            keys,
            demo=config.practice,
            base_url=config.base_url,
            timeout_ms=config.request_timeout_ms,
            rate_limit=rate_limit,
        )

    def _make_feed(
        self, config: FuturesEnvConfig, trader: FuturesTrader, exchange: ccxt.Exchange, custom_features: bool
    ) -> CandleFeed:
        history = feed_history(config, custom_features)
        return CandleFeed(
            trader.fetch_ohlcv,
            config.symbol,
            config.execute_on,  # type: ignore[arg-type]
            tuple(history),  # type: ignore[arg-type]
            history,
            page_limit=self.profile.ohlcv_page_limit,
            venue_timeframes=exchange.timeframes,
        )

    def __repr__(self) -> str:
        practice = self.profile.practice_name if self.config.practice else "production"
        venue = self.config.base_url or f"{self.profile.name} {practice}"
        return (
            f"{type(self).__name__}(symbol={self.config.symbol!r}, venue={venue!r}, "
            f"actions={self.actions.n}, observation={list(self.observation_spec.keys())})"
        )
