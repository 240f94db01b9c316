"""Shared plumbing of the examples: where they trade, chosen once from the command line.

Every example runs unchanged on three venues:

- ``--emulator``: an emulator embedded in the script (bundled real candles, manual clock). The env's
  :class:`~torchtrade.envs.EmulatorClock` jumps it to each next bar, so a step is instant.
- ``TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765``: a running ``torchtrade emulator serve``. The
  env follows the emulator's own pace (its default clock); with ``--fast`` it drives the emulator's
  clock instead (serve it with ``--clock manual`` for that).
- neither: Bitget demo trading, with keys from the environment or a ``.env`` file
  (``BITGETACCESSAPIKEY``, ``BITGETSECRETKEY``, ``BITGETPASSPHRASE``). Steps then take real time:
  one ``execute_on`` bar each. (With an emulator those keys are not used: the env then takes the
  emulator's default keys.)
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from torchtrade.emulator.control import ControlClient
from torchtrade.emulator.server import EmulatorServer
from torchtrade.envs import EmulatorClock
from torchtrade.envs.core.clock import EnvClock

EMULATOR_URL_VAR = "TORCHTRADE_EMULATOR_URL"


class Venue(NamedTuple):
    """Where to trade: unpack it as ``base_url, clock = venue``.

    Attributes:
        base_url: the config's ``base_url`` (None: Bitget itself, demo trading by default).
        clock: the env's ``clock`` (None: the env's default, which follows the venue's server time).
    """

    base_url: str | None
    clock: EnvClock | None


def parse_args(description: str | None, steps: int) -> argparse.Namespace:
    """The examples' common flags: ``--emulator``, ``--fast`` and ``--steps``.

    Args:
        description: the example's docstring (shown by ``--help``).
        steps: default number of env steps.
    """
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--emulator", action="store_true", help="trade on an emulator embedded in this script (no keys)"
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help=f"with {EMULATOR_URL_VAR}: drive the running emulator's clock (it must use --clock manual)",
    )
    parser.add_argument("--steps", type=int, default=steps, help=f"env steps (default {steps})")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    if args.fast and (args.emulator or not os.environ.get(EMULATOR_URL_VAR)):
        parser.error(f"--fast needs {EMULATOR_URL_VAR} (the embedded --emulator is always fast)")
    return args


@contextmanager
def venue(args: argparse.Namespace, exchange: str = "bitget") -> Iterator[Venue]:
    """The venue the command line asks for; an embedded emulator (of ``exchange``: ``"bitget"``,
    ``"binance"`` or ``"alpaca"``) lives as long as the ``with``."""
    if args.emulator:
        # A manual clock: time moves only when the env's EmulatorClock advances it.
        with EmulatorServer(venue=exchange, clock="manual") as server:
            yield Venue(server.url, EmulatorClock(server.emulator))
        return
    url = os.environ.get(EMULATOR_URL_VAR)
    if url:
        if args.fast:
            control = ControlClient(url)
            try:
                yield Venue(url, EmulatorClock(control))
            finally:
                control.close()
        else:
            yield Venue(url, None)
        return
    yield Venue(None, None)
