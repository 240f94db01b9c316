"""The batched env against N single in-process envs (``BitgetFuturesTorchTradingEnv.replay``) on the
same actions: item 3 of issue 12.

Each account of a ``BatchedFuturesEnv`` and a single env of the venue's own class, built from the same
settings (leverage, margin mode, sizing, SLTP levels) and started on the same bar, step the same
seeded actions for several hundred bars. Compared per account and step:

* what the env reports: the observation (market window and ``account_state``), the reward, the
  position, the portfolio value, ``done``;
* what the venue booked: fees, funding, realized PnL, liquidations, stop-loss and take-profit exits
  (the single env's engine account against the batched env's counters).

Positions, counts and observations must be identical, money within 1e-6 USDT and rewards within
1e-6 (the batched math is float64, the engine's Decimal: ``accounts.py``, point 1). The one known
difference is bounded here: on a file with missing minutes the batched window shows a flat bar where
the single env's window skips the minute (point 4); those windows are counted and everything else
(the accounting included) must still agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from torchtrade.data import bundled
from torchtrade.emulator.data import load_candles
from torchtrade.emulator.engine.types import OrderSource
from torchtrade.envs import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.envs.batched import BatchedFuturesEnv, batched_config
from torchtrade.errors import ConfigError

N = 4
STEPS = 400
W = 10
MONEY_TOL = 1e-6
BTC = "binance_btcbusd_1m_2022-12-13.csv"  # the Bitget replay's default file: 1,440 bars, none missing
ETH = "coinbase_ethusd_1m_2018-04-04_05.csv"  # 431 missing minutes, wide moves

CASES: dict[str, dict[str, Any]] = {
    "standard-isolated-20x-cash": dict(
        action_kind="standard", leverage=20, margin_mode="isolated", quantity_per_trade=50_000.0, p_hold=0.8
    ),
    # Tight brackets: stop-losses and take-profits, sometimes both inside one bar.
    "sltp-isolated-20x": dict(
        action_kind="sltp",
        leverage=20,
        margin_mode="isolated",
        quantity_per_trade=50_000.0,
        stoploss_levels=(-0.001, -0.003),
        takeprofit_levels=(0.001, 0.004),
        p_hold=0.6,
        expect=("stops", "takes"),
    ),
    # 100x crossed, entries capped by the free balance, held long: liquidations and funding.
    "standard-crossed-100x-capped": dict(
        action_kind="standard",
        leverage=100,
        margin_mode="crossed",
        quantity_per_trade=900_000.0,
        p_hold=0.97,
        expect=("liquidations", "funding"),
    ),
    # Base-coin sizing cut by max_position_size on a moving portfolio value, crossed brackets.
    "sltp-crossed-quantity-max-position": dict(
        action_kind="sltp",
        leverage=5,
        margin_mode="crossed",
        trade_mode="quantity",
        quantity_per_trade=2.0,
        max_position_size=0.5,
        stoploss_levels=(-0.002,),
        takeprofit_levels=(0.002, 0.005),
        p_hold=0.6,
        expect=("stops", "takes"),
    ),
    # Missing minutes and wild ETH bars: liquidations at 100x, and the windows that differ.
    "standard-isolated-100x-eth-gaps": dict(
        data=ETH,
        symbol="ETHUSDT",
        action_kind="standard",
        leverage=100,
        margin_mode="isolated",
        quantity_per_trade=300_000.0,
        p_hold=0.95,
        expect=("liquidations", "funding"),
        # The file's missing minutes are bars 1008..1439 (an outage of seven hours): accounts in and
        # around it.
        starts=(900, 1000, 1300, 1700),
    ),
    # Brackets across the outage: no trigger fires on a missing minute, in either env.
    "sltp-crossed-50x-eth-gaps": dict(
        data=ETH,
        symbol="ETHUSDT",
        action_kind="sltp",
        leverage=50,
        margin_mode="crossed",
        quantity_per_trade=100_000.0,
        stoploss_levels=(-0.002, -0.01),
        takeprofit_levels=(0.002, 0.01),
        p_hold=0.5,
        expect=("stops", "takes", "funding"),
        starts=(950, 1050, 1250, 1400),
    ),
}


@dataclass(frozen=True, slots=True)
class Books:
    """What the venue booked for one account (cumulative)."""

    fees: float
    funding: float
    realized: float
    liquidations: int
    stops: int
    takes: int


def _live_config(case: dict[str, Any]) -> Any:
    """The single env's config of a case; the batched env's is derived from it (``batched_config``)."""
    kw: dict[str, Any] = dict(
        symbol=case.get("symbol", "BTCUSDT").removesuffix("USDT") + "/USDT:USDT",
        time_frames=["1min"],
        window_sizes=[W],
        leverage=case["leverage"],
        margin_mode=case["margin_mode"],
        trade_mode=case.get("trade_mode", "cash"),
        quantity_per_trade=case["quantity_per_trade"],
        max_position_size=case.get("max_position_size"),
        done_on_bankruptcy=False,
    )
    if case["action_kind"] == "sltp":
        return BitgetFuturesSLTPTradingEnvConfig(
            **kw,
            stoploss_levels=list(case["stoploss_levels"]),
            takeprofit_levels=list(case["takeprofit_levels"]),
        )
    return BitgetFuturesTradingEnvConfig(**kw)


def _single(config: Any, start: int, path: Any) -> Any:
    """The venue's own env class in-process, started on the batched account's bar: the account's last
    closed bar is ``start`` (a dense index), the replay's start counts the bars already closed (in
    time: the file plays at its own dates), one more."""
    cls = (
        BitgetFuturesSLTPTorchTradingEnv
        if isinstance(config, BitgetFuturesSLTPTradingEnvConfig)
        else BitgetFuturesTorchTradingEnv
    )
    return cls.replay(config, data=path, start=start + 1)


def _books(env: Any) -> Books:
    trader = env.trader
    engine = trader.engine
    acct = engine.account(trader.account)
    fills = acct.fills
    return Books(
        fees=float(acct.fees.get("USDT", 0)),
        funding=float(acct.funding.get("USDT", 0)),
        realized=float(acct.realized_pnl.get("USDT", 0)),
        liquidations=len(engine.ledger.events(kinds="liquidation", account=trader.account)),
        stops=sum(f.source is OrderSource.STOP_LOSS for f in fills),
        takes=sum(f.source is OrderSource.TAKE_PROFIT for f in fills),
    )


def _actions(n_actions: int, hold: int, p_hold: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, n_actions, size=(STEPS, N))
    return np.where(rng.random((STEPS, N)) < p_hold, hold, draw)


def _filled(benv: BatchedFuturesEnv, path: Any) -> np.ndarray:
    """Per dense bar of the batched env: a minute the file does not have (filled flat, point 4)."""
    have = np.array([b.t for b in load_candles(path).bars], dtype=np.int64)
    return ~np.isin(benv.candles.t, have)


@pytest.mark.parametrize("name", sorted(CASES))
def test_batched_accounts_match_single_envs(name: str) -> None:
    case = dict(CASES[name])
    p_hold, expect, fixed = case.pop("p_hold"), case.pop("expect", ()), case.pop("starts", None)
    path = bundled(case.pop("data", BTC))
    live = _live_config(case)
    cfg = batched_config(live, num_envs=N, episode_length=STEPS + 1, seed=3)
    benv = BatchedFuturesEnv(cfg, data=path)
    benv.reset()
    if fixed is not None:  # chosen starts instead of the seeded random ones (nothing stepped yet)
        benv.ptr[:] = fixed
    starts = benv.ptr.copy()
    hold = 1 if cfg.action_kind == "standard" else 0
    actions = _actions(benv.action_spec.n, hold, p_hold, seed=11)
    obs_key = benv.market_key
    b_obs, b_acc = [benv.market_features()], [benv.account_state()]
    b_rew, b_done, b_met, b_ptr = [], [], [], [benv.ptr.copy()]
    for t in range(STEPS):
        out = benv.step(TensorDict({"action": torch.as_tensor(actions[t])}, batch_size=benv.batch_size))
        nxt = out["next"]
        b_obs.append(nxt[obs_key].numpy().copy())
        b_acc.append(nxt["account_state"].numpy().copy())
        b_rew.append(nxt["reward"].numpy()[:, 0].copy())
        b_done.append(nxt["done"].numpy()[:, 0].copy())
        b_met.append(benv.get_metrics())
        b_ptr.append(benv.ptr.copy())
    assert not np.any(b_done), "an episode ended inside the comparison window"

    totals = {"liquidations": 0, "stops": 0, "takes": 0, "funding": 0.0}
    gap_windows = 0
    filled = _filled(benv, path)
    for k in range(N):
        env = _single(live, int(starts[k]), path)
        assert env.observation_spec[obs_key].shape == benv.observation_spec[obs_key].shape[1:]
        assert env.action_spec.n == benv.action_spec.n
        td = env.reset()
        obs, acc = td[obs_key].numpy(), td["account_state"].numpy()
        for t in range(STEPS + 1):
            where = f"{name}: account {k} (start {starts[k]}), step {t}"
            if t:
                o, reward, done, info = env.step(int(actions[t - 1, k]))
                obs, acc = o[obs_key].numpy(), o["account_state"].numpy()
                m = b_met[t - 1]
                assert not done, where
                assert reward == pytest.approx(float(b_rew[t - 1][k]), abs=1e-6), where
                assert info["position"] == pytest.approx(float(m["position_size"][k]), abs=1e-12), where
                assert info["entry_price"] == pytest.approx(float(m["entry_price"][k]), abs=1e-9), where
                assert info["portfolio_value"] == pytest.approx(
                    float(m["portfolio_value"][k]), abs=MONEY_TOL
                ), where
                books = _books(env)
                mine = (int(m["liquidations"][k]), int(m["stop_losses"][k]), int(m["take_profits"][k]))
                assert (books.liquidations, books.stops, books.takes) == mine, f"{where}: {books}"
                for field, key in (("fees", "fees"), ("funding", "funding"), ("realized", "realized_pnl")):
                    assert getattr(books, field) == pytest.approx(float(m[key][k]), abs=MONEY_TOL), (
                        f"{where}: {field}"
                    )
            # account_state: float32 of the same numbers (the cash to the venue's 8 decimals).
            np.testing.assert_allclose(acc, b_acc[t][k], rtol=1e-6, atol=1e-6, err_msg=where)
            ptr = int(b_ptr[t][k])
            if filled[ptr - W + 1 : ptr + 1].any():
                gap_windows += 1  # the batched window shows the missing minute flat (point 4)
            else:
                np.testing.assert_array_equal(obs, b_obs[t][k], err_msg=where)
        totals["liquidations"] += books.liquidations
        totals["stops"] += books.stops
        totals["takes"] += books.takes
        totals["funding"] += abs(books.funding)
    for what in expect:
        assert totals[what] > 0, f"{name} exercised no {what}: {totals}"
    if name.endswith("gaps"):
        assert gap_windows > 0, "the file with missing minutes gave no window with a gap"
    else:
        assert gap_windows == 0


def test_replay_sizes_with_the_taker_rate_of_the_http_envs_market(exchange, binance_exchange) -> None:
    """An entry capped by the free balance is sized with the taker rate of ccxt's market (its fee
    buffer): the in-process trader must carry the one the HTTP env's ccxt market carries, per venue."""
    from torchtrade.envs import BinanceFuturesTorchTradingEnv, BinanceFuturesTradingEnvConfig

    bitget = BitgetFuturesTorchTradingEnv.replay(BitgetFuturesTradingEnvConfig())
    binance = BinanceFuturesTorchTradingEnv.replay(BinanceFuturesTradingEnvConfig())
    assert bitget.trader.market["taker"] == exchange.market("BTC/USDT:USDT")["taker"] == 0.0006
    assert binance.trader.market["taker"] == binance_exchange.market("BTC/USDT:USDT")["taker"]


