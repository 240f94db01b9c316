"""The reference for the batched env: one account's run on the emulator's own engine, step by step.

It drives :class:`torchtrade.emulator.engine.Engine` directly, on the same bars (the candle file as
the emulator replays it: missing minutes stay missing), with the decisions the live futures env
makes for an action: the standard or SLTP action table, the trader's sizing (cap by the free balance
with its fee buffer, rounding down to the lot, minimum amount and notional at the last close), Bitget's
preset TP/SL on the entry (prices rounded to the tick as ccxt does) and its close-position verb, then
one bar (``advance_to`` the next close). Each step's snapshot is what the parity test compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from torchtrade.emulator.data import ReplaySeries
from torchtrade.emulator.engine import (
    Engine,
    MarginMode,
    OrderRejected,
    OrderRequest,
    OrderType,
    PositionSide,
    Side,
)
from torchtrade.emulator.engine.types import OrderSource
from torchtrade.envs.batched import BatchedFuturesEnv
from torchtrade.envs.live.shared.trader import affordable_amount


@dataclass(frozen=True, slots=True)
class Snapshot:
    side: int
    qty: float
    entry: float
    wallet: float
    fees: float
    funding: float
    realized: float
    liquidations: int
    stops: int
    takes: int
    rejected: int
    value: float


def engine_run(
    env: BatchedFuturesEnv, series: ReplaySeries, start: int, actions: list[int]
) -> list[Snapshot]:
    """One account from bar index ``start`` of ``env``'s dense candles, stepping ``actions``."""
    cfg = env.config
    inst = env.instrument
    sym = inst.symbol
    start_ms = int(env.candles.close_ms[start])
    engine = Engine({sym: inst}, {sym: series}, start_ms=start_ms, config=cfg.engine)
    engine.open_account("a", {"USDT": Decimal(repr(cfg.initial_cash))})
    mode = MarginMode.ISOLATED if cfg.margin_mode == "isolated" else MarginMode.CROSSED
    engine.set_margin_mode("a", sym, mode)
    engine.set_leverage("a", sym, cfg.leverage)
    table = env.action_map
    rejected = 0
    out = []
    now = start_ms
    for action in actions:
        last = float(engine.last_price(sym))
        held = engine.positions("a", sym)
        side = 0 if not held else (1 if held[0].position.side is PositionSide.LONG else -1)
        value = _value(engine, sym)
        if cfg.action_kind == "standard":
            want = action - 1
            if want and side and want != side:
                engine.close_positions("a", sym)
            elif want and not side:
                rejected += not _open(engine, env, want, last, value, None, None)
        elif not side:
            s, sl, tp = table[action]
            if s is not None:
                rejected += not _open(engine, env, 1 if s == "long" else -1, last, value, sl, tp)
        now += env.candles.base_ms
        engine.advance_to(now)
        out.append(_snapshot(engine, sym, rejected))
    return out


def _value(engine: Engine, sym: str) -> float:
    return float(engine.balance("a", "USDT").equity)


def _open(
    engine: Engine,
    env: BatchedFuturesEnv,
    side: int,
    last: float,
    value: float,
    sl: float | None,
    tp: float | None,
) -> bool:
    """The trader's entry (``FuturesTrader.amount_for``, then the order).

    Returns False when it is not sent or the engine refuses it."""
    cfg, inst = env.config, env.instrument
    raw = cfg.quantity_per_trade / last if cfg.trade_mode == "cash" else cfg.quantity_per_trade
    if cfg.max_position_size is not None and raw * last > cfg.max_position_size * value:
        raw = cfg.max_position_size * value / last
    free = float(engine.balance("a", "USDT").available)
    raw = min(raw, affordable_amount(free, last, cfg.leverage, float(inst.taker_fee)))
    qty = Decimal(repr(raw)).quantize(inst.lot_size, rounding=ROUND_DOWN)
    if qty <= 0 or qty < inst.min_qty or float(qty) * last < float(inst.min_notional):
        return False
    stop_loss = take_profit = None
    if sl is not None and tp is not None:
        stop_loss = _price(last * (1 + side * sl), inst.tick_size)
        take_profit = _price(last * (1 + side * tp), inst.tick_size)
    req = OrderRequest(
        symbol=inst.symbol,
        side=Side.BUY if side > 0 else Side.SELL,
        type=OrderType.MARKET,
        qty=qty,
        stop_loss=stop_loss,
        take_profit=take_profit,
    )
    try:
        engine.place_order("a", req)
    except OrderRejected:
        return False
    return True


def _price(x: float, tick: Decimal) -> Decimal:
    """ccxt's ``price_to_precision`` (to the nearest tick, a half up), as a Decimal the wire would parse."""
    return (Decimal(repr(x)) / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick


def _snapshot(engine: Engine, sym: str, rejected: int) -> Snapshot:
    acct = engine.account("a")
    held = engine.positions("a", sym)
    pos = held[0].position if held else None
    fills = acct.fills
    return Snapshot(
        side=0 if pos is None else (1 if pos.side is PositionSide.LONG else -1),
        qty=0.0 if pos is None else float(pos.qty),
        entry=0.0 if pos is None else float(pos.entry_price),
        wallet=float(acct.wallet["USDT"]),
        fees=float(acct.fees.get("USDT", 0)),
        funding=float(acct.funding.get("USDT", 0)),
        realized=float(acct.realized_pnl.get("USDT", 0)),
        liquidations=len(engine.ledger.events(kinds="liquidation", account="a")),
        stops=sum(f.source is OrderSource.STOP_LOSS for f in fills),
        takes=sum(f.source is OrderSource.TAKE_PROFIT for f in fills),
        rejected=rejected,
        value=_value(engine, sym),
    )
