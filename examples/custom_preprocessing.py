"""Your own features: a ``feature_preprocessing_fn(df) -> df`` applied to every timeframe.

The env calls the function with each timeframe's closed candles (a DataFrame indexed by bar open time,
columns ``open, high, low, close, volume``, oldest first) and observes the last ``window`` rows of
the ``features_*`` columns it returns. Here: log return, a rolling z-score of the close, and the
bar's range, so ``market_data_<tf>_<window>`` has shape ``(window, 3)``.

Rolling features need bars before the window: ``feature_warmup_bars`` asks the env to fetch that
many extra closed bars per timeframe (without them the first rows would be NaN, observed as 0).

Run it::

    python examples/custom_preprocessing.py --emulator      # embedded emulator, no keys, instant
    TORCHTRADE_EMULATOR_URL=http://127.0.0.1:8765 python examples/custom_preprocessing.py
    python examples/custom_preprocessing.py                 # Bitget demo trading, keys in .env
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from _common import parse_args, venue

from torchtrade.envs.bitget import BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig

ZSCORE_BARS = 20
seen_bar_sizes: set[pd.Timedelta] = set()


def feature_preprocessing_fn(df: pd.DataFrame) -> pd.DataFrame:
    """Scale-free features from closed candles only (rolling windows look back, never ahead)."""
    bar = df.index.to_series().diff().median()
    if bar not in seen_bar_sizes:  # show once that the same function sees each timeframe
        seen_bar_sizes.add(bar)
        print(f"feature_preprocessing_fn called on {len(df)} bars of {bar}")
    close = df["close"]
    mean, std = close.rolling(ZSCORE_BARS).mean(), close.rolling(ZSCORE_BARS).std()
    df["features_log_return"] = np.log(close).diff().fillna(0.0)
    df["features_close_zscore"] = ((close - mean) / std).fillna(0.0)
    df["features_range"] = (df["high"] - df["low"]) / close
    return df


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(__doc__, steps=5)
    with venue(args) as (base_url, clock):
        config = BitgetFuturesTradingEnvConfig(
            symbol="BTC/USDT:USDT",
            time_frames=["1min", "5min", "15min"],
            window_sizes=[12, 8, 4],
            execute_on="1min",
            feature_warmup_bars=ZSCORE_BARS,  # history for the rolling z-score before each window
            base_url=base_url,
        )
        env = BitgetFuturesTorchTradingEnv(
            config, clock=clock, feature_preprocessing_fn=feature_preprocessing_fn
        )
        for key, spec in env.observation_spec.items():
            print(f"{key}: shape {tuple(spec.shape)}")

        td = env.reset()
        for _ in range(args.steps):
            td = env.step(td.set("action", torch.tensor(1)))["next"]  # hold: only the market moves
        # The newest row of each window: log return, z-score, range of the last closed bar.
        for key in ("market_data_1min_12", "market_data_5min_8", "market_data_15min_4"):
            print(key, np.round(td[key][-1].numpy(), 5))
        env.close()


if __name__ == "__main__":
    main()