@pytest.mark.parametrize("kind", ["standard", "sltp"])
def test_same_config_same_specs_and_a_batched_policy_runs_on_the_single_env(kind: str) -> None:
    """Per account, the batched env's specs are the single env's (keys, shapes, dtypes, action table):
    a module fed the batched env's frames takes the single env's as they are."""
    case = CASES["sltp-isolated-20x" if kind == "sltp" else "standard-isolated-20x-cash"]
    live = _live_config(case)
    path = bundled(BTC)
    benv = BatchedFuturesEnv(batched_config(live, num_envs=3), data=path)
    single = _single(live, 500, path)
    for spec in ("full_observation_spec", "full_action_spec", "full_reward_spec", "full_done_spec"):
        mine, theirs = getattr(benv, spec), getattr(single, spec)
        assert set(mine.keys(True, True)) == set(theirs.keys(True, True)), spec
        for key in theirs.keys(True, True):
            assert mine[key].shape[1:] == theirs[key].shape, (spec, key)
            assert mine[key].dtype == theirs[key].dtype, (spec, key)
    assert benv.action_spec.n == single.action_spec.n
    assert dict(benv.action_map) == dict(single.action_map)

    from tensordict.nn import TensorDictModule

    obs_key = benv.market_key
    width = W * 5 + 10
    net = torch.nn.Linear(width, benv.action_spec.n)

    def logits(market: torch.Tensor, account: torch.Tensor) -> torch.Tensor:
        return net(torch.cat([market.flatten(-2), account], dim=-1))

    policy = TensorDictModule(logits, in_keys=[obs_key, "account_state"], out_keys=["logits"])
    assert policy(benv.reset())["logits"].shape == (3, benv.action_spec.n)
    td = single.reset()
    assert policy(td)["logits"].shape == (benv.action_spec.n,)
    td["action"] = td["logits"].argmax()
    single.step(td)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_frames", ["1min", "5min"]),
        ("position_mode", "hedge"),
        ("max_drawdown", 0.2),
        ("include_base_features", True),
    ],
)
def test_a_setting_the_batched_env_cannot_model_is_refused(field: str, value: Any) -> None:
    kw: dict[str, Any] = {field: value}
    if field == "time_frames":
        kw["window_sizes"] = [10, 4]
    with pytest.raises(ConfigError, match=field):
        batched_config(BitgetFuturesTradingEnvConfig(**kw), num_envs=2)


