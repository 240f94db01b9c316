"""The ``torchtrade`` command line.

torchtrade emulator serve [--venue bitget|binance|alpaca] [--data [SYMBOL=]FILE ...] [--clock realtime|manual]
                          [--speed N] [--start now|ISO] [--port P] [--api-key K --api-secret S
                          --passphrase P] [--weight-limit N]
torchtrade emulator tour  a short scripted ccxt session against an embedded emulator
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .emulator.runtime import DataSpec, Emulator, EmulatorConfig, parse_start
from .emulator.server import PortInUseError
from .emulator.venues.base import VENUES, Credentials, load_venue


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _balances(items: Sequence[str]) -> dict[str, Decimal]:
    out = {}
    for item in items:
        coin, _, amount = item.partition("=")
        try:
            out[coin.upper()] = Decimal(amount)
        except InvalidOperation:
            raise CliError(f"--balance {item!r}: expected COIN=AMOUNT, e.g. USDT=10000") from None
    return out


def _config(args: argparse.Namespace) -> tuple[EmulatorConfig, Credentials, bool]:
    if args.venue not in VENUES:
        raise CliError(f"unknown venue {args.venue!r}; the emulator speaks: {', '.join(VENUES)}")
    venue = load_venue(args.venue)
    if args.passphrase is not None and venue.default_credentials.passphrase is None:
        raise CliError(f"--passphrase: {args.venue} API keys have no passphrase")
    given = [args.api_key, args.api_secret, args.passphrase]
    if any(given):
        if not (args.api_key and args.api_secret):
            raise CliError("--api-key and --api-secret go together")
        creds = Credentials(api_key=args.api_key, api_secret=args.api_secret, passphrase=args.passphrase)
        user_secret = True
    else:
        creds = venue.default_credentials
        user_secret = False
    fields: dict[str, Any] = {}  # the venue's own cash and candles unless the flags say
    if args.data:
        fields["data"] = tuple(DataSpec.parse(d) for d in args.data)
    if args.balance:
        fields["balances"] = _balances(args.balance)
    try:
        start = parse_start(args.start)
        config = EmulatorConfig(
            venue=args.venue,
            clock=args.clock,
            speed=args.speed,
            start=start,
            history_bars=args.history,
            credentials=(creds,),
            weight_limit=args.weight_limit,
            **fields,
        )
    except ValueError as e:
        raise CliError(str(e)) from None
    return config, creds, user_secret


def _serve(args: argparse.Namespace) -> int:
    from .emulator.server import bind_socket, serve_forever

    config, creds, user_secret = _config(args)
    try:
        emulator = Emulator(config)
    except ValueError as e:  # a bad field or data file (FieldError: "data: ...")
        raise CliError(str(e)) from None
    try:
        sock = bind_socket(args.host, args.port)
    except PortInUseError as e:
        raise CliError(str(e)) from None
    url = f"http://{args.host}:{args.port}"
    status = emulator.status()
    print(f"torchtrade emulator: {config.venue} at {url}  (clock {status['clock']}, speed {config.speed:g})")
    for market_id, info in status["symbols"].items():
        print(f"  {market_id}: {info['source']}, {info['closed_bars']}/{info['bars']} bars closed")
    print(f"  api key:    {creds.api_key}")
    secret = "(the one you gave)" if user_secret else creds.api_secret.reveal()
    print(f"  api secret: {secret}")
    if creds.passphrase is not None:
        print(f"  passphrase: {'(the one you gave)' if user_secret else creds.passphrase.reveal()}")
    print(f"  control:    {url}/_emulator/status")
    if config.venue == "alpaca":
        print(
            "  point alpaca-py at it: TradingClient(key, secret, url_override=url), "
            "StockHistoricalDataClient(key, secret, url_override=url), "
            "CryptoHistoricalDataClient(url_override=url)"
        )
    else:
        ccxt_id = getattr(venue_of(config), "ccxt_id", config.venue)
        print(
            f"  point ccxt at it: torchtrade.emulator.clients.ccxt_client(url, {ccxt_id!r}), or set the "
            "scheme and host of each exchange.urls['api'] (keep their paths)"
        )
    sys.stdout.flush()
    serve_forever(emulator, sock, log_level=args.log_level)
    return 0


def venue_of(config: EmulatorConfig) -> object:
    return load_venue(config.venue)


def _tour(args: argparse.Namespace) -> int:
    """A short scripted session with a plain ccxt client, printing what it does."""
    from .emulator.clients import ccxt_client
    from .emulator.server import EmulatorServer

    symbol = "BTC/USDT:USDT"
    with EmulatorServer(clock="manual") as server:
        ex = ccxt_client(server.url, enableRateLimit=False)
        ex.load_markets()
        print(f"emulator at {server.url}; ccxt sees the markets {', '.join(ex.markets)}")
        print(f"server time {ex.iso8601(ex.fetch_time())}")
        for c in ex.fetch_ohlcv(symbol, "15m", limit=4):
            print(f"  15m {ex.iso8601(c[0])}  o={c[1]} h={c[2]} l={c[3]} c={c[4]} v={c[5]:.3f}")
        ticker = ex.fetch_ticker(symbol)
        print(f"ticker last={ticker['last']} bid={ticker['bid']} ask={ticker['ask']}")
        print(f"balance {ex.fetch_balance()['USDT']}")
        ex.set_leverage(5, symbol)
        last = ticker["last"]
        order = ex.create_order(
            symbol,
            "market",
            "buy",
            0.01,
            params={
                "clientOrderId": "tour-1",
                "takeProfit": {"triggerPrice": round(last * 1.002, 1)},
                "stopLoss": {"triggerPrice": round(last * 0.99, 1)},
            },
        )
        detail = ex.fetch_order(order["id"], symbol)
        print(f"market buy 0.01 -> {detail['status']} at {detail['average']}, fee {detail['fee']['cost']}")
        pos = ex.fetch_positions([symbol])[0]
        print(f"position {pos['side']} {pos['contracts']} @ {pos['entryPrice']}, leverage {pos['leverage']}")
        for _ in range(120):
            server.emulator.advance(bars=1)
            if not ex.fetch_positions([symbol]):
                break
        trades = ex.fetch_my_trades(symbol)
        for t in trades:
            print(
                f"  fill {t['side']} {t['amount']} @ {t['price']} fee {t['fee']['cost']:.6f} "
                f"pnl {t['info']['profit']} at {ex.iso8601(t['timestamp'])}"
            )
        print(f"positions now: {len(ex.fetch_positions([symbol]))}; balance {ex.fetch_balance()['USDT']}")
        requests = server.emulator.ledger.events("request")
        print(f"the venue served {len(requests)} requests")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo, summary_lines

    if args.steps < 1:
        raise CliError(f"--steps {args.steps}: must be >= 1")
    print("torchtrade demo: the Bitget SLTP env on an embedded emulator (no keys, no network)")
    result = run_demo(steps=args.steps, out_dir=args.out, plot=not args.no_plot, progress=not args.quiet)
    print("\n".join(summary_lines(result)))
    if result.plot is not None:
        print(f"equity and drawdown plot: {result.plot.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchtrade", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="the local venue emulator").add_subparsers(
        dest="action", required=True
    )

    serve = emu.add_parser("serve", help="serve an emulated venue over HTTP")
    serve.add_argument(
        "--venue",
        default="bitget",
        help=f"venue to emulate, one per process: {' or '.join(VENUES)} (default bitget)",
    )
    serve.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="[SYMBOL=]FILE",
        help="candle file to replay (repeatable); default: the bundled demo candles (Alpaca: its bundled "
        "stock and crypto candles)",
    )
    serve.add_argument(
        "--clock",
        choices=["realtime", "manual"],
        default="realtime",
        help="realtime x speed (default), or manual: moved by POST /_emulator/advance",
    )
    serve.add_argument("--speed", type=float, default=1.0, help="market seconds per wall second (default 1)")
    serve.add_argument(
        "--start",
        default=None,
        help="the emulator's present: 'now', ISO-8601 or epoch ms (default: the first file's own dates)",
    )
    serve.add_argument(
        "--history", type=int, default=500, help="bars already closed at the start (default 500)"
    )
    serve.add_argument(
        "--balance",
        action="append",
        default=[],
        metavar="COIN=AMOUNT",
        help="starting balance of the account (default USDT=10000; Alpaca: USD=100000)",
    )
    serve.add_argument(
        "--weight-limit",
        type=int,
        default=None,
        help="request weight per minute for venues that meter it (Binance: 2400 by default; Alpaca: "
        "200 requests per API); a fast "
        "replay's client sends far more than a live one",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--api-key", default=None, help="API key the emulator accepts (default emulator-key)")
    serve.add_argument(
        "--api-secret", default=None, help="its secret (default emulator-secret; never printed)"
    )
    serve.add_argument(
        "--passphrase", default=None, help="its passphrase (Bitget only; default emulator-passphrase)"
    )
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=_serve)

    tour = emu.add_parser("tour", help="a short scripted ccxt session against an embedded emulator")
    tour.set_defaults(func=_tour)

    demo = sub.add_parser("demo", help="run the Bitget SLTP env on an embedded emulator")
    demo.add_argument("--steps", type=int, default=400, help="env steps (1-minute bars), default 400")
    demo.add_argument(
        "--out", default="torchtrade-demo", help="where the plot goes (default ./torchtrade-demo)"
    )
    demo.add_argument("--no-plot", action="store_true", help="skip the equity/drawdown plot")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(args)
    except CliError as e:
        print(f"torchtrade: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
