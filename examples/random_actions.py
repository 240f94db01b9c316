"""Random actions on Bitget USDT-M futures: the user guide's first snippet, end to end.

Shows the standard env (actions {0: short, 1: hold, 2: long}) with two observation timeframes
stepped every minute, both step styles (TorchRL TensorDicts and gym-style tuples), the metrics, and
how to leave the account flat.

Run it::

    python examples/random_actions.py --emulator            # embedded emulator, no keys, instant
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/random_actions.py
    python examples/random_actions.py                       # Bitget demo trading, keys in .env
"""

from __future__ import annotations

import logging

import torch
from _common import parse_args, venue

from torchtrade.envs.bitget import (
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
    MarginMode,
    PositionMode,
)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=10)
    with venue(args) as (base_url, clock):
        config = BitgetFuturesTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["5min", "15min"],  # one observation window per timeframe...
            window_sizes=[6, 32],  # ...of 6 and 32 bars
            execute_on="1min",  # a step waits for the next 1-minute bar to close
            leverage=5,
            quantity_per_trade=0.002,  # BTC per entry
            margin_mode=MarginMode.ISOLATED,
            position_mode=PositionMode.ONE_WAY,
            base_url=base_url,  # None: Bitget (demo=True by default)
        )
        env = BitgetFuturesTorchTradingEnv(config, clock=clock)
        print(env)

        td = env.reset()
        # cash, position_size, position_value, entry_price, current_price, unrealized_pnl_pct,
        # leverage, margin_ratio, liquidation_price, holding_time
        print("account_state:", td["account_state"])
        print("market_data_15min_32:", tuple(td["market_data_15min_32"].shape), "(bars, features)")

        # TorchRL style: the action goes into the TensorDict, the result comes back under "next".
        torch.manual_seed(0)  # action_spec.rand() draws from torch's global generator: reproducible runs
        half = max(args.steps // 2, 1)
        for _ in range(half):
            n = env.step(td.set("action", env.action_spec.rand()))
            print(f"action {n['action'].item()}  reward {n['next', 'reward'].item():+.6f}")
            td = n["next"]

        # Gym style: a plain int in, (obs, reward, done, info) out; info tells what the venue did.
        for _ in range(args.steps - half):
            action = int(env.action_spec.rand())
            obs, reward, done, info = env.step(action)
            position = obs["account_state"][1].item()  # signed size, as the venue reports it
            print(
                f"action {action}  reward {reward:+.6f}  position {position:+g}  "
                f"orders {[o['action'] for o in info['orders']]}  requests {info['requests']}"
            )
            if done:
                break

        print("metrics:", env.get_metrics())
        env.trader.close_position()  # leave the account flat: close() never closes on its own
        env.close()


if __name__ == "__main__":
    main()
