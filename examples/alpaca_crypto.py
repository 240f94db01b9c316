"""Alpaca crypto: long only, bought by notional, with a stop-loss the env enforces itself.

BTC/USD trades around the clock. The standard env's actions are {0: close, 1: hold, 2: long}: Alpaca
does not sell crypto short. A long buys dollars' worth (a fraction of a coin). Alpaca has no crypto
brackets, so the SLTP env checks its stop-loss and take-profit on every bar and closes the position
at market on the bar that reaches one (``info["client_bracket"]``).

Run it::

    python examples/alpaca_crypto.py --emulator             # embedded emulator, no keys, instant
    python examples/alpaca_crypto.py                        # Alpaca paper trading, keys in .env
"""

from __future__ import annotations

import logging

from _common import parse_args, venue

from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=10)
    with venue(args, exchange="alpaca") as (base_url, clock):
        env = AlpacaTorchTradingEnv(
            AlpacaTradingEnvConfig(
                symbol="BTC/USD",
                time_frames=["1min", "5min"],
                window_sizes=[16, 8],
                max_position_size=0.2,
                base_url=base_url,
            ),
            clock=clock,
        )
        print("action_map:", env.action_map)
        env.reset()
        _, _, _, info = env.step(2)
        (order,) = info["orders"]
        print(f"bought ${order['extra'].get('notional')}: position {info['position']:g} BTC")
        for _ in range(args.steps):
            _, _, _, info = env.step(1)
        _, _, _, info = env.step(0)
        print("closed:", [(f["side"], f["amount"], f["price"]) for f in info["fills"]])

        sltp = AlpacaSLTPTorchTradingEnv(
            AlpacaSLTPTradingEnvConfig(
                symbol="BTC/USD", sl_percent=0.001, tp_percent=0.002, base_url=base_url
            ),
            clock=clock,
        )
        print("SLTP action_map:", sltp.action_map)
        sltp.reset()
        sltp.step(1)
        for _ in range(300):
            _, _, _, info = sltp.step(0)
            if "client_bracket" in info:
                print("fired:", info["client_bracket"])
                break
        print("position after the bracket:", sltp.position.size)
        sltp.close_all_positions()
        sltp.close()


if __name__ == "__main__":
    main()
