"""Hand-made spot markets for engine tests: a tiny stock calendar and bars at chosen instants.

The calendar is UTC and regular: each weekday from MON (2022-12-12) has pre-market 09:00, a regular
session 14:30-21:00 and post-market until 23:00; ``holidays`` drop days. Every number can be checked
by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from torchtrade.emulator.data import Bar, CandleData, ReplaySeries
from torchtrade.emulator.engine import (
    AccountKind,
    Engine,
    EngineConfig,
    PriceModel,
    Side,
    SpotConfig,
    SpotInstrument,
    SpotOrderRequest,
    SpotOrderType,
    SpotTimeInForce,
)
from torchtrade.markets.calendar import Session, SessionHours

D = Decimal
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000
MON = 1_670_803_200_000  # 2022-12-12T00:00Z, a Monday
PRE, OPEN, CLOSE, POST = 9 * HOUR, 14 * HOUR + 30 * MIN, 21 * HOUR, 23 * HOUR


def day_ms(n: int) -> int:
    """Midnight UTC of the n-th day after MON."""
    return MON + n * DAY


def hours(days: int = 40, holidays: tuple[int, ...] = ()) -> SessionHours:
    sessions = []
    for n in range(days):
        d = dt.date(2022, 12, 12) + dt.timedelta(days=n)
        if d.weekday() >= 5 or n in holidays:
            continue
        base = day_ms(n)
        sessions.append(Session(d, base + PRE, base + OPEN, base + CLOSE, base + POST))
    return SessionHours(sessions, name="TEST", timezone=dt.UTC)


def stock(symbol: str = "AAPL", **flags: object) -> SpotInstrument:
    return SpotInstrument.stock(symbol, hours=flags.pop("hours", None) or hours(), **flags)  # type: ignore[arg-type]


def btc(**flags: object) -> SpotInstrument:
    return SpotInstrument.crypto(
        "BTC/USD",
        min_order_size=D("0.0001"),
        min_trade_increment=D("0.000000001"),
        price_increment=D("1"),
        **flags,
    )


def series(bars: list[tuple[int, str, str, str, str]]) -> ReplaySeries:
    """1-minute bars from (open time ms, open, high, low, close)."""
    rows = tuple(Bar(t, D(o), D(h), D(lo), D(c), D(1)) for t, o, h, lo, c in bars)
    return ReplaySeries(CandleData(source="hand", base_ms=MIN, bars=rows))


def flat_bars(start: int, n: int, price: str) -> list[tuple[int, str, str, str, str]]:
    return [(start + i * MIN, price, price, price, price) for i in range(n)]


def engine(
    bars: dict[SpotInstrument, list[tuple[int, str, str, str, str]]],
    *,
    start: int,
    cash: str = "10000",
    kind: AccountKind = AccountKind.MARGIN,
    **spot: object,
) -> Engine:
    """An engine on spot symbols, present at ``start``, with account "a" holding ``cash``."""
    eng = Engine(
        {inst.symbol: inst for inst in bars},
        {inst.symbol: series(b) for inst, b in bars.items()},
        start_ms=start,
        config=EngineConfig(
            price_model=PriceModel(spread_bps=D(0), slippage_bps=D(0)),
            spot=SpotConfig(**spot),  # type: ignore[arg-type]
        ),
    )
    eng.open_spot_account("a", D(cash), kind=kind)
    return eng


def buy(symbol: str, qty: str | None = None, **kw: object) -> SpotOrderRequest:
    return _req(symbol, Side.BUY, qty, **kw)


def sell(symbol: str, qty: str | None = None, **kw: object) -> SpotOrderRequest:
    return _req(symbol, Side.SELL, qty, **kw)


def _req(symbol: str, side: Side, qty: str | None, **kw: object) -> SpotOrderRequest:
    for name in ("notional", "limit_price", "stop_price"):
        if isinstance(kw.get(name), str):
            kw[name] = D(kw[name])  # type: ignore[arg-type]
    kw.setdefault("tif", SpotTimeInForce.GTC if "/" in symbol else SpotTimeInForce.DAY)
    if "limit_price" in kw and "type" not in kw:
        kw["type"] = SpotOrderType.STOP_LIMIT if "stop_price" in kw else SpotOrderType.LIMIT
    elif "stop_price" in kw and "type" not in kw:
        kw["type"] = SpotOrderType.STOP
    return SpotOrderRequest(symbol=symbol, side=side, qty=D(qty) if qty is not None else None, **kw)  # type: ignore[arg-type]
