"""The kill switch in real processes (Bitget, Binance, Alpaca): SIGINT to a process trading under
``kill_switch`` leaves the venue flat with no orders and the process exits 0 within 5 s; ``torchtrade
flatten`` does the same from another process. Every venue call goes through the real SDK over HTTP to
an emulator served here."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BTC
from torchtrade.cli import main
from torchtrade.emulator.control import ControlClient
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
    EmulatorClock,
    kill_switch,
)
from torchtrade.envs.core.kill_switch import KillSwitchInterrupt
from torchtrade.envs.live.flatten import flatten

ROOT = Path(__file__).resolve().parents[2]
KILL_WITHIN_S = 5.0
STARTUP_S = 90.0  # importing torch and torchrl in a child on a loaded machine
FIXTURES = {"bitget": "emulator", "binance": "binance_emulator", "alpaca": "alpaca_emulator"}
ENVS = {
    "bitget": (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig),
    "binance": (BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesSLTPTradingEnvConfig),
}


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCHTRADE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


#: order statuses that are over (the futures engine's and Alpaca's)
DONE = {"filled", "canceled", "cancelled", "expired", "rejected", "replaced"}


def open_orders(control: Any) -> list[dict]:
    book = control.orders()
    return [o for o in book["orders"] if o["status"] not in DONE] + [
        t for t in book["triggers"] if t["status"] == "live"
    ]


def lines_of(stream: Any) -> queue.Queue[str]:
    """The lines a child prints, as they come (read on a thread: readline would block the test)."""
    out: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            out.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return out


def wait_for(lines: queue.Queue[str], word: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        try:
            if lines.get(timeout=0.5).strip() == word:
                return
        except queue.Empty:
            if proc.poll() is not None:
                raise AssertionError(
                    f"the child exited with {proc.returncode}: {proc.stderr.read()}"
                ) from None  # type: ignore[union-attr]
    raise AssertionError(f"the child never printed {word!r}")


# ------------------------------------------------------------------ SIGINT / SIGTERM to a trading process


@pytest.mark.parametrize(
    ("venue", "mode", "signum"),
    [
        ("bitget", "context", signal.SIGINT),
        ("binance", "context", signal.SIGINT),
        ("bitget", "context", signal.SIGTERM),
        ("bitget", "installer", signal.SIGINT),
        ("alpaca", "context", signal.SIGINT),
    ],
    ids=["bitget-sigint", "binance-sigint", "bitget-sigterm", "bitget-installer", "alpaca-sigint"],
)
def test_a_signal_flattens_the_venue_and_exits_0_within_5_s(request, venue, mode, signum):
    server = request.getfixturevalue(FIXTURES[venue])
    if venue == "alpaca":
        server.control.reset(history_bars=400, weight_limit=10**9)  # Friday 12:46 ET, the market open
    control = ControlClient(server.url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.kill_switch_child", venue, server.url, mode],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lines_of(proc.stdout), "ready", proc)
        # what the signal finds: a position, its stop-loss and its take-profit resting on the venue
        assert len(control.positions()) == 1
        assert len(open_orders(control)) == 2
        sent = time.monotonic()
        proc.send_signal(signum)
        code = proc.wait(timeout=KILL_WITHIN_S + 5)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()  # type: ignore[union-attr]
    assert code == 0, err
    assert took < KILL_WITHIN_S, f"exited after {took:.1f} s"
    assert control.positions() == []
    assert open_orders(control) == []
    assert "the env is killed" in err
    assert signal.Signals(signum).name in err
    assert "Traceback" not in err


def test_a_second_sigint_during_the_kill_forces_the_exit(emulator):
    control = ControlClient(emulator.url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.kill_switch_child", "bitget", emulator.url],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lines_of(proc.stdout), "ready", proc)
        # The kill's first request (the open orders) hangs until the client gives up: the kill is slow.
        control.add_fault("timeout", route="orders_pending", delay_s=20.0)
        errors = lines_of(proc.stderr)
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STARTUP_S
        while "killing the env" not in errors.get(timeout=deadline - time.monotonic()):
            pass
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130
    assert took < 2.0, f"exited after {took:.1f} s"
    assert len(control.positions()) == 1  # forced: the venue is left as it was


def test_the_kill_switch_in_process_restores_the_handlers(emulator):
    env = make("bitget", emulator)
    env.reset()
    env.step(1)
    before = signal.getsignal(signal.SIGINT)
    with kill_switch(env, exit=False) as switch:
        assert signal.getsignal(signal.SIGINT) is not before
        signal.raise_signal(signal.SIGINT)  # delivered here, between two bytecodes of this block
        raise AssertionError("the signal did not interrupt the block")  # pragma: no cover
    assert switch.triggered == signal.SIGINT
    assert switch.summary["complete"] is True
    assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(signal.SIGTERM) is not switch._handle
    assert emulator.control.positions() == []
    assert open_orders(emulator.control) == []
    _, _, _, info = env.step(1)
    assert info["risk"]["reason"] == "killed"  # the env lives on, halted


def test_the_kill_switch_does_nothing_without_a_signal(emulator):
    env = make("bitget", emulator)
    env.reset()
    env.step(1)
    before = signal.getsignal(signal.SIGINT)
    with kill_switch(env) as switch:
        env.step(0)
    assert switch.triggered is None
    assert switch.summary is None
    assert signal.getsignal(signal.SIGINT) is before
    assert len(emulator.control.positions()) == 1
    assert issubclass(KillSwitchInterrupt, BaseException)
    assert not issubclass(KillSwitchInterrupt, Exception)
    env.kill()


def make(venue: str, server: Any) -> Any:
    env_cls, cfg_cls = ENVS[venue]
    config = cfg_cls(
        base_url=server.url,
        quantity_per_trade=0.01,
        leverage=5,
        time_frames=["1min"],
        window_sizes=[10],
        stoploss_levels=(-0.5,),
        takeprofit_levels=(1.0,),
    )
    return env_cls(config, clock=EmulatorClock(server.control), retry_sleep=lambda s: None)


# ------------------------------------------------------------------ torchtrade flatten


def flatten_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torchtrade.cli", "flatten", *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("venue", ["bitget", "binance"])
def test_torchtrade_flatten_from_another_process(request, capsys, venue):
    server = request.getfixturevalue("emulator" if venue == "bitget" else "binance_emulator")
    env = make(venue, server)
    env.reset()
    env.step(1)
    assert len(server.control.positions()) == 1
    assert len(open_orders(server.control)) == 2
    done = flatten_cli("--venue", venue, "--symbol", BTC, "--base-url", server.url)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == f"torchtrade flatten: {venue} {BTC} ({server.url})"
    assert any("cancelled 2 open order(s)" in line for line in out)
    assert any(line.strip().startswith("close long 0.01: accepted") for line in out)
    assert out[-1].strip() == f"{BTC}: flat, no open orders; cancelled 2 order(s), sent 1 close(s)"
    assert "emulator-secret" not in done.stdout + done.stderr
    assert server.control.positions() == []
    assert open_orders(server.control) == []
    # The env finds the position gone at its next step, and its own brackets with it.
    _, _, _, info = env.step(0)
    assert info["position"] == 0
    # Once flat, flattening again sends nothing (in this process: the CLI's main, same code).
    assert main(["flatten", "--venue", venue, "--symbol", BTC, "--base-url", server.url]) == 0
    last = capsys.readouterr().out.splitlines()[-1].strip()
    assert last == f"{BTC}: flat, no open orders; cancelled 0 order(s), sent 0 close(s)"


def test_torchtrade_flatten_alpaca_bracket(alpaca_emulator):
    alpaca_emulator.control.reset(history_bars=400, weight_limit=10**9)
    env = AlpacaSLTPTorchTradingEnv(
        AlpacaSLTPTradingEnvConfig(
            symbol="SPY",
            base_url=alpaca_emulator.url,
            time_frames=["1min"],
            window_sizes=[10],
            stoploss_levels=(-0.5,),
            takeprofit_levels=(1.0,),
            include_short_positions=False,
        ),
        clock=EmulatorClock(alpaca_emulator.control),
        retry_sleep=lambda s: None,
    )
    env.reset()
    _, _, _, info = env.step(1)
    assert info["position"] > 0
    assert len(open_orders(alpaca_emulator.control)) >= 1  # the bracket's legs
    assert main(["flatten", "--venue", "alpaca", "--symbol", "SPY", "--base-url", alpaca_emulator.url]) == 0
    assert alpaca_emulator.control.positions() == []
    assert open_orders(alpaca_emulator.control) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--venue", "bitget", "--symbol", "BTCUSDT"], "did you mean BTC/USDT:USDT?"),
        (["--venue", "kraken", "--symbol", BTC], "invalid choice: 'kraken'"),
        (["--venue", "bitget"], "--symbol"),
        (["--venue", "bitget", "--symbol", BTC, "--base-url", "ftp://x"], "base_url='ftp://x'"),
        (["--venue", "alpaca", "--symbol", "BTCUSD"], "did you mean BTC/USD?"),
    ],
)
def test_flatten_bad_input_is_one_line_exit_2(capsys, argv, message):
    assert main(["flatten", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("torchtrade: error:")
    assert message in err
    assert "\n" not in err


def test_flatten_without_keys_names_the_variable(capsys, monkeypatch, tmp_path):
    for name in ("BITGETACCESSAPIKEY", "BITGETSECRETKEY", "BITGETPASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env up from here
    assert main(["flatten", "--venue", "bitget", "--symbol", BTC]) == 2
    err = capsys.readouterr().err.strip()
    assert "api_key is missing" in err
    assert "BITGETACCESSAPIKEY" in err


@pytest.mark.parametrize("venue", ["bitget", "binance"])
def test_flatten_closes_both_legs_of_a_hedge_mode_account(request, venue):
    """A hedge-mode account is recognised from its position rows: each leg is closed on its side."""
    server = request.getfixturevalue("emulator" if venue == "bitget" else "binance_emulator")
    env_cls, cfg_cls = {
        "bitget": (BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig),
        "binance": (BinanceFuturesTorchTradingEnv, BinanceFuturesTradingEnvConfig),
    }[venue]
    env = env_cls(
        cfg_cls(
            base_url=server.url,
            quantity_per_trade=0.01,
            leverage=5,
            position_mode="hedge",
            time_frames=["1min"],
            window_sizes=[10],
        ),
        clock=EmulatorClock(server.control),
        retry_sleep=lambda s: None,
    )
    env.reset()
    env.step(2)  # the env's long
    trader = env.trader  # and a short beside it, as another client of the account would open it
    trader.exchange.create_order(BTC, "market", "sell", 0.02, None, trader._order_params("othershort1"))
    assert {p["side"]: p["qty"] for p in server.control.positions()} == {"long": "0.01", "short": "0.02"}
    lines: list[str] = []
    result = flatten(venue, BTC, base_url=server.url, report=lines.append)
    assert result.complete
    assert lines[0] == "close long 0.01, short 0.02: accepted" + lines[0].split("accepted", 1)[1]
    assert server.control.positions() == []
    assert open_orders(server.control) == []
