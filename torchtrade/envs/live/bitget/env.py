"""Bitget USDT-M futures envs: standard (short/hold/long) and SLTP (bracketed entries).

Thin on purpose: a config, the keys, a ccxt client and Bitget's quirks; everything else is the
shared live-env core and the shared ccxt futures layer.
"""

from __future__ import annotations

import logging
from typing import Any

import ccxt

from ....ccxt_util import guard_secrets
from ....secrets import Secret
from ...core.actions import SLTPActions, StandardActions
from ...core.clock import EnvClock, VenueClock, emulator_exhaustion_probe
from ...core.env import LiveTradingEnv
from ...core.observation import FeatureFn
from ...core.reward import RewardFn
from ..shared.credentials import ApiKeys, resolve
from ..shared.exchange import build_exchange, is_local
from ..shared.feed import CandleFeed
from ..shared.ids import ClientOrderIds
from ..shared.retry import Retrier, RetryPolicy
from .config import BitgetFuturesSLTPTradingEnvConfig, BitgetFuturesTradingEnvConfig
from .venue import BITGET, BitgetFuturesTrader

logger = logging.getLogger(__name__)


def _emulator_keys() -> ApiKeys:
    from ....emulator.venues.bitget import DEFAULT_CREDENTIALS as c

    return ApiKeys(c.api_key, c.api_secret, c.passphrase)


