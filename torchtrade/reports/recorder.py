"""``RunRecorder``: builds a :class:`~torchtrade.reports.record.RunRecord` from an env as it steps.

    rec = RunRecorder()
    obs = env.reset()
    rec.record(env)                              # the starting point
    for _ in range(n):
        obs, reward, done, info = env.step(policy(obs))
        rec.record(env, info, reward=reward)
    env.close_all_positions()
    rec.record(env)                              # its fills and the value after it
    rec.save("run.sqlite")                       # torchtrade report run.sqlite
    rec.to_record().metrics()                    # the numbers the report shows

With TorchRL's ``td = env.step(td)``, call ``rec.record(env, reward=td["next", "reward"].item())``:
without ``info``, the recorder reads ``env.last_info`` (what the last step, reset or
``close_all_positions`` saw). It reads only what the env already holds: no request to the venue.

Bracket levels come from the env's orders: the stop-loss and take-profit sent with an entry (Bitget,
Alpaca stocks), or the separate closing orders placed after it (Binance), or the levels the env
enforces itself (``env.client_levels``: Alpaca crypto); they are dropped when the position is flat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .record import FILL_COLUMNS, STEP_COLUMNS, RunRecord, frame


def _settle_coin(symbol: str) -> str:
    """``BTC/USDT:USDT`` -> USDT, ``BTC/USD`` -> USD, ``AAPL`` -> USD."""
    if ":" in symbol:
        return symbol.rsplit(":", 1)[1]
    if "/" in symbol:
        return symbol.rsplit("/", 1)[1]
    return "USD"


def env_meta(env: Any) -> dict[str, Any]:
    """What a report says of the env: its symbol, venue, bar and annualisation."""
    from ..envs.core.metrics import run_periods_per_year

    trader = getattr(env.trader, "wrapped", env.trader)  # a journaled env's trader is a wrapper
    symbol = str(getattr(trader, "symbol", ""))
    profile = getattr(trader, "profile", None)
    bar_ms = int(env.execute_on.ms)
    return {
        "symbol": symbol,
        "venue": str(getattr(profile, "name", "") or type(trader).__name__.removesuffix("Trader").lower()),
        "env": type(env).__name__,
        "execute_on": str(env.execute_on),
        "bar_ms": bar_ms,
        "periods_per_year": run_periods_per_year(env),
        "currency": _settle_coin(symbol),
    }


class RunRecorder:
    """Collects per-step and per-fill rows from an env's ``info`` (see the module's docstring)."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self.fills: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}
        self._seen_fills: set[str] = set()
        self._seen_funding: set[str] = set()
        self._orders: dict[str, tuple[str, str]] = {}  # venue order id -> (env action, client id)
        self._levels: tuple[float | None, float | None] = (None, None)

    def record(self, env: Any, info: Mapping[str, Any] | None = None, reward: float | None = None) -> None:
        """One row for the step ``info`` describes (default ``env.last_info``), and one per new fill."""
        info = env.last_info if info is None else info
        if not self.meta:
            self.meta = env_meta(env)
        previous_side = self.steps[-1]["side"] if self.steps else None
        episode, step = int(info.get("episode", env.episode)), int(info.get("step", env.step_count))
        orders = list(info.get("orders", []))
        self._learn_orders(orders, info.get("client_bracket"))
        new_fills = [f for f in info.get("fills", []) if str(f["id"]) not in self._seen_fills]
        for f in new_fills:
            self._seen_fills.add(str(f["id"]))
            self.fills.append(self._fill_row(f, episode, step, previous_side))
        funding = [p for p in info.get("funding", []) if str(p["id"]) not in self._seen_funding]
        self._seen_funding.update(str(p["id"]) for p in funding)
        client = getattr(env, "client_levels", None)
        if not info.get("legs"):
            self._levels = (None, None)
        elif client is not None:
            self._levels = client
        else:
            self._update_levels(orders)
        stop, take = self._levels
        entry = info.get("entry_price")
        self.steps.append(
            {
                "time": int(env.feed.last_closed_ms or env.clock.now_ms()),
                "episode": episode,
                "step": step,
                "price": float(env.feed.candles(env.execute_on)["close"].iloc[-1]),
                "side": info.get("side"),
                "position": float(info.get("position", 0.0)),
                "entry_price": float(entry) if entry and info.get("legs") else math.nan,
                "unrealized_pnl": float(info.get("unrealized_pnl", 0.0)),
                "portfolio_value": float(info.get("portfolio_value", env.portfolio_value)),
                "reward": math.nan if reward is None else float(reward),
                "fees": float(sum(f["fee"] for f in new_fills)),
                "funding": float(sum(p["amount"] for p in funding)),
                "fills": len(new_fills),
                "orders": len(orders),
                "rejections": len(info.get("rejections", [])),
                "stop_loss": math.nan if stop is None else float(stop),
                "take_profit": math.nan if take is None else float(take),
            }
        )

    def _learn_orders(
        self, orders: list[Mapping[str, Any]], client_bracket: Mapping[str, Any] | None
    ) -> None:
        for o in orders:
            action = str(o["action"])
            if client_bracket and action == "close" and o.get("status") == "accepted":
                action = str(client_bracket["kind"])  # the env closed at its own stop-loss or take-profit
            legs = o.get("extra", {}).get("legs") or [o]
            for leg in legs:
                for oid in str(leg.get("order_id") or "").split(","):
                    if oid:
                        self._orders[oid] = (action, str(o.get("client_oid", "")))

    def _update_levels(self, orders: list[Mapping[str, Any]]) -> None:
        stop, take = self._levels
        for o in orders:
            if o.get("status") != "accepted":
                continue
            extra = o.get("extra", {})
            action = str(o["action"])
            if action.startswith("open") and ("stopLoss" in extra or "takeProfit" in extra):
                stop, take = extra.get("stopLoss"), extra.get("takeProfit")
            elif action == "stop_loss":
                stop = extra.get("stop_loss", stop)
            elif action == "take_profit":
                take = extra.get("take_profit", take)
        self._levels = (stop, take)

    def _fill_row(self, f: Mapping[str, Any], episode: int, step: int, side: str | None) -> dict[str, Any]:
        action, client_oid = self._orders.get(str(f.get("order_id")), ("", ""))
        if action:
            kind = "entry" if action.startswith("open") else "exit"
        else:  # a venue-side trigger (a position stop-loss or take-profit): it closes what was held
            closing = (side == "long" and f["side"] == "sell") or (side == "short" and f["side"] == "buy")
            kind = "exit" if closing or f.get("realized_pnl") else "entry"
            action = self._level_reached(float(f["price"])) if kind == "exit" else ""
        return {
            "time": int(f["timestamp"]),
            "id": str(f["id"]),
            "episode": episode,
            "step": step,
            "order_id": str(f.get("order_id") or ""),
            "client_oid": client_oid,
            "action": action,
            "kind": kind,
            "side": str(f["side"]),
            "price": float(f["price"]),
            "amount": float(f["amount"]),
            "fee": float(f.get("fee") or 0.0),
            "realized_pnl": float(f.get("realized_pnl") or 0.0),
            "maker": bool(f.get("maker", False)),
        }

    def _level_reached(self, price: float) -> str:
        """Which of the held position's levels a venue-side exit at ``price`` was: the nearer one."""
        levels = [
            (abs(price - v), k) for k, v in zip(("stop_loss", "take_profit"), self._levels, strict=True) if v
        ]
        return min(levels)[1] if levels else ""

    def to_record(self) -> RunRecord:
        return RunRecord(
            steps=frame(self.steps, STEP_COLUMNS),
            fills=frame(self.fills, FILL_COLUMNS),
            meta=dict(self.meta),
        )

    def save(self, path: str | Path) -> Path:
        """Write the record as a run file (:mod:`torchtrade.reports.store`) that ``torchtrade report``
        reads."""
        from .store import save_record

        return save_record(self.to_record(), path)