def test_another_venues_config_is_refused() -> None:
    from torchtrade.envs import BinanceFuturesTradingEnvConfig

    with pytest.raises(ConfigError, match="Bitget"):
        batched_config(BinanceFuturesTradingEnvConfig(), num_envs=2)


def test_bankruptcy_and_truncation_end_the_same_steps() -> None:
    """With ``done_on_bankruptcy`` and ``max_steps``, every account ends its episode on the step its
    single env does, terminated (bankrupt: 125x crossed, liquidated) or truncated alike."""
    live = BitgetFuturesTradingEnvConfig(
        time_frames=["1min"],
        window_sizes=[W],
        leverage=125,
        margin_mode="crossed",
        trade_mode="cash",
        quantity_per_trade=2_000_000.0,
        max_steps=300,
    )
    path = bundled(BTC)
    benv = BatchedFuturesEnv(batched_config(live, num_envs=N, seed=5), data=path)
    benv.reset()
    starts = benv.ptr.copy()
    actions = _actions(3, 1, 0.97, seed=2)
    ended: dict[int, tuple[int, bool, bool]] = {}
    for t in range(300):
        out = benv.step(TensorDict({"action": torch.as_tensor(actions[t])}, batch_size=benv.batch_size))
        for k in range(N):
            if k not in ended and bool(out["next", "done"][k]):
                ended[k] = (t, bool(out["next", "terminated"][k]), bool(out["next", "truncated"][k]))
    assert sorted(ended) == list(range(N))
    kinds = set()
    for k in range(N):
        env = _single(live, int(starts[k]), path)
        td = env.reset()
        for t in range(300):
            td["action"] = torch.tensor(int(actions[t, k]))
            out = env.step(td)
            td = out["next"]
            if bool(td["done"]):
                break
        assert (t, bool(td["terminated"]), bool(td["truncated"])) == ended[k], f"account {k}"
        kinds.add(ended[k][1])
    assert kinds == {True, False}, "wanted both a bankruptcy and a truncation"
