"""Market observations: a window of features per timeframe, from closed candles only.

Features are the ``features_*`` columns of ``feature_preprocessing_fn(df)`` when one is given,
otherwise :func:`default_features`. ``include_base_features`` appends the raw OHLCV columns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from ...errors import ConfigError

logger = logging.getLogger(__name__)

OHLCV = ("open", "high", "low", "close", "volume")
FeatureFn = Callable[[pd.DataFrame], pd.DataFrame]


def default_features(df: pd.DataFrame) -> pd.DataFrame:
    """Scale-free OHLCV: prices relative to the window's last close, volume relative to its mean.

    ``features_open/high/low/close = price / last_close - 1`` and
    ``features_volume = volume / mean(volume) - 1``. Computed within the window only (nothing from the
    future, nothing from outside the observation), so the same market at another price level gives the
    same features.
    """
    out = pd.DataFrame(index=df.index)
    last_close = float(df["close"].iloc[-1]) if len(df) else 0.0
    for col in ("open", "high", "low", "close"):
        out[f"features_{col}"] = df[col] / last_close - 1.0 if last_close else 0.0
    mean_volume = float(df["volume"].mean()) if len(df) else 0.0
    out["features_volume"] = df["volume"] / mean_volume - 1.0 if mean_volume else 0.0
    return out


class FeatureBuilder:
    """Turns a timeframe's closed candles into its ``window × features`` observation.

    Args:
        window: rows in the observation.
        fn: the user's ``feature_preprocessing_fn`` (None: :func:`default_features` on the window).
        include_base_features: append raw OHLCV.
    """

    def __init__(self, window: int, fn: FeatureFn | None, include_base_features: bool) -> None:
        self.window = window
        self.fn = fn
        self.include_base_features = include_base_features
        self.columns: list[str] = []
        self._warned: set[str] = set()

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(message, *args)

    def build(self, candles: pd.DataFrame) -> np.ndarray:
        if self.fn is None:
            frame = default_features(candles.iloc[-self.window :])
        else:
            frame = self.fn(candles.copy())
            if not isinstance(frame, pd.DataFrame):
                raise ConfigError(
                    f"feature_preprocessing_fn must return a DataFrame, got {type(frame).__name__}"
                )
        columns = [c for c in frame.columns if str(c).startswith("features_")]
        if not columns:
            raise ConfigError(
                "feature_preprocessing_fn returned no column whose name starts with 'features_'"
            )
        if self.columns and columns != self.columns:
            raise ConfigError(
                f"feature_preprocessing_fn changed its columns from {self.columns} to {columns}"
            )
        self.columns = columns
        values = frame[columns].to_numpy(dtype=np.float64)
        if self.include_base_features:
            base = candles[list(OHLCV)].reindex(frame.index).to_numpy(dtype=np.float64)
            values = np.concatenate([values, base], axis=1)
        return self.finish(values[-self.window :])

    def finish(self, values: np.ndarray) -> np.ndarray:
        """The last step of :meth:`build` on ``window``-or-fewer rows of feature values: NaN/inf
        zeroed, a short window padded with its oldest row, float32."""
        if not np.isfinite(values).all():
            self._warn_once(
                "nan", "features have NaN/inf in the observed window (not enough warm-up?); using 0"
            )
            values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        if len(values) < self.window:
            # Not enough history yet (a short replay, a new listing): repeat the oldest row.
            self._warn_once(
                "pad", "only %d of %d bars available: padding the window", len(values), self.window
            )
            pad = np.repeat(
                values[:1] if len(values) else np.zeros((1, self.n_features)), self.window - len(values), 0
            )
            values = np.concatenate([pad, values], axis=0)
        return values.astype(np.float32)

    @property
    def n_features(self) -> int:
        return len(self.columns) + (len(OHLCV) if self.include_base_features else 0)
