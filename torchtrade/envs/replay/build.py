"""``EnvClass.replay(config, data=...)``: the same env class, trading the engine in-process.

The env is the venue's own class (same specs, ``info`` keys and ``get_metrics()``), assembled from
the same config by the same shared construction (actions, core settings, feed history) as its live
constructor; only its trader, feed and clock are the in-process ones (:mod:`.trader`, :mod:`.feed`,
:mod:`.clock`) over a :class:`~.session.ReplaySession`.

Episodes: a reset after any step starts a new episode on a fresh account (the venue's starting
wallet), at ``start`` again or, with ``random_start``, at a random bar with a whole episode of data
after it (training). ``episode_length`` truncates episodes after that many steps; an episode also
ends (truncated) when the data runs out. ``env.set_seed(s)`` reseeds the random starts: from the next
reset on, the env's episodes start where an env built with ``seed=s`` starts them (TorchRL's
``ParallelEnv`` and collectors seed each worker's env this way, each with its own seed).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from torchrl.data import Composite

from ...errors import ConfigError
from ..core.account import FLAT
from ..core.env import LiveTradingEnv
from ..core.ledger import OwnLedger
from ..core.observation import FeatureFn
from ..core.reward import RewardFn
from ..live.shared.construction import actions_for, core_settings, feed_history, own_config, retrier_for
from ..live.shared.feed import CandleFeed
from .arrays import ArrayFeed
from .clock import ReplayClock
from .feed import series_fetcher
from .session import DataLike, ReplaySession, resolve_data
from .trader import EngineTrader
from .venues import RULES


def warmup_bars(history: Mapping[Any, int], base_ms: int) -> int:
    """Base bars that must have closed before the first step: every window, and the forming period
    of each higher timeframe, aggregated from base bars."""
    return max(-(-(n + 1) * tf.ms // base_ms) for tf, n in history.items())


def check_episode_length(episode_length: int | None) -> None:
    if episode_length is not None and (isinstance(episode_length, bool) or episode_length < 1):
        raise ConfigError(f"episode_length={episode_length!r}: a number of steps >= 1, or None")


def replay_settings(config: Any, retrier: Any, episode_length: int | None) -> dict[str, Any]:
    """The env core's settings from the config, an episode truncated after ``episode_length`` steps."""
    settings = core_settings(config, retrier)
    if episode_length is not None:
        settings["max_steps"] = episode_length
    return settings


def finish_replay_env(env: Any, session: ReplaySession, trader: Any, clock: ReplayClock) -> Any:
    """Wire a just-built in-process env to its session: a new episode restarts the replay,
    ``set_seed`` reseeds its random starts, and its specs are locked."""
    env.before_reset = lambda: _new_episode(env, session, trader, clock)
    env.on_seed = session.reseed
    # Specs never change after construction: locked, TorchRL caches what it derives from them instead of
    # rebuilding it every step (an empty state spec, as a locked env needs one).
    if env.input_spec.get("full_state_spec", None) is None:
        env.state_spec = Composite(shape=env.batch_size)
    env.set_spec_lock_(True)
    return env


def build_futures_replay(
    cls: type[Any],
    config: Any = None,
    *,
    data: DataLike = None,
    start: int | None = None,
    episode_length: int | None = None,
    random_start: bool = False,
    seed: int | None = None,
    feature_preprocessing_fn: FeatureFn | None = None,
    reward_fn: RewardFn | None = None,
    balances: Mapping[str, Decimal] | None = None,
    fast_feed: bool = True,
) -> Any:
    """An env of ``cls`` (a ccxt futures env class) on its venue's engine in-process (see the module).

    ``fast_feed``: candles as precomputed arrays (:class:`~.arrays.ArrayFeed`, the default), or the
    live :class:`~torchtrade.envs.live.shared.feed.CandleFeed` over the series (what the HTTP env
    runs, fetch for fetch)."""
    env = cls.__new__(cls)
    config = own_config(env, config)
    owner = type(config).__name__
    profile = cls.profile
    if profile.name not in RULES:
        raise ConfigError(f"{cls.__name__}: no in-process rules for venue {profile.name!r}")
    check_episode_length(episode_length)
    history = feed_history(config, feature_preprocessing_fn is not None)
    base = config.execute_on
    session = ReplaySession(
        profile.name,
        config.symbol,
        resolve_data(data, profile.name, config.symbol, owner),
        warmup_bars=warmup_bars(history, base.ms),
        start=start,
        episode_length=episode_length,
        random_start=random_start,
        seed=seed,
        balances=balances,
        owner=owner,
    )
    trader = EngineTrader(
        lambda: session.emulator,
        session.account,
        profile,
        RULES[profile.name],
        config.symbol,
        leverage=config.leverage,
        margin_mode=config.margin_mode,
        position_mode=config.position_mode,
        trade_mode=config.trade_mode,
        quantity_per_trade=config.quantity_per_trade,
    )
    if not 1 <= config.leverage <= trader.inst.max_leverage:
        raise ConfigError(
            f"{owner}.leverage={config.leverage!r}: {config.symbol} allows 1..{trader.inst.max_leverage}"
        )
    trader.configure()
    feed: Any
    if fast_feed:
        feed = ArrayFeed(lambda: session.emulator, trader.market_id, base, tuple(history), history)
    else:
        feed = CandleFeed(
            series_fetcher(lambda: session.emulator, trader.market_id),
            config.symbol,
            base,
            tuple(history),
            history,
            page_limit=profile.ohlcv_page_limit,
            venue_timeframes=(base.to_ccxt(),),
            timeframe_limits={},
        )
    clock = ReplayClock(session.emulator, trader.market_id)
    settings = replay_settings(config, retrier_for(config, lambda s: None), episode_length)
    env.config = config
    env.replay_session = session
    LiveTradingEnv.__init__(
        env,
        trader=trader,  # type: ignore[arg-type]
        feed=feed,
        clock=clock,
        actions=actions_for(config),
        feature_preprocessing_fn=feature_preprocessing_fn,
        reward_fn=reward_fn,
        **settings,
        funding_interval_ms=profile.funding_interval_h * 3_600_000,
    )
    return finish_replay_env(env, session, trader, clock)


def _new_episode(env: Any, session: ReplaySession, trader: EngineTrader, clock: ReplayClock) -> None:
    """Restart the replay for a new episode once the last one took a step (a fresh account, a new
    start), and let the env forget the old account's history: it reads fills and funding from the
    new present on, and owns no orders, brackets or levels there."""
    if env.step_count == 0 and not session.restart_due:
        return
    now = session.restart()
    clock.rebind(session.emulator)
    trader.rebind()
    trader.configure()
    env._fills_from = now
    env._last_fill_ms = None
    # The new account has none of the old fills: forgetting their ids keeps a long training run's
    # memory flat (the set would otherwise grow by one id per fill, for millions of steps).
    env.metrics.seen_fill_ids.clear()
    env._funding_from = now
    env._next_funding = env._funding_time_after(now)
    env._own = OwnLedger()
    env._our_orders.clear()
    env._client_levels = None
    env._unsettled = None
    env._brackets_live = False
    env._must_flatten = False
    env.position = FLAT
    env.holding_time = 0
    env.feed.prime(now)
    env._refresh_account()
