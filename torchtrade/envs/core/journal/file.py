"""The journal's file and its writes: the tables, the WAL, the one-env lock, and what each step writes.

The file is a run file (:mod:`torchtrade.reports.store`: ``run``, ``steps`` and ``fills``, so
``torchtrade report run.sqlite`` reads it) plus tables of its own:

* ``journal_state``: key/value JSON: the env's counters and bookkeeping as of its last step (episode,
  step, holding time, fill and funding cursors, bracket flags, the metrics' and own ledger's sums).
* ``orders``: every order the env sends, written (and committed) **before** it is sent, with its
  client id; its outcome is written when the trader answers. A row still ``sending`` at restart is an
  order whose fate the dead process never learned.
* ``reads``: every position and balance read, as read (written with the step's transaction).
* ``equity``: the portfolio value the episode's metrics hold, one row per ``record_value``.

The run's identity (env_id, venue, symbol, the config without its secrets) is in ``run``.

Durability: WAL mode with ``synchronous=NORMAL``. A commit is in the WAL file when ``commit`` returns,
so a process killed with SIGKILL loses nothing committed; only an OS crash or a power cut can lose the
last transactions (never corrupt the file): ``FULL`` would add an fsync per commit for that case. An
order row is committed before its request leaves, so a journal that cannot be written (a full disk)
stops the env before it sends anything. Each step is one transaction (its row, fills, reads, equity,
state): a process killed mid-step leaves the journal as of its last finished step, plus the order
rows of the step it died in. One env uses a journal at a time (an exclusive ``flock``, which the OS
releases when the process dies); readers such as ``torchtrade report`` are never blocked.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....errors import ConfigError
from ....reports.recorder import RunRecorder
from ....reports.store import SCHEMA
from ..account import BalanceState, OrderOutcome, PositionState
from ..metrics import EpisodeMetrics

JOURNAL_SCHEMA = (
    SCHEMA
    + """
