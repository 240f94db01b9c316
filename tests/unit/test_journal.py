"""The journal module on its own: the file's format and durability settings, the order row committed
before the order leaves, what a failed send leaves behind, and no secret in the identity."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from torchtrade.envs.bitget import BitgetFuturesTradingEnvConfig
from torchtrade.envs.core.account import BalanceState, OrderOutcome, PositionState
from torchtrade.envs.core.journal import Journal, JournaledTrader, config_summary
from torchtrade.errors import ConfigError, TransientVenueError
from torchtrade.reports import RunFileError, load_record


class Trader:
    """A stand-in venue side: it answers, and looks at the journal file from another connection while
    it is asked to send (what a process killed at that moment would leave)."""

    symbol = "BTC/USDT:USDT"
    calls = 0

    def __init__(self, path, fail: bool = False) -> None:
        self.path, self.fail, self.seen = path, fail, []

    def open(self, side, price, *, client_oid, **kw):
        with sqlite3.connect(self.path) as other:
            self.seen = other.execute("SELECT client_oid, status, request FROM orders").fetchall()
        if self.fail:
            raise TransientVenueError("timed out")
        return OrderOutcome(client_oid, f"open_{side}", "accepted", amount=0.01, order_id="42")

    def position(self):
        return PositionState.single("long", 0.01, entry_price=100.0)

    def balance(self):
        return BalanceState(10_000.0, 9_000.0)


def bound(path) -> tuple[Journal, SimpleNamespace]:
    journal = Journal(path)
    env = SimpleNamespace(episode=1, step_count=3, clock=SimpleNamespace(now_ms=lambda: 1_000))
    journal._env = env
    return journal, env


def test_the_file_is_a_run_file_in_wal_mode(tmp_path):
    path = tmp_path / "run.sqlite"
    journal = Journal(path)
    assert journal._db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in other.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"run", "steps", "fills", "journal_state", "orders", "reads", "equity"} <= tables
    with pytest.raises(RunFileError, match="the run has no steps"):
        load_record(path)  # a run file, not yet with a step
    journal.close()


def test_the_order_row_is_committed_before_the_order_is_sent(tmp_path):
    path = tmp_path / "run.sqlite"
    journal, _ = bound(path)
    trader = Trader(path)
    outcome = JournaledTrader(trader, journal).open(
        "long", 100.0, client_oid="ttab-1-3-openl", stop_loss=95.0
    )
    assert outcome.accepted
    ((oid, status, request),) = trader.seen
    assert (oid, status) == ("ttab-1-3-openl", "sending")
    assert '"stop_loss": 95.0' in request
    (row,) = journal.orders()
    assert (row["status"], row["order_id"], row["episode"], row["step"]) == ("accepted", "42", 1, 3)
    journal.close()


def test_a_send_that_raises_leaves_the_row_sending_for_the_next_start(tmp_path):
    path = tmp_path / "run.sqlite"
    journal, _ = bound(path)
    with pytest.raises(TransientVenueError):
        JournaledTrader(Trader(path, fail=True), journal).open("long", 100.0, client_oid="ttab-1-3-openl")
    assert [r["status"] for r in journal.orders()] == ["sending"]
    journal.close()


def test_reads_pass_through_and_wait_for_the_step(tmp_path):
    path = tmp_path / "run.sqlite"
    journal, _ = bound(path)
    trader = JournaledTrader(Trader(path), journal)
    assert trader.position().side == "long"
    assert trader.balance().free == 9_000.0
    assert [r[3] for r in journal._reads] == ["position", "balance"]
    assert trader.symbol == "BTC/USDT:USDT"  # everything else is the trader's
    trader.calls = 7
    assert trader.wrapped.calls == 7
    journal.close()


def test_the_identity_holds_no_secret():
    config = BitgetFuturesTradingEnvConfig(
        api_key="KEYVALUE", api_secret="SECRETVALUE", api_passphrase="PASSVALUE"
    )
    summary = config_summary(config)
    text = repr(summary)
    assert "symbol" in summary
    assert "leverage" in summary
    for secret in ("KEYVALUE", "SECRETVALUE", "PASSVALUE"):
        assert secret not in text


def test_a_file_that_is_not_sqlite_is_refused_naming_the_field(tmp_path):
    path = tmp_path / "run.sqlite"
    path.write_bytes(b"not a database, just some text" * 10)
    with pytest.raises(ConfigError, match=r"journal='.*run.sqlite': cannot be used as a journal"):
        Journal(path)


def test_one_journal_one_env(tmp_path):
    path = tmp_path / "run.sqlite"
    first = Journal(path)
    with pytest.raises(ConfigError, match="in use by another env"):
        Journal(path)
    with sqlite3.connect(path) as reader:  # readers (a report) are not locked out
        assert reader.execute("SELECT count(*) FROM orders").fetchone() == (0,)
    first.close()
    Journal(path).close()
