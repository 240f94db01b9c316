"""Candles as dense numpy arrays for the batched env: one row per base bar, gaps filled flat.

Simulation choice: a minute the file does not have (no trade) becomes a bar at the previous close
with zero volume, so that one step is one bar of time for every account (the live env waits for the
next bar close on its clock, and a missing minute still costs it a step). The engine sees no bar there,
and a flat bar at the last close fires nothing and marks funding at that same close: the accounting is
unchanged; only the observation shows the flat bar (see :mod:`.accounts`, point 4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from ...data import bundled
from ...emulator.data import Bar, CandleData, load_candles
from ...errors import ConfigError

BUNDLED = "coinbase_btcusd_1m_2016-10-07_09.csv.gz"


@dataclass(frozen=True)
class Candles:
    """Dense bars: ``t`` open times (ms), ``ohlcv`` (T, 5) float64, ``close_ms`` close times."""

    t: np.ndarray
    ohlcv: np.ndarray
    base_ms: int
    source: str
    filled: int  # bars added for missing minutes

    def __len__(self) -> int:
        return len(self.t)

    @property
    def close_ms(self) -> np.ndarray:
        return self.t + self.base_ms


def _from_data(data: CandleData) -> Candles:
    t = np.array([b.t for b in data.bars], dtype=np.int64)
    raw = np.array(
        [[float(b.open), float(b.high), float(b.low), float(b.close), float(b.volume)] for b in data.bars]
    )
    base = data.base_ms
    idx = (t - t[0]) // base
    dense_t = t[0] + np.arange(idx[-1] + 1, dtype=np.int64) * base
    have = np.zeros(len(dense_t), dtype=bool)
    have[idx] = True
    # Each missing bar takes the last known close (forward fill of the row index).
    src = np.maximum.accumulate(np.where(have, np.arange(len(dense_t)), 0))
    pos = np.full(len(dense_t), -1)
    pos[idx] = np.arange(len(t))
    rows = pos[src]
    ohlcv = raw[rows].copy()
    gap = ~have
    ohlcv[gap, 0:4] = raw[rows[gap], 3:4]
    ohlcv[gap, 4] = 0.0
    return Candles(dense_t, ohlcv, base, data.source, int(gap.sum()))


def load(data: str | os.PathLike[str] | pd.DataFrame | CandleData | None) -> Candles:
    """Candles from a CSV path (the emulator's format), a DataFrame with a ``timestamp`` (or datetime
    index) and OHLCV columns, a loaded :class:`CandleData`, or None (the bundled BTC/USD minutes)."""
    if data is None:
        data = bundled(BUNDLED)
    if isinstance(data, CandleData):
        return _from_data(data)
    if isinstance(data, pd.DataFrame):
        return _from_frame(data)
    return _from_data(load_candles(data))


def _from_frame(df: pd.DataFrame) -> Candles:
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in df.columns]
    if missing:
        raise ConfigError(f"data: the DataFrame lacks the columns {missing}")
    ts = df["timestamp"] if "timestamp" in df.columns else df.index.to_series()
    stamps = pd.to_datetime(ts, utc=True)
    t = ((stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)).to_numpy(dtype=np.int64)
    if len(t) < 2 or not (np.diff(t) > 0).all():
        raise ConfigError("data: timestamps must be at least two and strictly increasing")
    base = int(np.diff(t).min())
    ohlcv = df[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
    bars = tuple(
        Bar(int(ti), *(Decimal(repr(float(x))) for x in row)) for ti, row in zip(t, ohlcv, strict=True)
    )
    try:
        return _from_data(CandleData(source="DataFrame", base_ms=base, bars=bars))
    except ValueError as e:
        raise ConfigError(f"data: {e}") from None
