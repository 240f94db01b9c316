"""``LiveTradingEnv``: a TorchRL ``EnvBase`` that trades on a venue, knowing nothing of which one.

A step: act on the action (orders through the trader), wait for the next ``execute_on`` bar to close
(through the clock), observe (new candles, the venue's position and balance: three requests when
nothing happened), settle the position (the venue's read against the env's own orders and fills, see
:mod:`.reconcile`), reward (log return of portfolio value by default), and decide ``done``.

A step never dies of the venue: a transient failure that outlasts the retries follows the outage
policy (:mod:`.outage`); only torchtrade errors (:mod:`torchtrade.errors`) ever leave the env.

Specs are built in ``__init__`` from a first read of the market, as TorchRL expects, and
``check_env_specs`` holds. Besides TensorDicts, ``step`` takes a plain action (int, numpy, tensor) and
then answers gym-style: ``obs, reward, done, info = env.step(2)``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Categorical, Composite, Unbounded

from ...errors import InternalError, InvalidAction, TorchTradeError, TransientVenueError, VenueError
from ...timeframes import TimeFrame
from .account import (
    FLAT,
    BalanceState,
    FillInfo,
    OrderOutcome,
    PositionState,
    account_state,
)
from .actions import HOLD, Intent, SLTPActions, StandardActions
from .clock import EnvClock
from .execution import Entry, PartialFillPolicy, bracket_prices, complete_close, execute_entry
from .journal import Journal, JournaledTrader
from .kill import enforce_drawdown, kill
from .lean_step import LeanStepAndReset
from .ledger import OwnLedger
from .metrics import EpisodeMetrics, run_periods_per_year
from .monitoring import Monitor
from .observation import FeatureBuilder, FeatureFn
from .outage import OutageGuard, OutagePolicy
from .protocols import Feed, Trader
from .reconcile import Evidence, Probes, Reconciler
from .reward import RewardFn, log_return
from .risk import RiskGuard, orders_for_entry
from .schedule import BarSchedule, EveryBar

logger = logging.getLogger(__name__)
T = TypeVar("T")
#: attributes a step sets, never a parameter, module, buffer or spec (see LiveTradingEnv.__setattr__)
_PLAIN_STATE = frozenset(
    {
        "episode",
        "step_count",
        "position",
        "balance",
        "holding_time",
        "metrics",
        "last_info",
        "_next_close",
        "_calls_before",
        "_retries_before",
        "_resumed",
        "_unsettled",
        "_client_levels",
        "_levels_checked_ms",
        "_last_fill_ms",
        "_brackets_live",
        "_must_flatten",
        "_next_funding",
        "_funding_from",
        "_last_done",
        "_stale_steps",
        "_fills_from",
        "_own",
    }
)


class LiveTradingEnv(LeanStepAndReset):
    """Venue-agnostic live trading env.

    Args:
        trader: places orders and reads the account.
        feed: closed candles of every timeframe.
        clock: the venue's time, and how to wait for the next bar.
        actions: :class:`StandardActions` or :class:`SLTPActions`.
        time_frames / window_sizes: one observation window per timeframe.
        execute_on: the bar the env steps on.
        client_ids: derives client order ids (a retry reuses the same id).
        feature_preprocessing_fn: ``df -> df`` whose ``features_*`` columns are the features.
        include_base_features: append raw OHLCV to the features.
        reward_fn: ``(previous_value, current_value, info) -> float`` (default: log return).
        done_on_bankruptcy / bankrupt_threshold: end the episode below ``threshold × initial value``.
        close_position_on_reset: flatten (and cancel brackets) at every reset.
        max_steps: truncate episodes after this many steps (None: never).
        seed: seeds the env's private RNG (random actions).
        outage_policy / outage_rounds: what a step does when the venue stays unreachable (see
            :mod:`torchtrade.envs.core.outage`), and how many times a failing phase is retried whole.
        partial_fill_policy: what happens to the unfilled rest of an entry (see
            :class:`~torchtrade.envs.core.execution.PartialFillPolicy`).
        stale_read_rereads / max_contradiction_steps: how a position read that contradicts the env's
            own orders is handled (see :mod:`torchtrade.envs.core.reconcile`).
        sleep: how the env pauses between re-reads (tests pass a fast one).
        initial_cash: the capital the env allots itself: its portfolio value is then ``initial_cash``
            plus the realized PnL, fees and funding of its own fills since it started, plus its
            position's unrealized PnL (None: the account's equity). See
            :class:`~torchtrade.envs.core.config.LiveEnvConfig`.
        max_position_size: the largest position value as a fraction of the portfolio value.
        funding_interval_ms: time between the venue's funding times (on UTC boundaries).
        schedule: which bars the env steps on (default: every ``execute_on`` bar, around the clock;
            :class:`~torchtrade.envs.core.schedule.SessionBars` for a market with sessions).
        max_drawdown / max_orders_per_minute: risk limits (see :mod:`torchtrade.envs.core.risk`);
            ``env.risk`` holds their state.
        journal: a SQLite file the env records itself in and resumes from (see
            :mod:`torchtrade.envs.core.journal`; None: none).
        monitor: writes each step's series and each episode's summary to a torchrl logger, and logs
            the events (see :mod:`torchtrade.envs.core.monitoring`; default: events only).

    Client-side brackets: on a venue without conditional orders (``trader.client_brackets``, Alpaca
    crypto), an SLTP entry's stop-loss and take-profit are the env's to enforce. After every step's
    bars are read, a bar whose low reached the stop (high, for a short) or whose high reached the
    take-profit (low, for a short) closes the position at market in that same step, at the price of
    the moment (after the bar's close: it may be worse than the level); when one bar reaches both,
    the stop-loss is taken, as the venue's engine would. ``info["client_bracket"]`` says which fired.
    """

    batch_locked = True
    #: Called first in every reset (an in-process replay starts a new episode there, see
    #: :mod:`torchtrade.envs.replay`); None: nothing.
    before_reset: Callable[[], None] | None = None
    #: Called by ``set_seed`` with the seed, after the env's own RNG (an in-process replay reseeds its
    #: episode starts there: ``ParallelEnv`` and the collectors seed each worker's env); None: nothing.
    on_seed: Callable[[int], None] | None = None
    #: times a missing just-closed bar is asked for again (see EnvClock.wait_for_publication)
    PUBLICATION_RETRIES = 3
    #: Steps in a row without a new bar before the env warns (once per such run). A lone missing
    #: minute is normal in a thin market (Alpaca's crypto minutes have no bar without a trade): INFO.
    STALE_WARN_AFTER = 3

    def __init__(
        self,
        *,
        trader: Trader,
        feed: Feed,
        clock: EnvClock,
        actions: StandardActions | SLTPActions,
        time_frames: Sequence[TimeFrame],
        window_sizes: Sequence[int],
        execute_on: TimeFrame,
        client_ids: Any,
        feature_preprocessing_fn: FeatureFn | None = None,
        include_base_features: bool = False,
        reward_fn: RewardFn | None = None,
        done_on_bankruptcy: bool = True,
        bankrupt_threshold: float = 0.1,
        close_position_on_reset: bool = False,
        max_steps: int | None = None,
        seed: int | None = None,
        outage_policy: OutagePolicy | str = OutagePolicy.HOLD,
        outage_rounds: int = 3,
        partial_fill_policy: PartialFillPolicy | str = PartialFillPolicy.RESEND,
        stale_read_rereads: int = 2,
        max_contradiction_steps: int = 10,
        sleep: Callable[[float], None] | None = None,
        reread_backoff_s: float = 0.25,
        initial_cash: float | None = None,
        max_position_size: float | None = None,
        funding_interval_ms: int = 8 * 3_600_000,
        schedule: BarSchedule | None = None,
        max_drawdown: float | None = None,
        max_orders_per_minute: int | None = None,
        journal: str | os.PathLike[str] | None = None,
        monitor: Monitor | None = None,
    ) -> None:
        super().__init__(device="cpu", batch_size=torch.Size([]))
        self._monitor = monitor or Monitor()
        self._journal: Journal | None = None
        self._resumed = False  # the first reset continues the journaled episode
        self.trader = trader
        self.feed = feed
        self.clock = clock
        self.actions = actions
        self.time_frames = tuple(time_frames)
        self.window_sizes = tuple(window_sizes)
        self.execute_on = execute_on
        self.schedule: BarSchedule = schedule or EveryBar(execute_on)
        self.client_ids = client_ids
        self.reward_fn = reward_fn or log_return
        self.done_on_bankruptcy = done_on_bankruptcy
        self.bankrupt_threshold = bankrupt_threshold
        self.close_position_on_reset = close_position_on_reset
        self.max_steps = max_steps
        self.partial_fill_policy = PartialFillPolicy(partial_fill_policy)
        self._builders = {
            tf: FeatureBuilder(w, feature_preprocessing_fn, include_base_features)
            for tf, w in zip(self.time_frames, self.window_sizes, strict=True)
        }
        self.episode = 0
        self.step_count = 0
        self.position: PositionState = FLAT
        self.balance = BalanceState(0.0, 0.0)
        self.holding_time = 0
        self.metrics = EpisodeMetrics()
        self.last_info: dict[str, Any] = {}
        self._next_close = 0
        self._stale_steps = 0  # steps in a row that found no new bar
        self._our_orders: set[str] = set()
        self._brackets_live = False  # separate bracket legs of ours may be on the venue
        self._must_flatten = False  # a bracket leg failed and so did the close
        self._last_done = False  # the last step's (or reset's) done flag
        # (stop-loss, take-profit) the env enforces itself, and the close of the last bar checked
        self._client_levels: tuple[float | None, float | None] | None = None
        self._levels_checked_ms = 0
        # (position before, evidence) of an order whose step could not read the venue afterwards
        self._unsettled: tuple[PositionState, Evidence] | None = None
        self._guard = OutageGuard(OutagePolicy(outage_policy), outage_rounds, self._bar_due)
        self._reconciler = Reconciler(
            rereads=stale_read_rereads,
            max_steps=max_contradiction_steps,
            sleep=sleep or getattr(getattr(trader, "retrier", None), "sleep", None) or _no_sleep,
            backoff_s=reread_backoff_s,
            brackets=isinstance(actions, SLTPActions),
            slack=float(getattr(trader, "size_slack", 0.0)),
        )
        self.initial_cash = initial_cash
        self.max_position_size = max_position_size
        self._own = OwnLedger()
        self._funding_interval_ms = funding_interval_ms
        self._rng = torch.Generator()
        bind = getattr(clock, "bind", None)
        if callable(bind):
            bind(getattr(trader, "market", {}).get("id"))
        # Fills are read from the env's creation on: older ones belong to earlier runs or other clients.
        self._fills_from = clock.now_ms()
        self._last_fill_ms: int | None = None
        self._funding_from = self._fills_from
        self._next_funding = self._funding_time_after(self._fills_from)
        # Warm up: a first read of the market sizes the observation (specs are built in __init__).
        self.feed.prime(self._fills_from)
        if self.feed.candles(self.execute_on).empty:
            raise VenueError(f"the venue returned no closed {self.execute_on} candle: nothing to observe")
        self._refresh_account()
        self.risk = RiskGuard(
            max_drawdown, max_orders_per_minute, start_value=self.portfolio_value, symbol=trader.symbol
        )
        if not trader.attached_brackets and not self.position.is_open:
            # Conditional orders left for a flat position (a crashed predecessor): never let them fire.
            orphans: dict[str, Any] = {}
            self._cancel_leftover_brackets(orphans)
            if orphans:
                logger.warning(
                    "cancelled %d conditional order(s) left for a flat %s",
                    orphans["brackets_cancelled"],
                    trader.symbol,
                )
            self.last_info = {"orphans_cancelled": orphans.get("brackets_cancelled", 0)}
        if journal is not None:
            self._journal = Journal(journal)
            self.trader = JournaledTrader(trader, self._journal)  # orders are journaled from now on
            self._resumed = self._journal.attach(self)
        self._make_specs()
        if seed is not None:
            self.set_seed(seed)

    def __setattr__(self, name: str, value: Any) -> None:
        # The per-step state is plain Python values: set it as a plain object does, past nn.Module's and
        # EnvBase's checks for parameters, modules, buffers and specs (5% of a step in-process).
        if name in _PLAIN_STATE:
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    # ------------------------------------------------------------------ specs

    def obs_key(self, tf: TimeFrame, window: int) -> str:
        return f"market_data_{tf.key}_{window}"

    def _make_specs(self) -> None:
        #: (timeframe, observation key) of every window, in the specs' order
        self._obs_keys = [
            (tf, self.obs_key(tf, w)) for tf, w in zip(self.time_frames, self.window_sizes, strict=True)
        ]
        market = {}
        for tf, key in self._obs_keys:
            features = self._builders[tf].build(self.feed.candles(tf))
            market[key] = Unbounded(shape=features.shape, dtype=torch.float32)
        self.observation_spec = Composite(
            **market, account_state=Unbounded(shape=(10,), dtype=torch.float32), shape=()
        )
        self.action_spec = Categorical(n=self.actions.n, shape=(), dtype=torch.int64)
        self.reward_spec = Unbounded(shape=(1,), dtype=torch.float32)
        self.done_spec = Composite(
            done=Categorical(n=2, shape=(1,), dtype=torch.bool),
            terminated=Categorical(n=2, shape=(1,), dtype=torch.bool),
            truncated=Categorical(n=2, shape=(1,), dtype=torch.bool),
            shape=(),
        )

    @property
    def action_map(self) -> Mapping[int, Any]:
        return self.actions.action_map

    @property
    def outage_policy(self) -> OutagePolicy:
        return self._guard.policy

    def _set_seed(self, seed: int | None) -> None:
        if seed is not None:
            self._rng.manual_seed(seed)
            if self.on_seed is not None:
                self.on_seed(seed)

    def rand_action(self, tensordict: TensorDictBase | None = None) -> TensorDictBase:
        action = torch.randint(self.actions.n, (), generator=self._rng)
        td = tensordict if tensordict is not None else TensorDict({}, self.batch_size, device=self.device)
        if type(td) is TensorDict and td.batch_size == self.batch_size and td.device == self.device:
            # A scalar int64 made just now on the env's device: nothing for ``set`` to check.
            return td._set_str("action", action, validated=True, inplace=False)
        return td.set("action", action)

    # ------------------------------------------------------------------ observation

    def _last_close(self) -> float:
        """Close of the last closed ``execute_on`` bar: the price the env acts on."""
        fast = getattr(self.feed, "last_close", None)  # a feed that holds it at hand (in-process replay)
        if fast is not None:
            return float(fast())
        return float(self.feed.candles(self.execute_on)["close"].iloc[-1])

    def _market_window(self, tf: TimeFrame) -> np.ndarray:
        """The observation window of ``tf``; a feed may build it itself (the in-process replay's arrays,
        see :mod:`torchtrade.envs.replay.arrays`), else the builder does from its candles."""
        fast = getattr(self.feed, "window", None)
        window = fast(tf, self._builders[tf]) if fast is not None else None
        return window if window is not None else self._builders[tf].build(self.feed.candles(tf))

    def _observation(self, extra: dict[str, torch.Tensor]) -> TensorDict:
        """The observation, with ``extra`` (reward, done flags) in the same TensorDict."""
        obs: dict[str, torch.Tensor] = {}
        for tf, key in self._obs_keys:
            obs[key] = torch.from_numpy(self._market_window(tf))
        price = self._last_close()
        obs["account_state"] = torch.from_numpy(
            account_state(self.position, self.balance, price, self.holding_time)
        )
        obs.update(extra)
        # Built unchecked (every value is a CPU tensor of its spec's shape and dtype, made just now) and on
        # the env's device: TorchRL then neither casts the step's input nor its "next".
        return TensorDict._new_unsafe(obs, batch_size=self.batch_size, device=self.device)

    @property
    def client_levels(self) -> tuple[float | None, float | None] | None:
        """(stop-loss, take-profit) prices the env enforces itself for its open position (client-side
        brackets, see the class docstring); None when it enforces none."""
        return self._client_levels

    @property
    def portfolio_value(self) -> float:
        """The account's equity, or with ``initial_cash`` the env's own budget plus its own results."""
        if self.initial_cash is None:
            return self.balance.total
        return self.initial_cash + self._own.total + self.position.unrealized_pnl

    def _sizing_balance(self) -> float:
        """What an entry may margin: the free balance, and no more than the env's own value."""
        if self.initial_cash is None:
            return self.balance.free
        return max(min(self.balance.free, self.portfolio_value), 0.0)

    # ------------------------------------------------------------------ account

    def _refresh_account(self) -> None:
        self.position = self.trader.position()
        self.balance = self.trader.balance()
        if not self.position.is_open:
            self._client_levels = None

    def _read_fills(self, info: dict[str, Any]) -> list[FillInfo]:
        """Fills since the last ones seen; new ones are counted and reported in ``info["fills"]``."""
        since = self._last_fill_ms if self._last_fill_ms is not None else self._fills_from
        new = self.metrics.record_fills(self.trader.fills_since(since))
        if new:
            self._last_fill_ms = max(f.timestamp for f in new)
            info["fills"].extend(f.as_dict() for f in new)
            self._own.record_fills(new)
            self._monitor.fills(self, new)
        return new

    def _cancel_leftover_brackets(self, info: dict[str, Any]) -> None:
        """Separate bracket legs outlive their position on some venues: when one leg closed it (or
        anything else did), cancel what is left, so that it can never fire on a later position."""
        left = self.trader.open_brackets()
        if left:
            logger.info(
                "cancelling %d conditional order(s) left for a flat %s", len(left), self.trader.symbol
            )
            self.trader.cancel_brackets()
            info["brackets_cancelled"] = len(left)
        self._brackets_live = False

    def _funding_time_after(self, t_ms: int) -> int:
        return (t_ms // self._funding_interval_ms + 1) * self._funding_interval_ms

    def _read_funding(self, before: PositionState, info: dict[str, Any]) -> None:
        """Funding of the symbol, read once a funding time has passed with a position held (one request
        then; none on any other step). It is in ``info["funding"]``, the metrics and, with
        ``initial_cash``, the portfolio value (the account's equity has it anyway)."""
        now = self.clock.now_ms()
        if now < self._next_funding:
            return
        if before.is_open or self.position.is_open:
            for payment in self._own.record_funding(self.trader.funding_since(self._funding_from)):
                info["funding"].append(payment.as_dict())
                self.metrics.funding += payment.amount
                self._funding_from = max(self._funding_from, payment.timestamp + 1)
        self._next_funding = self._funding_time_after(now)

    def _bar_due(self) -> bool:
        """The next bar is due: a failing phase stops being retried (see :class:`OutageGuard`)."""
        return self.clock.now_ms() >= self._next_close

    # ------------------------------------------------------------------ TorchRL

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs: Any) -> TensorDictBase:
        return self._boundary(lambda: self._monitor.reset(self, self._reset_inner))

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        action = self._check_action(tensordict.get("action"))
        return self._boundary(lambda: self._monitor.step(self, lambda: self._step_inner(action)))

    def _lean_step_done(self) -> bool:
        return self._last_done

    def _step_proc_data(self, next_tensordict_out: TensorDictBase) -> TensorDictBase:
        # ``_step`` returns every key of the specs at its shape and dtype (reward (1,) float32; done,
        # terminated, truncated (1,) bool): TorchRL has nothing to reshape or complete (6% of a step).
        if self.run_type_checks:
            return super()._step_proc_data(next_tensordict_out)
        return next_tensordict_out

    @staticmethod
    def _boundary(fn: Callable[[], T]) -> T:
        """Only torchtrade errors leave the env; anything else is a bug, chained in an InternalError."""
        try:
            return fn()
        except TorchTradeError:
            raise
        except Exception as e:
            raise InternalError(f"unexpected {type(e).__name__} inside the env: {e}") from e

    def _reset_inner(self) -> TensorDictBase:
        if self.before_reset is not None:
            self.before_reset()
        info = self._new_info()
        self._guard.down = False

        def read() -> None:
            now = self.clock.now_ms()
            if self.episode > 0 or self.step_count > 0:
                self.feed.update(now)
            self._next_close = self.schedule.next_close(now)
            self._stale_steps = 0
            before, pending = self._unsettled or (self.position, None)
            self._settle(before, pending, info)  # a position that changed meanwhile is reported
            self._unsettled = None
            if not self.trader.attached_brackets and not self.position.is_open and not before.is_open:
                self._cancel_leftover_brackets(info)  # orphans of a crashed run, or of someone else

        resumed, self._resumed = self._resumed, False
        if not resumed:
            self.episode += 1
            self.step_count = 0
        ok, _ = self._guard.run("resetting", read, info)
        if ok and self.close_position_on_reset and self.position.is_open and not resumed:
            before = self.position
            outcome = self._close(leg="reset", info=info)
            fresh = self._evidence_of(outcome)
            self._guard.run("resetting", lambda: self._after_reset_close(before, fresh, info), info)
        self.holding_time = 0 if not self.position.is_open else self.holding_time
        if not resumed:
            self.metrics = EpisodeMetrics(seen_fill_ids=self.metrics.seen_fill_ids)
            if ok:
                self.metrics.record_value(self.feed.last_closed_ms or 0, self.portfolio_value)
        self._finish_info(info)
        if self._journal is not None:
            self._journal.record(self, info, None, row=not resumed)
        return self._observation(self._done_td(False, False))

    def _after_reset_close(self, before: PositionState, fresh: Evidence | None, info: dict[str, Any]) -> None:
        self.trader.cancel_brackets()
        self._settle(before, fresh, info)

    def _step_inner(self, action: int) -> TensorDictBase:
        if self._resumed:
            self._resumed = False
        info = self._new_info()
        before = self.position
        previous_value = self.portfolio_value
        target = self._next_close
        # This step owns one bar, whatever happens in it: the next step is the next bar (in a session).
        self._next_close = self.schedule.next_close(target)

        fresh = self._act(action, info)
        _, observed = self._observe(target, before, fresh, info)
        if observed and self._client_levels is not None:
            self._guard.run(
                "enforcing the stop-loss and take-profit", lambda: self._enforce_levels(info), info
            )
        if observed:
            enforce_drawdown(self, info)
        if not observed and fresh is not None:
            # The order landed but the venue could not be read after it: its evidence waits for the
            # next read (a stale one must not make the env enter again), and meanwhile it is the
            # best knowledge of the position.
            self._unsettled = (before, fresh)
            self.position = fresh.expected

        self.step_count += 1
        value = self.portfolio_value  # settled: it does not change again in this step
        if observed:
            if not self.position.is_open:
                self.holding_time = 0
            elif before.is_open and self.position.side == before.side:
                self.holding_time += 1
            else:
                self.holding_time = 1
            self.metrics.record_value(self.feed.last_closed_ms or 0, value)
        reward = float(self.reward_fn(previous_value, value, info)) if observed else 0.0
        terminated = bool(
            observed
            and self.done_on_bankruptcy
            and self.metrics.initial_value > 0
            and value < self.bankrupt_threshold * self.metrics.initial_value
        )
        truncated = bool(self.max_steps is not None and self.step_count >= self.max_steps)
        if info.get("data_exhausted"):
            if observed:
                truncated = True
            else:  # the account could not be read: the next step ends the episode
                del info["data_exhausted"]
        info["terminated"], info["truncated"] = terminated, truncated
        self._finish_info(info)
        if self._journal is not None:
            self._journal.record(self, info, reward)
        done = self._done_td(terminated, truncated)
        return self._observation({"reward": _REWARD.new_full((1,), reward), **done})

    def _exhausted(self, info: dict[str, Any]) -> bool:
        ok, exhausted = self._guard.run(
            "asking whether the market data has ended", lambda: self.clock.exhausted, info
        )
        return bool(ok and exhausted)

    def _done_td(self, terminated: bool, truncated: bool) -> dict[str, torch.Tensor]:
        self._last_done = terminated or truncated  # what the step's "done" says (see LeanStepAndReset)
        return {
            "done": _flag(terminated or truncated),
            "terminated": _flag(terminated),
            "truncated": _flag(truncated),
        }

    # ------------------------------------------------------------------ a step's phases

    def _act(self, action: int, info: dict[str, Any]) -> Evidence | None:
        """Place this step's orders; returns the evidence of what an accepted order changed."""
        if self._guard.down:
            # The last step could not read the venue: never act on what it could not confirm.
            before, pending = self._unsettled or (self.position, None)
            ok, _ = self._guard.run("reading the account", lambda: self._settle(before, pending, info), info)
            if not ok:
                return None
            self._guard.down = False
            self._unsettled = None
            if self.outage_policy is OutagePolicy.FLATTEN and self.position.is_open:
                logger.warning(
                    "the venue answers again: flattening %s (outage_policy=flatten)", self.trader.symbol
                )
                outcome = self._close(leg="outage", info=info)
                info["outage_flatten"] = outcome.as_dict()
                self.trader.cancel_brackets()
                return self._evidence_of(outcome)
        if self._must_flatten and self.position.is_open:
            # A bracket leg could not be placed and neither could the close: never leave it unprotected.
            outcome = self._close(leg="protect", info=info)
            self._must_flatten = not outcome.accepted
            return self._evidence_of(outcome)
        intent = self.actions.decide(action, self.position)
        if intent.kind == "open" and self._reconciler.contradicted:
            logger.info("entry held: the venue's position read still contradicts our last order")
            info["reconciliation"] = {
                "status": "entry_held",
                "why": "the position read contradicts our fills",
            }
            intent = HOLD
        if intent.kind == "hold":
            return None
        if intent.kind == "close":
            outcome = self._close(leg="close", info=info)
            return self._evidence_of(outcome)
        bracketed = isinstance(self.actions, SLTPActions)
        refusal = self.risk.entry_refusal(self.clock.now_ms(), orders_for_entry(self.trader, bracketed))
        if refusal is not None:
            info["risk"] = refusal.as_dict()  # a risk limit holds the step: nothing is sent
            return None
        if self._journal is not None:  # the entry's levels, for a restart that must protect it
            self._journal.intend(bracket_prices(intent, self._last_close()))
        entry = execute_entry(
            self.trader,
            intent,
            price=self._last_close(),
            free_balance=self._sizing_balance(),
            max_value=self.max_position_size * self.portfolio_value if self.max_position_size else None,
            client_oid=self._client_oid(f"open{intent.side[0]}"),  # type: ignore[index]
            policy=self.partial_fill_policy,
            read_fills=lambda: self._read_fills(info),
        )
        for outcome in entry.outcomes:
            info["orders"].append(outcome.as_dict())
            self._track(outcome)
        info["partial_fills"].extend(entry.partial_fills)
        self._brackets_live = self._brackets_live or entry.brackets
        if entry.client_levels is not None:
            self._client_levels = entry.client_levels
            self._levels_checked_ms = self.feed.last_closed_ms or 0
        self._must_flatten = entry.unprotected
        if entry.bracket_failure is not None:
            info["bracket_failure"] = entry.bracket_failure
            close = entry.outcomes[-1]
            return self._evidence_of(close) if close.accepted else None
        return self._entry_evidence(intent, entry)

    def _observe(
        self, target: int, before: PositionState, fresh: Evidence | None, info: dict[str, Any]
    ) -> tuple[int, bool]:
        """Wait for the bar, read candles and the account, settle the position.

        Returns ``(new bars, observed)``; ``observed`` is False when the venue could not be read.
        """
        # Wait for the next bar close on the clock, not "last bar seen + one bar": a minute without any
        # trade has no bar, and the env must still move on by one bar of time.
        ok, _ = self._guard.run(
            "waiting for the next bar",
            lambda: self._monitor.wait(lambda: self.clock.wait_until(target)),
            info,
        )
        if not ok:
            return 0, False
        ok, new_bars = self._guard.run("reading candles", self._update_feed, info)
        if not ok:
            return 0, False
        if new_bars == 0 and not self._exhausted(info):
            info["stale_market_data"] = True
            self._stale_steps += 1
            if self._stale_steps == self.STALE_WARN_AFTER:
                logger.warning(
                    "no new %s bar for %d steps in a row (the last wait was for %d)",
                    self.execute_on,
                    self._stale_steps,
                    target,
                )
            else:
                logger.info("no new %s bar after waiting for %d", self.execute_on, target)
        elif new_bars == 0:
            info["data_exhausted"] = True  # the replay ran out: the step truncates (not a stale feed)
        else:
            self._stale_steps = 0
        ok, _ = self._guard.run("reading the account", lambda: self._settle(before, fresh, info), info)
        if not ok:
            return int(new_bars or 0), False
        return int(new_bars or 0), True

    def _update_feed(self) -> int:
        new_bars = self.feed.update(self.clock.now_ms())
        for _ in range(self.PUBLICATION_RETRIES):
            # A venue may publish a closed bar a little late: ask again, briefly, before calling it stale.
            if new_bars or not self.clock.wait_for_publication():
                break
            new_bars = self.feed.update(self.clock.now_ms())
        now = self.clock.now_ms()
        self._next_close = max(self._next_close, self.schedule.next_close(now))
        return new_bars

    def _settle(self, before: PositionState, fresh: Evidence | None, info: dict[str, Any]) -> None:
        read = self.trader.position()
        self.balance = self.trader.balance()
        settled = self._reconciler.settle(
            before=before,
            read=read,
            fresh=fresh,
            probes=Probes(
                fills=lambda: self._read_fills(info),
                reread=self.trader.position,
                order_exists=self._order_exists,
                ours=self._our_orders,
            ),
        )
        self.position = settled.position
        if not self.position.is_open:
            self._client_levels = None
        # Only an env with brackets can leave legs behind when its position closes.
        brackets = self._brackets_live or (before.is_open and isinstance(self.actions, SLTPActions))
        if brackets and not self.position.is_open and not self.trader.attached_brackets:
            self._cancel_leftover_brackets(info)
        self._read_funding(before, info)
        if settled.note is not None:
            info["reconciliation"] = settled.note
        if settled.unconfirmed and fresh is not None:
            # The close-position call found nothing to close, and no fill shows an earlier attempt did.
            for order in info["orders"]:
                if order["client_oid"] == fresh.decision_oid:
                    order.update(status="skipped", reason="No position to close (it was gone already)")
        if fresh is not None and not self._fills_read_for(fresh, info):
            # A close (or an entry whose fills were not read yet): its fills are in the next read.
            self._read_fills(info)

    def _fills_read_for(self, fresh: Evidence, info: dict[str, Any]) -> bool:
        return any(f["order_id"] in (fresh.order_id or "").split(",") for f in info["fills"])

    def _order_exists(self, ev: Evidence) -> bool:
        """Whether the venue still knows the order behind ``ev`` (True when it cannot be asked)."""
        if ev.client_oid:
            return self.trader.find_order(ev.client_oid) is not None
        if ev.order_id:
            try:
                self.trader.order_state(ev.order_id.split(",")[0])
            except VenueError as e:
                if isinstance(e, TransientVenueError):
                    raise
                return False
        return True

    def _enforce_levels(self, info: dict[str, Any]) -> None:
        """Close the position when a bar since the last check reached the env's own SL or TP."""
        levels, position = self._client_levels, self.position
        if levels is None or not position.is_open or position.side is None:
            return
        fired = crossed_level(
            self.feed.candles(self.execute_on),
            self._levels_checked_ms,
            self.execute_on,
            position.side,
            levels,
        )
        self._levels_checked_ms = self.feed.last_closed_ms or self._levels_checked_ms
        if fired is None:
            return
        kind, level, bar_ms = fired
        logger.info(
            "%s of %s reached by the bar of %d (level %g): closing", kind, self.trader.symbol, bar_ms, level
        )
        outcome = self._close(leg="sl" if kind == "stop_loss" else "tp", info=info)
        info["client_bracket"] = {"kind": kind, "level": level, "bar": bar_ms, "status": outcome.status}
        self._settle(position, self._evidence_of(outcome), info)

    # ------------------------------------------------------------------ acting

    def _check_action(self, action: Any) -> int:
        if type(action) is torch.Tensor and action.dtype is torch.int64 and not action.dim():
            value = int(action)  # the usual action: a scalar int64 (a policy's, rand_action's)
            if 0 <= value < self.actions.n:
                return value
        if not isinstance(action, torch.Tensor):
            raise InvalidAction(f"action must be an integer tensor, got {type(action).__name__}")
        if action.dtype.is_floating_point or action.dtype.is_complex or action.dtype == torch.bool:
            raise InvalidAction(f"action must have an integer dtype, got {action.dtype}")
        if action.numel() != 1:
            raise InvalidAction(
                f"action must be a single index in [0, {self.actions.n}), got shape {tuple(action.shape)}"
            )
        value = int(action.item())
        if not 0 <= value < self.actions.n:
            raise InvalidAction(f"action {value} is out of range: valid actions are 0..{self.actions.n - 1}")
        return value

    def _client_oid(self, leg: str) -> str:
        return self.client_ids.make(self.episode, self.step_count, leg)

    def _close(self, leg: str, info: dict[str, Any]) -> OrderOutcome:
        """Close the position: the order(s) go into ``info["orders"]``; a close that filled only in
        part is completed at once (see :func:`~torchtrade.envs.core.execution.complete_close`).
        Returns the outcome whose evidence stands for the close (the resend's, if one was sent)."""
        before = self.position
        outcome = self.trader.close(before, client_oid=self._client_oid(leg))
        info["orders"].append(outcome.as_dict())
        self._track(outcome)
        again, note = complete_close(self.trader, before, outcome, lambda: self._read_fills(info))
        if note is not None:
            info["partial_fills"].append(note)
        if again is None:
            return outcome
        info["orders"].append(again.as_dict())
        self._track(again)
        return again if again.accepted else outcome

    def _track(self, outcome: OrderOutcome) -> None:
        self.risk.record_order(outcome, self.clock.now_ms())
        if outcome.order_id:
            self._our_orders.update(outcome.order_id.split(","))

    def _evidence_of(self, outcome: OrderOutcome) -> Evidence | None:
        """What an accepted close proves: the symbol is flat.

        The evidence is looked up later by the id the venue knows: the client id of a close order, or
        the order id of a close through the venue's close-position call (which takes no client id).
        A close the venue answered with "nothing to close" proves nothing: the position the env
        believed in is gone, and the reconciler reports it unless a fill explains it.
        """
        if not outcome.accepted:
            return None
        legs = outcome.extra.get("legs") or [outcome.as_dict()]
        via_call = all(leg.get("extra", {}).get("via") == "close_position" for leg in legs) or (
            outcome.extra.get("via") == "close_position"
        )
        unconfirmed = any(leg.get("extra", {}).get("unconfirmed") for leg in legs) or bool(
            outcome.extra.get("unconfirmed")
        )
        return Evidence(
            FLAT,
            "" if via_call else outcome.client_oid,
            outcome.order_id,
            confirm_by_fill=unconfirmed,
            decision_oid=outcome.client_oid,
        )

    def _entry_evidence(self, intent: Intent, entry: Entry) -> Evidence | None:
        """What an accepted entry proves: the position it opened, of the size that filled."""
        if entry.filled <= 0:
            return None
        first = entry.outcomes[0]
        expected = PositionState.single(
            intent.side,  # type: ignore[arg-type]
            entry.filled,
            entry_price=entry.average or self._last_close(),
            leverage=float(getattr(self.trader, "leverage", 0.0) or 0.0),
        )
        return Evidence(expected, first.client_oid, first.order_id)

    # ------------------------------------------------------------------ info

    def _new_info(self) -> dict[str, Any]:
        # Every venue request goes through the trader (the feed fetches candles through it too).
        self._calls_before = self.trader.calls
        self._retries_before = self.trader.retries
        return {"orders": [], "fills": [], "rejections": [], "partial_fills": [], "funding": []}

    def _finish_info(self, info: dict[str, Any]) -> None:
        info["rejections"] = [o for o in info["orders"] if o["status"] in ("rejected", "unknown")]
        info.update(
            position=self.position.signed_size,
            side=self.position.side,
            legs=self.position.legs_info(),
            entry_price=self.position.entry_price,
            unrealized_pnl=self.position.unrealized_pnl,
            portfolio_value=self.portfolio_value,
            retries=self.trader.retries - self._retries_before,
            requests=self.trader.calls - self._calls_before,
            step=self.step_count,
            episode=self.episode,
        )
        self.last_info = info
        self._monitor.info(self, info)

    # ------------------------------------------------------------------ gym-style and public methods

    def step(self, tensordict: Any) -> Any:  # type: ignore[override]
        """TorchRL ``step(td) -> td``, or gym-style ``step(action) -> (obs, reward, done, info)``."""
        if isinstance(tensordict, TensorDictBase):
            return super().step(tensordict)
        action = _as_action_tensor(tensordict)
        out = super().step(TensorDict({"action": action}, batch_size=self.batch_size))
        nxt = out.get("next")
        obs = nxt.select(*self.observation_spec.keys())
        return obs, float(nxt.get("reward").item()), bool(nxt.get("done").item()), dict(self.last_info)

    def close_all_positions(self) -> OrderOutcome:
        """Close every leg of the symbol and cancel its brackets (``close()`` never does this on its own).

        Its order, fills and the position after it are ``env.last_info`` then, as a step's are (a
        :class:`~torchtrade.reports.RunRecorder` records them like a step)."""

        def flatten() -> OrderOutcome:
            info = self._new_info()
            self._refresh_account()
            outcome = self._close(leg=f"closeall{self.trader.calls}", info=info)
            self.trader.cancel_brackets()
            self._refresh_account()
            if outcome.accepted:
                self._read_fills(info)
            self._finish_info(info)
            if self._journal is not None:
                self._journal.record(self, info, None)
            return outcome

        return self._boundary(flatten)

    def kill(self) -> dict[str, Any]:
        """Cancel every order and trigger of the symbol and close every leg, once; then refuse to open.

        After it every step holds (an entry is refused, ``info["risk"]`` says so). A second call after
        a complete kill sends nothing and returns ``{"status": "already_killed"}``; after an incomplete
        one (``"status": "incomplete"``: the venue did not answer, a leg or an order is left) it tries
        again. Returns the summary (``complete``, ``cancelled``, ``closes``, ``errors``...), also in
        ``env.last_info["kill"]``. See :mod:`torchtrade.envs.core.kill`; for SIGINT/SIGTERM,
        :func:`torchtrade.envs.kill_switch`.
        """
        return self._boundary(lambda: kill(self))

    def sync_positions(self) -> dict[str, Any]:
        """Re-read the venue's position and balance now."""
        self._boundary(self._refresh_account)
        return {
            "position": self.position.signed_size,
            "side": self.position.side,
            "legs": self.position.legs_info(),
            "entry_price": self.position.entry_price,
            "portfolio_value": self.portfolio_value,
        }

    def get_metrics(self) -> dict[str, Any]:
        """Episode summary: portfolio_value (now), total_return and max_drawdown (to it), sharpe, sortino,
        calmar, realized_pnl, fees, funding, trades, win_rate, num_positions (see
        :mod:`torchtrade.reports.metrics` for the definitions and the annualisation)."""
        summary = self.metrics.summary(self.portfolio_value, run_periods_per_year(self))
        summary["num_positions"] = len([leg for leg in self.position.legs if leg.size > 0])
        return summary

    def close(self, *, raise_if_closed: bool = True) -> None:
        """Close the env and its journal (the venue's position stays: ``close()`` never flattens)."""
        journal = self.__dict__.get("_journal")  # absent when __init__ failed early
        if journal is not None:
            journal.close()
        super().close(raise_if_closed=raise_if_closed)

    def is_connected(self) -> bool:
        try:
            self.trader.fetch_time()
        except Exception:  # any failure to reach the venue means "not connected"
            return False
        return True


# Templates only: every flag and reward is a new tensor of its own (``new_*`` of a template is
# cheaper than torch.zeros/ones/full).
_BOOL = torch.zeros(1, dtype=torch.bool)
_REWARD = torch.zeros(1, dtype=torch.float32)


def _flag(value: bool) -> torch.Tensor:
    """A new (1,) bool tensor (half the cost of torch.zeros/ones, a sixth of torch.tensor([value]))."""
    return _BOOL.new_ones(1) if value else _BOOL.new_zeros(1)


def _no_sleep(seconds: float) -> None:
    return None


def crossed_level(
    candles: Any,
    after_ms: int,
    tf: TimeFrame,
    side: str,
    levels: tuple[float | None, float | None],
) -> tuple[str, float, int] | None:
    """The first bar closed after ``after_ms`` that reached a level: ``(kind, level, bar open ms)``.

    ``levels`` is ``(stop_loss, take_profit)`` in prices; a long's stop is reached by a low at or
    below it, its take-profit by a high at or above it (mirrored for a short). A bar that reached
    both counts as the stop-loss (the adverse one first, as the emulator's engine fills them).
    """
    stop, take = levels
    for ts, bar in candles.iterrows():
        open_ms = int(ts.value // 1_000_000)
        if open_ms + tf.ms <= after_ms:
            continue
        low, high = float(bar["low"]), float(bar["high"])
        hit_stop = stop is not None and (low <= stop if side == "long" else high >= stop)
        hit_take = take is not None and (high >= take if side == "long" else low <= take)
        if hit_stop:
            return "stop_loss", float(stop), open_ms  # type: ignore[arg-type]
        if hit_take:
            return "take_profit", float(take), open_ms  # type: ignore[arg-type]
    return None


def _as_action_tensor(action: Any) -> torch.Tensor:
    """A plain action (int, numpy scalar or array, tensor) as the scalar tensor the specs expect."""
    if isinstance(action, bool):
        raise InvalidAction("action must be an integer, got bool")
    if isinstance(action, int):
        return torch.tensor(action, dtype=torch.int64)
    if isinstance(action, np.ndarray | np.generic):
        action = torch.from_numpy(np.asarray(action))
    if isinstance(action, torch.Tensor):
        if action.numel() == 1:
            return action.reshape(())
        return action
    raise InvalidAction(f"action must be an int, a numpy integer or a tensor, got {type(action).__name__}")
