"""A batched env's config from a single futures env's config: the same settings, so the same specs.

``BatchedFuturesEnv(batched_config(live_config, num_envs=256))`` trades what the single env of
``live_config`` trades (leverage, margin mode, sizing, SLTP table, bankruptcy), with the same
observation keys and shapes and the same action table: a policy trained batched runs on the single
in-process env and on the HTTP env unchanged. What the batched env cannot model is refused, naming
the field, rather than silently dropped.
"""

from __future__ import annotations

from typing import Any

from ...errors import ConfigError
from ..core.config import SLTPConfig
from ..live.bitget.config import BitgetFuturesTradingEnvConfig
from .config import BatchedEnvConfig

#: The wallet of a fresh futures account on the emulator (``initial_cash=None`` means the account's).
VENUE_WALLET = 10_000.0

#: Live fields the batched env has no model for, with the value that means "not used".
UNSUPPORTED = {
    "feature_warmup_bars": None,
    "include_base_features": False,
    "max_drawdown": None,
    "max_orders_per_minute": None,
    "journal": None,
}


def batched_config(live: Any, *, num_envs: int, **fields: Any) -> BatchedEnvConfig:
    """The :class:`BatchedEnvConfig` of ``live`` (a Bitget futures env config, standard or SLTP), for
    ``num_envs`` accounts; ``fields`` set the batched env's own (``episode_length``, ``random_start``,
    ``seed``, ``engine``) or override any other.

    ``initial_cash`` None (the futures default: the account's equity) is the emulator's fresh wallet,
    10,000 USDT. The episode length is ``max_steps`` when set. Raises ConfigError for a setting the
    batched env does not model: several timeframes, feature options, hedge mode, risk limits, a
    journal, a symbol not settled in USDT, another venue's config (the batched env has Bitget's
    instruments and rules only: ``accounts.py``, point 7). The candles given to the batched env must
    be bars of the config's timeframe (its observation key is the data's own bar).
    """
    owner = type(live).__name__
    if not isinstance(live, BitgetFuturesTradingEnvConfig):
        raise ConfigError(f"{owner}: the batched env models Bitget futures only (a Bitget futures config)")
    symbol = str(live.symbol)
    base, _, rest = symbol.partition("/")
    if rest != "USDT:USDT":
        raise ConfigError(
            f"{owner}.symbol={symbol!r}: the batched env trades USDT-M perpetuals (BASE/USDT:USDT)"
        )
    if len(live.time_frames) != 1 or live.time_frames[0] != live.execute_on:
        keys = [tf.key for tf in live.time_frames]
        raise ConfigError(
            f"{owner}.time_frames={keys}: the batched env observes one timeframe, the one it steps on"
        )
    for name, unused in UNSUPPORTED.items():
        if getattr(live, name, unused) != unused:
            raise ConfigError(f"{owner}.{name}={getattr(live, name)!r}: the batched env does not model it")
    if str(getattr(live.position_mode, "value", live.position_mode)) != "one_way":
        raise ConfigError(f"{owner}.position_mode={live.position_mode!r}: the batched env is one-way only")
    out: dict[str, Any] = dict(
        num_envs=num_envs,
        symbol=f"{base}USDT",
        window_size=int(live.window_sizes[0]),
        initial_cash=VENUE_WALLET if live.initial_cash is None else float(live.initial_cash),
        leverage=int(live.leverage),
        margin_mode=str(getattr(live.margin_mode, "value", live.margin_mode)),
        trade_mode=str(getattr(live.trade_mode, "value", live.trade_mode)),
        quantity_per_trade=float(live.quantity_per_trade),
        max_position_size=live.max_position_size,
        done_on_bankruptcy=bool(live.done_on_bankruptcy),
        bankrupt_threshold=float(live.bankrupt_threshold),
        seed=live.seed if live.seed is not None else 0,
    )
    if live.max_steps is not None:
        out["episode_length"] = int(live.max_steps)
    if isinstance(live, SLTPConfig):
        out.update(
            action_kind="sltp",
            stoploss_levels=tuple(live.stoploss_levels),
            takeprofit_levels=tuple(live.takeprofit_levels),
            include_short_positions=bool(live.include_short_positions),
            include_hold_action=bool(live.include_hold_action),
        )
    else:
        out["action_kind"] = "standard"
    out.update(fields)
    return BatchedEnvConfig(**out)
