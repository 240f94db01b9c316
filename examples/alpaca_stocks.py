"""Alpaca US stocks: the docs' loop as written, across a market close, then a bracketed entry.

The standard env trades SPY on 1-minute bars with random actions (0 short, 1 hold, 2 long), at most
10 % of the portfolio in the position. It steps only on bars of open sessions: across the close it
waits for the next open (on the embedded emulator's manual clock that wait is one jump), and a
market order sent while the market is closed fills at the next open. Then the SLTP env buys with an
Alpaca bracket order (stop-loss 0.1 % below, take-profit 0.1 % above) and lets the venue close it:
the leg that did not fill is cancelled by the venue.

Run it::

    python examples/alpaca_stocks.py --emulator     # embedded emulator, no keys, instant
    # a running emulator: torchtrade emulator serve --venue alpaca --clock manual
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/alpaca_stocks.py --fast
    python examples/alpaca_stocks.py                # Alpaca paper trading, keys in .env
                                                    # (ALPACA_API_KEY, ALPACA_SECRET_KEY)
"""

from __future__ import annotations

import datetime as dt
import logging

from _common import parse_args, venue

from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
)
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit


def when(t_ms: int | None) -> str:
    return dt.datetime.fromtimestamp((t_ms or 0) / 1000, dt.UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=20)
    with venue(args, exchange="alpaca") as (base_url, clock):
        config = AlpacaTradingEnvConfig(
            paper=True,  # Alpaca's paper account (the default)
            symbol="SPY",
            timeframe=TimeFrame(1, TimeFrameUnit.MINUTE),  # window_size=50 by default
            initial_cash=10000.0,  # the env's budget: its portfolio value starts here
            max_position_size=0.1,  # at most 10% of the portfolio in the position
            max_steps=args.steps,
            base_url=base_url,  # None: Alpaca itself
        )
        env = AlpacaTorchTradingEnv(config=config, clock=clock)
        print(env)
        obs = env.reset()
        print("account_state:", obs["account_state"])
        while True:
            obs, reward, done, info = env.step(env.action_spec.rand())
            print(
                f"{when(env.feed.last_closed_ms)}  reward {reward:+.6f}  position {info['position']:+g}  "
                f"orders {[(o['action'], o['status']) for o in info['orders']]}  requests {info['requests']}"
            )
            if done:
                break
        print("metrics:", env.get_metrics())
        env.close_all_positions()

        sltp = AlpacaSLTPTorchTradingEnv(
            config=AlpacaSLTPTradingEnvConfig(
                symbol="SPY",
                sl_percent=0.001,
                tp_percent=0.001,
                include_short_positions=False,
                quantity_per_trade=5,  # a bracket trades whole shares
                base_url=base_url,
            ),
            clock=clock,
        )
        print("action_map:", sltp.action_map)
        sltp.reset()
        _, _, _, info = sltp.step(1)  # long, with its bracket
        print("entry:", [(o["action"], o["status"], o.get("extra", {})) for o in info["orders"]])
        for _ in range(300 if sltp.position.is_open else 0):  # until a leg fills
            _, _, _, info = sltp.step(0)
            if not sltp.position.is_open:
                print("closed by the venue:", [(f["side"], f["price"]) for f in info["fills"]])
                break
        sltp.close_all_positions()
        sltp.close()


if __name__ == "__main__":
    main()
