"""Alpaca parity: the same seeded actions through the in-process env (``.replay``) and the HTTP env
(alpaca-py against the emulator on a manual clock) give identical observations, rewards, orders,
fills, fees and final balances: a stock (SPY, XNYS sessions across a weekend), standard and SLTP
(venue brackets), and crypto (BTC/USD, around the clock), standard and SLTP (client-side levels)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.integration.replay_parity import run_parity
from torchtrade.data import bundled, default_data
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.markets import us_equity_hours

STEPS = 1000
#: Bars of history before the first step: SPY's file starts on Friday 2013-10-04 04:00 ET
#: (pre-market), so 400 bars put the present at 12:46 ET, 3 h 14 min before the weekend's close.
HISTORY = 400
KW = {"env_id": "parity", "time_frames": ["1min", "5min"], "window_sizes": [10, 4]}
STOCK_SLTP = {"stoploss_levels": [-0.001, -0.003], "takeprofit_levels": [0.001, 0.003]}
CRYPTO_SLTP = {"stoploss_levels": [-0.001, -0.003], "takeprofit_levels": [0.001, 0.003]}

CASES = [
    ("stock", "SPY", AlpacaTorchTradingEnv, AlpacaTradingEnvConfig, {}),
    ("stock-sltp", "SPY", AlpacaSLTPTorchTradingEnv, AlpacaSLTPTradingEnvConfig, STOCK_SLTP),
    ("crypto", "BTC/USD", AlpacaTorchTradingEnv, AlpacaTradingEnvConfig, {}),
    ("crypto-sltp", "BTC/USD", AlpacaSLTPTorchTradingEnv, AlpacaSLTPTradingEnvConfig, CRYPTO_SLTP),
]


def reset_http(emulator: Any, symbol: str) -> None:
    """The HTTP emulator replaying exactly what the in-process env replays: the symbol's bundled
    minutes alone, the same history before the present."""
    path = bundled(default_data("alpaca")[symbol])
    emulator.control.reset(data=[f"{symbol}={path}"], history_bars=HISTORY, weight_limit=10**9)


def sticky(i: int, g: torch.Generator, n: int) -> int:
    """Mostly hold (positions live across closes and reach their brackets), trade now and then."""
    hold = 1 if n == 3 else 0  # standard {0: short/close, 1: hold, 2: long}; SLTP: 0 holds
    return hold if torch.rand((), generator=g) < 0.85 else int(torch.randint(n, (), generator=g))


@pytest.mark.parametrize(("name", "symbol", "env_cls", "cfg_cls", "extra"), CASES, ids=[c[0] for c in CASES])
def test_alpaca_parity(alpaca_emulator, name, symbol, env_cls, cfg_cls, extra):
    reset_http(alpaca_emulator, symbol)
    kw = {**KW, **extra, "symbol": symbol}
    http = env_cls(
        cfg_cls(base_url=alpaca_emulator.url, **kw),
        clock=EmulatorClock(alpaca_emulator.control),
        retry_sleep=lambda s: None,
    )
    inproc = env_cls.replay(cfg_cls(**kw), start=HISTORY)
    first = inproc.replay_session.emulator.clock.now_ms()
    result = run_parity(inproc, http, STEPS, seed=7, actions=sticky)
    print(name, {k: v for k, v in result.items() if k != "diffs"})
    assert result["diffs"] == [], result["diffs"][:5]
    assert result["steps"] == STEPS
    assert result["fills"] > 20
    if symbol == "SPY":  # across the weekend, every fill in a regular session (queued ones at the open)
        hours = us_equity_hours()
        assert inproc.replay_session.emulator.clock.now_ms() - first > 2 * 86_400_000
        fills = inproc.trader.fills.since(0)
        assert fills
        assert all(hours.is_open(f.timestamp - 1) or hours.is_open(f.timestamp) for f in fills)
