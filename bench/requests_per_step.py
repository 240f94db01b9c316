"""HTTP requests per env step, by kind of step and venue, read from the emulator's own request log.

    python bench/requests_per_step.py

Writes bench/results/requests_per_step.md (and .json). The contract: a hold step costs at most 3
requests (new candles, position, balance) whatever the number of timeframes; a trade step adds only
the order and the read of its fills. Also reports what construction (market info, account settings,
first candles) and the clock probe cost, and env steps per second on the emulator's manual clock.
Venues: Bitget and Binance USD-M futures (ccxt), Alpaca stocks (SPY) and crypto (BTC/USD) (alpaca-py).
"""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

from torchtrade.emulator.server import EmulatorServer
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
    EmulatorClock,
)

# venue -> (standard env, config, SLTP env, config, the venue's own config fields, emulator venue)
FUTURES = {"quantity_per_trade": 0.01}
# Alpaca meters 200 requests per wall-clock minute; the bench steps hundreds of bars a second.
SERVER_FIELDS = {"alpaca": {"weight_limit": 10**9}}
VENUES: dict[str, tuple[Any, Any, Any, Any, dict[str, Any], str]] = {
    "bitget": (
        BitgetFuturesTorchTradingEnv,
        BitgetFuturesTradingEnvConfig,
        BitgetFuturesSLTPTorchTradingEnv,
        BitgetFuturesSLTPTradingEnvConfig,
        FUTURES,
        "bitget",
    ),
    "binance": (
        BinanceFuturesTorchTradingEnv,
        BinanceFuturesTradingEnvConfig,
        BinanceFuturesSLTPTorchTradingEnv,
        BinanceFuturesSLTPTradingEnvConfig,
        FUTURES,
        "binance",
    ),
    "alpaca stock": (
        AlpacaTorchTradingEnv,
        AlpacaTradingEnvConfig,
        AlpacaSLTPTorchTradingEnv,
        AlpacaSLTPTradingEnvConfig,
        {"symbol": "SPY", "quantity_per_trade": 5},
        "alpaca",
    ),
    "alpaca crypto": (
        AlpacaTorchTradingEnv,
        AlpacaTradingEnvConfig,
        AlpacaSLTPTorchTradingEnv,
        AlpacaSLTPTradingEnvConfig,
        {"symbol": "BTC/USD", "max_position_size": 0.1},
        "alpaca",
    ),
}

RESULTS = Path(__file__).parent / "results"
SETUPS = {
    "1 timeframe (1min x 32)": {"time_frames": ["1min"], "window_sizes": [32]},
    "3 timeframes (1min x 32, 5min x 12, 15min x 8)": {
        "time_frames": ["1min", "5min", "15min"],
        "window_sizes": [32, 12, 8],
    },
    "guide: 5min x 6, 15min x 32 on 1min": {
        "time_frames": ["5min", "15min"],
        "window_sizes": [6, 32],
        "execute_on": "1min",
    },
}


def routes(server: EmulatorServer, since: int) -> list[str]:
    return [e["route"] for e in server.emulator.ledger.events("request", since_seq=since)]


def measure(server: EmulatorServer, venue: str, sltp: bool, setup: dict[str, Any]) -> dict[str, Any]:
    server.emulator.reset()
    since = len(server.emulator.ledger)
    env_cls, cfg_cls, sltp_env_cls, sltp_cfg_cls, fields, _ = VENUES[venue]
    if sltp:
        env: Any = sltp_env_cls(
            sltp_cfg_cls(base_url=server.url, **fields, **setup),
            clock=EmulatorClock(server.emulator),
        )
        open_action, hold_action, close_action = 1, 0, None
    else:
        env = env_cls(
            cfg_cls(base_url=server.url, **fields, **setup),
            clock=EmulatorClock(server.emulator),
        )
        open_action, hold_action, close_action = 2, 1, 0
    construction = routes(server, since)
    since = len(server.emulator.ledger)
    env.reset()
    reset = routes(server, since)

    def step(action: int) -> list[str]:
        mark = len(server.emulator.ledger)
        env.step(action)
        return routes(server, mark)

    holds = [step(hold_action) for _ in range(20)]
    trade_open = step(open_action)
    holds_in_position = [step(hold_action) for _ in range(5)]
    trade_close = step(close_action) if close_action is not None else None
    start = time.perf_counter()
    n = 100
    for _ in range(n):
        env.step(hold_action)
    rate = n / (time.perf_counter() - start)
    return {
        "construction": dict(Counter(construction)),
        "construction_total": len(construction),
        "reset": dict(Counter(reset)),
        "hold_max": max(len(h) for h in holds + holds_in_position),
        "hold_routes": sorted(set(tuple(h) for h in holds))[0],
        "open": trade_open,
        "close": trade_close,
        "steps_per_s": rate,
    }


def main() -> None:
    rows = []
    out: dict[str, Any] = {}
    firsts: dict[str, dict[str, Any]] = {}
    for venue, spec in VENUES.items():
        with EmulatorServer(venue=spec[-1], clock="manual", **SERVER_FIELDS.get(spec[-1], {})) as server:
            for sltp in (False, True):
                for name, setup in SETUPS.items():
                    label = f"{venue} {'SLTP' if sltp else 'standard'}, {name}"
                    result = measure(server, venue, sltp, setup)
                    out[label] = result
                    firsts.setdefault(f"{venue} {'SLTP' if sltp else 'standard'}", result)
                    # An SLTP position is closed by its levels: the venue's brackets, or on Alpaca crypto
                    # (no venue brackets) the env's own market close on the bar that reached one.
                    by_levels = "(env closes at a level)" if venue == "alpaca crypto" else "(venue closes)"
                    closing = len(result["close"]) if result["close"] is not None else by_levels
                    rows.append(
                        f"| {label} | {result['hold_max']} | {len(result['open'])} "
                        f"| {closing} "
                        f"| {result['construction_total']} | {sum(result['reset'].values())} "
                        f"| {result['steps_per_s']:,.0f} |"
                    )
    notes = []
    for label, first in firsts.items():
        notes.append(
            f"- {label}: a hold step: {', '.join(first['hold_routes'])}; an opening step: "
            f"{', '.join(first['open'])}"
            + (f"; a closing step: {', '.join(first['close'])}" if first["close"] else "")
            + f". Construction: {first['construction']}."
        )
    lines = [
        "# Requests per step (Bitget, Binance and Alpaca envs against the emulator)",
        "",
        f"`python bench/requests_per_step.py` on {platform.machine()}, Python {platform.python_version()}. "
        "Counted from the emulator's request log (control routes not included).",
        "",
        "| venue, env, timeframes | hold step (max) | opening step | closing step | construction "
        "| first reset | hold steps/s (manual clock) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        *notes,
        "",
        "Construction also costs the clock probe when the default VenueClock is used (2 x fetch_time); "
        "the EmulatorClock used here jumps the emulator through its control routes instead.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "requests_per_step.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "requests_per_step.json").write_text(json.dumps(out, indent=2, default=list))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
