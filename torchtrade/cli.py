"""The ``torchtrade`` command line.

torchtrade emulator serve [--venue bitget|binance|alpaca] [--data [SYMBOL=]FILE ...] [--clock realtime|manual]
                          [--speed N] [--start now|ISO] [--port P] [--api-key K --api-secret S
                          --passphrase P] [--weight-limit N]
torchtrade emulator tour  a short scripted ccxt session against an embedded emulator
torchtrade demo [--steps N] [--out DIR] [--no-plot] [--quiet]
                [--no-train | --train-frames N | --train-minutes M]
torchtrade report FILE [--out DIR]   the PNG and HTML of a saved run file
torchtrade flatten --venue bitget|binance|alpaca --symbol SYMBOL [--base-url URL] [--production]
                   cancel every order of the symbol and close every leg (keys from the environment/.env)
torchtrade --version

A bad value is one line on stderr and exit status 2, before anything starts.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

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

    if not args.no_plot or not args.no_train:
        _check_writable_dir(args.out, "--out")
    if not args.no_train:
        return _train_demo(args)
    print("torchtrade demo --no-train: the Bitget SLTP env on an embedded emulator (no keys, no network)")
    result = run_demo(steps=args.steps, out_dir=args.out, plot=not args.no_plot, progress=not args.quiet)
    print("\n".join(summary_lines(result)))
    for label, path in (("run file", result.run_file), ("plot", result.png), ("report", result.html)):
        if path is not None:
            print(f"{label + ':':<10}{path.resolve()}")
    if result.run_file is not None:
        print(f"(torchtrade report {result.run_file} writes the plot and the report again)")
    return 0


def _train_demo(args: argparse.Namespace) -> int:
    """``torchtrade demo`` (the default): PPO in-process on the bundled day's first bars, then the saved
    policy over HTTP on the bars after them (see :mod:`torchtrade.train.pipeline`)."""
    from .reports import metrics_lines
    from .train import PPOSettings
    from .train.pipeline import summary_lines, train_then_trade

    if args.train_minutes is not None:
        settings = PPOSettings(frames=10_000_000, seconds=args.train_minutes * 60)
    else:
        settings = PPOSettings(frames=args.train_frames)
    print(
        "torchtrade demo: PPO on the Bitget env in-process (first 2/3 of the bundled day), then "
        "the policy over HTTP on an embedded emulator (the last 1/3, never trained on)"
    )
    result = train_then_trade(
        settings, args.out, steps=args.steps, plot=not args.no_plot, progress=not args.quiet, eval_episodes=2
    )
    print("\n".join(summary_lines(result)))
    print("\n".join(metrics_lines(result.run.record.metrics(), result.run.record.currency)))
    for label, path in (("run file", result.run_file), ("plot", result.png), ("report", result.html)):
        if path is not None:
            print(f"{label + ':':<10}{path.resolve()}")
    return 0


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's default in its help (unless the help says it already), examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        quiet = action.default in (None, False, [], argparse.SUPPRESS) or "default" in text
        if quiet or action.option_strings == [] or "%(default)" in text:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """A bad argument is one line on stderr and exit status 2: no usage dump, no traceback."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"torchtrade: error: {message} (see: {self.prog} --help)\n")


