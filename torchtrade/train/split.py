"""Which bars train and which trade: a candle series cut in two at one bar.

The policy trains on the bars before the cut (the in-process env replays only those) and trades the
bars after it over HTTP (the emulator has the bars before the cut as history, so the first windows
of the trading run look back into the training bars but it never trades them).
"""

from __future__ import annotations

import pandas as pd

from ..data import bundled, default_data


def bundled_candles(venue: str = "bitget", symbol: str = "BTC/USDT:USDT") -> pd.DataFrame:
    """The bundled 1-minute candles the emulator replays for ``symbol`` (a ``timestamp`` column)."""
    return pd.read_csv(bundled(default_data(venue)[symbol]))


def split_bars(candles: pd.DataFrame, train_fraction: float) -> tuple[pd.DataFrame, int]:
    """The training bars (the first ``train_fraction`` of the series) and the cut (their count)."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction={train_fraction!r}: strictly between 0 and 1")
    cut = int(len(candles) * train_fraction)
    return candles.iloc[:cut].reset_index(drop=True), cut
