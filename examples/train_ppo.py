"""Train where you trade: PPO on the Bitget env in-process, then the saved policy over HTTP.

1. Train a small policy (TorchRL: ``Collector``, ``GAE``, ``ClipPPOLoss``; an MLP actor and critic,
   ``ProbabilisticActor`` over the env's ``Categorical`` action) on
   ``BitgetFuturesTorchTradingEnv.replay(config, data=...)``: the env class's in-process mode on the
   venue's engine, over the first two thirds of the bundled BTC/USDT day (random 240-bar episodes).
2. Save it (``policy.pt``: the ``state_dict`` and what rebuilds the network), load it back.
3. Trade it greedily with the same env class over HTTP against an embedded emulator, on the last
   third of the day, bars the policy never trained on; write the report (``run.png``, ``run.html``,
   ``run.sqlite``) with equity against buy-and-hold, and print both returns.

Run it::

    python examples/train_ppo.py                  # ~3 minutes of training on a laptop CPU
    python examples/train_ppo.py --minutes 10     # longer
    python examples/train_ppo.py --quick          # a smoke run: seconds of training
    python examples/train_ppo.py --frames 50000   # a fixed budget: the same weights every run

The trading half always runs on an embedded emulator (it must serve the held-out bars); ``--emulator``
is accepted, as by every example, and changes nothing.
"""

from __future__ import annotations

import argparse
import logging

from torchtrade.train import PPOSettings
from torchtrade.train.pipeline import summary_lines, train_then_trade

QUICK = PPOSettings(frames=1_024, frames_per_batch=512, epochs=2)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="training time budget (default 3)")
    parser.add_argument(
        "--frames", type=int, default=None, help="training frames (env steps); no time budget"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,024 frames, 120 trading steps")
    parser.add_argument("--steps", type=int, default=None, help="held-out bars to trade (default 400)")
    parser.add_argument("--out", default="train-ppo", help="folder for policy.pt and the report")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--emulator", action="store_true", help="accepted; the trading half always is")
    args = parser.parse_args()
    if args.quick:
        settings = PPOSettings(**{**QUICK.__dict__, "seed": args.seed})
    elif args.frames is not None:
        if args.frames < 1:
            parser.error("--frames must be at least 1")
        settings = PPOSettings(frames=args.frames, seed=args.seed)
    else:
        if args.minutes <= 0:
            parser.error("--minutes must be positive")
        settings = PPOSettings(frames=10_000_000, seconds=args.minutes * 60, seed=args.seed)
    steps = args.steps or (120 if args.quick else 400)

    def progress(frames: int, mean_reward: float) -> None:
        print(f"  {frames:>8,} frames  mean reward/step {mean_reward:+.2e}", flush=True)

    result = train_then_trade(
        settings, args.out, steps=steps, on_batch=progress, eval_episodes=2 if args.quick else 8
    )
    print("\n".join(summary_lines(result)))
    for label, path in (("run file", result.run_file), ("plot", result.png), ("report", result.html)):
        print(f"{label + ':':<10}{path}")


if __name__ == "__main__":
    main()
