"""Binance USD-M futures: the user guide's snippet as written, then bracketed entries.

The standard env trades BTCUSDT with random actions until the episode ends; the SLTP env then opens a
long whose stop-loss and take-profit go to Binance as two separate conditional orders (Binance has
no entry with attached TP/SL) and lets the venue close it; the env cancels the leg that did not fire.

Run it::

    python examples/binance_futures.py --emulator            # embedded emulator, no keys, instant
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/binance_futures.py
                                                             # torchtrade emulator serve --venue binance
    python examples/binance_futures.py                       # Binance demo trading, keys in .env
                                                             # (BINANCE_API_KEY, BINANCE_API_SECRET)
"""

from __future__ import annotations

import logging

from _common import parse_args, venue

from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
)
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=20)
    with venue(args, exchange="binance") as (base_url, clock):
        config = BinanceFuturesTradingEnvConfig(
            symbol="BTCUSDT",  # Binance's id; "BTC/USDT:USDT" works too
            timeframe=TimeFrame(1, TimeFrameUnit.MINUTE),  # window_size=50 by default
            testnet=True,  # Binance's demo trading (the default)
            max_leverage=10.0,  # the leverage set on the venue
            margin_type="ISOLATED",
            quantity_per_trade=0.01,  # BTC per entry (Binance's minimum order value is 100 USDT)
            max_steps=args.steps,
            base_url=base_url,  # None: Binance itself
        )
        env = BinanceFuturesTorchTradingEnv(config=config, clock=clock)
        print(env)
        env.reset()
        done = False
        while not done:
            _, reward, done, info = env.step(env.action_spec.rand())
            print(
                f"reward {reward:+.6f}  position {info['position']:+g}  "
                f"orders {[o['action'] for o in info['orders']]}  requests {info['requests']}"
            )
        print("metrics:", env.get_metrics())
        env.close_all_positions()

        sltp = BinanceFuturesSLTPTorchTradingEnv(
            BinanceFuturesSLTPTradingEnvConfig(
                symbol="BTCUSDT",
                stoploss_levels=(-0.001,),
                takeprofit_levels=(0.001,),
                include_short_positions=False,
                quantity_per_trade=0.01,
                base_url=base_url,
            ),
            clock=clock,
        )
        sltp.reset()
        _, _, _, info = sltp.step(1)  # action 1: long with (SL -0.1 %, TP +0.1 %)
        print("entry:", [(o["action"], o["status"], o.get("extra", {})) for o in info["orders"]])
        for _ in range(300 if sltp.position.is_open else 0):  # until a leg fires
            _, _, _, info = sltp.step(0)
            if not sltp.position.is_open:
                print(
                    "closed by the venue:",
                    [(f["side"], f["price"]) for f in info["fills"]],
                    "leftover legs cancelled:",
                    info.get("brackets_cancelled", 0),
                )
                break
        sltp.close_all_positions()
        sltp.close()


if __name__ == "__main__":
    main()
