"""``AlpacaTorchTradingEnv.replay(config, data=...)``: an Alpaca env on the engine in-process.

The env is the venue's own class, assembled as its live constructor assembles it (actions, core
settings, the market calendar and its session schedule, the live trader) with only the transport
replaced: the trader's alpaca-py client is :class:`~.alpaca_client.EngineTradingClient` (the
engine's spot verbs, the wire's rows), the feed reads the replayed bars in-process, the clock moves
the engine (:class:`~.clock.ReplayClock`). What is Alpaca's is therefore the live env's own code:

* **Stocks** step on session bars only (:class:`~torchtrade.envs.core.schedule.SessionBars`, XNYS:
  weekends, holidays, early closes; pre/post-market with ``extended_hours``) and observe only those
  bars, as the HTTP env does; across a close the replay clock jumps to the next session's first bar
  close, replaying the engine through the night (an order queued while closed fills at the open).
  SLTP entries are Alpaca bracket orders, held and triggered by the engine.
* **Crypto** trades around the clock, long only; SLTP levels are the env's own (client-side), as
  live.

Episodes, starts and ``episode_length`` as for the futures replay (:mod:`.build`): a reset after a
step starts a fresh account (the venue's starting cash) at ``start`` or a random bar. A stock's
earliest start is the first bar with a full window of *session* bars before it; a random start is
drawn over the file's bars (nights included), so an episode that starts late may meet the data's
end before ``episode_length`` steps (it is then truncated, as any episode at the data's end).

What differs from the HTTP env, by construction (the parity tests bound the rest to nothing):
order ids (the HTTP emulator's id sequence goes on across its resets), and what only the HTTP
emulator carries: authentication, rate limits, scripted faults; ``info["requests"]`` is 0 (no HTTP).

Throughput: ~10x the HTTP env's on this machine (a hold step reads the position and the account as
alpaca-py models of the wire's rows; rendering those rows is most of a step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from ...errors import ConfigError
from ..core.config import SLTPConfig
from ..core.env import LiveTradingEnv
from ..core.monitoring import Monitor
from ..core.observation import FeatureFn
from ..core.reward import RewardFn
from ..core.schedule import EveryBar, SessionBars
from ..live.alpaca.client import AlpacaClients
from ..live.alpaca.fills import FillBook
from ..live.alpaca.trader import AlpacaTrader
from ..live.alpaca.venue import BARS_PAGE_LIMIT
from ..live.shared.construction import actions_for, feed_history, own_config, retrier_for
from ..live.shared.feed import CandleFeed
from ..live.shared.retry import Retrier
from .alpaca_client import EngineTradingClient
from .arrays import ArrayFeed
from .build import check_episode_length, finish_replay_env, replay_settings, warmup_bars
from .clock import ReplayClock
from .feed import series_fetcher
from .session import DataLike, ReplaySession, resolve_data

VENUE = "alpaca"
T = TypeVar("T")


class DirectCalls(Retrier):
    """Engine calls run once: in-process nothing is transient (no network, no rate limit), so the
    live retry loop (tenacity's, the cost of a call here) has nothing to retry."""

    def run(self, fn: Callable[[], T]) -> T:
        return fn()


class ReplayAlpacaTrader(AlpacaTrader):
    """The live Alpaca trader over the in-process client; a new episode forgets the old account."""

    def rebind(self) -> None:
        """A fresh account: the fills book, the orders window and the first-read seed start over."""
        self.fills = FillBook(fee_rate=self.fills.fee_rate)
        self._orders_from = None
        self._qty_text = {}
        self._seeded = False

    def configure(self) -> None:
        """Nothing to set on a spot account (no leverage, margin or position mode)."""


def _session_history(
    session: ReplaySession, keep: Callable[[int], bool], need: int, start: int | None, owner: str
) -> None:
    """A stock's windows fill with session bars only: the earliest start (and every random one) is
    the first bar with ``need`` session bars before it, not ``need`` bars of the file (a file that
    opens pre-market, or on a weekend, has none to observe)."""
    series = session.emulator.series[session.symbol]
    kept = 0
    first = None
    for i in range(len(series)):
        if kept >= need:
            first = i
            break
        kept += bool(keep(series.bar(i).t))
    if first is None:
        raise ConfigError(f"{owner}.data: fewer than {need} session bars: nothing to fill the windows")
    if start is not None and start < first:
        raise ConfigError(
            f"{owner}.start={start}: the windows need {need} session bars, i.e. start >= {first}"
        )
    session.warmup_bars = max(session.warmup_bars, first)
    if start is None:  # the default start, or a random one, redrawn above the session history
        session.start = session.draw_start() if session.random_start else session.warmup_bars
        session.emulator.reset(history_bars=session.start)


def build_alpaca_replay(
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
    """An env of ``cls`` (an Alpaca env class) on the Alpaca engine in-process (see the module).

    ``fast_feed``: candles as precomputed arrays (the default), or the live ``CandleFeed`` over the
    series (what the HTTP env runs, fetch for fetch)."""
    from ..live.alpaca.env import stock_hours  # the env module imports this one's caller

    env = cls.__new__(cls)
    config = own_config(env, config)
    owner = type(config).__name__
    check_episode_length(episode_length)
    crypto = config.is_crypto
    hours = None if crypto else stock_hours()
    extended = bool(config.extended_hours) and not crypto
    schedule = SessionBars(config.execute_on, hours, extended=extended) if hours else None  # type: ignore[arg-type]
    keep = schedule.in_session if schedule is not None else None
    history = feed_history(config, feature_preprocessing_fn is not None)
    base = config.execute_on
    session = ReplaySession(
        VENUE,
        config.symbol,
        resolve_data(data, VENUE, config.symbol, owner),
        warmup_bars=warmup_bars(history, base.ms),
        start=start,
        episode_length=episode_length,
        random_start=random_start,
        seed=seed,
        balances=balances,
        owner=owner,
    )
    if keep is not None:
        _session_history(session, keep, warmup_bars(history, base.ms), start, owner)
    client = EngineTradingClient(lambda: session.emulator, session.account)
    retrier = DirectCalls(retrier_for(config).policy, sleep=lambda s: None)
    env.clients = AlpacaClients(trading=client, data=None)  # type: ignore[arg-type]
    env.market_hours = hours
    trader = ReplayAlpacaTrader(
        env.clients,
        config.symbol,
        retrier=retrier,
        brackets=isinstance(config, SLTPConfig),
        extended_hours=extended,
        limit_slippage=config.limit_slippage,
        trade_mode=config.trade_mode,
        quantity_per_trade=config.quantity_per_trade,
        is_open=(lambda t: hours.is_open(t, extended=extended)) if hours else None,
    )
    trader.connect(owner)
    market_id = config.symbol
    feed: Any
    if fast_feed:
        feed = ArrayFeed(lambda: session.emulator, market_id, base, tuple(history), history, keep=keep)
    else:
        feed = CandleFeed(
            series_fetcher(lambda: session.emulator, market_id, keep),
            config.symbol,
            base,
            tuple(history),
            history,
            page_limit=BARS_PAGE_LIMIT,
            venue_timeframes={base.to_ccxt()},
            timeframe_limits={},
            end_param=None,
        )
    clock = ReplayClock(session.emulator, market_id)
    settings = replay_settings(config, retrier, episode_length)
    env.config = config
    env.replay_session = session
    LiveTradingEnv.__init__(
        env,
        trader=trader,  # type: ignore[arg-type]
        feed=feed,
        clock=clock,
        actions=actions_for(config, shorts=not crypto),
        feature_preprocessing_fn=feature_preprocessing_fn,
        reward_fn=reward_fn,
        **settings,
        schedule=schedule or EveryBar(base),
        monitor=Monitor(None),
    )
    return finish_replay_env(env, session, trader, clock)
