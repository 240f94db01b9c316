"""Bitget USDT-M futures envs: standard (short/hold/long) and SLTP (bracketed entries).

Thin on purpose: a config class, Bitget's profile and its trader quirks; everything else is the shared
futures env (:mod:`torchtrade.envs.live.shared.futures_env`) over the live-env core.
"""

from __future__ import annotations

from ..shared.futures_env import FuturesTorchTradingEnv
from .config import BitgetFuturesSLTPTradingEnvConfig, BitgetFuturesTradingEnvConfig
from .venue import BITGET, BitgetFuturesTrader


class BitgetFuturesTorchTradingEnv(FuturesTorchTradingEnv):
    """Trades a Bitget USDT-M perpetual with actions {0: short, 1: hold, 2: long}.

    From flat, short/long opens a position of ``quantity_per_trade``; against an open position the
    opposite action closes it; the same side holds. Keys: arguments, config, BITGETACCESSAPIKEY /
    BITGETSECRETKEY / BITGETPASSPHRASE or ``.env``. See
    :class:`~torchtrade.envs.live.shared.futures_env.FuturesTorchTradingEnv` for the arguments.
    """

    config_class = BitgetFuturesTradingEnvConfig
    profile = BITGET
    trader_class = BitgetFuturesTrader


class BitgetFuturesSLTPTorchTradingEnv(BitgetFuturesTorchTradingEnv):
    """Trades with bracketed entries: HOLD + long × (SL, TP) [+ short × (SL, TP)].

    An entry from flat opens a position whose stop-loss and take-profit are placed on Bitget with the
    order (position TP/SL); while the position is open every action holds, and the venue closes it
    when a bracket triggers (the env sees the position gone and reports the fill in ``info``).
    ``action_map`` gives ``{index: (side, sl, tp)}``.
    """

    config_class = BitgetFuturesSLTPTradingEnvConfig
