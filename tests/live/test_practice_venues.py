"""A smoke test per venue on its practice account (Bitget demo trading, Binance demo trading, Alpaca
paper): connect, ``is_connected``, reset, one hold step. No order is sent unless
``TORCHTRADE_LIVE_TRADE=1``: then the smallest entry is opened and closed again.

Run with ``pytest -m live``; a venue whose keys are not set (environment or ``.env``, the names its env
reads) is skipped with one line naming them. A step waits for the next one-minute bar to close, so a
venue takes up to a minute (three with trading). The symbols are 24/7 markets (Alpaca: BTC/USD), so the
test never waits for a stock session.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from dotenv import dotenv_values, find_dotenv

from torchtrade.envs import (
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.envs.live.alpaca.venue import KEY_ENV as ALPACA_KEYS
from torchtrade.envs.live.binance.venue import BINANCE
from torchtrade.envs.live.bitget.venue import BITGET

pytestmark = pytest.mark.live

TRADE_ENV = "TORCHTRADE_LIVE_TRADE"


@dataclass(frozen=True)
class Venue:
    make: Callable[[], Any]
    keys: tuple[str | None, ...]  # the environment variables the env reads its keys from
    hold: int
    entry: int
    close: int


def _common() -> dict[str, Any]:
    return {"time_frames": ["1min"], "window_sizes": [8], "retry_attempts": 3}


VENUES = {
    "bitget": Venue(
        lambda: BitgetFuturesTorchTradingEnv(
            BitgetFuturesTradingEnvConfig(
                symbol="BTC/USDT:USDT", demo=True, quantity_per_trade=0.001, leverage=1, **_common()
            )
        ),
        BITGET.key_env,
        hold=1,
        entry=2,
        close=0,  # against a long, a short closes it
    ),
    "binance": Venue(
        lambda: BinanceFuturesTorchTradingEnv(
            BinanceFuturesTradingEnvConfig(
                symbol="BTC/USDT:USDT", testnet=True, quantity_per_trade=0.002, leverage=1, **_common()
            )
        ),
        BINANCE.key_env,
        hold=1,
        entry=2,
        close=0,
    ),
    "alpaca": Venue(
        lambda: AlpacaTorchTradingEnv(
            AlpacaTradingEnvConfig(symbol="BTC/USD", paper=True, quantity_per_trade=0.0002, **_common())
        ),
        ALPACA_KEYS,
        hold=1,
        entry=2,
        close=0,  # crypto is long only: {0: close, 1: hold, 2: long}
    ),
}


def missing_keys(names: tuple[str | None, ...]) -> list[str]:
    """The key variables set neither in the environment nor in ``.env`` (as the envs look them up)."""
    path = find_dotenv(usecwd=True)
    dotenv = dotenv_values(path) if path else {}
    return [n for n in names if n and not (os.environ.get(n) or dotenv.get(n))]


@pytest.mark.parametrize("venue", list(VENUES))
def test_a_practice_account_connects_resets_and_holds(venue: str) -> None:
    spec = VENUES[venue]
    missing = missing_keys(spec.keys)
    if missing:
        pytest.skip(f"{venue}: set {', '.join(missing)} to run its live test")
    trade = os.environ.get(TRADE_ENV) == "1"
    env = spec.make()
    try:
        assert env.is_connected()
        td = env.reset()
        assert td["account_state"].shape == (10,)
        before = env.position.signed_size
        _, reward, done, info = env.step(spec.hold)
        assert math.isfinite(reward)
        assert not done
        assert info["orders"] == []
        assert info["rejections"] == []
        assert env.position.signed_size == before, "a hold step leaves the position as it was"
        if trade and not env.position.is_open:
            _, _, _, info = env.step(spec.entry)
            assert [o["status"] for o in info["orders"]] == ["accepted"], info["orders"]
            assert env.position.is_open
            _, _, _, info = env.step(spec.close)
            assert not env.position.is_open, info
    finally:
        if trade and env.position.is_open and env.position.signed_size != before:
            env.close_all_positions()
        env.close()
