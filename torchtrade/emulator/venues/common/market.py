"""Market data every venue serves, derived from the replayed candles: one computation, many wires.

Simulation choices (every venue):

* **24 h statistics** (:func:`day_stats`) come from the base bars that closed in the last 24 h;
  with none, every figure is the last price and the volumes are 0.
* **The order book** (:func:`ladder`) is synthetic: levels one tick apart from the engine's best
  bid and ask, sizes growing away from the touch. Fills never walk it (the engine fills at the
  touch); it exists for clients that read it.
* **The public tape** (:func:`public_trades`) is synthetic too: every closed base bar prints
  :data:`PRINTS_PER_BAR` trades along the path the engine assumes for a bar with no exposure
  (open, low, high, close for a rising bar; open, high, low, close for a falling one), a quarter of
  the bar's volume each (the last print takes what rounding left), a quarter of the bar apart.
  Trade ids are ``4 × bar index + k + 1``, stable across calls. A print that went down from the
  previous one was a sell taking the bid (``buyer_maker``). The accounts' own fills are not on it.
* **Open interest** (:func:`open_interest`) is what the emulated accounts hold: the sum of every
  open position's size (each has the replayed market as its counterparty).
* **Funding** settles at every multiple of the instrument's interval (aligned to 00:00 UTC) at the
  engine's constant rate; :func:`funding_instants` lists those instants since the data began.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...data import Candle, Period, ReplaySeries
from ...engine import Instrument

if TYPE_CHECKING:
    from ...runtime import Emulator

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
PRINTS_PER_BAR = 4
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DayStats:
    """One market's last 24 hours, as tickers report them.

    Attributes:
        open: open of the first base bar closed in the window (the last price if none).
        open_ms: that bar's open time (``now - 24 h`` if none).
        quote_volume: sum of ``volume × close`` over the window's bars.
        bars: how many base bars closed in the window.
        open_utc: open of the first bar of the current UTC day (the last price if none).
    """

    now_ms: int
    last: Decimal
    bid: Decimal
    ask: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    base_volume: Decimal
    quote_volume: Decimal
    open_ms: int
    bars: int
    open_utc: Decimal

    @property
    def change(self) -> Decimal:
        return self.last - self.open

    @property
    def change_ratio(self) -> Decimal:
        return (self.last - self.open) / self.open if self.open else ZERO

    @property
    def change_ratio_utc(self) -> Decimal:
        """The change since the current UTC day opened, as a ratio of that open."""
        return (self.last - self.open_utc) / self.open_utc if self.open_utc else ZERO

    @property
    def vwap(self) -> Decimal:
        return self.quote_volume / self.base_volume if self.base_volume else self.last


def day_stats(emulator: Emulator, symbol: str) -> DayStats:
    eng = emulator.engine
    now = eng.now_ms
    series = emulator.series[symbol]
    last = eng.last_price(symbol)
    bid, ask = eng.book(symbol)
    day = series.closed_between(now - DAY_MS, now)
    utc_day = now - now % DAY_MS
    today = series.closed_between(utc_day - 1, now)
    return DayStats(
        now_ms=now,
        last=last,
        bid=bid,
        ask=ask,
        open=day[0].open if day else last,
        high=max((b.high for b in day), default=last),
        low=min((b.low for b in day), default=last),
        base_volume=sum((b.volume for b in day), ZERO),
        quote_volume=sum((b.volume * b.close for b in day), ZERO),
        open_ms=day[0].t if day else now - DAY_MS,
        bars=len(day),
        open_utc=today[0].open if today else last,
    )


def ladder(
    inst: Instrument, bid: Decimal, ask: Decimal, levels: int
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    """``(asks, bids)``: ``levels`` price levels a tick apart from the touch (bids above 0 only)."""
    asks = [(ask + i * inst.tick_size, inst.min_qty * (10 + 5 * i)) for i in range(levels)]
    bids = [
        (bid - i * inst.tick_size, inst.min_qty * (10 + 5 * i))
        for i in range(levels)
        if bid - i * inst.tick_size > 0
    ]
    return asks, bids


def candle_window(
    series: ReplaySeries,
    period: Period,
    now_ms: int,
    *,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
    from_start: bool,
) -> list[Candle]:
    """Candles with open time in ``[start_ms, end_ms]`` (both optional, inclusive), ascending.

    At most ``limit`` of them: the newest, or with ``from_start`` and a ``start_ms`` the oldest
    (Binance: "if startTime is sent, klines from startTime on"). The forming candle counts; see
    :meth:`~...data.ReplaySeries.candles`.

    Raises:
        ValueError: ``period`` cannot be built from the base bars, or ``limit < 1``.
    """
    if from_start and start_ms is not None:
        # Before the data begins there is nothing to count: like the venue (whose klines start at a
        # market's listing), the `limit` candles are counted from the first one that exists.
        start_ms = max(start_ms, period.floor(series.first_open_ms))
        # The open time of the limit-th period from the first one opening at or after start_ms.
        first = period.floor(start_ms)
        if first < start_ms:
            first = period.next(first)
        last_open = first
        for _ in range(limit - 1):
            last_open = period.next(last_open)
            if last_open > now_ms:
                break
        end_ms = last_open if end_ms is None else min(end_ms, last_open)
    return series.candles(period, now_ms, start_ms=start_ms, end_ms=end_ms, limit=limit)


def candle_rows(
    emulator: Emulator,
    key: Hashable,
    period: Period,
    candles: list[Candle],
    make_row: Callable[[Candle], Any],
) -> list[Any]:
    """``make_row`` of each candle; a finished candle's row is made once per run and cached.

    ``key`` names the series and the row format (e.g. ``(symbol, "1m", "klines")``).
    """
    now = emulator.engine.now_ms
    cache = emulator.wire_cache.setdefault("candle_rows", {}).setdefault(key, {})
    rows = []
    for c in candles:
        row = cache.get(c.t)
        if row is None:
            row = make_row(c)
            if period.next(c.t) <= now:
                cache[c.t] = row
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- funding


def funding_step_ms(inst: Instrument) -> int:
    return inst.funding_interval_h * HOUR_MS


def funding_instants(
    emulator: Emulator,
    symbol: str,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int,
    newest: bool,
) -> list[int]:
    """Settlement instants in ``[start_ms, end_ms]`` from the first bar's open to the present.

    Ascending. At most ``limit``: the newest ones if ``newest``, else the oldest (from
    ``start_ms`` on).
    """
    eng = emulator.engine
    inst = eng.instruments[symbol]
    step = funding_step_ms(inst)
    first_open = emulator.series[symbol].first_open_ms
    lo = -(-first_open // step) * step  # the first instant at or after the data's first bar
    hi = eng.next_funding_ms(symbol) - step  # the last instant at or before the present
    if start_ms is not None:
        lo = max(lo, -(-start_ms // step) * step)
    if end_ms is not None:
        hi = min(hi, end_ms - end_ms % step)
    if hi < lo:
        return []
    count = (hi - lo) // step + 1
    if count > limit:
        if newest:
            lo = hi - (limit - 1) * step
        else:
            hi = lo + (limit - 1) * step
    return list(range(lo, hi + 1, step))


# ----------------------------------------------------------------------------- public tape


@dataclass(frozen=True, slots=True)
class PublicTrade:
    id: int
    t_ms: int
    price: Decimal
    qty: Decimal
    buyer_maker: bool


def _bar_prints(series: ReplaySeries, inst: Instrument, i: int) -> list[PublicTrade]:
    bar = series.bar(i)
    previous = series.bar(i - 1).close if i > 0 else bar.open
    path = (bar.low, bar.high) if bar.close >= bar.open else (bar.high, bar.low)
    prices = (bar.open, *path, bar.close)
    share = inst.floor_qty(bar.volume / PRINTS_PER_BAR)
    out = []
    step = series.base_ms // PRINTS_PER_BAR
    for k, price in enumerate(prices):
        qty = share if k < PRINTS_PER_BAR - 1 else bar.volume - share * (PRINTS_PER_BAR - 1)
        if qty > 0:
            trade_id = PRINTS_PER_BAR * i + k + 1
            out.append(PublicTrade(trade_id, bar.t + k * step, price, qty, price < previous))
        previous = price
    return out


def bar_prints(emulator: Emulator, symbol: str, i: int) -> list[PublicTrade]:
    """The prints of closed base bar ``i`` on the synthetic tape (ids ``4i + 1`` to ``4i + 4``)."""
    return _bar_prints(emulator.series[symbol], emulator.engine.instruments[symbol], i)


def public_trades(
    emulator: Emulator,
    symbol: str,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    from_id: int | None = None,
    limit: int,
) -> list[PublicTrade]:
    """The synthetic tape (see the module docstring), ascending, at most ``limit`` prints.

    ``from_id``: the prints with id >= it. ``start_ms``: the prints at or after it. Either of
    them pages forward (the oldest matching prints); otherwise the newest prints up to ``end_ms``
    (or the present) are returned.
    """
    series = emulator.series[symbol]
    inst = emulator.engine.instruments[symbol]
    now = emulator.engine.now_ms
    closed = series.closed_count(now)
    base = series.base_ms
    upper = closed  # bars [lower, upper) are candidates
    lower = 0
    if end_ms is not None:
        upper = min(upper, series.closed_count(end_ms + base))  # bars opening at or before end_ms
    if start_ms is not None:
        lower = max(lower, series.closed_count(start_ms - 1 + base) - 1, 0)
    if from_id is not None:
        lower = max(lower, (max(from_id, 1) - 1) // PRINTS_PER_BAR)

    def keep(t: PublicTrade) -> bool:
        return (
            (start_ms is None or t.t_ms >= start_ms)
            and (end_ms is None or t.t_ms <= end_ms)
            and (from_id is None or t.id >= from_id)
        )

    out: list[PublicTrade] = []
    if from_id is not None or start_ms is not None:
        i = lower
        while i < upper and len(out) < limit:
            out.extend(t for t in _bar_prints(series, inst, i) if keep(t))
            i += 1
        return out[:limit]
    i = upper - 1
    while i >= lower and len(out) < limit:
        out[:0] = [t for t in _bar_prints(series, inst, i) if keep(t)]
        i -= 1
    return out[-limit:]


def open_interest(emulator: Emulator, symbol: str) -> Decimal:
    """The sum of every emulated account's open position size in ``symbol``."""
    total = ZERO
    for acct in emulator.engine.accounts():
        for pos in acct.open_positions(symbol):
            total += pos.qty
    return total
