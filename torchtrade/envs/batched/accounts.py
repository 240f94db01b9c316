"""N futures accounts stepped in lockstep: the engine's account math, vectorized in numpy float64.

Each account holds at most one position in one linear perpetual (one-way mode), opened from flat by a
market order with optional position TP/SL, closed by a market order, by its TP/SL or by liquidation.
The rules are those of :mod:`torchtrade.emulator.engine` for that case, step for step:

* book and fills (:mod:`~torchtrade.emulator.engine.pricing`): ``bid = floor_tick(last - last·spread/2)``,
  ``ask = ceil_tick(last + last·spread/2)``; a taker buy fills at ``ceil_tick(ref·(1 + slippage))``, a
  sell at ``floor_tick(ref·(1 - slippage))``; ``ref`` is the ask/bid for an order placed now, the
  trigger level (or the bar's open on a gap) for a TP/SL firing inside a bar;
* admission (:class:`~torchtrade.emulator.engine.futures_orders.FuturesOrders.place_order`): an entry
  below the minimum notional at the ask/bid, one whose margin plus taker fee exceeds the available
  balance, or whose TP/SL are not on the right side of the ask/bid is rejected (the account stays flat);
  a close of the whole position is exempt from the minimums;
* sizing (the env's trader, ``FuturesTrader.amount_for``): ``quantity_per_trade`` in base coin (or its
  value in the settle coin), cut to ``max_position_size × value`` and to ``free × leverage /
  (price × 1.002)``, rounded *down* to the lot, refused below the minimum amount or notional at the
  last close; bracket prices ``last × (1 ± level)`` rounded to the nearest tick, a half tick up
  (ccxt's ``price_to_precision``);
* accounting (:mod:`~torchtrade.emulator.engine.futures`): taker fee on every fill, PnL on close, both
  rounded to 1e-8 (the engine's ``money``); isolated margin ``qty × price / leverage``;
* triggers along the bar's path (:mod:`~torchtrade.emulator.engine.intrabar`): net long → open, low,
  high, close; net short → open, high, low, close; a gap through a level fires at the open; when both
  the stop-loss and the take-profit are inside one bar the stop-loss fills (adverse first); at one price
  the trigger goes before the liquidation;
* liquidation (:mod:`~torchtrade.emulator.engine.liquidation`, :mod:`~torchtrade.emulator.engine.margin`):
  isolated ``P = (E·Q ∓ M) / (Q·(1 ∓ mmr))``, crossed the same with the wallet as ``M`` (one position:
  the cross formula reduces to it); the fill is at the liquidation price rounded to the tick against the
  position, taker fee, and what margin is left is taken as a liquidation fee;
* funding (:mod:`~torchtrade.emulator.engine.funding`): at each bar close on a multiple of the
  instrument's interval (8 h, UTC), ``qty × close × rate × side`` (rounded to 1e-8) from the wallet.

Where this simplifies against the engine and the live env (the parity test,
``tests/unit/test_batched_parity.py``, runs the engine itself on the same bars and actions):

1. Float64, not Decimal. Tick and lot rounding is ``floor(x / step + 1e-9)`` (``ceil(x / step - 1e-9)``),
   so a value within 1e-9 of a step counts as on it; money is rounded to 1e-8 with numpy's
   half-to-even; the admission checks (minimum notional, margin against the available balance, which
   the engine rounds to 1e-8) compare floats. The wallet is snapped to 1e-8 after every change, as the
   engine's Decimal wallet always is (a crossed liquidation that takes the whole wallet leaves exactly 0,
   not a float residue whose log return would be -37). Positions and counts agree exactly with the
   engine in the parity test, money to better than 1e-6 USDT; an order exactly at a boundary could go
   either way.
2. One symbol, one position, one-way mode, market orders only: no resting limit orders, no partial
   fills, no hedge legs, no adding to or flipping a position (the env's actions never do either).
3. Crossed margin is the single-symbol case (no other positions' PnL in the cross equity).
4. Bars are dense: a minute missing from the file is a flat bar at the previous close with zero
   volume (:mod:`.market`). The engine sees no bar there; a flat bar at the last close fires nothing
   and funding marks at that same close, so the accounting is identical. Only the observation window
   differs (the live env's window skips the missing minute; this one shows the flat bar).
5. Nothing can fail in-process: no faults, retries, outage policy, reconciliation or journal. No
   ``info`` dict, ledger or fills list: per-account counters (fees, funding, realized PnL,
   liquidations, stop-loss and take-profit exits, refused entries) in ``get_metrics()``.
6. Observation: one timeframe (the data's own bars) with the default features; no
   ``feature_preprocessing_fn``, ``include_base_features`` or higher timeframes.
7. Venue facts are Bitget's (the emulator's Bitget instruments and engine defaults); Binance's
   differences (client-id reuse, reduce-only minimum notional) do not matter for these orders, but its
   instrument table is not wired in.

Against the single env the batched env stands for (``tests/unit/test_batched_vs_single.py``: N
accounts and N ``BitgetFuturesTorchTradingEnv.replay`` envs of the same settings, each started on its
account's bar, on the same actions): positions, entries, liquidations, stop-loss and take-profit exits
and observations are identical, portfolio value, fees, funding and realized PnL within 1e-6 USDT,
rewards within 1e-6 (float32 of the same log return). The one difference is point 4: a window that
holds a missing minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..live.shared.trader import affordable_amount  # the live trader's sizing, the same formula

EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Market:
    """The instrument and venue facts the math needs, as floats (see :mod:`.venue`)."""

    tick: float
    lot: float
    min_qty: float
    min_notional: float
    taker_fee: float
    mmr: float
    spread: float  # fraction (1 bp = 1e-4)
    slippage: float  # fraction
    funding_rate: float


def floor_step(x: np.ndarray, step: float) -> np.ndarray:
    return np.floor(x / step + EPS) * step


def ceil_step(x: np.ndarray, step: float) -> np.ndarray:
    return np.ceil(x / step - EPS) * step


def nearest_step(x: np.ndarray, step: float) -> np.ndarray:
    """To the nearest step, a half step up: ccxt's ``price_to_precision`` (ROUND_HALF_UP on the price's
    shortest decimal), which the live and in-process traders use for bracket prices. ``last × (1 - 0.003)``
    at 17,150 is 17,098.55 as a decimal but a hair below it as a float: the ``EPS`` counts it as the half.
    """
    return np.floor(x / step + 0.5 + EPS) * step


def money(x: np.ndarray) -> np.ndarray:
    return np.round(x, 8)


class Accounts:
    """State of N accounts (1-D float64 arrays), and the verbs a step applies to them.

    ``side`` is +1 long, -1 short, 0 flat; ``qty`` the position size (base coin); ``margin`` the isolated
    margin; ``sl`` / ``tp`` the position's stop-loss / take-profit prices (NaN: none).
    """

    def __init__(self, n: int, market: Market, *, leverage: int, isolated: bool) -> None:
        self.n = n
        self.m = market
        self.leverage = float(leverage)
        self.isolated = isolated
        z = np.zeros
        self.wallet = z(n)
        self.side = z(n)
        self.qty = z(n)
        self.entry = z(n)
        self.margin = z(n)
        self.sl = np.full(n, np.nan)
        self.tp = np.full(n, np.nan)
        self.liq = z(n)  # raw liquidation price (0: none), kept up to date as the engine's refresh does
        self.fees = z(n)
        self.funding = z(n)
        self.realized = z(n)
        self.liquidations = z(n, dtype=np.int64)
        self.stops = z(n, dtype=np.int64)  # exits by stop-loss
        self.takes = z(n, dtype=np.int64)  # exits by take-profit
        self.rejected = z(n, dtype=np.int64)  # entries refused (sizing or admission)

    def reset(self, idx: np.ndarray, cash: float) -> None:
        for arr in (self.side, self.qty, self.entry, self.margin, self.fees, self.funding, self.realized):
            arr[idx] = 0.0
        for arr in (self.liquidations, self.stops, self.takes, self.rejected):
            arr[idx] = 0
        self.sl[idx] = np.nan
        self.tp[idx] = np.nan
        self.liq[idx] = 0.0
        self.wallet[idx] = cash

    # ------------------------------------------------------------------ views

    def upnl(self, mark: np.ndarray) -> np.ndarray:
        return (mark - self.entry) * self.qty * self.side

    def equity(self, mark: np.ndarray) -> np.ndarray:
        return self.wallet + self.upnl(mark)

    def free(self, mark: np.ndarray) -> np.ndarray:
        """The engine's ``available``: wallet less the position's margin (crossed: plus a negative PnL)."""
        if self.isolated:
            out = self.wallet - self.margin
        else:
            out = self.wallet - self.qty * self.entry / self.leverage + np.minimum(self.upnl(mark), 0.0)
        return np.maximum(out, 0.0)

    def liq_price(self, i: np.ndarray) -> np.ndarray:
        """Raw liquidation price (0: none) of accounts ``i``, as the engine's ``isolated_liquidation_price``
        (crossed: the wallet as the margin, which is its ``cross_liquidation_price`` for one position)."""
        qty, side = self.qty[i], self.side[i]
        m = (self.margin if self.isolated else self.wallet)[i]
        q = np.where(qty > 0, qty, 1.0)
        p = (self.entry[i] * q - side * m) / (q * (1.0 - side * self.m.mmr))
        return np.where((qty > 0) & (p > 0), p, 0.0)

    def liq_view(self) -> np.ndarray:
        """The liquidation price a position view reports: rounded to the tick against the position."""
        x = self.liq / self.m.tick
        return np.where(self.side > 0, np.floor(x + EPS), np.ceil(x - EPS)) * self.m.tick

    # ------------------------------------------------------------------ fills

    def _taker(self, sell: np.ndarray, ref: np.ndarray) -> np.ndarray:
        m = self.m
        down = floor_step(ref - ref * m.slippage, m.tick)
        up = ceil_step(ref + ref * m.slippage, m.tick)
        return np.where(sell, down, up)

    def _book(self, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        half = last * self.m.spread / 2.0
        return floor_step(last - half, self.m.tick), ceil_step(last + half, self.m.tick)

    def _close(self, i: np.ndarray, px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Close the positions ``i`` at ``px``: PnL and taker fee to the wallet. Returns (pnl, fee)."""
        qty = self.qty[i]
        pnl = money((px - self.entry[i]) * qty * self.side[i])
        fee = money(px * qty * self.m.taker_fee)
        self.wallet[i] = money(self.wallet[i] + pnl - fee)
        self.fees[i] += fee
        self.realized[i] += pnl
        self.side[i] = 0.0
        self.qty[i] = 0.0
        self.entry[i] = 0.0
        self.margin[i] = 0.0
        self.sl[i] = np.nan
        self.tp[i] = np.nan
        self.liq[i] = 0.0
        return pnl, fee

    def close(self, i: np.ndarray, last: np.ndarray) -> None:
        """Market close of the whole position of accounts ``i`` (the venue's close-position verb)."""
        if not len(i):
            return
        bid, ask = self._book(last)
        sell = self.side[i] > 0
        self._close(i, self._taker(sell, np.where(sell, bid, ask)))

    def open(
        self,
        i: np.ndarray,
        side: np.ndarray,
        last: np.ndarray,
        size: np.ndarray,
        sl_rel: np.ndarray | None,
        tp_rel: np.ndarray | None,
    ) -> None:
        """Market entries from flat for accounts ``i``.

        ``size``: the wanted amount in base coin before the trader's caps; ``sl_rel`` / ``tp_rel``:
        relative bracket levels (NaN or None: no bracket); ``last``: the last close of each account.
        """
        if not len(i):
            return
        m, lev = self.m, self.leverage
        free = np.maximum(self.wallet[i], 0.0)  # flat: the engine's available balance is the wallet
        raw = np.minimum(size, affordable_amount(free, last, lev, m.taker_fee))
        qty = floor_step(raw, m.lot)
        ok = (qty > 0) & (qty >= m.min_qty - EPS) & (qty * last >= m.min_notional)
        bid, ask = self._book(last)
        long = side > 0
        ref = np.where(long, ask, bid)
        ok &= qty * ref >= m.min_notional
        ok &= qty * ref / lev + qty * ref * m.taker_fee <= free + EPS
        if sl_rel is not None and tp_rel is not None:
            has = ~np.isnan(sl_rel)
            sl = np.where(has, nearest_step(last * (1.0 + side * sl_rel), m.tick), np.nan)
            tp = np.where(has, nearest_step(last * (1.0 + side * tp_rel), m.tick), np.nan)
            above = np.where(long, tp > ref + EPS, tp < ref - EPS) & np.where(
                long, sl < ref - EPS, sl > ref + EPS
            )
            ok &= ~has | (above & (sl > 0) & (tp > 0))
        else:
            sl = tp = np.full(len(i), np.nan)
        self.rejected[i[~ok]] += 1
        i, side, qty, ref, long, sl, tp = (a[ok] for a in (i, side, qty, ref, long, sl, tp))
        if not len(i):
            return
        px = self._taker(~long, ref)
        fee = money(px * qty * m.taker_fee)
        self.wallet[i] = money(self.wallet[i] - fee)
        self.fees[i] += fee
        self.side[i] = side
        self.qty[i] = qty
        self.entry[i] = px
        self.margin[i] = qty * px / lev
        self.sl[i] = sl
        self.tp[i] = tp
        self.liq[i] = self.liq_price(i)

    # ------------------------------------------------------------------ a bar

    def bar(
        self,
        o: np.ndarray,
        h: np.ndarray,
        lo: np.ndarray,
        funding_due: np.ndarray,
        c: np.ndarray,
        active: np.ndarray | None = None,
    ) -> None:
        """One bar per account (arrays of N): TP/SL and liquidation along its path, then funding.
        ``active``: the accounts that take this bar (None: all).

        Evaluated on all N at once: a flat account has no levels (NaN brackets, no liquidation price),
        so nothing fires for it, and a bar where nothing fires costs a handful of array operations.
        """
        side = self.side
        # Signed prices: for a long the adverse extreme is the low, for a short the high; times the side,
        # "reached against the position" is always "<=" and "reached in its favour" ">=".
        long = side > 0
        sa = side * np.where(long, lo, h)
        sf = side * np.where(long, h, lo)
        # NaN (no bracket) compares False, silently.
        sl_hit = sa <= side * self.sl
        tp_hit = sf >= side * self.tp
        liq_hit = (self.liq > 0) & (sa <= side * self.liq)
        hit = sl_hit | tp_hit | liq_hit
        if active is not None:
            hit &= active
            funding_due = funding_due & active
        if hit.any():
            i = np.flatnonzero(hit)
            self._exits(i, o[i], sl_hit[i], tp_hit[i], liq_hit[i])
        if funding_due.any():
            j = np.flatnonzero(funding_due & (side != 0))
            if len(j):
                pay = money(self.qty[j] * c[j] * self.m.funding_rate * self.side[j])
                self.wallet[j] = money(self.wallet[j] - pay)
                self.funding[j] += pay
                if not self.isolated:
                    self.liq[j] = self.liq_price(j)  # the cross equity moved

    def _exits(
        self, i: np.ndarray, o: np.ndarray, sl_hit: np.ndarray, tp_hit: np.ndarray, liq_hit: np.ndarray
    ) -> None:
        """The first exit along the bar's path of each account ``i`` (which reached some level)."""
        side, sl, tp, liq = self.side[i], self.sl[i], self.tp[i], self.liq[i]
        long = side > 0
        so = side * o
        sl_gap = so <= side * sl
        tp_gap = so >= side * tp
        liq_gap = (liq > 0) & (so <= side * liq)
        # Keys along the path (intrabar.BarPath): a gap sorts first; on the leg, nearer the open first;
        # at one price the trigger before the liquidation.
        sl_first = sl_gap | (~liq_gap & (side * sl >= side * liq))
        sl_exit = sl_hit & (~liq_hit | sl_first)
        tp_exit = ~sl_hit & tp_hit & (~liq_hit | tp_gap)
        liq_exit = liq_hit & ~sl_exit & ~tp_exit
        trig = sl_exit | tp_exit
        if trig.any():
            k = i[trig]
            ref = np.where(sl_exit, np.where(sl_gap, o, sl), np.where(tp_gap, o, tp))[trig]
            self._close(k, self._taker(long[trig], ref))
            self.stops[i[sl_exit]] += 1
            self.takes[i[tp_exit]] += 1
        if liq_exit.any():
            k = i[liq_exit]
            lp = liq[liq_exit]
            px = np.where(long[liq_exit], floor_step(lp, self.m.tick), ceil_step(lp, self.m.tick))
            margin = self.margin[k].copy()
            pnl, fee = self._close(k, px)
            left = margin + pnl - fee if self.isolated else self.wallet[k]
            liq_fee = money(np.maximum(left, 0.0))
            self.wallet[k] = money(self.wallet[k] - liq_fee)
            self.fees[k] += liq_fee
            self.liquidations[k] += 1
