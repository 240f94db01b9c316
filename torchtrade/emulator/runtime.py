"""The emulator's state in one object: clock, replayed data, engine, accounts, faults and ledger.

An :class:`Emulator` is what the HTTP app serves and what tests poke directly (in-process) or through
the control routes. It does no I/O of its own besides reading data files.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from ..data import DEFAULT_DATA, bundled
from .clock import ManualClock, RealtimeClock
from .data import CandleData, ReplaySeries, load_candles, plan_timeline
from .engine import Engine, EngineConfig, Instrument, Ledger
from .faults import FaultInjector
from .venues.base import Credentials, load_venue


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, size: int) -> CandleData:
    return load_candles(path)


def _load(path: Path) -> CandleData:
    """Load a candle file once per content version: resets re-use it (files are immutable data)."""
    try:
        st = os.stat(path)
    except OSError:
        return load_candles(path)  # raises the loader's own one-line "file not found" error
    return _load_cached(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


_SYMBOL_RE = re.compile(r"^[A-Za-z0-9]+(/[A-Za-z0-9]+(:[A-Za-z0-9]+)?)?$")


@dataclass(frozen=True, slots=True)
class DataSpec:
    """One replayed instrument: the symbol it stands for (None: the venue's default) and its file."""

    symbol: str | None
    path: Path

    @classmethod
    def parse(cls, text: str) -> DataSpec:
        """``"[SYMBOL=]FILE"`` as the CLI's ``--data`` takes it (``BTC/USDT:USDT=candles.csv``)."""
        if "=" in text:
            left, right = text.split("=", 1)
            if _SYMBOL_RE.match(left) and right:
                return cls(left, Path(right))
        return cls(None, Path(text))


def parse_start(value: str | int | None) -> int | Literal["now"] | None:
    """``None``, ``"now"``, epoch milliseconds, or an ISO-8601 instant (UTC if no offset)."""
    if value is None or value == "now":
        return value  # type: ignore[return-value]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"start={value!r}: expected 'now', epoch milliseconds or an ISO-8601 time"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp() * 1000)
    raise ValueError(f"start={value!r}: expected 'now', epoch milliseconds or an ISO-8601 time")


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig:
    """Everything that defines an emulator run.

    Attributes:
        venue: which venue's wire to speak (``"bitget"``).
        data: replayed instruments; empty = the bundled demo candles (BTC/USDT:USDT, ETH/USDT:USDT).
        clock: ``"manual"`` (time moves only through the control route: tests, fast rollouts) or
            ``"realtime"`` (time runs at ``speed`` × the wall clock: demos).
        speed: realtime clock rate (600 = ten minutes of market per second).
        start: the emulator's present at start: None (the first file's own dates), ``"now"`` (the
            wall clock: candles line up with a client that computes ``since`` from its own clock), or
            an instant in epoch ms / ISO-8601.
        history_bars: base bars already closed at the start (the history a client can fetch at once).
        balances: starting wallet of every account, by coin.
        credentials: the API keys accepted (None: the venue's documented default key).
        engine: simulation knobs (spread, slippage, funding, default leverage and modes).
        fault_seed: seed of the fault injector's RNG (seeded fault rules).
    """

    venue: str = "bitget"
    data: tuple[DataSpec, ...] = ()
    clock: Literal["manual", "realtime"] = "manual"
    speed: float = 1.0
    start: int | Literal["now"] | None = None
    history_bars: int = 500
    balances: Mapping[str, Decimal] = field(default_factory=lambda: {"USDT": Decimal(10_000)})
    credentials: tuple[Credentials, ...] | None = None
    engine: EngineConfig = field(default_factory=EngineConfig)
    fault_seed: int = 0

    def __post_init__(self) -> None:
        if self.clock not in ("manual", "realtime"):
            raise ValueError(f"EmulatorConfig.clock={self.clock!r}: must be 'manual' or 'realtime'")
        if not self.speed > 0:
            raise ValueError(f"EmulatorConfig.speed={self.speed!r}: must be > 0")
        if self.history_bars < 0:
            raise ValueError(f"EmulatorConfig.history_bars={self.history_bars!r}: must be >= 0")
        object.__setattr__(self, "start", parse_start(self.start))
        balances = {}
        for coin, amount in self.balances.items():
            try:
                value = Decimal(str(amount))
            except InvalidOperation:
                raise ValueError(f"EmulatorConfig.balances[{coin!r}]={amount!r}: not a number") from None
            if not value.is_finite() or value < 0:
                raise ValueError(
                    f"EmulatorConfig.balances[{coin!r}]={amount!r}: must be a finite amount >= 0"
                )
            balances[coin] = value
        object.__setattr__(self, "balances", balances)
        object.__setattr__(self, "data", tuple(self.data))


class Emulator:
    """One emulated venue: data on a clock, the engine, the accounts behind the API keys, faults.

    Args:
        config: the run's configuration (defaults: Bitget, bundled data, manual clock).
        wall_clock: wall time in ms, for ``start="now"`` (injectable for tests).
    """

    def __init__(self, config: EmulatorConfig | None = None, *, wall_clock: Any = None) -> None:
        self.lock = threading.RLock()
        self._wall = wall_clock or (lambda: int(time.time() * 1000))
        self.faults = FaultInjector()
        self.held_requests = 0  # requests a `timeout` fault is holding (see http._hold)
        self.initial_config = config or EmulatorConfig()
        self._build(self.initial_config)

    # ------------------------------------------------------------------ building

    def _build(self, config: EmulatorConfig) -> None:
        venue = load_venue(config.venue)
        specs = config.data or tuple(DataSpec(sym, bundled(name)) for sym, name in DEFAULT_DATA.items())
        loaded: list[tuple[str, str, str, str, CandleData]] = []
        seen: set[str] = set()
        for i, spec in enumerate(specs):
            symbol = spec.symbol
            if symbol is None:
                if i > 0:
                    raise ValueError(
                        f"data file {spec.path}: name the symbol it stands for (SYMBOL=FILE) when "
                        "replaying more than one file"
                    )
                symbol = venue.default_symbol
            market_id, base, quote, settle = venue.parse_symbol(symbol)
            if market_id in seen:
                raise ValueError(f"data: symbol {symbol!r} is given twice")
            seen.add(market_id)
            loaded.append((market_id, base, quote, settle, _load(spec.path)))
        shifts, present = plan_timeline(
            [item[4] for item in loaded],
            start=config.start,
            history_bars=config.history_bars,
            wall_now_ms=self._wall(),
        )
        series: dict[str, ReplaySeries] = {}
        instruments: dict[str, Instrument] = {}
        for (market_id, base, quote, settle, data), shift in zip(loaded, shifts, strict=True):
            s = ReplaySeries(data, shift)
            series[market_id] = s
            instruments[market_id] = venue.instrument(market_id, base, quote, settle, s.last_price(present))
        ledger = Ledger()
        engine = Engine(instruments, series, start_ms=present, config=config.engine, ledger=ledger)
        creds = config.credentials or (venue.default_credentials,)
        by_key: dict[str, Credentials] = {}
        for c in creds:
            if c.api_key in by_key:
                raise ValueError("credentials: an API key is given twice")
            by_key[c.api_key] = c
            engine.open_account(c.account, config.balances)
        with self.lock:
            self.config = config
            self.venue = venue
            self.series = series
            self.engine = engine
            self.ledger = ledger
            self.credentials = by_key
            self.wire_cache: dict[str, Any] = {}  # per-run state of a venue's wire (e.g. stale reads)
            self.clock: ManualClock | RealtimeClock = (
                ManualClock(present) if config.clock == "manual" else RealtimeClock(present, config.speed)
            )
            self.faults.clear()
            self.faults.reseed(config.fault_seed)

    def reset(self, **overrides: Any) -> None:
        """Start over from the initial configuration: fresh accounts, ledger and faults.

        ``overrides`` replace fields of the initial configuration for this run only; the next plain
        ``reset()`` goes back to the initial configuration.
        """
        with self.lock:
            self._build(replace(self.initial_config, **overrides))

    # ------------------------------------------------------------------ time

    def sync(self) -> None:
        """Replay every bar that closed up to the clock's present."""
        with self.lock:
            self.engine.advance_to(self.clock.now_ms())

    @property
    def base_ms(self) -> int:
        return next(iter(self.series.values())).base_ms

    def advance(self, *, bars: int | None = None, ms: int | None = None, to_ms: int | None = None) -> int:
        """Move the clock forward (to the close of the ``bars``-th next bar, by ``ms``, or to ``to_ms``).

        Works for both clocks (a realtime clock jumps and keeps running). Returns the new present.
        """
        given = [x is not None for x in (bars, ms, to_ms)]
        if sum(given) != 1:
            raise ValueError("advance: give exactly one of bars, ms, to_ms")
        with self.lock:
            now = self.clock.now_ms()
            if bars is not None:
                if bars < 0:
                    raise ValueError(f"advance: bars={bars} must be >= 0")
                base = self.base_ms
                target = (now // base + bars) * base
            elif ms is not None:
                if ms < 0:
                    raise ValueError(f"advance: ms={ms} must be >= 0")
                target = now + ms
            else:
                if to_ms < now:  # type: ignore[operator]
                    raise ValueError(f"advance: to_ms={to_ms} is before the present {now}")
                target = to_ms  # type: ignore[assignment]
            if target > now:
                self.clock.advance_to(target)
            self.sync()
            return self.clock.now_ms()

    def exhausted(self) -> bool:
        now = self.clock.now_ms()
        return all(s.exhausted(now) for s in self.series.values())

    # ------------------------------------------------------------------ accounts

    def add_account(self, creds: Credentials, balances: Mapping[str, Decimal] | None = None) -> None:
        with self.lock:
            if creds.api_key in self.credentials:
                raise ValueError("an account with this API key exists")
            self.credentials[creds.api_key] = creds
            self.engine.open_account(
                creds.account, balances if balances is not None else self.config.balances
            )

    def account_for(self, api_key: str | None) -> Credentials | None:
        return self.credentials.get(api_key) if api_key else None

    # ------------------------------------------------------------------ inspection

    def status(self) -> dict[str, Any]:
        now = self.clock.now_ms()
        return {
            "venue": self.venue.name,
            "now": now,
            "clock": self.clock.kind,
            "speed": getattr(self.clock, "speed", None),
            "base_ms": self.base_ms,
            "exhausted": self.exhausted(),
            "accounts": sorted({c.account for c in self.credentials.values()}),
            "symbols": {
                market_id: {
                    "first_open": s.first_open_ms,
                    "last_close": s.last_close_ms,
                    "closed_bars": s.closed_count(now),
                    "bars": len(s),
                    "last_price": str(self.engine.last_price(market_id)),
                    "source": s.source,
                }
                for market_id, s in self.series.items()
            },
        }

    def symbols(self) -> Sequence[str]:
        return list(self.series)
