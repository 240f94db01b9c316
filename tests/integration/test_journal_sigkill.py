"""The journal's promise, end to end: a Bitget SLTP env's process is killed with SIGKILL while its entry
order is on the wire, and a new env on the same journal resumes with no duplicate order, the same ids,
the right holding time and metrics, and no orphan brackets.

The kill moment is made deterministic by the emulator: a ``timeout`` fault holds the child's
place-order request (the venue has it, the client has no answer), the test waits until the emulator
holds it, then kills the child. The held request then executes as the venue would (the connection
closed): the order lands after its sender died, and only the journal's "sending" row knows of it.

The other fate of a "sending" row: the order never reached the venue. A ``connection_reset`` fault
drops the entry's request before the venue's engine sees it; the child's trader, unsure, looks the
order up by its client id, and that lookup is the request the emulator holds when the child is killed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from torchtrade.cli import main
from torchtrade.data import bundled
from torchtrade.emulator.server import EmulatorServer
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.reports import load_record

ROOT = Path(__file__).resolve().parents[2]
LONG = 1  # ('long', -0.025, 0.05) with the default levels

FUTURES = {"quantity_per_trade": 0.01, "leverage": 5}
#: venue -> (env class, config class, config fields, emulator reset); the child builds the same env
ENVS = {
    "bitget": (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig, FUTURES, {}),
    "binance": (BinanceFuturesSLTPTorchTradingEnv, BinanceFuturesSLTPTradingEnvConfig, FUTURES, {}),
    "alpaca": (  # crypto: no conditional orders, the env enforces its levels itself
        AlpacaSLTPTorchTradingEnv,
        AlpacaSLTPTradingEnvConfig,
        {"symbol": "BTC/USD", "max_position_size": 0.1, "time_frames": ["1min"], "window_sizes": [10]},
        {"data": [f"BTC/USD={bundled('binance_btcbusd_1m_2022-12-13.csv')}"], "weight_limit": 10**9},
    ),
}

CHILD = """
import json
import sys
from torchtrade.emulator.control import ControlClient
from torchtrade import envs

url, journal, LONG, env_cls, cfg_cls, fields = sys.argv[1:]
fields = json.loads(fields)
config = getattr(envs, cfg_cls)(base_url=url, journal=journal, request_timeout_ms=30_000, **fields)
LONG = int(LONG)
env = getattr(envs, env_cls)(config, clock=envs.EmulatorClock(ControlClient(url)))
env.reset()
env.step(0)  # one hold step: the episode has a history
print("READY", env.client_ids.env_id, env.episode, env.step_count, flush=True)
sys.stdin.readline()  # the test arms its faults, then says go
env.step(LONG)  # the entry: its request is held by the emulator until this process dies
print("NOT KILLED", flush=True)
"""


def client_oids(srv) -> list[str]:
    """The client ids of the venue's orders (the control API's own view, not the env's)."""
    return [o.get("client_oid") or o["client_order_id"] for o in srv.control.orders()["orders"]]


def quote_fee(fill: dict) -> float:
    """A venue fill's fee in the quote coin (Alpaca crypto charges the bought coin: here valued at the
    fill's price, by the env at a close, hence a relative tolerance)."""
    coin = fill.get("fee_coin")
    return float(fill["fee"]) * (float(fill["price"]) if coin not in (None, "USDT", "USD") else 1.0)


def live_triggers(srv) -> list[dict]:
    return [t for t in srv.control.orders()["triggers"] if t["status"] in ("live", "new")]


def start_child(tmp_path: Path, srv, venue: str) -> tuple[subprocess.Popen, str, int, int]:
    """The child process on ``tmp_path / "run.sqlite"``, past its hold step and waiting to send its
    entry: (process, env_id, episode, step)."""
    env_cls, cfg_cls, fields, _ = ENVS[venue]
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            srv.url,
            str(tmp_path / "run.sqlite"),
            str(LONG),
            env_cls.__name__,
            cfg_cls.__name__,
            json.dumps(fields),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = child.stdout.readline().split()  # type: ignore[union-attr]
        assert line[:1] == ["READY"], line
    except BaseException:
        stop(child)
        raise
    return child, line[1], int(line[2]), int(line[3])


