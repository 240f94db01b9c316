"""Parity: the same seeded actions through the in-process env and the HTTP env (the real SDK against
the emulator) give identical observations, rewards, fills, fees, funding and final balances."""

from __future__ import annotations

import pytest
import torch

from tests.integration.replay_parity import http_env, replay_env, reset_http, run_parity
from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)

STEPS = 1000
KW = {
    "env_id": "parity",
    "time_frames": ["1min", "5min"],
    "window_sizes": [10, 4],
    "quantity_per_trade": 0.01,
    "leverage": 5,
}
SLTP = {"stoploss_levels": [-0.002, -0.005], "takeprofit_levels": [0.002, 0.005]}

CASES = [
    ("bitget", "emulator", BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig, {}),
    ("bitget-sltp", "emulator", BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig, SLTP),
    ("binance", "binance_emulator", BinanceFuturesTorchTradingEnv, BinanceFuturesTradingEnvConfig, {}),
    (
        "binance-sltp",
        "binance_emulator",
        BinanceFuturesSLTPTorchTradingEnv,
        BinanceFuturesSLTPTradingEnvConfig,
        SLTP,
    ),
]


def sticky(i: int, g: torch.Generator, n: int) -> int:
    """Mostly hold (positions live across funding times and reach their brackets), trade now and then."""
    hold = 1 if n == 3 else 0  # standard {0: short, 1: hold, 2: long}; SLTP: 0 holds
    return hold if torch.rand((), generator=g) < 0.85 else int(torch.randint(n, (), generator=g))


@pytest.mark.parametrize(("name", "fixture", "env_cls", "cfg_cls", "extra"), CASES, ids=[c[0] for c in CASES])
def test_parity(request, name, fixture, env_cls, cfg_cls, extra):
    emulator = request.getfixturevalue(fixture)
    reset_http(emulator)
    http = http_env(env_cls, cfg_cls, emulator, **KW, **extra)
    inproc = replay_env(env_cls, cfg_cls, **KW, **extra)
    result = run_parity(inproc, http, STEPS, seed=7, actions=sticky)
    print(name, {k: v for k, v in result.items() if k != "diffs"})
    assert result["diffs"] == [], result["diffs"][:5]
    assert result["steps"] == STEPS
    assert result["fills"] > 20
    assert result["funding"] > 0


LIQUIDATING = {**KW, "leverage": 125, "margin_type": "ISOLATED", "quantity_per_trade": 0.5}


@pytest.mark.parametrize(
    ("fixture", "env_cls", "cfg_cls"),
    [
        ("emulator", BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig),
        ("binance_emulator", BinanceFuturesTorchTradingEnv, BinanceFuturesTradingEnvConfig),
    ],
    ids=["bitget", "binance"],
)
def test_parity_through_liquidations(request, fixture, env_cls, cfg_cls):
    """Isolated 125x shorts of 0.5 BTC, re-entered whenever flat: the venue liquidates them (a rise of
    ~0.4 % does it), in both envs alike."""
    emulator = request.getfixturevalue(fixture)
    reset_http(emulator)
    http = http_env(env_cls, cfg_cls, emulator, **LIQUIDATING)
    inproc = replay_env(env_cls, cfg_cls, **LIQUIDATING)
    result = run_parity(inproc, http, 400, seed=11, actions=lambda i, g, n: 0)
    assert result["diffs"] == [], result["diffs"][:5]
    bills = inproc.trader.engine.account(inproc.trader.account).bills
    assert any(b.kind == "liquidation" for b in bills)


@pytest.mark.parametrize(
    ("fixture", "env_cls", "cfg_cls"),
    [
        ("emulator", BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig),
        ("binance_emulator", BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesSLTPTradingEnvConfig),
    ],
    ids=["bitget", "binance"],
)
def test_parity_in_hedge_mode_with_shorts(request, fixture, env_cls, cfg_cls):
    """Hedge mode, isolated margin, SLTP entries both ways: the legs, closes and brackets of each side
    (Bitget's holdSide, Binance's positionSide) alike in both envs."""
    emulator = request.getfixturevalue(fixture)
    reset_http(emulator)
    kw = {**KW, **SLTP, "position_mode": "hedge", "margin_type": "ISOLATED", "include_short_positions": True}
    http = http_env(env_cls, cfg_cls, emulator, **kw)
    inproc = replay_env(env_cls, cfg_cls, **kw)
    result = run_parity(inproc, http, 300, seed=5, actions=sticky)
    assert result["diffs"] == [], result["diffs"][:5]
    assert result["fills"] > 2  # entries and their bracket exits (a quiet market: brackets take a while)


@pytest.mark.parametrize(
    ("fixture", "env_cls", "cfg_cls"),
    [
        ("emulator", BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig),
        ("binance_emulator", BinanceFuturesTorchTradingEnv, BinanceFuturesTradingEnvConfig),
    ],
    ids=["bitget", "binance"],
)
def test_parity_of_sizing_in_cash_with_a_budget(request, fixture, env_cls, cfg_cls):
    """Entries sized in cash, capped by max_position_size of the env's own budget: amounts that are
    not round numbers, truncated to the lot the same way in-process as by ccxt."""
    emulator = request.getfixturevalue(fixture)
    reset_http(emulator)
    kw = {
        **KW,
        "trade_mode": "cash",
        "quantity_per_trade": 900,
        "initial_cash": 2000,
        "max_position_size": 0.37,
    }
    http = http_env(env_cls, cfg_cls, emulator, **kw)
    inproc = replay_env(env_cls, cfg_cls, **kw)
    result = run_parity(inproc, http, 300, seed=3, actions=sticky)
    assert result["diffs"] == [], result["diffs"][:5]
    assert result["fills"] > 10
