"""The batched env against the engine: N accounts through the batched env and the same actions through
N runs of the emulator's engine on the same bars (see ``batched_reference``).

Positions (side, size, entry price) and the counts (liquidations, stop-loss and take-profit exits,
refused entries) must be identical at every step; money (wallet, fees, funding, realized PnL, value)
within 1e-6 USDT: the batched math is float64, the engine's Decimal rounded to 1e-8 (accounts.py,
point 1). Each configuration must exercise what it is there for (liquidations, brackets, funding).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from torchtrade.data import bundled
from torchtrade.emulator.data import Bar, CandleData, ReplaySeries, load_candles
from torchtrade.emulator.engine import EngineConfig, PriceModel
from torchtrade.envs.batched import BatchedEnvConfig, BatchedFuturesEnv
from torchtrade.envs.batched.market import BUNDLED

from .batched_reference import Snapshot, engine_run

N = 4
STEPS = 700
MONEY_TOL = 1e-6


ETH = "coinbase_ethusd_1m_2018-04-04_05.csv"  # ten times the BTC file's minute moves: liquidations


SYNTHETIC = "synthetic"
CALM = "synthetic-calm"


def synthetic_candles(
    n: int = 1_500, seed: int = 3, price: float = 30_000.0, vol: float = 0.003, walk: bool = True
) -> CandleData:
    """A wild BTC-priced minute series: 0.3 % moves, wide ranges, gaps at the open, 5 % missing
    minutes, starting at midnight UTC (funding at 08:00 and 16:00 inside it). Bars are on the 0.1 tick.
    ``walk=False``: every bar opens around ``price`` (no drift)."""
    base = price
    rng = np.random.default_rng(seed)
    t0 = 1_704_067_200_000  # 2024-01-01T00:00Z
    bars = []
    for k in range(n):
        o = price * (1 + rng.normal(0, vol / 3) * (rng.random() < 0.2))
        c = o * (1 + rng.normal(0, vol))
        h = max(o, c) * (1 + abs(rng.normal(0, vol * 2 / 3)))
        lo = min(o, c) * (1 - abs(rng.normal(0, vol * 2 / 3)))
        price = c if walk else base
        if k and rng.random() < 0.05:
            continue  # a minute without trades
        q = [Decimal(f"{x:.1f}") for x in (o, h, lo, c)]
        q[1], q[2] = max(q), min(q)
        bars.append(Bar(t0 + k * 60_000, *q, Decimal(f"{rng.uniform(0.1, 5):.4f}")))
    return CandleData(source=SYNTHETIC, base_ms=60_000, bars=tuple(bars))


def _data(name: str) -> CandleData:
    if name == SYNTHETIC:
        return synthetic_candles()
    if name == CALM:
        # Around 617.3, where 0.0081 BTC is worth just 5 USDT at the last close but not at the bid.
        return synthetic_candles(price=617.3, vol=0.0001, seed=4, walk=False)
    return load_candles(bundled(name))


@pytest.fixture(scope="module")
def series() -> dict[str, ReplaySeries]:
    return {name: ReplaySeries(_data(name)) for name in (BUNDLED, ETH, SYNTHETIC, CALM)}


CASES = {
    # 100x isolated, mostly holding: positions live long enough to be liquidated and to pay funding.
    "standard-isolated-100x-eth": dict(
        data=ETH,
        symbol="ETHUSDT",
        action_kind="standard",
        leverage=100,
        margin_mode="isolated",
        p_hold=0.95,
        expect=("liquidations", "funding"),
    ),
    "standard-crossed-50x-slippage": dict(
        action_kind="standard",
        leverage=50,
        margin_mode="crossed",
        p_hold=0.95,
        engine=EngineConfig(
            price_model=PriceModel(spread_bps=Decimal(2), slippage_bps=Decimal(3)),
            funding_rate=Decimal("0.0005"),
        ),
        expect=("funding",),
    ),
    # 0.0081 BTC is worth about 5 USDT here: entries at the 5 USDT minimum, some refused by the
    # trader's check at the last close, some only by the engine's at the bid.
    "standard-quantity-min-notional": dict(
        data=CALM,
        action_kind="standard",
        trade_mode="quantity",
        quantity_per_trade=0.0081,
        leverage=2,
        margin_mode="isolated",
        p_hold=0.5,
        expect=("rejected",),
    ),
    # Entries cut by max_position_size (30 % of the value), on a moving portfolio value.
    "sltp-cash-capped": dict(
        action_kind="sltp",
        quantity_per_trade=50_000.0,
        max_position_size=0.3,
        leverage=3,
        margin_mode="isolated",
        stoploss_levels=(-0.001,),
        takeprofit_levels=(0.001, 0.002),
        p_hold=0.5,
        expect=("stops", "takes"),
    ),
    # Tight brackets: stop-losses and take-profits fire, sometimes both inside one bar.
    "sltp-isolated-20x": dict(
        action_kind="sltp",
        leverage=20,
        margin_mode="isolated",
        stoploss_levels=(-0.001, -0.003),
        takeprofit_levels=(0.001, 0.004),
        p_hold=0.5,
        expect=("stops", "takes"),
    ),
    # Wild synthetic bars: brackets often both inside one bar (the stop wins), gaps through levels,
    # liquidations, funding, missing minutes.
    "sltp-isolated-50x-synthetic": dict(
        data=SYNTHETIC,
        action_kind="sltp",
        leverage=50,
        margin_mode="isolated",
        quantity_per_trade=20_000.0,
        stoploss_levels=(-0.002, -0.03),
        takeprofit_levels=(0.002, 0.004),
        p_hold=0.3,
        expect=("liquidations", "stops", "takes", "funding"),
    ),
    "standard-crossed-50x-synthetic": dict(
        data=SYNTHETIC,
        action_kind="standard",
        leverage=50,
        margin_mode="crossed",
        quantity_per_trade=450_000.0,
        p_hold=0.97,
        expect=("liquidations", "funding"),
    ),
    # Stops below the liquidation price: the liquidation comes first on the bar's path.
    "sltp-crossed-100x-wide-stops-eth": dict(
        data=ETH,
        symbol="ETHUSDT",
        action_kind="sltp",
        leverage=100,
        margin_mode="crossed",
        quantity_per_trade=600_000.0,
        stoploss_levels=(-0.005, -0.02),
        takeprofit_levels=(0.003, 0.02),
        p_hold=0.3,
        expect=("liquidations", "stops", "takes"),
    ),
}


def _actions(n_actions: int, hold: int, p_hold: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    other = [a for a in range(n_actions) if a != hold]
    draw = rng.choice(other, size=(STEPS, N))
    return np.where(rng.random((STEPS, N)) < p_hold, hold, draw)


def _batched_run(env: BatchedFuturesEnv, actions: np.ndarray) -> tuple[np.ndarray, list[list[Snapshot]]]:
    env.reset()
    starts = env.ptr.copy()
    runs: list[list[Snapshot]] = [[] for _ in range(N)]
    for t in range(STEPS):
        td = env.step(TensorDict({"action": torch.as_tensor(actions[t])}, batch_size=env.batch_size))
        assert not td["next", "done"].any(), "an episode ended inside the parity window"
        m = env.get_metrics()
        for k in range(N):
            runs[k].append(
                Snapshot(
                    side=int(np.sign(m["position_size"][k])),
                    qty=float(abs(m["position_size"][k])),
                    entry=float(m["entry_price"][k]),
                    wallet=float(m["wallet"][k]),
                    fees=float(m["fees"][k]),
                    funding=float(m["funding"][k]),
                    realized=float(m["realized_pnl"][k]),
                    liquidations=int(m["liquidations"][k]),
                    stops=int(m["stop_losses"][k]),
                    takes=int(m["take_profits"][k]),
                    rejected=int(m["rejected_entries"][k]),
                    value=float(m["portfolio_value"][k]),
                )
            )
    return starts, runs


@pytest.mark.parametrize("case", sorted(CASES))
def test_batched_env_matches_the_engine(case: str, series: dict[str, ReplaySeries]) -> None:
    spec = dict(CASES[case])
    p_hold, expect, data = spec.pop("p_hold"), spec.pop("expect"), spec.pop("data", BUNDLED)
    cfg = BatchedEnvConfig(num_envs=N, episode_length=STEPS + 1, done_on_bankruptcy=False, seed=7, **spec)
    env = BatchedFuturesEnv(cfg, data=_data(data))
    hold = 1 if cfg.action_kind == "standard" else 0
    actions = _actions(env.action_spec.n, hold, p_hold, seed=11)
    starts, runs = _batched_run(env, actions)
    totals = {"liquidations": 0, "stops": 0, "takes": 0, "funding": 0.0, "rejected": 0}
    for k in range(N):
        ref = engine_run(env, series[data], int(starts[k]), [int(a) for a in actions[:, k]])
        for t, (mine, theirs) in enumerate(zip(runs[k], ref, strict=True)):
            where = f"{case}: account {k}, step {t}"
            assert (mine.side, mine.liquidations, mine.stops, mine.takes, mine.rejected) == (
                theirs.side,
                theirs.liquidations,
                theirs.stops,
                theirs.takes,
                theirs.rejected,
            ), f"{where}: {mine} != {theirs}"
            assert mine.qty == pytest.approx(theirs.qty, abs=1e-12), where
            assert mine.entry == pytest.approx(theirs.entry, abs=1e-9), where
            for name in ("wallet", "fees", "funding", "realized", "value"):
                assert getattr(mine, name) == pytest.approx(getattr(theirs, name), abs=MONEY_TOL), (
                    f"{where}: {name} {getattr(mine, name)} != {getattr(theirs, name)}"
                )
        last = ref[-1]
        totals["liquidations"] += last.liquidations
        totals["stops"] += last.stops
        totals["takes"] += last.takes
        totals["funding"] += abs(last.funding)
        totals["rejected"] += last.rejected
    for what in expect:
        assert totals[what] > 0, f"{case} exercised no {what}: {totals}"
