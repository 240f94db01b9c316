"""The emulator's state in one object: clock, replayed data, engine, accounts, faults and ledger.

An :class:`Emulator` is what the HTTP app serves and what tests poke directly (in-process) or through
the control routes. It does no I/O of its own besides reading data files.

Its inputs are bounded (the limits below, each checked where the field is read, the message naming
the field), so that no accepted value can break a later request: a speed of 1e308 would overflow the
clock, a leverage of 0 would fail every market order, an advance of 10**30 ms would settle funding
until the end of time.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypedDict, Unpack

from ..data import bundled, default_data
from ..markets.bars import next_bar_close
from ..markets.calendar import (
    CalendarRangeError,
    MarketClock,
    Session,
    has_sessions,
    market_clock,
    us_equity_hours,
)
from .checks import FieldError, decimal, integer, number
from .clock import MAX_SPEED, ManualClock, RealtimeClock
from .data import CandleData, ReplaySeries, load_candles, plan_timeline
from .engine import Engine, EngineConfig, Instrument, Ledger, PriceModel
from .faults import FaultInjector
from .venues.base import Credentials, Venue, load_venue


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


#: Instants (``start``, ``advance`` ``to``) are epoch ms from 1970 up to 2100-01-01T00:00:00Z.
MAX_EPOCH_MS = 4_102_444_800_000
#: More history than any candle file a user would replay; a file's own length caps it further.
MAX_HISTORY_BARS = 10_000_000
MAX_DATA_FILES = 16
#: A wallet of a trillion coins is a test of nothing but the arithmetic.
MAX_BALANCE = Decimal(10) ** 12
#: Synthetic spread and slippage: at most 10 % each.
MAX_BPS = Decimal(1000)
#: Funding per interval: at most 5 % either way (real venues cap it far lower).
MAX_FUNDING_RATE = Decimal("0.05")
MAX_SEED = 2**128
#: Request-weight budget per window (venues that meter weights: Binance): 1..10**9.
MAX_WEIGHT_LIMIT = 10**9
#: Weight windows from 10 ms (tests) to an hour.
MIN_WEIGHT_WINDOW_MS = 10
MAX_WEIGHT_WINDOW_MS = 3_600_000
#: Simulation choice: the replay stops this long after the last bar of the longest file (the
#: "horizon"): an advance aimed further stops there. Past the data nothing happens but funding on
#: a frozen price, and an unbounded jump would settle funding interval after interval for ever.
HORIZON_MARGIN_MS = 86_400_000
_COIN_RE = re.compile(r"[A-Z0-9]{1,16}")


def parse_start(value: str | int | None) -> int | Literal["now"] | None:
    """``None``, ``"now"``, epoch milliseconds, or an ISO-8601 instant (UTC if no offset).

    Epoch ms (an int or ASCII digits) must lie in ``0..MAX_EPOCH_MS``, and so must an ISO instant.

    Raises:
        FieldError: anything else (the message names ``start``).
    """
    if value is None or value == "now":
        return value  # type: ignore[return-value]
    expected = "expected 'now', epoch milliseconds or an ISO-8601 time"
    if isinstance(value, int) and not isinstance(value, bool):
        return integer("start", value, lo=0, hi=MAX_EPOCH_MS)
    if isinstance(value, str) and value.isascii() and 0 < len(value) <= 40:
        if value.isdigit():
            return integer("start", int(value), lo=0, hi=MAX_EPOCH_MS)
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(f"start={value!r}: {expected}") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return integer("start", int(dt.timestamp() * 1000), lo=0, hi=MAX_EPOCH_MS)
    raise FieldError(f"start={ascii(value)[:60]}: {expected}")


def check_balances(value: Any, *, name: str = "balances") -> dict[str, Decimal]:
    """Starting balances as ``{coin: Decimal}``: coins ``[A-Z0-9]{1,16}``, amounts in ``[0, 1e12]``."""
    if not isinstance(value, Mapping):
        raise FieldError(f'{name}: must be an object like {{"USDT": "10000"}}')
    out: dict[str, Decimal] = {}
    for coin, amount in value.items():
        if not isinstance(coin, str) or not _COIN_RE.fullmatch(coin):
            raise FieldError(f"{name}: coin {ascii(coin)[:40]} must be 1-16 of A-Z and 0-9 (USDT)")
        out[coin] = decimal(f"{name}[{coin!r}]", amount, lo=Decimal(0), hi=MAX_BALANCE)
    return out


def _check_engine(engine: EngineConfig) -> EngineConfig:
    """The engine's knobs, normalised to Decimals and bounded (the names are the reset fields')."""
    if not isinstance(engine, EngineConfig):
        raise FieldError(f"engine={type(engine).__name__}: must be an EngineConfig")
    pm = engine.price_model
    price_model = PriceModel(
        spread_bps=decimal("spread_bps", pm.spread_bps, lo=Decimal(0), hi=MAX_BPS),
        slippage_bps=decimal("slippage_bps", pm.slippage_bps, lo=Decimal(0), hi=MAX_BPS),
    )
    rate = decimal("funding_rate", engine.funding_rate, lo=-MAX_FUNDING_RATE, hi=MAX_FUNDING_RATE)
    rates = None
    if engine.funding_rates is not None:
        rates = {
            str(sym): decimal(f"funding_rates[{sym!r}]", r, lo=-MAX_FUNDING_RATE, hi=MAX_FUNDING_RATE)
            for sym, r in engine.funding_rates.items()
        }
    # The instruments' own maximum is checked once they are known (Emulator._prepare).
    leverage = integer("default_leverage", engine.default_leverage, lo=1, hi=1000)
    return replace(
        engine, price_model=price_model, funding_rate=rate, funding_rates=rates, default_leverage=leverage
    )


#: Every account's wallet where neither the caller nor the venue says otherwise.
DEFAULT_BALANCES: Mapping[str, Decimal] = {"USDT": Decimal(10_000)}


def venue_defaults(name: str) -> dict[str, Any]:
    """The configuration fields a venue starts from (its ``defaults()``: Alpaca's cash account, say);
    empty for an unknown venue (that is reported where the venue is loaded)."""
    try:
        venue = load_venue(name)
    except ValueError:
        return {}
    defaults = getattr(venue, "defaults", None)
    return dict(defaults()) if callable(defaults) else {}


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig:
    """Everything that defines an emulator run.

    Attributes:
        venue: which venue's wire to speak (``"bitget"``).
        data: replayed instruments (at most 16); empty = the bundled demo candles (BTC/USDT:USDT,
            ETH/USDT:USDT).
        clock: ``"manual"`` (time moves only through the control route: tests, fast rollouts) or
            ``"realtime"`` (time runs at ``speed`` × the wall clock: demos).
        speed: realtime clock rate (600 = ten minutes of market per second); in (0, 1e6].
        start: the emulator's present at start: None (the first file's own dates), ``"now"`` (the
            wall clock: candles line up with a client that computes ``since`` from its own clock), or
            an instant in epoch ms / ISO-8601 between 1970 and 2100. The data is shifted to it, so
            any such instant lies within the replay.
        history_bars: base bars already closed at the start (the history a client can fetch at once),
            0..10**7; capped at the shortest file's length minus one, so every file has a bar to play.
        balances: starting wallet of every account, by coin (a coin a replayed market settles in),
            each in [0, 1e12]. None: the venue's own (10,000 USDT on the futures venues, 100,000 USD
            of cash on Alpaca, as a paper account starts).
        credentials: the API keys accepted (None: the venue's documented default key).
        engine: simulation knobs: spread and slippage in [0, 1000] bps, funding rate in
            [-0.05, 0.05], default leverage in 1..the largest maximum of the replayed instruments
            (each instrument caps it at its own maximum). None: the venue's own (Alpaca: no leverage).
        fault_seed: seed of the fault injector's RNG (seeded fault rules); an int.
        weight_limit: for venues that meter request weights (Binance): the budget per window,
            1..10**9; None = the venue's own limit (Binance USD-M: 2400 a minute). Venues without
            weights (Bitget) ignore it.
        weight_window_ms: the length of that window on the wall clock, 10 ms..1 h (the venue's
            own: a minute); tests shorten it to see a 429 lift quickly.

    Raises:
        FieldError: a field of the wrong type or out of range (the message names it).
    """

    venue: str = "bitget"
    data: tuple[DataSpec, ...] = ()
    clock: Literal["manual", "realtime"] = "manual"
    speed: float = 1.0
    start: int | Literal["now"] | None = None
    history_bars: int = 500
    balances: Mapping[str, Decimal] | None = None
    credentials: tuple[Credentials, ...] | None = None
    engine: EngineConfig | None = None
    fault_seed: int = 0
    weight_limit: int | None = None
    weight_window_ms: int = 60_000

    def __post_init__(self) -> None:
        if not isinstance(self.venue, str):
            raise FieldError(f"venue={ascii(self.venue)[:40]}: must be a venue name")
        data = tuple(self.data)
        if len(data) > MAX_DATA_FILES or not all(isinstance(d, DataSpec) for d in data):
            raise FieldError(f"data: at most {MAX_DATA_FILES} DataSpec entries")
        object.__setattr__(self, "data", data)
        if self.clock not in ("manual", "realtime"):
            raise FieldError(f"clock={ascii(self.clock)[:40]}: must be 'manual' or 'realtime'")
        speed = number("speed", self.speed, lo=0, hi=MAX_SPEED, lo_open=True)
        object.__setattr__(self, "speed", speed)
        object.__setattr__(self, "start", parse_start(self.start))
        integer("history_bars", self.history_bars, lo=0, hi=MAX_HISTORY_BARS)
        defaults = venue_defaults(self.venue)
        balances = defaults.get("balances", DEFAULT_BALANCES) if self.balances is None else self.balances
        object.__setattr__(self, "balances", check_balances(balances))
        if self.credentials is not None:
            creds = tuple(self.credentials)
            if not creds or not all(isinstance(c, Credentials) for c in creds):
                raise FieldError("credentials: must be a non-empty tuple of Credentials")
            object.__setattr__(self, "credentials", creds)
        engine = defaults.get("engine", EngineConfig()) if self.engine is None else self.engine
        object.__setattr__(self, "engine", _check_engine(engine))
        integer("fault_seed", self.fault_seed, lo=-MAX_SEED, hi=MAX_SEED)
        if self.weight_limit is not None:
            integer("weight_limit", self.weight_limit, lo=1, hi=MAX_WEIGHT_LIMIT)
        integer("weight_window_ms", self.weight_window_ms, lo=MIN_WEIGHT_WINDOW_MS, hi=MAX_WEIGHT_WINDOW_MS)


class Advance(TypedDict, total=False):
    """The keywords of :meth:`Emulator.advance` (see :meth:`Emulator.advance_target`)."""

    bars: int | None
    ms: int | None
    to_ms: int | None
    symbol: str | None
    extended: bool


@dataclass(frozen=True, slots=True)
class _Run:
    """The state of one run, built in full before it replaces the previous one (an atomic reset)."""

    config: EmulatorConfig
    venue: Venue
    series: dict[str, ReplaySeries]
    engine: Engine
    ledger: Ledger
    credentials: dict[str, Credentials]
    clock: ManualClock | RealtimeClock


class Emulator:
    """One emulated venue: data on a clock, the engine, the accounts behind the API keys, faults.

    Args:
        config: the run's configuration (defaults: Bitget, bundled data, manual clock).
        wall_clock: wall time in ms, for ``start="now"`` (injectable for tests).

    Attributes:
        advance_slice_bars: an advance replays at most this many base bars per slice, and releases
            the lock between slices, so that venue requests interleave with a long advance.
    """

    advance_slice_bars: int = 1440  # a day of 1-minute bars: ~10-20 ms of engine work

    def __init__(self, config: EmulatorConfig | None = None, *, wall_clock: Any = None) -> None:
        self.lock = threading.RLock()
        self._wall = wall_clock or (lambda: int(time.time() * 1000))
        self.faults = FaultInjector()
        self.held_requests = 0  # requests a `timeout` fault is holding (see http._hold)
        self.run_id = 0  # counts resets: an advance begun before one must not drive the new run
        self.initial_config = config or EmulatorConfig()
        self._install(self._prepare(self.initial_config))

    # ------------------------------------------------------------------ building

    def _prepare(self, config: EmulatorConfig) -> _Run:
        """Build a whole run from ``config`` without touching the current one (raises ValueError)."""
        venue = load_venue(config.venue)
        specs = config.data or tuple(
            DataSpec(sym, bundled(name)) for sym, name in default_data(venue.name).items()
        )
        # A venue that lists markets in sessions (Alpaca's stocks) says so per market:
        # ``market_hours(market_id)`` answers the engine's MarketHours; without it every market
        # trades around the clock (Bitget, Binance: nothing changes for them).
        hours_of = getattr(venue, "market_hours", None)
        loaded: list[tuple[str, str, str, str, CandleData]] = []
        hours: list[Any] = []
        seen: set[str] = set()
        for i, spec in enumerate(specs):
            symbol = spec.symbol
            if symbol is None:
                if i > 0:
                    raise FieldError(
                        f"data file {spec.path}: name the symbol it stands for (SYMBOL=FILE) when "
                        "replaying more than one file"
                    )
                symbol = venue.default_symbol
            try:
                market_id, base, quote, settle = venue.parse_symbol(symbol)
                candles = _load(spec.path)
            except ValueError as e:  # CandleFileError: one line naming the file and the problem
                raise FieldError(f"data: {e}") from e
            if market_id in seen:
                raise FieldError(f"data: symbol {symbol!r} is given twice")
            seen.add(market_id)
            market_hours = hours_of(market_id) if hours_of is not None else None
            if market_hours is not None and has_sessions(market_hours):
                _check_sessions(candles, market_hours)
            loaded.append((market_id, base, quote, settle, candles))
            hours.append(market_hours)
        try:
            # Stocks keep their real dates and set the timeline; crypto files are shifted onto it.
            shifts, present = plan_timeline(
                [item[4] for item in loaded],
                start=config.start,
                history_bars=config.history_bars,
                wall_now_ms=self._wall(),
                keep_dates=[h is not None and has_sessions(h) for h in hours],
            )
        except ValueError as e:
            raise FieldError(str(e)) from e
        series: dict[str, ReplaySeries] = {}
        instruments: dict[str, Instrument] = {}
        for (market_id, base, quote, settle, data), shift, market_hours in zip(
            loaded, shifts, hours, strict=True
        ):
            s = ReplaySeries(data, shift, hours=market_hours)
            series[market_id] = s
            instruments[market_id] = venue.instrument(market_id, base, quote, settle, s.last_price(present))
        top = max(inst.max_leverage for inst in instruments.values())
        integer("default_leverage", config.engine.default_leverage, lo=1, hi=top)
        _known_coins(config.balances, instruments)
        ledger = Ledger()
        # Ids go on from the previous run's: a restarted venue never reuses an order or fill id.
        previous = getattr(self, "engine", None)
        first_id = previous.last_id + 1 if previous is not None else 1
        # A venue may fix engine rules that are facts of its API (Binance: client ids are unique
        # among open orders only); the user's knobs stay as configured.
        adapt = getattr(venue, "adapt_engine", None)
        engine_config = adapt(config.engine) if adapt is not None else config.engine
        engine = Engine(
            instruments, series, start_ms=present, config=engine_config, ledger=ledger, first_id=first_id
        )
        creds = config.credentials or (venue.default_credentials,)
        by_key: dict[str, Credentials] = {}
        for c in creds:
            if c.api_key in by_key:
                raise FieldError("credentials: an API key is given twice")
            by_key[c.api_key] = c
            engine.open_account(c.account, config.balances)
        clock = ManualClock(present) if config.clock == "manual" else RealtimeClock(present, config.speed)
        return _Run(config, venue, series, engine, ledger, by_key, clock)

    def _install(self, run: _Run) -> None:
        """Swap the current run for ``run``: plain assignments under the lock, nothing that can fail."""
        with self.lock:
            self.config = run.config
            self.venue = run.venue
            self.series = run.series
            self.engine = run.engine
            self.ledger = run.ledger
            self.credentials = run.credentials
            self.wire_cache: dict[str, Any] = {}  # per-run state of a venue's wire (e.g. stale reads)
            self.clock: ManualClock | RealtimeClock = run.clock
            self.faults.restart(run.config.fault_seed)
            self.run_id += 1

    def reset(self, **overrides: Any) -> None:
        """Start over from the initial configuration: fresh accounts, ledger and faults.

        ``overrides`` replace fields of the initial configuration for this run only; the next plain
        ``reset()`` goes back to the initial configuration. Atomic: the new run is built in full
        first, so a bad override raises and leaves the current run exactly as it was.

        Raises:
            ValueError: a bad override (:class:`~.checks.FieldError`, or a candle file's error).
        """
        run = self._prepare(replace(self.initial_config, **overrides))
        self._install(run)

    # ------------------------------------------------------------------ time

    def wall_ms(self) -> int:
        """The wall clock in ms (injectable): what request-weight windows are measured on."""
        return int(self._wall())

    def sync(self) -> None:
        """Replay every bar that closed up to the clock's present."""
        with self.lock:
            self.engine.advance_to(self.clock.now_ms())

    @property
    def base_ms(self) -> int:
        return next(iter(self.series.values())).base_ms

    @property
    def horizon_ms(self) -> int:
        """Where an advance stops: :data:`HORIZON_MARGIN_MS` after the last bar of the longest file."""
        return max(s.last_close_ms for s in self.series.values()) + HORIZON_MARGIN_MS

    def advance_target(
        self,
        *,
        bars: int | None = None,
        ms: int | None = None,
        to_ms: int | None = None,
        symbol: str | None = None,
        extended: bool = False,
    ) -> int:
        """Check an advance and return the instant it leads to (never before the present).

        ``bars`` moves to the close of the ``bars``-th next bar, ``ms`` by that much, ``to_ms`` to that
        instant. ``bars`` and ``ms`` are bounded by the replay's whole span (first bar to horizon),
        ``to_ms`` by :data:`MAX_EPOCH_MS`. An instant at or before the present is the present: several
        clients may drive one emulator, and the one behind simply catches up. An instant past the
        horizon is the horizon (or the present, if a realtime clock has run past it).

        Bars are base-bar boundaries of the timeline; with ``symbol`` (a market id) they are that
        market's session bars (:func:`torchtrade.markets.bars.next_bar_close`; with ``extended``
        pre/post-market bars count too), so one bar from a stock's close is the next session's
        first bar: a jump over the night, the weekend or the holiday, never a wait.

        Raises:
            FieldError: not exactly one amount, or one of the wrong type or out of range; a
                ``symbol`` not replayed, or given without ``bars``.
        """
        if sum(x is not None for x in (bars, ms, to_ms)) != 1:
            raise FieldError('advance: give exactly one of "bars", "ms", "to"')
        if symbol is not None and bars is None:
            raise FieldError('advance: "symbol" counts "bars"; give it with "bars" only')
        with self.lock:
            now = self.clock.now_ms()
            base = self.base_ms
            horizon = self.horizon_ms
            span = horizon - min(s.first_open_ms for s in self.series.values())
            if bars is not None:
                bars = integer("bars", bars, lo=0, hi=span // base + 1)
                if symbol is None:
                    target = (now // base + bars) * base
                else:
                    target = self._session_bars_ahead(symbol, bars, now, horizon, extended)
            elif ms is not None:
                target = now + integer("ms", ms, lo=0, hi=span)
            else:
                target = integer("to", to_ms, lo=0, hi=MAX_EPOCH_MS)
            return max(now, min(target, horizon))

    def _session_bars_ahead(self, symbol: str, bars: int, now: int, horizon: int, extended: bool) -> int:
        series = self._series_of(symbol)
        target = now
        for _ in range(bars):
            if target >= horizon:
                break
            try:
                target = next_bar_close(series.hours, series.base_ms, target, extended=bool(extended))
            except CalendarRangeError:
                return horizon
        return target

    def advance_step(self, target: int, run_id: int | None = None) -> bool:
        """Replay one slice (at most :attr:`advance_slice_bars` bars) toward ``target``, under the lock.

        The clock moves with the replay, slice by slice, so a request served between two slices sees
        a consistent venue at the slice's end. Returns True once the replay has reached ``target``, or
        at once if the emulator was reset since ``run_id`` (the advance belonged to the old run).
        """
        with self.lock:
            if run_id is not None and run_id != self.run_id:
                return True
            slice_ms = self.advance_slice_bars * self.base_ms
            start = self.engine.now_ms
            if self.clock.now_ms() < target:
                self.clock.reach(min(target, start + slice_ms))
            self.engine.advance_to(min(self.clock.now_ms(), start + slice_ms))
            return self.engine.now_ms >= target

    def advance(self, **how: Unpack[Advance]) -> int:
        """Move the clock forward (to the close of the ``bars``-th next bar, by ``ms``, or to ``to_ms``).

        Works for both clocks (a realtime clock jumps and keeps running). Replays in slices and
        releases the lock between them (see :meth:`advance_step`), so another thread's requests are
        served meanwhile. Returns the new present. The keywords are :meth:`advance_target`'s (the
        bounds; ``symbol``/``extended``: session bars of one market).
        """
        with self.lock:
            target = self.advance_target(**how)
            run_id = self.run_id
        while not self.advance_step(target, run_id):
            pass
        return self.clock.now_ms()

    def exhaustion(self) -> dict[str, bool]:
        """Per market: True once every bar of its data has closed."""
        now = self.clock.now_ms()
        return {market_id: s.exhausted(now) for market_id, s in self.series.items()}

    def exhausted(self) -> bool:
        """True once the data of *every* market has run out (see :meth:`exhaustion` for each one)."""
        return all(self.exhaustion().values())

    def clock_report(self) -> dict[str, Any]:
        """The present and the exhaustion of every market: what an advance answers."""
        with self.lock:
            now = self.clock.now_ms()
            symbols = {
                market_id: {"exhausted": s.exhausted(now), "closed_bars": s.closed_count(now)}
                for market_id, s in self.series.items()
            }
        return {
            "now": now,
            "exhausted": all(v["exhausted"] for v in symbols.values()),
            "symbols": symbols,
        }

    # ------------------------------------------------------------------ accounts

    def add_account(self, creds: Credentials, balances: Mapping[str, Any] | None = None) -> None:
        """Accept a new API key. A new account gets ``balances`` (default: the run's balances); a key
        for an existing account shares that account and deposits only the ``balances`` given.

        Raises:
            FieldError: the key exists, or a balance is out of range or in a coin no market settles.
        """
        with self.lock:
            if creds.api_key in self.credentials:
                raise FieldError("api_key: an account with this API key exists")
            checked = check_balances(balances) if balances is not None else None
            if checked is not None:
                _known_coins(checked, self.engine.instruments)
            exists = creds.account in {c.account for c in self.credentials.values()}
            if checked is None and not exists:
                checked = dict(self.config.balances)
            self.credentials[creds.api_key] = creds
            self.engine.open_account(creds.account, checked)

    def account_for(self, api_key: str | None) -> Credentials | None:
        return self.credentials.get(api_key) if api_key else None

    # ------------------------------------------------------------------ inspection

    def status(self) -> dict[str, Any]:
        """Clock, data and accounts. ``exhausted`` at the top: every market's data has run out;
        ``symbols[id]["exhausted"]``: that market's has."""
        now = self.clock.now_ms()
        return {
            "venue": self.venue.name,
            "now": now,
            "clock": self.clock.kind,
            "speed": getattr(self.clock, "speed", None),
            "base_ms": self.base_ms,
            "horizon": self.horizon_ms,
            "exhausted": all(s.exhausted(now) for s in self.series.values()),
            "accounts": sorted({c.account for c in self.credentials.values()}),
            "symbols": {
                market_id: {
                    "first_open": s.first_open_ms,
                    "last_close": s.last_close_ms,
                    "closed_bars": s.closed_count(now),
                    "bars": len(s),
                    "exhausted": s.exhausted(now),
                    "last_price": str(self.engine.last_price(market_id)),
                    "source": s.source,
                    "hours": s.hours.name,
                }
                for market_id, s in self.series.items()
            },
        }

    def symbols(self) -> Sequence[str]:
        return list(self.series)

    # ------------------------------------------------------------------ market hours

    def _series_of(self, market_id: str) -> ReplaySeries:
        series = self.series.get(market_id) if isinstance(market_id, str) else None
        if series is None:
            raise FieldError(f"symbol={ascii(market_id)[:40]}: not replayed here ({', '.join(self.series)})")
        return series

    def hours_of(self, market_id: str) -> Any:
        """The ``MarketHours`` of a replayed market (``ALWAYS_OPEN`` for crypto).

        Raises:
            FieldError: the market is not replayed.
        """
        return self._series_of(market_id).hours

    def market_hours(self) -> Any:
        """The hours the venue's market clock and calendar answer for (Alpaca's ``/v2/clock`` and
        ``/v2/calendar`` are the stock market's): the first replayed market in sessions, else the
        US equity calendar (a crypto-only Alpaca emulator still has a stock market clock)."""
        for s in self.series.values():
            if s.has_sessions:
                return s.hours
        return us_equity_hours()

    def market_clock(self, now_ms: int | None = None) -> MarketClock:
        """The stock market's state now (or at ``now_ms``): is_open, next_open, next_close."""
        t = self.clock.now_ms() if now_ms is None else now_ms
        return market_clock(self.market_hours(), t)

    def calendar(self, start: date, end: date) -> list[Session]:
        """The stock market's sessions from ``start`` to ``end`` (dates, inclusive).

        Raises:
            CalendarRangeError: dates outside the calendar (1990..2040).
        """
        return self.market_hours().sessions(start, end)

    def next_bar_close(
        self, market_id: str, *, period: Any = None, after_ms: int | None = None, extended: bool = False
    ) -> int:
        """The next close of one of a market's session bars after ``after_ms`` (default: now); the
        period defaults to the base bar. The same instant an env's clock waits for (see
        :func:`torchtrade.markets.bars.next_bar_close`)."""
        series = self._series_of(market_id)
        t = self.clock.now_ms() if after_ms is None else after_ms
        return next_bar_close(
            series.hours, series.base_ms if period is None else period, t, extended=extended
        )


def _check_sessions(data: CandleData, hours: Any) -> None:
    """A stock file's bars must lie in its market's (extended) sessions and inside the calendar:
    a bar at night or on a holiday would be a trade that cannot have happened (or a daily file
    whose midnight labels are dates, not instants)."""
    for bar in data.bars:
        try:
            inside = hours.next_open(bar.t, extended=True) < bar.t + data.base_ms
        except CalendarRangeError as e:
            raise FieldError(f"data: {data.source}: {e}") from e
        if not inside:
            when = datetime.fromtimestamp(bar.t / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            raise FieldError(
                f"data: {data.source}: the bar at {when} lies outside {hours.name}'s trading hours "
                "(sessions with pre/post-market); a market in sessions needs intraday bars of its "
                "trading days"
            )


def _known_coins(balances: Mapping[str, Decimal], instruments: Mapping[str, Instrument]) -> None:
    settles = sorted({inst.settle for inst in instruments.values()})
    for coin in balances:
        if coin not in settles:
            raise FieldError(
                f"balances: coin {coin!r} is not settled by any replayed market ({', '.join(settles)})"
            )
