"""Binance USD-M futures envs: standard (short/hold/long) and SLTP (bracketed entries).

Thin on purpose: a config class, Binance's profile and its trader quirks; everything else is the
shared futures env (:mod:`torchtrade.envs.live.shared.futures_env`) over the live-env core.
"""

from __future__ import annotations

from ..shared.futures_env import FuturesTorchTradingEnv
from .config import BinanceFuturesSLTPTradingEnvConfig, BinanceFuturesTradingEnvConfig
from .venue import BINANCE, BinanceFuturesTrader


class BinanceFuturesTorchTradingEnv(FuturesTorchTradingEnv):
    """Trades a Binance USD-M perpetual with actions {0: short, 1: hold, 2: long}.

    From flat, short/long opens a position of ``quantity_per_trade``; against an open position the
    opposite action closes it (a reduce-only market order per leg, for exactly what the venue holds);
    the same side holds. Keys: arguments, config, BINANCE_API_KEY / BINANCE_API_SECRET or ``.env``.
    See :class:`~torchtrade.envs.live.shared.futures_env.FuturesTorchTradingEnv` for the arguments.
    """

    config_class = BinanceFuturesTradingEnvConfig
    profile = BINANCE
    trader_class = BinanceFuturesTrader


class BinanceFuturesSLTPTorchTradingEnv(BinanceFuturesTorchTradingEnv):
    """Trades with bracketed entries: HOLD + long × (SL, TP) [+ short × (SL, TP)].

    Binance has no entry with attached TP/SL: once the entry fills, the stop-loss and the take-profit
    go to the venue as two closing conditional orders. If one is refused (say, -2021: it would fire at
    once) the position is closed immediately; when one fires, the env cancels the other; conditional
    orders left for a flat position (a crashed run) are cancelled at construction and at reset.
    """

    config_class = BinanceFuturesSLTPTradingEnvConfig
