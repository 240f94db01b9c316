"""``torchtrade emulator serve``: clear one-line errors, and a standalone server a plain ccxt can use."""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import BTC
from torchtrade.cli import main
from torchtrade.emulator.clients import ccxt_client
from torchtrade.emulator.process import serve_in_subprocess
from torchtrade.emulator.venues.base import Credentials


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--venue", "kraken"], "unknown venue 'kraken'"),
        (["--data", "/no/such/file.csv"], "file.csv: file not found"),
        (["--speed", "0"], "speed"),
        (["--start", "yesterday-ish"], "start='yesterday-ish'"),
        (["--api-key", "k"], "--api-key and --api-secret go together"),
        (["--balance", "USDT=lots"], "--balance 'USDT=lots'"),
    ],
)
def test_bad_arguments_get_one_clear_line(capsys, argv, message):
    assert main(["emulator", "serve", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("torchtrade: error:")
    assert message in err
    assert "\n" not in err


def test_a_malformed_data_file(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n2022-01-01T00:00:00Z,1,0.5,1,1,1\n")
    assert main(["emulator", "serve", "--data", f"BTC/USDT:USDT={bad}"]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: line 2" in err


def test_a_port_in_use(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["emulator", "serve", "--port", str(port)]) == 2
    assert "Address already in use" in capsys.readouterr().err


def test_standalone_server_serves_ccxt_and_never_prints_a_given_secret():
    args = (
        "--start",
        "now",
        "--api-key",
        "my-key",
        "--api-secret",
        "TOP-SECRET-VALUE",
        "--passphrase",
        "my-pass",
    )
    with serve_in_subprocess(*args) as served:
        creds = Credentials(api_key="my-key", api_secret="TOP-SECRET-VALUE", passphrase="my-pass")
        ex = ccxt_client(served.url, credentials=creds, enableRateLimit=False)
        ex.load_markets()
        # --start now: the emulator's present is the wall clock's (a client's own `since` works)
        assert abs(ex.fetch_time() - time.time() * 1000) < 30_000
        candles = ex.fetch_ohlcv(BTC, "1m", since=int(time.time() * 1000) - 30 * 60_000, limit=10)
        assert len(candles) == 10
        assert ex.fetch_balance()["USDT"]["total"] == 10_000
    assert served.url.rsplit(":", 1)[1] in served.output  # the banner names the address
    assert "TOP-SECRET-VALUE" not in served.output
    assert "my-pass" not in served.output