CREATE TABLE IF NOT EXISTS journal_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- JSON
);
CREATE TABLE IF NOT EXISTS orders (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_oid  TEXT NOT NULL,
    episode     INTEGER NOT NULL,
    step        INTEGER NOT NULL,     -- the env's step counter when the id was made
    time_ms     INTEGER NOT NULL,     -- the env's clock when it was sent
    call        TEXT NOT NULL,        -- 'open', 'close' or 'place_bracket'
    action      TEXT NOT NULL,        -- 'open_long', 'close', 'stop_loss', ...
    request     TEXT NOT NULL,        -- JSON: what was asked
    status      TEXT NOT NULL,        -- 'sending', then the outcome's status, or at restart
                                      -- 'landed', 'not_sent' or 'unresolved'
    order_id    TEXT,
    outcome     TEXT                  -- JSON: the OrderOutcome (or the restart's finding)
);
CREATE INDEX IF NOT EXISTS orders_by_client_oid ON orders (client_oid);
CREATE TABLE IF NOT EXISTS reads (
    time_ms INTEGER NOT NULL,
    episode INTEGER NOT NULL,
    step    INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('position', 'balance')),
    value   TEXT NOT NULL             -- JSON
);
CREATE TABLE IF NOT EXISTS equity (
    episode INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    value   REAL NOT NULL
);
"""
)


def _position_json(p: PositionState) -> dict[str, Any]:
    return {"side": p.side, "signed_size": p.signed_size, "legs": p.legs_info()}


def _jsonable(v: Any) -> Any:
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return str(getattr(v, "value", v))


def config_summary(config: Any) -> dict[str, Any]:
    """A config's fields without keys and secrets (those are never written)."""
    if config is None or not dataclasses.is_dataclass(config):
        return {}
    hidden = {"api_key", *getattr(config, "SECRET_FIELDS", ())}
    return {
        f.name: _jsonable(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in hidden and "secret" not in f.name and "passphrase" not in f.name
    }


class JournalFile:
    """One env's journal file and its writes (see the module docstring). Single-threaded, like the env."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = _exclusive(self.path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(JOURNAL_SCHEMA)
        except sqlite3.DatabaseError as e:
            if self._lock is not None:
                self._lock.close()
            raise ConfigError(f"journal={str(path)!r}: cannot be used as a journal ({e})") from None
        self._env: Any = None
        self._reads: list[tuple[int, int, int, str, str]] = []
        self._recorder = RunRecorder()
        self._equity_episode, self._equity_written = 0, 0  # equity points written of that episode
        self._levels: tuple[float | None, float | None] = (None, None)
        self.resumed = False

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    # ------------------------------------------------------------------ small SQL helpers

    def state(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM journal_state")}

    def orders(self) -> list[dict[str, Any]]:
        cur = self._db.execute("SELECT * FROM orders ORDER BY seq")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def _put(self, table: str, values: Mapping[str, Any]) -> None:
        self._db.executemany(
            f"INSERT OR REPLACE INTO {table} (key, value) VALUES (?, ?)",
            [(k, json.dumps(v)) for k, v in values.items()],
        )

    # ------------------------------------------------------------------ orders (committed one by one)

    def _where(self) -> tuple[int, int, int]:
        env = self._env
        return int(env.episode), int(env.step_count), int(env.clock.now_ms())

    def sending(self, client_oid: str, call: str, action: str, request: Mapping[str, Any]) -> int:
        """Record an order about to be sent; returns its row (committed before the request leaves)."""
        episode, step, now = self._where()
        cur = self._db.execute(
            "INSERT INTO orders (client_oid, episode, step, time_ms, call, action, request, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'sending')",
            (client_oid, episode, step, now, call, action, json.dumps(request, default=str)),
        )
        return int(cur.lastrowid or 0)

    def intend(self, levels: tuple[float | None, float | None]) -> None:
        """The stop-loss and take-profit prices of the entry about to be sent (its row keeps them)."""
        self._levels = levels

    def answered(self, seq: int, outcome: OrderOutcome) -> None:
        self._db.execute(
            "UPDATE orders SET status = ?, order_id = ?, outcome = ? WHERE seq = ?",
            (outcome.status, outcome.order_id, json.dumps(outcome.as_dict(), default=str), seq),
        )

    def read(self, kind: str, value: PositionState | BalanceState) -> None:
        """A position or balance read: kept until the step's transaction writes it."""
        if self._env is None:
            return
        episode, step, now = self._where()
        data = _position_json(value) if isinstance(value, PositionState) else dataclasses.asdict(value)
        self._reads.append((now, episode, step, kind, json.dumps(data)))

    # ------------------------------------------------------------------ after a step, reset or close

    def record(self, env: Any, info: Mapping[str, Any], reward: float | None, *, row: bool = True) -> None:
        """One transaction: the step's row (report format), its new fills, reads, equity and state."""
        kept = len(self._recorder.steps)
        self._recorder.record(env, info, reward=reward)
        steps = self._recorder.steps[kept:]
        # The recorder keeps its last row only: what side was held tells a venue-side exit's fill.
        self._recorder.steps = self._recorder.steps[-1:]
        fills, self._recorder.fills = self._recorder.fills, []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if row:
                for s in steps:
                    self._insert("INSERT INTO steps", s)
            for f in fills:
                self._insert("INSERT OR IGNORE INTO fills", f)
            self._db.executemany("INSERT INTO reads VALUES (?, ?, ?, ?, ?)", self._reads)
            self._reads = []
            self._write_equity(env)
            self._put("journal_state", self._snapshot(env))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _insert(self, verb: str, row: Mapping[str, Any]) -> None:
        names = ["time_ms" if k == "time" else k for k in row]
        marks = ", ".join("?" * len(names))
        self._db.execute(f"{verb} ({', '.join(names)}) VALUES ({marks})", [_sql(v) for v in row.values()])

    def _write_equity(self, env: Any) -> None:
        m: EpisodeMetrics = env.metrics
        if env.episode != self._equity_episode:  # a new episode: its metrics started over
            self._equity_episode, self._equity_written = env.episode, 0
        new = zip(m.timestamps[self._equity_written :], m.equity[self._equity_written :], strict=True)
        self._db.executemany(
            "INSERT INTO equity VALUES (?, ?, ?)", [(int(env.episode), int(t), float(v)) for t, v in new]
        )
        self._equity_written = len(m.equity)

    def _snapshot(self, env: Any) -> dict[str, Any]:
        m: EpisodeMetrics = env.metrics
        own = env._own
        return {
            "env_id": env.client_ids.env_id,
            "episode": env.episode,
            "step": env.step_count,
            "holding_time": env.holding_time,
            "position": _position_json(env.position),
            "fills_from": env._fills_from,
            "last_fill_ms": env._last_fill_ms,
            "funding_from": env._funding_from,
            "brackets_live": env._brackets_live,
            "must_flatten": env._must_flatten,
            "client_levels": list(env._client_levels) if env._client_levels is not None else None,
            "levels_checked_ms": env._levels_checked_ms,
            "metrics": {
                "initial_value": m.initial_value,
                "fees": m.fees,
                "funding": m.funding,
                "realized_pnl": m.realized_pnl,
                "fills": m.fills,
                "closed_trades": m.closed_trades,
            },
            "own": {
                "realized_pnl": own.realized_pnl,
                "fees": own.fees,
                "funding": own.funding,
                "funding_ids": sorted(own._funding),
            },
            "risk": {
                "start_value": env.risk.start_value,
                "drawdown_halt": env.risk.halted == "max_drawdown",
                "tripped_at": env.risk.tripped_at,
            },
        }


def _exclusive(path: Path) -> Any:
    """One env per journal: an exclusive ``flock`` on the file, held while the journal is open (the OS
    drops it when the process dies, even by SIGKILL). SQLite's own locks are POSIX record locks,
    independent of ``flock`` on Linux, so readers (``torchtrade report``) are not blocked. Where
    ``fcntl`` does not exist (Windows) there is no such guard."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        handle = open(path, "ab")  # noqa: SIM115 - held open for the journal's life (creates the file)
    except OSError as e:
        raise ConfigError(f"journal={str(path)!r}: cannot be opened ({e.strerror or e})") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ConfigError(
            f"journal={str(path)!r}: in use by another env (one env per journal; close the other first)"
        ) from None
    return handle


def _sql(v: Any) -> Any:
    if isinstance(v, float) and v != v:  # NaN is NULL in a run file
        return None
    if isinstance(v, bool):
        return int(v)
    return v.item() if hasattr(v, "item") else v
