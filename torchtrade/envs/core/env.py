"""``LiveTradingEnv``: a TorchRL ``EnvBase`` that trades on a venue, knowing nothing of which one.

A step: act on the action (orders through the trader), wait for the next ``execute_on`` bar to close
(through the clock), observe (new candles, the venue's position and balance: three requests when
nothing happened), reward (log return of portfolio value by default), and decide ``done``.

Specs are built in ``__init__`` from a first read of the market, as TorchRL expects, and
``check_env_specs`` holds. Besides TensorDicts, ``step`` takes a plain action (int, numpy, tensor) and
then answers gym-style: ``obs, reward, done, info = env.step(2)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

from ...errors import VenueError
from ...timeframes import TimeFrame
from .account import (
    FLAT,
    BalanceState,
    FillInfo,
    OrderOutcome,
    PositionState,
    account_state,
)
from .actions import Intent, SLTPActions, StandardActions
from .clock import EnvClock
from .metrics import EpisodeMetrics
from .observation import FeatureBuilder, FeatureFn
from .reward import RewardFn, log_return

logger = logging.getLogger(__name__)


class Trader(Protocol):
    """What the env needs from a venue (see :class:`~torchtrade.envs.live.shared.trader.FuturesTrader`)."""

    calls: int
    retries: int

    def position(self) -> PositionState: ...
    def balance(self) -> BalanceState: ...
    def fills_since(self, since_ms: int) -> list[FillInfo]: ...
    def open(
        self,
        side: str,
        price: float,
        *,
        client_oid: str,
        free_balance: float | None = None,
        stop_loss: float | None = None,
        take_profit: float | None = None,
    ) -> OrderOutcome: ...
    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome: ...
    def cancel_brackets(self) -> None: ...
    def fetch_time(self) -> int: ...


class Feed(Protocol):
    """What the env needs from a candle feed (see :class:`~torchtrade.envs.live.shared.feed.CandleFeed`)."""

    requests: int
    last_closed_ms: int | None

    def prime(self, now_ms: int) -> None: ...
    def update(self, now_ms: int) -> int: ...
    def candles(self, tf: TimeFrame) -> Any: ...


class LiveTradingEnv(EnvBase):
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
    """

    batch_locked = True
    #: times a missing just-closed bar is asked for again (see EnvClock.wait_for_publication)
    PUBLICATION_RETRIES = 3

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
    ) -> None:
        super().__init__(device="cpu", batch_size=torch.Size([]))
        self.trader = trader
        self.feed = feed
        self.clock = clock
        self.actions = actions
        self.time_frames = tuple(time_frames)
        self.window_sizes = tuple(window_sizes)
        self.execute_on = execute_on
        self.client_ids = client_ids
        self.reward_fn = reward_fn or log_return
        self.done_on_bankruptcy = done_on_bankruptcy
        self.bankrupt_threshold = bankrupt_threshold
        self.close_position_on_reset = close_position_on_reset
        self.max_steps = max_steps
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
        # Fills are read from the env's creation on: older ones belong to earlier runs or other clients.
        self._fills_from = clock.now_ms()
        self._last_fill_ms: int | None = None
        self._rng = torch.Generator()
        bind = getattr(clock, "bind", None)
        if callable(bind):
            bind(getattr(trader, "market", {}).get("id"))
        # Warm up: a first read of the market sizes the observation (specs are built in __init__).
        self.feed.prime(self.clock.now_ms())
        if self.feed.candles(self.execute_on).empty:
            raise VenueError(f"the venue returned no closed {self.execute_on} candle: nothing to observe")
        self._refresh_account()
        self._make_specs()
        if seed is not None:
            self.set_seed(seed)

    # ------------------------------------------------------------------ specs

    def obs_key(self, tf: TimeFrame, window: int) -> str:
        return f"market_data_{tf.key}_{window}"

    def _make_specs(self) -> None:
        market = {}
        for tf, w in zip(self.time_frames, self.window_sizes, strict=True):
            features = self._builders[tf].build(self.feed.candles(tf))
            market[self.obs_key(tf, w)] = Unbounded(shape=features.shape, dtype=torch.float32)
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

    def _set_seed(self, seed: int | None) -> None:
        if seed is not None:
            self._rng.manual_seed(seed)

    def rand_action(self, tensordict: TensorDictBase | None = None) -> TensorDictBase:
        action = torch.randint(self.actions.n, (), generator=self._rng)
        td = tensordict if tensordict is not None else TensorDict({}, batch_size=self.batch_size)
        return td.set("action", action)

    # ------------------------------------------------------------------ observation

    def _last_close(self) -> float:
        """Close of the last closed ``execute_on`` bar: the price the env acts on."""
        return float(self.feed.candles(self.execute_on)["close"].iloc[-1])

    def _observation(self) -> TensorDict:
        obs: dict[str, torch.Tensor] = {}
        for tf, w in zip(self.time_frames, self.window_sizes, strict=True):
            obs[self.obs_key(tf, w)] = torch.from_numpy(self._builders[tf].build(self.feed.candles(tf)))
        price = self._last_close()
        obs["account_state"] = torch.from_numpy(
            account_state(self.position, self.balance, price, self.holding_time)
        )
        return TensorDict(obs, batch_size=self.batch_size)

    @property
    def portfolio_value(self) -> float:
        return self.balance.total

    # ------------------------------------------------------------------ account

    def _refresh_account(self) -> None:
        self.position = self.trader.position()
        self.balance = self.trader.balance()

    def _record_fills(self, info: dict[str, Any]) -> None:
        since = self._last_fill_ms if self._last_fill_ms is not None else self._fills_from
        new = self.metrics.record_fills(self.trader.fills_since(since))
        if new:
            self._last_fill_ms = max(f.timestamp for f in new)
            info["fills"].extend(f.as_dict() for f in new)

    # ------------------------------------------------------------------ TorchRL

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs: Any) -> TensorDictBase:
        now = self.clock.now_ms()
        if self.episode > 0 or self.step_count > 0:
            self.feed.update(now)
        self._next_close = self.execute_on.floor(now) + self.execute_on.ms
        self.episode += 1
        self.step_count = 0
        info = self._new_info()
        self._refresh_account()
        if self.close_position_on_reset and self.position.is_open:
            info["orders"].append(self._close(leg="reset").as_dict())
            self.trader.cancel_brackets()
            self._refresh_account()
        self.holding_time = 0
        self.metrics = EpisodeMetrics(seen_fill_ids=self.metrics.seen_fill_ids)
        self.metrics.record_value(self.feed.last_closed_ms or 0, self.portfolio_value)
        self._finish_info(info)
        out = self._observation()
        out.update(self._done_td(False, False))
        return out

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        action = self._check_action(tensordict.get("action"))
        info = self._new_info()
        before = self.position
        previous_value = self.portfolio_value
        intent = self.actions.decide(action, self.position)
        outcomes = self._execute(intent)
        info["orders"] = [o.as_dict() for o in outcomes]
        info["rejections"] = [o.as_dict() for o in outcomes if o.status in ("rejected", "unknown")]

        # Wait for the next bar close on the clock, not "last bar seen + one bar": a minute without any
        # trade has no bar, and the env must still move on by one bar of time.
        target = self._next_close
        self.clock.wait_until(target)
        new_bars = self.feed.update(self.clock.now_ms())
        for _ in range(self.PUBLICATION_RETRIES):
            # A venue may publish a closed bar a little late: ask again, briefly, before calling it stale.
            if new_bars or self.clock.exhausted or not self.clock.wait_for_publication():
                break
            new_bars = self.feed.update(self.clock.now_ms())
        if new_bars == 0:
            info["stale_market_data"] = True
            logger.warning("no new %s bar after waiting for %d", self.execute_on, target)
        self._next_close = max(target, self.execute_on.floor(self.clock.now_ms())) + self.execute_on.ms
        self._refresh_account()
        mismatch = self._reconcile(intent, outcomes)
        changed = (self.position.side, self.position.size) != (before.side, before.size)
        if changed or any(o.accepted for o in outcomes):
            # Only then can there be fills (ours, or the venue's: a bracket or a liquidation).
            self._record_fills(info)
        if mismatch:
            self._explain(mismatch, outcomes, info)
        self.step_count += 1
        if not self.position.is_open:
            self.holding_time = 0
        elif before.is_open and self.position.side == before.side:
            self.holding_time += 1
        else:
            self.holding_time = 1
        self.metrics.record_value(self.feed.last_closed_ms or 0, self.portfolio_value)

        reward = float(self.reward_fn(previous_value, self.portfolio_value, info))
        terminated = bool(
            self.done_on_bankruptcy
            and self.metrics.initial_value > 0
            and self.portfolio_value < self.bankrupt_threshold * self.metrics.initial_value
        )
        truncated = bool(
            (self.max_steps is not None and self.step_count >= self.max_steps)
            or (new_bars == 0 and self.clock.exhausted)
        )
        info["terminated"], info["truncated"] = terminated, truncated
        self._finish_info(info)
        out = self._observation()
        out.set("reward", torch.tensor([reward], dtype=torch.float32))
        out.update(self._done_td(terminated, truncated))
        return out

    def _done_td(self, terminated: bool, truncated: bool) -> dict[str, torch.Tensor]:
        return {
            "done": torch.tensor([terminated or truncated]),
            "terminated": torch.tensor([terminated]),
            "truncated": torch.tensor([truncated]),
        }

    # ------------------------------------------------------------------ acting

    def _check_action(self, action: Any) -> int:
        if not isinstance(action, torch.Tensor):
            raise TypeError(f"action must be an integer tensor, got {type(action).__name__}")
        if action.dtype.is_floating_point or action.dtype.is_complex or action.dtype == torch.bool:
            raise TypeError(f"action must have an integer dtype, got {action.dtype}")
        if action.numel() != 1:
            raise ValueError(
                f"action must be a single index in [0, {self.actions.n}), got shape {tuple(action.shape)}"
            )
        value = int(action.item())
        if not 0 <= value < self.actions.n:
            raise ValueError(f"action {value} is out of range: valid actions are 0..{self.actions.n - 1}")
        return value

    def _client_oid(self, leg: str) -> str:
        return self.client_ids.make(self.episode, self.step_count, leg)

    def _execute(self, intent: Intent) -> list[OrderOutcome]:
        if intent.kind == "hold":
            return []
        if intent.kind == "close":
            return [self._close(leg="close")]
        price = self._last_close()
        sl = tp = None
        if intent.stop_loss is not None and intent.take_profit is not None:
            sign = 1.0 if intent.side == "long" else -1.0
            sl = price * (1.0 + sign * intent.stop_loss)
            tp = price * (1.0 + sign * intent.take_profit)
        outcome = self.trader.open(
            intent.side,
            price,
            client_oid=self._client_oid(f"open{intent.side[0]}"),  # type: ignore[index,arg-type]
            free_balance=self.balance.free,
            stop_loss=sl,
            take_profit=tp,
        )
        return [outcome]

    def _close(self, leg: str) -> OrderOutcome:
        return self.trader.close(self.position, client_oid=self._client_oid(leg))

    def _reconcile(self, intent: Intent, outcomes: list[OrderOutcome]) -> dict[str, Any] | None:
        """The venue is the truth; a read that contradicts what we just did is read again once.

        After an accepted entry we expect a position on that side, after an accepted close a flat
        book. A replica that lags (a stale read) gives the old state: one re-read settles it. What is
        left after the re-read is returned for :meth:`_explain`.
        """
        accepted = [o for o in outcomes if o.accepted]
        if not accepted:
            return None
        expect_side = intent.side if intent.kind == "open" else None
        if self._matches(expect_side):
            return None
        logger.info(
            "position read %s disagrees with %s; reading again",
            self.position.side or "flat",
            accepted[0].action,
        )
        self._refresh_account()
        if self._matches(expect_side):
            return None
        return {
            "expected": expect_side or "flat",
            "venue": self.position.side or "flat",
            "size": self.position.size,
        }

    def _explain(self, mismatch: dict[str, Any], outcomes: list[OrderOutcome], info: dict[str, Any]) -> None:
        """A difference the venue's own fills explain (a bracket or a liquidation that fired within the
        bar) is normal; anything else (a partial fill, an order lost after acceptance...) is reported in
        ``info["reconciliation"]`` and logged. Either way the venue's position stands."""
        ours = {o.order_id for o in outcomes}
        if any(f["order_id"] not in ours for f in info["fills"]):
            logger.info("position closed by the venue within the bar (a bracket or liquidation fired)")
            return
        info["reconciliation"] = mismatch
        logger.warning("venue position differs from the expected one after a re-read: %s", mismatch)

    def _matches(self, expect_side: str | None) -> bool:
        if expect_side is None:
            return not self.position.is_open
        return self.position.side == expect_side

    # ------------------------------------------------------------------ info

    def _new_info(self) -> dict[str, Any]:
        # Every venue request goes through the trader (the feed fetches candles through it too).
        self._calls_before = self.trader.calls
        self._retries_before = self.trader.retries
        return {"orders": [], "fills": [], "rejections": []}

    def _finish_info(self, info: dict[str, Any]) -> None:
        info.update(
            position=self.position.signed_size,
            side=self.position.side,
            entry_price=self.position.entry_price,
            unrealized_pnl=self.position.unrealized_pnl,
            portfolio_value=self.portfolio_value,
            retries=self.trader.retries - self._retries_before,
            requests=self.trader.calls - self._calls_before,
            step=self.step_count,
            episode=self.episode,
        )
        self.last_info = info

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
        """Flatten the position and cancel its brackets (``close()`` never does this on its own)."""
        self._refresh_account()
        outcome = self._close(leg=f"closeall{self.trader.calls}")
        self.trader.cancel_brackets()
        self._refresh_account()
        if outcome.accepted:
            self._record_fills({"fills": []})
        return outcome

    def sync_positions(self) -> dict[str, Any]:
        """Re-read the venue's position and balance now."""
        self._refresh_account()
        return {
            "position": self.position.signed_size,
            "side": self.position.side,
            "entry_price": self.position.entry_price,
            "portfolio_value": self.portfolio_value,
        }

    def get_metrics(self) -> dict[str, Any]:
        """Episode summary: portfolio_value, total_return, max_drawdown, realized_pnl, fees, trades,
        win_rate, num_positions."""
        summary = self.metrics.summary()
        summary["portfolio_value"] = self.portfolio_value
        summary["num_positions"] = int(self.position.is_open)
        return summary

    def is_connected(self) -> bool:
        try:
            self.trader.fetch_time()
        except Exception:  # any failure to reach the venue means "not connected"
            return False
        return True


def _as_action_tensor(action: Any) -> torch.Tensor:
    """A plain action (int, numpy scalar or array, tensor) as the scalar tensor the specs expect."""
    if isinstance(action, bool):
        raise TypeError("action must be an integer, got bool")
    if isinstance(action, int):
        return torch.tensor(action, dtype=torch.int64)
    if isinstance(action, np.ndarray | np.generic):
        action = torch.from_numpy(np.asarray(action))
    if isinstance(action, torch.Tensor):
        if action.numel() == 1:
            return action.reshape(())
        return action
    raise TypeError(f"action must be an int, a numpy integer or a tensor, got {type(action).__name__}")
