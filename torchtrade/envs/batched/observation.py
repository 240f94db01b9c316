"""Observation windows of the batched env: the default features, for every account at once.

Features as :func:`~torchtrade.envs.core.observation.default_features`: OHLC over the window's last close
minus 1, volume over the window's mean volume minus 1 (0 when the window traded nothing).
"""

from __future__ import annotations

import numpy as np

#: Observation windows of every bar are computed once when they take at most this many bytes.
PRECOMPUTE_BYTES = 256 * 2**20


def window_features(win: np.ndarray) -> np.ndarray:
    """Default features of windows ``(..., window, OHLCV)``, as float32."""
    out = np.empty(win.shape, dtype=np.float32)
    out[..., :4] = win[..., :4] / win[..., -1:, 3:4] - 1.0
    mean = win[..., 4].mean(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[..., 4] = np.where(mean > 0, win[..., 4] / mean - 1.0, 0.0)
    return out


def all_windows(ohlcv: np.ndarray, window: int) -> np.ndarray:
    """(T, window, 5) features of the window ending at every bar (rows before ``window - 1`` unused)."""
    out = np.zeros((len(ohlcv), window, 5), dtype=np.float32)
    views = np.lib.stride_tricks.sliding_window_view(ohlcv, window, axis=0)  # (T - W + 1, 5, W)
    step = 4096
    for a in range(0, len(views), step):
        out[window - 1 + a : window - 1 + a + step] = window_features(views[a : a + step].transpose(0, 2, 1))
    return out
