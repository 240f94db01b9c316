"""A process that trades under ``kill_switch`` until a signal: run by test_kill_switch.py.

``python -m tests.integration.kill_switch_child VENUE URL [MODE]``: builds the venue's SLTP env on the
emulator at URL, opens a long whose stop-loss and take-profit rest on the venue, prints ``ready``, then
steps (hold) forever under the kill switch. MODE ``context`` (default) uses it as a context manager,
``installer`` installs it.
"""

from __future__ import annotations

import sys

from torchtrade.emulator.control import ControlClient
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    EmulatorClock,
    kill_switch,
)

ENVS = {
    "alpaca": (AlpacaSLTPTorchTradingEnv, AlpacaSLTPTradingEnvConfig),
    "bitget": (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig),
    "binance": (BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesSLTPTradingEnvConfig),
}


def main(venue: str, url: str, mode: str = "context") -> None:
    env_cls, cfg_cls = ENVS[venue]
    # Alpaca: SPY (the emulator's default stock), a bracket of whole shares bought with the budget
    sizing = {"symbol": "SPY"} if venue == "alpaca" else {"quantity_per_trade": 0.01, "leverage": 5}
    config = cfg_cls(
        base_url=url,
        **sizing,
        time_frames=["1min"],
        window_sizes=[10],
        # far levels: the brackets must still be resting when the signal comes
        stoploss_levels=(-0.5,),
        takeprofit_levels=(1.0,),
    )
    env = env_cls(config, clock=EmulatorClock(ControlClient(url)))
    env.reset()
    _, _, _, info = env.step(1)
    assert info["position"] > 0, info
    print("ready", flush=True)
    if mode == "installer":
        kill_switch(env).install()
        while True:
            env.step(0)
    with kill_switch(env):
        while True:
            env.step(0)


if __name__ == "__main__":
    main(*sys.argv[1:])
