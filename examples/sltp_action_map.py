"""Bracketed entries: the SLTP env's action map, and a stop-loss/take-profit the venue executes.

Each action of ``BitgetFuturesSLTPTorchTradingEnv`` is an entry with its exit plan: a side, a
stop-loss and a take-profit (fractions of the entry price). With 3 stop-losses × 3 take-profits,
both sides and a hold action, that is 1 + 2 × 9 = 19 actions; ``env.action_map`` says which is which.

The brackets are placed on the venue with the entry order, so the venue (not the agent) closes the
position when the price reaches one; while a position is open every action holds. The second part
enters long with tight brackets and holds until one fires: the venue's fill shows up in
``info["fills"]``, and the position is flat again.

Run it::

    python examples/sltp_action_map.py --emulator           # embedded emulator, no keys, instant
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/sltp_action_map.py
    python examples/sltp_action_map.py                      # Bitget demo trading, keys in .env
"""

from __future__ import annotations

import logging

from _common import parse_args, venue

from torchtrade.envs.bitget import BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=120)  # at most this many bars waiting for a bracket
    with venue(args) as (base_url, clock):
        config = BitgetFuturesSLTPTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["1min"],
            window_sizes=[16],
            leverage=5,
            quantity_per_trade=0.002,
            stoploss_levels=(-0.025, -0.05, -0.1),  # exit 2.5 %, 5 % or 10 % against the entry
            takeprofit_levels=(0.05, 0.1, 0.2),  # ...or 5 %, 10 % or 20 % in favour
            include_short_positions=True,
            include_hold_action=True,
            base_url=base_url,
        )
        env = BitgetFuturesSLTPTorchTradingEnv(config, clock=clock)
        print("action_spec.n =", env.action_spec.n)
        for index, (side, sl, tp) in env.action_map.items():
            print(f"  {index:2d}: " + ("hold" if side is None else f"{side:5s} sl {sl:+.3f} tp {tp:+.3f}"))
        env.close()

        # Tight brackets, so that one fires within a few bars.
        tight = BitgetFuturesSLTPTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["1min"],
            window_sizes=[16],
            leverage=5,
            quantity_per_trade=0.002,
            stoploss_levels=(-0.001,),
            takeprofit_levels=(0.001,),
            include_short_positions=False,  # actions: 0 hold, 1 long with sl -0.1 % / tp +0.1 %
            base_url=base_url,
        )
        env = BitgetFuturesSLTPTorchTradingEnv(tight, clock=clock)
        env.reset()
        _, _, _, info = env.step(1)
        entry = info["orders"][0]
        print(f"entry {entry['action']} {entry['status']}: brackets {entry.get('extra')}")
        for bar in range(1, args.steps + 1):
            _, _, _, info = env.step(0)  # hold; the venue watches the brackets
            if info["fills"]:  # a fill we did not order: a bracket fired
                for fill in info["fills"]:
                    kind = "take-profit" if fill["realized_pnl"] > 0 else "stop-loss"
                    print(
                        f"{kind} fired after {bar} bars: {fill['side']} {fill['amount']} @ {fill['price']}"
                        f", realized PnL {fill['realized_pnl']:+.4f} USDT"
                    )
                print("position after the bracket:", info["position"])
                break
        else:
            print(f"no bracket fired within {args.steps} bars; closing")
            env.close_all_positions()
        print("metrics:", env.get_metrics())
        env.close()


if __name__ == "__main__":
    main()