class BitgetFuturesTorchTradingEnv(LiveTradingEnv):
    """Trades a Bitget USDT-M perpetual with actions {0: short, 1: hold, 2: long}.

    From flat, short/long opens a position of ``quantity_per_trade``; against an open position the
    opposite action closes it; the same side holds.

    Args:
        config: the env's configuration (validated at construction).
        api_key / api_secret / api_passphrase: keys (else config, environment, ``.env``).
        feature_preprocessing_fn: ``df -> df`` whose ``features_*`` columns are the features.
        reward_fn: ``(previous_value, current_value, info) -> float`` (default: log return).
        clock: how to wait for bars (default: the venue's server time at its own pace;
            :class:`~torchtrade.envs.core.clock.EmulatorClock` jumps an emulator instead).
        exchange: a ready ccxt client to use instead of building one (advanced).
        retry_sleep: how retries wait (tests pass a fast one).

    Raises:
        ConfigError: an invalid or missing setting, naming the field.
    """

    config_class = BitgetFuturesTradingEnvConfig

    def __init__(
        self,
        config: BitgetFuturesTradingEnvConfig | None = None,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        api_passphrase: str | Secret | None = None,
        *,
        feature_preprocessing_fn: FeatureFn | None = None,
        reward_fn: RewardFn | None = None,
        clock: EnvClock | None = None,
        exchange: ccxt.Exchange | None = None,
        retry_sleep: Any = None,
    ) -> None:
        config = config or self.config_class()
        if not isinstance(config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}"
            )
        self.config = config
        owner = type(config).__name__
        local = is_local(config.base_url)
        if exchange is None:
            keys = resolve(
                owner,
                given=(api_key, api_secret, api_passphrase),
                configured=(config.api_key, config.api_secret, config.api_passphrase),  # type: ignore[arg-type]
                env_names=BITGET.key_env,
                fallback=_emulator_keys() if local else None,
                need_passphrase=True,
                use_environment=not local,
            )
            rate_limit = config.client_rate_limit if config.client_rate_limit is not None else not local
            exchange = build_exchange(
                BITGET,
                keys,
                demo=config.demo,
                base_url=config.base_url,
                timeout_ms=config.request_timeout_ms,
                rate_limit=rate_limit,
            )
        else:
            guard_secrets(exchange)  # a client built by the user: its keys stay out of the logs too
        policy = RetryPolicy(
            attempts=config.retry_attempts,
            initial_s=config.retry_backoff_s,
            max_s=config.retry_max_backoff_s,
            jitter_s=min(config.retry_backoff_s, 0.25),
        )
        retrier = Retrier(policy, sleep=retry_sleep) if retry_sleep is not None else Retrier(policy)
        trader = BitgetFuturesTrader(
            exchange,
            BITGET,
            config.symbol,
            leverage=config.leverage,
            margin_mode=config.margin_mode,  # type: ignore[arg-type]
            position_mode=config.position_mode,
            trade_mode=config.trade_mode,  # type: ignore[arg-type]
            quantity_per_trade=config.quantity_per_trade,
            retrier=retrier,
        )
        trader.connect(owner)
        warmup = config.feature_warmup_bars
        history = {
            tf: w + (warmup if warmup is not None else (w if feature_preprocessing_fn else 0))
            for tf, w in zip(config.time_frames, config.window_sizes, strict=True)  # type: ignore[arg-type]
        }
        # The env acts on the last execute_on close, so that bar is always fed (two bars suffice).
        history.setdefault(config.execute_on, 2)  # type: ignore[arg-type]
        feed = CandleFeed(
            trader.fetch_ohlcv,
            config.symbol,
            config.execute_on,
            tuple(history),  # type: ignore[arg-type]
            history,
            page_limit=BITGET.ohlcv_page_limit,
            venue_timeframes=exchange.timeframes,
        )
        trader.configure()
        super().__init__(
            trader=trader,
            feed=feed,
            # Against a local emulator the clock can also tell when the replay has run out (a real
            # venue never does); that costs a control request only after a step without a new bar.
            clock=clock
            or VenueClock(
                trader.fetch_time,
                exhausted_probe=emulator_exhaustion_probe(config.base_url) if local else None,  # type: ignore[arg-type]
            ),
            actions=self._make_actions(config),
            time_frames=config.time_frames,  # type: ignore[arg-type]
            window_sizes=config.window_sizes,
            execute_on=config.execute_on,  # type: ignore[arg-type]
            client_ids=ClientOrderIds(config.env_id),
            feature_preprocessing_fn=feature_preprocessing_fn,
            include_base_features=config.include_base_features,
            reward_fn=reward_fn,
            done_on_bankruptcy=config.done_on_bankruptcy,
            bankrupt_threshold=config.bankrupt_threshold,
            close_position_on_reset=config.close_position_on_reset,
            max_steps=config.max_steps,
            seed=config.seed,
            outage_policy=config.outage_policy,
            outage_rounds=config.outage_rounds,
            partial_fill_policy=config.partial_fill_policy,
            stale_read_rereads=config.stale_read_rereads,
            max_contradiction_steps=config.max_contradiction_steps,
            sleep=retrier.sleep,
            reread_backoff_s=config.retry_backoff_s,
        )

    def _make_actions(self, config: BitgetFuturesTradingEnvConfig) -> StandardActions | SLTPActions:
        return StandardActions()

    def __repr__(self) -> str:
        venue = self.config.base_url or ("bitget demo trading" if self.config.demo else "bitget production")
        return (
            f"{type(self).__name__}(symbol={self.config.symbol!r}, venue={venue!r}, "
            f"actions={self.actions.n}, observation={list(self.observation_spec.keys())})"
        )


class BitgetFuturesSLTPTorchTradingEnv(BitgetFuturesTorchTradingEnv):
    """Trades with bracketed entries: HOLD + long × (SL, TP) [+ short × (SL, TP)].

    An entry from flat opens a position whose stop-loss and take-profit are placed on Bitget with the
    order (position TP/SL); while the position is open every action holds, and the venue closes it
    when a bracket triggers (the env sees the position gone and reports the fill in ``info``).
    ``action_map`` gives ``{index: (side, sl, tp)}``.
    """

    config_class = BitgetFuturesSLTPTradingEnvConfig

    def _make_actions(self, config: BitgetFuturesTradingEnvConfig) -> StandardActions | SLTPActions:
        assert isinstance(config, BitgetFuturesSLTPTradingEnvConfig)
        return SLTPActions(
            config.stoploss_levels,
            config.takeprofit_levels,
            include_short_positions=config.include_short_positions,
            include_hold_action=config.include_hold_action,
        )
