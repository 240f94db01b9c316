"""A TorchRL env of N futures accounts stepped in lockstep (``batch_size=[N]``), for training.

Each account trades its own slice of one candle series: a (seeded) random start per episode, its own
step count, and its own reset when it is done (``step_and_maybe_reset`` resets only the done ones).
One step of every account is one bar: act at the last close, replay the next bar (brackets,
liquidation), settle funding at its close, observe, reward. The account math is
:class:`~.accounts.Accounts` (its docstring lists where it simplifies against the engine).

Same contract as the live envs: ``market_data_<tf>_<window>`` (window × the default normalised OHLCV
features) and the 10-float ``account_state`` in the seeds' order, a ``Categorical`` action (the
standard or the SLTP table), the log return of the portfolio value as reward, done on bankruptcy;
episodes are also truncated after ``episode_length`` steps or at the end of the data. Built from a
single env's config (``batched_config(live_config, num_envs=N)``, :mod:`.from_live`) its specs are that
env's, per account, and so is its action table: a policy trained here steps the single in-process env
and the HTTP env as it is (``tests/unit/test_batched_vs_single.py``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import torch
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

from ...config import require
from ...emulator.data import CandleData
from ...timeframes import TimeFrame
from ..core.actions import SLTPActions, StandardActions
from .accounts import Accounts
from .config import BatchedEnvConfig
from .market import Candles, load
from .observation import PRECOMPUTE_BYTES, all_windows, window_features
from .venue import bitget_instrument, market_of

HOUR_MS = 3_600_000


class BatchedFuturesEnv(EnvBase):
    """N independent Bitget-style futures accounts over replayed candles, vectorized.

    Args:
        config: the env's settings (``BatchedEnvConfig(**overrides)`` when omitted).
        data: a CSV path, a DataFrame, loaded :class:`~torchtrade.emulator.data.CandleData`, or None for
            the bundled BTC/USD minutes.
        device: where the returned tensors live (the math runs on the CPU in numpy).
        **overrides: fields of :class:`BatchedEnvConfig` (when ``config`` is omitted).

    Example:
        >>> env = BatchedFuturesEnv(num_envs=256, action_kind="sltp", leverage=10)  # doctest: +SKIP
        >>> collector = Collector(env, policy, frames_per_batch=16_384, total_frames=10**7)  # doctest: +SKIP
        >>> env.get_metrics()["liquidations"]  # per account, this episode  # doctest: +SKIP
    """

    batch_locked = True

    def __init__(
        self,
        config: BatchedEnvConfig | None = None,
        *,
        data: str | os.PathLike[str] | pd.DataFrame | CandleData | None = None,
        device: str | torch.device = "cpu",
        **overrides: Any,
    ) -> None:
        if config is None:
            config = BatchedEnvConfig(**overrides)
        elif overrides:
            raise TypeError("pass either a config or keyword overrides, not both")
        n = config.num_envs
        super().__init__(device=device, batch_size=torch.Size([n]))
        self.config = config
        self.candles: Candles = load(data)
        T, W = len(self.candles), config.window_size
        require(
            T >= W + 1, "BatchedEnvConfig", "window_size", W, f"needs at least {W + 1} bars, data has {T}"
        )
        ohlcv = self.candles.ohlcv
        self.instrument = bitget_instrument(config.symbol, float(ohlcv[0, 3]))
        require(
            config.leverage <= self.instrument.max_leverage,
            "BatchedEnvConfig",
            "leverage",
            config.leverage,
            f"{config.symbol} allows 1..{self.instrument.max_leverage}",
        )
        self.market = market_of(self.instrument, config.engine)
        self.accounts = Accounts(
            n, self.market, leverage=config.leverage, isolated=config.margin_mode == "isolated"
        )
        interval = self.instrument.funding_interval_h * HOUR_MS
        self._funding_due = (self.candles.close_ms % interval) == 0
        self._o, self._h, self._l, self._c = (np.ascontiguousarray(ohlcv[:, k]) for k in range(4))
        self._ohlcv = ohlcv
        # Every account's window is a row of this table: one gather per step instead of the arithmetic.
        self._features = all_windows(ohlcv, W) if T * W * 5 * 4 <= PRECOMPUTE_BYTES else None
        self._offsets = np.arange(-W + 1, 1)
        self._first = W - 1
        self._last_start = max(self._first, T - 1 - config.episode_length)
        self._rng = np.random.default_rng(config.seed)

        if config.action_kind == "standard":
            self.actions: StandardActions | SLTPActions = StandardActions()
            table = [(-1.0, np.nan, np.nan), (0.0, np.nan, np.nan), (1.0, np.nan, np.nan)]
        else:
            self.actions = SLTPActions(
                config.stoploss_levels,
                config.takeprofit_levels,
                include_short_positions=config.include_short_positions,
                include_hold_action=config.include_hold_action,
            )
            table = [
                (
                    0.0 if s is None else (1.0 if s == "long" else -1.0),
                    np.nan if sl is None else sl,
                    np.nan if tp is None else tp,
                )
                for s, sl, tp in self.actions.action_map.values()
            ]
        arr = np.array(table, dtype=np.float64)
        self._act_side, self._act_sl, self._act_tp = arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()
        self._sltp = config.action_kind == "sltp"

        self.ptr = np.full(n, self._first, dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.hold = np.zeros(n, dtype=np.int64)
        self.value = np.full(n, config.initial_cash)
        self._bankrupt_value = config.bankrupt_threshold * config.initial_cash
        self.accounts.reset(np.arange(n), config.initial_cash)

        tf = TimeFrame.parse(f"{self.candles.base_ms // 60_000}min")
        self.market_key = f"market_data_{tf.key}_{W}"
        self.observation_spec = Composite(
            {
                self.market_key: Unbounded(shape=(n, W, 5), dtype=torch.float32),
                "account_state": Unbounded(shape=(n, 10), dtype=torch.float32),
            },
            shape=(n,),
        )
        self.action_spec = Categorical(n=self.actions.n, shape=(n,), dtype=torch.int64)
        self.reward_spec = Unbounded(shape=(n, 1), dtype=torch.float32)
        self.done_spec = Composite(
            done=Categorical(n=2, shape=(n, 1), dtype=torch.bool),
            terminated=Categorical(n=2, shape=(n, 1), dtype=torch.bool),
            truncated=Categorical(n=2, shape=(n, 1), dtype=torch.bool),
            shape=(n,),
        )

    @property
    def action_map(self) -> dict[int, Any]:
        return self.actions.action_map

    # ------------------------------------------------------------------ TorchRL

    def _set_seed(self, seed: int | None) -> None:
        self._rng = np.random.default_rng(seed)

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs: Any) -> TensorDictBase:
        n = self.batch_size[0]
        if tensordict is not None and "_reset" in tensordict:
            idx = np.flatnonzero(tensordict.get("_reset").reshape(n).cpu().numpy())
        else:
            idx = np.arange(n)
        if self.config.random_start:
            starts = self._rng.integers(self._first, self._last_start + 1, size=len(idx))
        else:
            starts = np.full(len(idx), self._first)
        self.ptr[idx] = starts
        self.steps[idx] = 0
        self.hold[idx] = 0
        self.value[idx] = self.config.initial_cash
        self.accounts.reset(idx, self.config.initial_cash)
        false = torch.zeros(n, 1, dtype=torch.bool)
        return self._out(None, false, false, false)

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        # Per-account state is updated in place: an attribute assignment on an EnvBase (an nn.Module)
        # costs more than the arithmetic of a step.
        cfg, acc, ptr = self.config, self.accounts, self.ptr
        action = tensordict.get("action").cpu().numpy()
        last = self._c.take(ptr)
        before = acc.side.copy()
        side_a = self._act_side.take(action)
        # TorchRL's partial steps (``rollout(break_when_any_done=False)``): the others stand still.
        active = tensordict.get("_step", None)
        if active is not None:
            active = active.reshape(-1).cpu().numpy()
            side_a = np.where(active, side_a, 0.0)
        if self._sltp:
            i = np.flatnonzero((before == 0) & (side_a != 0))
            sl, tp = self._act_sl.take(action[i]), self._act_tp.take(action[i])
        else:
            k = np.flatnonzero(side_a * before < 0)  # against the position: close it
            if len(k):
                acc.close(k, last[k])
            i = np.flatnonzero((before == 0) & (side_a != 0))
            sl = tp = None
        if len(i):
            li = last[i]
            if cfg.trade_mode == "cash":
                size = cfg.quantity_per_trade / li
            else:
                size = np.full(len(i), cfg.quantity_per_trade)
            if cfg.max_position_size is not None:
                size = np.minimum(size, cfg.max_position_size * self.value[i] / li)
            acc.open(i, side_a[i], li, size, sl, tp)

        if active is None:
            ptr += 1
        else:
            ptr += active
        close = self._c.take(ptr)
        o, h, lo, due = self._o.take(ptr), self._h.take(ptr), self._l.take(ptr), self._funding_due.take(ptr)
        acc.bar(o, h, lo, due, close, active)
        value = acc.equity(close)
        previous = self.value
        ok = (previous > 0) & (value > 0)
        reward = np.log(np.divide(value, previous, out=np.ones(len(value)), where=ok)).astype(np.float32)
        previous[:] = value
        side = acc.side
        same = (side == before) & (side != 0)
        hold = np.where(same, self.hold + 1, side != 0)
        if active is None:
            self.hold[:] = hold
            np.add(self.steps, 1, out=self.steps)  # not ``+=``: that assigns the attribute again
        else:
            self.hold[:] = np.where(active, hold, self.hold)
            np.add(self.steps, active, out=self.steps)
        if cfg.done_on_bankruptcy:
            terminated = value < self._bankrupt_value
        else:
            terminated = np.zeros(len(value), dtype=bool)
        truncated = (self.steps >= cfg.episode_length) | (ptr >= len(self._c) - 1)
        term = torch.from_numpy(terminated[:, None])
        trunc = torch.from_numpy(truncated[:, None])
        done = torch.from_numpy((terminated | truncated)[:, None])
        return self._out(torch.from_numpy(reward[:, None]), done, term, trunc)

    # ------------------------------------------------------------------ observation

    def _out(
        self,
        reward: torch.Tensor | None,
        done: torch.Tensor,
        terminated: torch.Tensor,
        truncated: torch.Tensor,
    ) -> TensorDictBase:
        data: dict[str, torch.Tensor] = {
            self.market_key: torch.from_numpy(self.market_features()),
            "account_state": torch.from_numpy(self.account_state()),
            "done": done,
            "terminated": terminated,
            "truncated": truncated,
        }
        if reward is not None:
            data["reward"] = reward
        # Shapes and dtypes are the specs' by construction: the unchecked constructor saves the checks.
        if self.device is None or self.device.type == "cpu":
            return TensorDict._new_unsafe(data, batch_size=self.batch_size, device=self.device)
        return TensorDict(data, batch_size=self.batch_size).to(self.device)

    def market_features(self) -> np.ndarray:
        """(N, window, 5): OHLC over the window's last close minus 1, volume over its mean minus 1
        (:func:`~torchtrade.envs.core.observation.default_features`)."""
        if self._features is not None:
            return np.take(self._features, self.ptr, axis=0)
        return window_features(self._ohlcv[self.ptr[:, None] + self._offsets])

    def account_state(self) -> np.ndarray:
        """(N, 10) in the seeds' order (:func:`~torchtrade.envs.core.account.account_state`).

        A flat account has zero size, entry and liquidation price, so no masking is needed for those.
        """
        acc = self.accounts
        mark = self._c.take(self.ptr)
        side, qty, entry = acc.side, acc.qty, acc.entry
        notional = qty * mark
        value = acc.wallet + (mark - entry) * qty * side
        out = np.empty((len(mark), 10), dtype=np.float32)
        out[:, 0] = acc.free(mark)
        out[:, 1] = side * qty
        out[:, 2] = notional
        out[:, 3] = entry
        out[:, 4] = mark
        n = len(mark)
        out[:, 5] = np.divide(side * (mark - entry), entry, out=np.zeros(n), where=entry > 0)
        out[:, 6] = np.abs(side) * acc.leverage
        out[:, 7] = np.divide(notional, value, out=np.zeros(n), where=value > 0)
        out[:, 8] = acc.liq_view()
        out[:, 9] = self.hold
        return out

    # ------------------------------------------------------------------ metrics

    def get_metrics(self) -> dict[str, np.ndarray]:
        """Per-account figures of the current episodes (arrays of N)."""
        acc = self.accounts
        mark = self._c[self.ptr]
        return {
            "portfolio_value": acc.equity(mark),
            "wallet": acc.wallet.copy(),
            "position_size": acc.side * acc.qty,
            "entry_price": acc.entry.copy(),
            "realized_pnl": acc.realized.copy(),
            "fees": acc.fees.copy(),
            "funding": acc.funding.copy(),
            "liquidations": acc.liquidations.copy(),
            "stop_losses": acc.stops.copy(),
            "take_profits": acc.takes.copy(),
            "rejected_entries": acc.rejected.copy(),
            "steps": self.steps.copy(),
            "initial_value": np.full(len(mark), self.config.initial_cash),
            "bar_index": self.ptr.copy(),
        }
