"""Small hand-made markets for engine tests: every number in a test can be checked by hand."""

from __future__ import annotations

from decimal import Decimal

from torchtrade.emulator.data import Bar, CandleData, ReplaySeries
from torchtrade.emulator.engine import Engine, EngineConfig, Instrument, PriceModel

D = Decimal
MIN = 60_000
T0 = 1_670_889_600_000  # 2022-12-13T00:00:00Z, a funding instant (multiple of 8 h)


def btc(**overrides: object) -> Instrument:
    spec = dict(
        symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        settle="USDT",
        tick_size=D("0.1"),
        lot_size=D("0.001"),
        min_qty=D("0.001"),
        min_notional=D("5"),
        max_leverage=125,
        maker_fee=D("0.0002"),
        taker_fee=D("0.0006"),
        mmr=D("0.004"),
    )
    spec.update(overrides)
    return Instrument(**spec)  # type: ignore[arg-type]


def bars(*ohlc: tuple[str, str, str, str], start: int = T0) -> list[Bar]:
    """1-minute bars from (open, high, low, close) strings, starting at ``start``."""
    return [Bar(start + i * MIN, D(o), D(h), D(lo), D(c), D("1")) for i, (o, h, lo, c) in enumerate(ohlc)]


def series(*ohlc: tuple[str, str, str, str]) -> ReplaySeries:
    return ReplaySeries(CandleData(source="hand", base_ms=MIN, bars=tuple(bars(*ohlc))))


def engine(
    *ohlc: tuple[str, str, str, str],
    history: int = 1,
    instrument: Instrument | None = None,
    balance: str = "10000",
    **config: object,
) -> Engine:
    """An engine on one symbol whose present is after ``history`` closed bars, with account "a"."""
    config.setdefault("price_model", PriceModel(spread_bps=D(0), slippage_bps=D(0)))
    inst = instrument or btc()
    eng = Engine(
        {inst.symbol: inst},
        {inst.symbol: series(*ohlc)},
        start_ms=T0 + history * MIN,
        config=EngineConfig(**config),  # type: ignore[arg-type]
    )
    eng.open_account("a", {"USDT": D(balance)})
    return eng


def flat(price: str, n: int) -> list[tuple[str, str, str, str]]:
    return [(price, price, price, price)] * n
