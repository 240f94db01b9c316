"""One replayed venue in the env's own process: the emulator's engine and candles, no server.

A :class:`ReplaySession` holds an :class:`~torchtrade.emulator.runtime.Emulator` on a manual clock,
built from the very venue profile the HTTP emulator serves (instruments: tick, lot, minimums, fees,
leverage limits; funding; the venue's engine rules), so that an env trading it in-process meets the
same venue as over HTTP. It also decides where an episode starts: a fixed bar, or a random one per
episode (training), each episode on a fresh account.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import weakref
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...data import bundled, default_data
from ...emulator.runtime import DataSpec, Emulator, EmulatorConfig
from ...errors import ConfigError

TEMP_PREFIX = "torchtrade-replay-"


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


#: What ``data=`` takes: a candle file (CSV, gzip or not), a DataFrame of OHLCV bars, or None.
DataLike = str | os.PathLike[str] | pd.DataFrame | None


def frame_to_csv(frame: pd.DataFrame, owner: str) -> Path:
    """Write a DataFrame of bars as the emulator's candle file (validated like any file).

    The frame has ``open, high, low, close, volume`` columns and its bar open times (UTC) as a
    ``DatetimeIndex`` or a ``timestamp`` column. Prices keep the float's shortest decimal form.
    """
    df = frame.copy()
    if "timestamp" in df.columns:
        df = df.set_index("timestamp")
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in df.columns]
    if missing:
        raise ConfigError(f"{owner}.data: the DataFrame lacks the columns {missing}")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(df.index, utc=True))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{owner}.data: bar times must be datetimes ({e})") from e
    lines = ["timestamp,open,high,low,close,volume"]
    stamps = index.strftime("%Y-%m-%dT%H:%M:%SZ")
    values = df[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
    for stamp, row in zip(stamps, values, strict=True):
        lines.append(stamp + "," + ",".join(repr(float(x)) for x in row))
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".csv")
    with os.fdopen(handle, "w") as f:
        f.write("\n".join(lines) + "\n")
    return Path(name)


def resolve_data(data: DataLike, venue: str, symbol: str, owner: str) -> Path:
    """The candle file to replay: the given file, a DataFrame written to one, or the bundled
    candles of ``symbol`` on ``venue`` (``torchtrade/data``)."""
    if data is None:
        files = default_data(venue)
        if symbol not in files:
            raise ConfigError(
                f"{owner}.symbol={symbol!r}: no bundled candles for it on {venue} "
                f"({', '.join(files)}); pass data= (a CSV path or a DataFrame)"
            )
        return bundled(files[symbol])
    if isinstance(data, pd.DataFrame):
        return frame_to_csv(data, owner)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise ConfigError(f"{owner}.data={str(data)!r}: no such file")
        return path
    raise ConfigError(f"{owner}.data: a CSV path, a DataFrame or None, got {type(data).__name__}")


class ReplaySession:
    """The emulator of one venue in-process, and where each episode starts.

    Args:
        venue: the emulator venue (``"bitget"``, ``"binance"``, ``"alpaca"``).
        symbol: the unified symbol replayed (``"BTC/USDT:USDT"``).
        path: its candle file.
        warmup_bars: base bars of history the env needs before its first step (its windows).
        start: the first episode's start, as base bars already closed (None: ``warmup_bars``).
        episode_length: steps of an episode (None: until the data runs out); bounds random starts.
        random_start: every episode after the first restarts at a random bar (the first too).
        seed: seeds the start RNG (a private one).
        balances: the account's starting wallet (None: the venue's own).
        owner: the config class name, for messages.
    """

    def __init__(
        self,
        venue: str,
        symbol: str,
        path: Path,
        *,
        warmup_bars: int,
        start: int | None = None,
        episode_length: int | None = None,
        random_start: bool = False,
        seed: int | None = None,
        balances: Mapping[str, Decimal] | None = None,
        owner: str = "config",
    ) -> None:
        self.venue = venue
        self.symbol = symbol
        self.path = path
        if path.name.startswith(TEMP_PREFIX):  # a DataFrame's file (frame_to_csv): gone with the session
            weakref.finalize(self, _unlink, path)
        self.warmup_bars = warmup_bars
        self.episode_length = episode_length
        self.random_start = random_start
        self.balances = balances
        self._rng = np.random.default_rng(seed)
        #: the next reset must restart the replay even before a step (``reseed`` drew new starts)
        self.restart_due = False
        self._owner = owner
        if (start is not None and not isinstance(start, int)) or isinstance(start, bool):
            raise ConfigError(f"{owner}.start={start!r}: a bar index (int) or None")
        if start is not None and start < 0:
            raise ConfigError(f"{owner}.start={start}: must be >= 0 (bars of the data)")
        # The file is read (and cached) once by the emulator: its length bounds the starts.
        try:
            self.emulator = Emulator(self._config(start if start is not None else warmup_bars))
        except ValueError as e:  # a candle file's error, or a start out of the emulator's bounds
            raise ConfigError(f"{owner}.data / start: {e}") from e
        self.account = self.emulator.venue.default_credentials.account
        self.bars = len(next(iter(self.emulator.series.values())))
        last = self.bars - 1
        if warmup_bars > last:
            raise ConfigError(
                f"{owner}.data: {self.bars} bars cannot feed windows that need {warmup_bars} bars of history"
            )
        if start is not None and not warmup_bars <= start <= last:
            raise ConfigError(f"{owner}.start={start}: must lie in {warmup_bars}..{last} (bars of the data)")
        self.start = start if start is not None else warmup_bars
        if random_start:
            self.start = self.draw_start()
            self.emulator.reset(history_bars=self.start)

    def _config(self, start: int) -> EmulatorConfig:
        extra: dict[str, Any] = {} if self.balances is None else {"balances": self.balances}
        return EmulatorConfig(
            venue=self.venue,
            data=(DataSpec(self.symbol, self.path),),
            clock="manual",
            history_bars=start,
            **extra,
        )

    def draw_start(self) -> int:
        """A random start: enough history for the windows, and a whole episode of bars after it."""
        length = self.episode_length or 1
        hi = max(self.warmup_bars, self.bars - 1 - length)
        return int(self._rng.integers(self.warmup_bars, hi + 1))

    def reseed(self, seed: int) -> None:
        """Restart the start RNG from ``seed`` (``env.set_seed``, as ``ParallelEnv`` and the collectors
        seed each worker's env): from the next reset on, episodes start where a session built with
        ``seed=seed`` starts them. A fixed start does not depend on the seed."""
        self._rng = np.random.default_rng(seed)
        self.restart_due = self.random_start

    def restart(self) -> int:
        """A new episode: a fresh account and ledger at the next start (random or the same bar).

        Order and fill ids go on from the previous run's (the emulator's reset keeps them unique).
        Returns the new present (ms)."""
        self.start = self.draw_start() if self.random_start else self.start
        self.restart_due = False
        self.emulator.reset(history_bars=self.start)
        return self.emulator.clock.now_ms()
