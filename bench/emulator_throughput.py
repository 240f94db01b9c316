"""Emulator throughput: ccxt round trips per second over HTTP, and engine bar steps per second.

    python bench/emulator_throughput.py [--seconds 3]

Writes bench/results/emulator_throughput.md (and .json). Targets on a 2-core machine: >= 500 HTTP
round trips/s through ccxt; >= 100,000 engine bar steps/s for one symbol with an open position and
its brackets. A benchmark, not a test: numbers depend on the machine; compare ratios side by side.

The HTTP server runs in its own process (``torchtrade emulator serve``) so that client and server do
not share a GIL, as with a real venue; the in-process figure (server thread + client thread, the
setup of tests and the demo) is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import ccxt
import requests

from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.emulator.clients import ccxt_client
from torchtrade.emulator.data import ReplaySeries, load_candles
from torchtrade.emulator.engine import Engine, EngineConfig, OrderRequest, OrderType, Side
from torchtrade.emulator.process import serve_in_subprocess
from torchtrade.emulator.server import EmulatorServer
from torchtrade.emulator.venues.bitget.instruments import spec_for

SYMBOL = "BTC/USDT:USDT"
RESULTS = Path(__file__).parent / "results"


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Calls per second of ``fn`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(20):
        fn()
    n = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed, n


def http_rates(url: str, seconds: float) -> dict[str, float]:
    ex = ccxt_client(url, enableRateLimit=False)
    ex.load_markets()
    session = requests.Session()
    side = ["buy"]

    def order() -> None:
        side[0] = "sell" if side[0] == "buy" else "buy"  # alternate: the position stays small
        ex.create_order(SYMBOL, "market", side[0], 0.001)

    return {
        "raw GET /api/v2/public/time (requests, no ccxt)": rate(
            lambda: session.get(url + "/api/v2/public/time"), seconds
        )[0],
        "ccxt fetch_time": rate(ex.fetch_time, seconds)[0],
        "ccxt fetch_ohlcv 1m limit=100": rate(lambda: ex.fetch_ohlcv(SYMBOL, "1m", limit=100), seconds)[0],
        "ccxt fetch_ohlcv 15m limit=100": rate(lambda: ex.fetch_ohlcv(SYMBOL, "15m", limit=100), seconds)[0],
        "ccxt fetch_positions": rate(lambda: ex.fetch_positions([SYMBOL]), seconds)[0],
        "ccxt create_order (market, signed POST)": rate(order, seconds)[0],
    }


def engine_rates(seconds: float) -> dict[str, float]:
    data = load_candles(bundled(DEFAULT_DATA[SYMBOL]))
    out = {}
    for label, accounts in (("1 account", 1), ("20 accounts", 20)):
        series = ReplaySeries(data)
        inst = spec_for("BTCUSDT", data.bars[0].close).build("BTCUSDT", "BTC", "USDT", "USDT")
        engine = Engine(
            {"BTCUSDT": inst},
            {"BTCUSDT": series},
            start_ms=series.first_open_ms + 60_000,
            config=EngineConfig(),
        )
        last = engine.last_price("BTCUSDT")
        for i in range(accounts):
            engine.open_account(f"a{i}", {"USDT": Decimal(100_000)})
            # Brackets far enough away to stay live for the whole file.
            engine.place_order(
                f"a{i}",
                OrderRequest(
                    symbol="BTCUSDT",
                    side=Side.BUY,
                    type=OrderType.MARKET,
                    qty=Decimal("0.1"),
                    take_profit=inst.ceil_price(last * 2),
                    stop_loss=inst.floor_price(last / 2),
                ),
            )
        steps = 0
        now = engine.now_ms
        start = time.perf_counter()
        while now < series.last_close_ms:
            now += series.base_ms
            engine.advance_to(now)
            steps += 1
        elapsed = time.perf_counter() - start
        assert all(engine.positions(f"a{i}") for i in range(accounts)), "the brackets fired: widen them"
        out[f"engine bar steps/s, one symbol, {label} with an open position + TP/SL"] = steps / elapsed
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per HTTP measurement")
    args = parser.parse_args()

    with serve_in_subprocess("--clock", "manual") as served:
        separate = http_rates(served.url, args.seconds)
    with EmulatorServer(clock="manual") as server:
        in_process = http_rates(server.url, args.seconds)
    engine = engine_rates(args.seconds)

    lines = [
        "# Emulator throughput",
        "",
        f"`python bench/emulator_throughput.py --seconds {args.seconds:g}` on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, ccxt {ccxt.__version__}.",
        "",
        "| HTTP round trips per second | server in its own process | server thread, same process |",
        "|---|---:|---:|",
    ]
    lines += [f"| {k} | {separate[k]:,.0f} | {in_process[k]:,.0f} |" for k in separate]
    lines += ["", "| engine only (no HTTP) | per second |", "|---|---:|"]
    lines += [f"| {k} | {v:,.0f} |" for k, v in engine.items()]
    lines += [
        "",
        "Targets: >= 500 ccxt round trips/s; >= 100,000 engine bar steps/s (one symbol, position + "
        "brackets).",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "emulator_throughput.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "emulator_throughput.json").write_text(
        json.dumps({"separate_process": separate, "in_process": in_process, "engine": engine}, indent=2)
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