def _bounded_int(lo: int, hi: int | None = None, what: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lo or (hi is not None and value > hi):
            span = f"{lo}-{hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: {what or 'it'} must be {span}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"speed {text} must be a finite number > 0")
    return value


def _venue_name(text: str) -> str:
    if text not in VENUES:
        raise argparse.ArgumentTypeError(f"unknown venue {text!r}; the emulator speaks: {', '.join(VENUES)}")
    return text


def _check_writable_dir(path: str | Path, flag: str) -> Path:
    """Make sure ``path`` is a folder we can write in (created if missing) before any work starts."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".torchtrade-write-check-"):
            pass
    except OSError as e:
        raise CliError(f"{flag} {path}: cannot write there ({e.strerror or e})") from None
    return folder


def _report(args: argparse.Namespace) -> int:
    from .reports import RunFileError, load_record, metrics_lines, write_report

    try:
        record = load_record(args.file)
    except RunFileError as e:
        raise CliError(str(e)) from None
    source = Path(args.file)
    out = _check_writable_dir(args.out if args.out is not None else source.parent, "--out")
    png, html = write_report(record, out, stem=source.stem)
    print("\n".join(metrics_lines(record.metrics(), record.currency)))
    print(f"{'plot:':<10}{png.resolve()}")
    print(f"{'report:':<10}{html.resolve()}")
    return 0


def _flatten(args: argparse.Namespace) -> int:
    from .envs.live.flatten import flatten
    from .errors import ConfigError, TorchTradeError

    where = args.base_url or ("production" if args.production else "practice account")
    print(f"torchtrade flatten: {args.venue} {args.symbol} ({where})", flush=True)
    try:
        result = flatten(
            args.venue,
            args.symbol,
            base_url=args.base_url,
            production=args.production,
            report=lambda line: print(f"  {line}", flush=True),
        )
    except ConfigError as e:
        raise CliError(str(e)) from None
    except TorchTradeError as e:  # the venue refused the keys or could not be reached
        print(f"torchtrade: error: {args.venue}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0 if result.complete else 1


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("torchtrade")
    except Exception:  # not installed (run from a source tree)
        return "unknown"


TOP_EXAMPLES = """examples (no keys, no network):
  torchtrade demo                       train a policy in-process, trade it on an embedded emulator
  torchtrade report torchtrade-demo/run.sqlite
  torchtrade emulator serve --venue binance
  torchtrade emulator tour
  torchtrade flatten --venue bitget --symbol BTC/USDT:USDT   (keys from the environment/.env)

Every command has its own --help.
"""
SERVE_EXAMPLES = """examples (no keys needed: the emulator prints the ones it accepts):
  torchtrade emulator serve
  torchtrade emulator serve --venue binance --clock manual --port 8766
  torchtrade emulator serve --data BTC/USDT:USDT=candles.csv --start now --speed 60
  torchtrade emulator serve --venue alpaca --balance USD=25000
"""
DEMO_EXAMPLES = """examples:
  torchtrade demo                      train a policy for seconds, trade it on held-out bars
  torchtrade demo --train-minutes 3    train longer
  torchtrade demo --no-train --steps 120 --out /tmp/demo --quiet   the SLTP env only, no training
"""
REPORT_EXAMPLES = """examples:
  torchtrade report torchtrade-demo/run.sqlite
  torchtrade report run.sqlite --out reports/

A run file is SQLite with the tables run, steps and fills (torchtrade.reports.store documents them):
the demo writes one, and so does RunRecorder.save() after a run of any env.
"""
FLATTEN_EXAMPLES = """examples:
  torchtrade flatten --venue bitget --symbol BTC/USDT:USDT
  torchtrade flatten --venue binance --symbol BTC/USDT:USDT --production
  torchtrade flatten --venue alpaca --symbol AAPL
  torchtrade flatten --venue bitget --symbol BTC/USDT:USDT --base-url http://127.0.0.1:8765

Keys come from the environment or a .env file (BITGETACCESSAPIKEY/BITGETSECRETKEY/BITGETPASSPHRASE,
BINANCE_API_KEY/BINANCE_API_SECRET, ALPACA_API_KEY/ALPACA_SECRET_KEY); against a local --base-url the
emulator's default keys. Nothing on the account is changed besides the orders and the position.
Exit status 0 when the symbol ends flat with no open order, 1 when not (or the venue failed), 2 on
bad input.
"""


def build_parser() -> argparse.ArgumentParser:
    fmt = {"formatter_class": _HelpFormatter}
    parser = _Parser(
        prog="torchtrade",
        description="torchtrade: TorchRL envs that trade real accounts, and a local venue emulator.",
        epilog=TOP_EXAMPLES,
        **fmt,
    )
    parser.add_argument("--version", action="version", version=f"torchtrade {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{emulator,demo,report,flatten}")
    emu = sub.add_parser("emulator", help="the local venue emulator", **fmt).add_subparsers(
        dest="action", required=True, metavar="{serve,tour}"
    )

    serve = emu.add_parser("serve", help="serve an emulated venue over HTTP", epilog=SERVE_EXAMPLES, **fmt)
    serve.add_argument(
        "--venue",
        default="bitget",
        type=_venue_name,
        metavar="{" + ",".join(VENUES) + "}",
        help="venue to emulate, one per process",
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
        help="realtime x speed, or manual: moved by POST /_emulator/advance",
    )
    serve.add_argument(
        "--speed", type=_positive_float, default=1.0, help="market seconds per wall second (realtime clock)"
    )
    serve.add_argument(
        "--start",
        default=None,
        help="the emulator's present: 'now', ISO-8601 or epoch ms (default: the first file's own dates)",
    )
    serve.add_argument(
        "--history",
        type=_bounded_int(0, what="--history"),
        default=500,
        help="bars already closed at the start",
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
        type=_bounded_int(1, what="--weight-limit"),
        default=None,
        help="request weight per minute for venues that meter it (default: Binance 2400; Alpaca "
        "200 requests per API); a fast replay's client sends far more than a live one",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    serve.add_argument(
        "--port", type=_bounded_int(1, 65535, "a TCP port"), default=8765, help="TCP port to listen on"
    )
    serve.add_argument("--api-key", default=None, help="API key the emulator accepts (default emulator-key)")
    serve.add_argument(
        "--api-secret", default=None, help="its secret (default emulator-secret; never printed)"
    )
    serve.add_argument(
        "--passphrase", default=None, help="its passphrase (Bitget only; default emulator-passphrase)"
    )
    serve.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="the server's own log level",
    )
    serve.set_defaults(func=_serve)

    tour = emu.add_parser(
        "tour",
        help="a short scripted ccxt session against an embedded emulator",
        epilog="example:\n  torchtrade emulator tour\n",
        **fmt,
    )
    tour.set_defaults(func=_tour)

    demo = sub.add_parser(
        "demo",
        help="train a policy in-process, then trade it on an embedded emulator",
        epilog=DEMO_EXAMPLES,
        **fmt,
    )
    demo.add_argument(
        "--steps",
        type=_bounded_int(1, what="--steps"),
        default=400,
        help="env steps (1-minute bars; the bundled day has 940 to play)",
    )
    demo.add_argument("--out", default="torchtrade-demo", help="folder for run.sqlite, run.png and run.html")
    demo.add_argument(
        "--no-plot", "--no-report", action="store_true", help="print the metrics only: no files"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    half = demo.add_mutually_exclusive_group()
    half.add_argument(
        "--train",
        action="store_true",
        help="what the demo does by default (kept for scripts): train a PPO policy in-process on the "
        "bundled day's first 2/3, then trade it (the standard long/flat/short env) over HTTP on the last "
        "1/3; --steps up to 480 there",
    )
    half.add_argument(
        "--no-train",
        action="store_true",
        help="skip training: the Bitget SLTP env (brackets on the venue) trades up to 940 bars",
    )
    budget = demo.add_mutually_exclusive_group()
    budget.add_argument(
        "--train-frames",
        type=_bounded_int(1, what="--train-frames"),
        default=4_096,
        help="env steps of training (seconds on a laptop)",
    )
    budget.add_argument(
        "--train-minutes",
        type=_positive_float,
        default=None,
        help="train for this long instead (e.g. 3)",
    )
    demo.set_defaults(func=_demo)

    report = sub.add_parser(
        "report",
        help="write the PNG and HTML report of a saved run file",
        epilog=REPORT_EXAMPLES,
        **fmt,
    )
    report.add_argument("file", metavar="FILE", help="a run file, e.g. the demo's torchtrade-demo/run.sqlite")
    report.add_argument(
        "--out", default=None, help="folder for FILE's name with .png and .html (default: FILE's folder)"
    )
    report.set_defaults(func=_report)

    flat = sub.add_parser(
        "flatten",
        help="cancel every order of a symbol and close every leg, from outside any env",
        epilog=FLATTEN_EXAMPLES,
        **fmt,
    )
    flat.add_argument("--venue", required=True, choices=["bitget", "binance", "alpaca"], help="the venue")
    flat.add_argument(
        "--symbol", required=True, help="ccxt swap symbol (BTC/USDT:USDT) or Alpaca symbol (AAPL, BTC/USD)"
    )
    flat.add_argument("--base-url", default=None, help="send every request there (an emulator)")
    flat.add_argument(
        "--production",
        action="store_true",
        help="the production account (default: the practice one: Bitget demo, Binance demo, Alpaca paper)",
    )
    flat.set_defaults(func=_flatten)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version (0) or a bad argument (2, one line already printed)
        return e.code if isinstance(e.code, int) else 2
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