def send_entry_and_kill_when_held(srv, child: subprocess.Popen) -> None:
    """Let the child send its entry, wait until the emulator holds one of its requests, SIGKILL it."""
    try:
        child.stdin.write("go\n")  # type: ignore[union-attr]
        child.stdin.flush()  # type: ignore[union-attr]
        wait_for(lambda: srv.emulator.held_requests == 1, "the emulator to hold the child's request")
        child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
    finally:
        stop(child)


def stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.kill()
        child.wait()


def wait_for(predicate, what: str, limit_s: float = 60.0) -> None:
    """Poll an in-process condition every few ms (a guard against a hang, not a timing assumption)."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.005)


@pytest.mark.parametrize("venue", list(ENVS))
def test_sigkill_between_the_order_and_the_next_step_resumes_without_a_duplicate(tmp_path, venue):
    env_cls, cfg_cls, fields, reset = ENVS[venue]
    journal = tmp_path / "run.sqlite"
    with EmulatorServer(venue=venue, clock="manual") as srv:
        if reset:
            srv.control.reset(**reset)
        child, env_id, episode, steps = start_child(tmp_path, srv, venue)
        srv.control.add_fault("timeout", "place_order", delay_s=30)
        send_entry_and_kill_when_held(srv, child)  # the entry is held: the venue has it, no answer
        srv.control.settle()  # the held request runs now that its client is gone
        entry_oid = f"tt{env_id}-{episode}-{steps}-openl"

        # What the dead process left: the order row, committed before the request left.
        with sqlite3.connect(journal) as db:
            rows = db.execute("SELECT client_oid, status FROM orders").fetchall()
        assert rows == [(entry_oid, "sending")]
        dead = load_record(journal)  # and every step it finished: its reset and its hold step
        assert list(dead.steps["step"]) == [0, 1]
        assert client_oids(srv) == [entry_oid]
        (fill,) = srv.control.fills()

        # A new env on the same journal (this process): it adopts the order, it sends nothing.
        config = cfg_cls(base_url=srv.url, journal=str(journal), **fields)
        env = env_cls(config, clock=EmulatorClock(srv.control))
        resumed = env.last_info["resumed"]
        assert env.client_ids.env_id == env_id
        assert (env.episode, env.step_count) == (episode, steps + 1)  # the crashed step counts as done
        assert [(o["client_oid"], o["status"]) for o in resumed["orders"]] == [(entry_oid, "landed")]
        assert env.position.side == "long"
        assert env.holding_time == 1
        if venue == "bitget":  # the brackets went with the entry
            assert resumed["brackets"] == "kept"
        elif venue == "alpaca":  # the env's own levels, taken back from the entry's row
            assert resumed["protection"] == "client_levels"
            assert env.client_levels is not None
        else:  # separate legs: the dead process never placed them, the new env does
            assert resumed["protection"] == "placed"
            assert resumed["legs_placed"] == ["stop_loss", "take_profit"]
        assert client_oids(srv) == [entry_oid]  # no duplicate
        metrics = env.get_metrics()
        assert metrics["fills"] == 1
        assert metrics["fees"] == pytest.approx(quote_fee(fill), rel=1e-4)  # a coin fee: valued at a close
        assert metrics["initial_value"] == pytest.approx(10_000.0)
        assert metrics["steps"] == 1  # the reset and the hold step the dead process recorded

        # Its first reset continues the episode; steps go on with new ids, and holding time grows.
        env.reset()
        assert (env.episode, env.step_count, env.holding_time) == (episode, steps + 1, 1)
        _, _, _, info = env.step(0)
        assert env.holding_time == 2
        assert info["orders"] == []
        assert len(env.metrics.equity) == 3
        # The position's brackets are the entry's, on the venue; flattening leaves none behind.
        assert len(live_triggers(srv)) == (0 if venue == "alpaca" else 2)
        outcome = env.close_all_positions()
        assert outcome.accepted
        assert live_triggers(srv) == []
        assert [p for p in srv.control.positions() if float(p["qty"])] == []
        ids = client_oids(srv)
        assert len(ids) == len(set(ids)) == 2
        assert env.get_metrics()["fills"] == 2
        env._journal.close()

    # The journal is a run file: the report reads it, with the fills of both processes.
    with sqlite3.connect(journal) as db:
        statuses = dict(db.execute("SELECT client_oid, status FROM orders"))
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM run")}
    assert statuses[entry_oid] == "landed"
    assert "sending" not in statuses.values()
    assert meta["env_id"] == env_id
    assert meta["venue"] == venue
    assert "api_secret" not in meta["config"]
    assert "api_key" not in meta["config"]
    record = load_record(journal)
    assert len(record.fills) == 2
    assert main(["report", str(journal), "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "run.png").is_file()


def test_sigkill_while_an_order_that_never_reached_the_venue_is_sending_resumes_it_as_not_sent(tmp_path):
    env_cls, cfg_cls, fields, _ = ENVS["bitget"]
    journal = tmp_path / "run.sqlite"
    with EmulatorServer(venue="bitget", clock="manual") as srv:
        child, env_id, episode, steps = start_child(tmp_path, srv, "bitget")
        # The entry's connection is reset before the engine sees it; the trader cannot know that, so
        # it looks the order up by its client id: that lookup is held until the child dies.
        srv.control.add_fault("connection_reset", "place_order")
        srv.control.add_fault("timeout", "order_detail", delay_s=30)
        send_entry_and_kill_when_held(srv, child)
        srv.control.settle()  # the held lookup answers a client that is gone
        entry_oid = f"tt{env_id}-{episode}-{steps}-openl"

        # What the dead process left: a "sending" row for an order the venue never had.
        with sqlite3.connect(journal) as db:
            rows = db.execute("SELECT client_oid, status FROM orders").fetchall()
        assert rows == [(entry_oid, "sending")]
        faults = [(e["fault"], e["route"]) for e in srv.control.ledger("fault")]
        assert faults == [("connection_reset", "place_order"), ("timeout", "order_detail")]
        assert client_oids(srv) == []
        assert srv.control.ledger("order") == []
        assert srv.control.fills() == []

        # A new env on the same journal: the order is not_sent, the step that tried it counts as done.
        config = cfg_cls(base_url=srv.url, journal=str(journal), **fields)
        env = env_cls(config, clock=EmulatorClock(srv.control))
        resumed = env.last_info["resumed"]
        assert env.client_ids.env_id == env_id
        assert (env.episode, env.step_count) == (episode, steps + 1)
        assert [(o["client_oid"], o["status"]) for o in resumed["orders"]] == [(entry_oid, "not_sent")]
        assert resumed["fills"] == 0
        assert resumed["brackets"] == "none"
        assert not env.position.is_open
        assert env.holding_time == 0
        assert env.get_metrics()["fills"] == 0

        # The resumed env enters with a new client id; the dead one is never sent again.
        env.reset()
        assert (env.episode, env.step_count) == (episode, steps + 1)
        _, _, _, info = env.step(LONG)
        (order,) = info["orders"]
        new_oid = f"tt{env_id}-{episode}-{steps + 1}-openl"
        assert (order["client_oid"], order["status"]) == (new_oid, "accepted")
        assert env.position.side == "long"
        assert client_oids(srv) == [new_oid]  # the venue has no order with the dead process's id
        assert env.close_all_positions().accepted
        assert entry_oid not in client_oids(srv)
        env._journal.close()

    with sqlite3.connect(journal) as db:
        statuses = db.execute("SELECT client_oid, status FROM orders ORDER BY seq").fetchall()
    assert statuses[0] == (entry_oid, "not_sent")
    assert statuses[1] == (new_oid, "accepted")
    assert [oid for oid, _ in statuses].count(entry_oid) == 1
