"""Alpaca envs: US stocks and crypto spot through alpaca-py, over the venue-agnostic core.

Construction follows TorchRL's wrapper order: validate (the config did), connect (keys, clients, the
asset), declare (the core builds the specs from a first read) and warm up.

A stock env lives by the market's calendar (:mod:`torchtrade.markets.calendar`, XNYS): it steps only
on bars of open sessions (regular ones; pre/post-market too with ``extended_hours``), observes only
those bars, and across a close waits for the next session's first bar (a jump on an emulator's
manual clock). A crypto env trades around the clock, long only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from ....secrets import Secret
from ...core.clock import EnvClock
from ...core.config import SLTPConfig
from ...core.env import LiveTradingEnv
from ...core.monitoring import Monitor
from ...core.observation import FeatureFn
from ...core.reward import RewardFn
from ...core.schedule import EveryBar, MarketHours, SessionBars
from ..shared.construction import (
    actions_for,
    core_settings,
    default_clock,
    feed_history,
    own_config,
    retrier_for,
)
from ..shared.credentials import ApiKeys, resolve
from ..shared.exchange import is_local
from ..shared.feed import CandleFeed
from ..shared.futures_env import emulator_keys
from ..shared.replayable import Replayable
from .client import AlpacaClients, build_clients
from .config import AlpacaSLTPTradingEnvConfig, AlpacaTradingEnvConfig
from .feed import AlpacaBars
from .trader import AlpacaTrader
from .venue import BARS_PAGE_LIMIT, KEY_ENV

if TYPE_CHECKING:
    from torchrl.record.loggers import Logger

logger = logging.getLogger(__name__)


def local_keys() -> ApiKeys | None:
    """The documented default keys of the local Alpaca emulator (None if this build has none)."""
    try:
        return emulator_keys("alpaca")
    except Exception:  # no Alpaca emulator in this build: keys must then be given
        return None


def stock_hours() -> MarketHours:
    """US equity hours (XNYS: holidays, early closes, pre- and post-market)."""
    from ....markets.calendar import us_equity_hours

    return us_equity_hours()


class AlpacaTorchTradingEnv(Replayable, LiveTradingEnv):
    """Trades one Alpaca stock or crypto pair.

    Actions: a stock has {0: short, 1: hold, 2: long} (from flat, short/long opens; against a
    position it closes it; a short of a stock Alpaca does not lend is refused, with the reason in
    ``info["rejections"]``, and the env goes on). Crypto is long only: {0: close, 1: hold, 2: long}.
    An entry spends the env's budget (its free cash, within ``max_position_size``) unless
    ``quantity_per_trade`` says otherwise: a fractionable asset is bought by notional (dollars),
    anything else in whole shares.

    ``account_state`` on a spot account: ``cash`` is what an entry may spend (the cash, within the
    buying power); ``position_size`` the signed shares or coins; ``position_value`` their value at
    the venue's price; ``entry_price`` Alpaca's average entry price; ``leverage`` 1 while a position
    is held (a securities account holds no leveraged position); ``margin_ratio`` the position's value
    over the equity (above 1 on margin); ``liquidation_price`` 0 (a margin call is not a price);
    ``holding_time`` the steps held.

    Args:
        config: the env's configuration (validated at construction).
        api_key / api_secret: keys (else config, ALPACA_API_KEY / ALPACA_SECRET_KEY, ``.env``).
        feature_preprocessing_fn: ``df -> df`` whose ``features_*`` columns are the features.
        reward_fn: ``(previous_value, current_value, info) -> float`` (default: log return).
        clock: how to wait for bars (default: the venue's clock at its own pace;
            :class:`~torchtrade.envs.core.clock.EmulatorClock` jumps an emulator instead).
        market_hours: the stock market's hours (default: XNYS from exchange-calendars).
        retry_sleep: how retries wait (tests pass a fast one).
        logger: a :class:`torchrl.record.loggers.Logger` (CSV, TensorBoard, W&B, MLflow) that gets each
            step's numbers and each episode's summary (see :mod:`torchtrade.envs.core.monitoring`).

    Raises:
        ConfigError: an invalid setting, or a symbol Alpaca does not list or trade.
        AuthError: the keys are refused.
    """

    config_class: ClassVar[type[AlpacaTradingEnvConfig]] = AlpacaTradingEnvConfig
    _replay_builder = "torchtrade.envs.replay.alpaca:build_alpaca_replay"

    def __init__(
        self,
        config: AlpacaTradingEnvConfig | None = None,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        *,
        feature_preprocessing_fn: FeatureFn | None = None,
        reward_fn: RewardFn | None = None,
        clock: EnvClock | None = None,
        market_hours: MarketHours | None = None,
        retry_sleep: Any = None,
        logger: Logger | None = None,
    ) -> None:
        config = own_config(self, config)
        self.config = config
        owner = type(config).__name__
        local = is_local(config.base_url)
        self.clients = self._build_clients(config, owner, local, (api_key, api_secret))
        retrier = retrier_for(config, retry_sleep)
        crypto = config.is_crypto
        hours = None if crypto else (market_hours or stock_hours())
        extended = bool(config.extended_hours) and not crypto
        self.market_hours = hours
        schedule = SessionBars(config.execute_on, hours, extended=extended) if hours else None  # type: ignore[arg-type]
        trader = AlpacaTrader(
            self.clients,
            config.symbol,
            retrier=retrier,
            brackets=isinstance(config, SLTPConfig),
            extended_hours=extended,
            limit_slippage=config.limit_slippage,
            trade_mode=config.trade_mode,  # type: ignore[arg-type]
            quantity_per_trade=config.quantity_per_trade,
            is_open=(lambda t: hours.is_open(t, extended=extended)) if hours else None,
        )
        trader.connect(owner)
        feed = self._make_feed(config, trader, schedule, feature_preprocessing_fn is not None)
        super().__init__(
            trader=trader,
            feed=feed,
            clock=clock or default_clock(trader.fetch_time, config.base_url, local),
            actions=actions_for(config, shorts=not crypto),
            feature_preprocessing_fn=feature_preprocessing_fn,
            reward_fn=reward_fn,
            **core_settings(config, retrier),
            schedule=schedule or EveryBar(config.execute_on),  # type: ignore[arg-type]
            monitor=Monitor(logger),
        )

    # ------------------------------------------------------------------ construction steps

    def _build_clients(
        self,
        config: AlpacaTradingEnvConfig,
        owner: str,
        local: bool,
        given: tuple[str | None, str | Secret | None],
    ) -> AlpacaClients:
        keys = resolve(
            owner,
            given=(*given, None),
            configured=(config.api_key, config.api_secret, None),  # type: ignore[arg-type]
            env_names=KEY_ENV,
            fallback=local_keys() if local else None,
            use_environment=not local,
        )
        return build_clients(
            keys,
            paper=config.practice,
            crypto=config.is_crypto,
            base_url=config.base_url,
            timeout_ms=config.request_timeout_ms,
        )

    def _make_feed(
        self,
        config: AlpacaTradingEnvConfig,
        trader: AlpacaTrader,
        schedule: SessionBars | None,
        custom_features: bool,
    ) -> CandleFeed:
        history = feed_history(config, custom_features)
        bars = AlpacaBars(
            trader.call,
            self.clients.data,
            crypto=config.is_crypto,
            data_feed=config.data_feed,
            in_session=schedule.in_session if schedule is not None else None,
        )
        return CandleFeed(
            bars,
            config.symbol,
            config.execute_on,  # type: ignore[arg-type]
            tuple(history),  # type: ignore[arg-type]
            history,
            page_limit=BARS_PAGE_LIMIT,
            venue_timeframes={config.execute_on.to_ccxt()},  # type: ignore[union-attr]
            timeframe_limits={},
            end_param=None,
        )

    def __repr__(self) -> str:
        venue = self.config.base_url or ("alpaca paper" if self.config.practice else "alpaca live")
        return (
            f"{type(self).__name__}(symbol={self.config.symbol!r}, venue={venue!r}, "
            f"actions={self.actions.n}, observation={list(self.observation_spec.keys())})"
        )


class AlpacaSLTPTorchTradingEnv(AlpacaTorchTradingEnv):
    """Trades with bracketed entries: HOLD + long × (SL, TP) [+ short × (SL, TP) for a stock].

    Stocks: each entry is one Alpaca bracket order (whole shares, good till cancelled): the venue
    holds the stop-loss and the take-profit, fills one and cancels the other.

    Crypto: Alpaca has no crypto brackets, so the env enforces its levels itself: after every bar,
    a bar that reached the stop-loss or the take-profit closes the position at market in that step
    (after the bar's close, so the fill may be worse than the level; a bar reaching both takes the
    stop). Between bars nothing watches the position: a level crossed and recovered inside one bar
    still fires, a gap through the level fills at the next price.
    """

    config_class = AlpacaSLTPTradingEnvConfig
