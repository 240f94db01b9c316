"""The run file: a SQLite database with three tables, what ``torchtrade report FILE`` reads.

Any writer may produce it (the :class:`~torchtrade.reports.RunRecorder`, the demo, and the journal of a
live env writing as it goes): :data:`SCHEMA` creates the tables, and a writer may add tables and
columns of its own, which the report ignores (the journal, :mod:`torchtrade.envs.core.journal`, adds
its orders, reads, equity and state). Times are epoch milliseconds, UTC. Rows are read in
``time_ms`` order, ties in insertion (rowid) order. Columns are those of
:mod:`torchtrade.reports.record`; NULL is NaN (a number) or None (text).

``run`` holds the metadata as ``key``/``value`` pairs, values JSON-encoded: ``symbol``, ``venue``,
``env``, ``execute_on``, ``bar_ms``, ``periods_per_year``, ``currency``, and ``format`` (this module's
:data:`FORMAT`). Only ``bar_ms`` or ``periods_per_year`` matters to the metrics (the annualisation);
the rest names things on the pictures.
"""

from __future__ import annotations

import json
import math
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd

from .record import FILL_COLUMNS, STEP_COLUMNS, RunRecord, frame

FORMAT = "torchtrade-run/1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- JSON
);
CREATE TABLE IF NOT EXISTS steps (
    time_ms         INTEGER NOT NULL, -- close of the bar the row describes
    episode         INTEGER NOT NULL,
    step            INTEGER NOT NULL, -- 0: a reset
    price           REAL,             -- close of the last execute_on bar
    side            TEXT,             -- 'long', 'short' or NULL (flat)
    position        REAL NOT NULL DEFAULT 0,  -- signed net size, base units
    entry_price     REAL,
    unrealized_pnl  REAL NOT NULL DEFAULT 0,
    portfolio_value REAL NOT NULL,
    reward          REAL,
    fees            REAL NOT NULL DEFAULT 0,
    funding         REAL NOT NULL DEFAULT 0,  -- > 0 received, < 0 paid
    fills           INTEGER NOT NULL DEFAULT 0,
    orders          INTEGER NOT NULL DEFAULT 0,
    rejections      INTEGER NOT NULL DEFAULT 0,
    stop_loss       REAL,             -- the position's levels at the end of the step
    take_profit     REAL
);
CREATE TABLE IF NOT EXISTS fills (
    id           TEXT PRIMARY KEY,    -- the venue's trade id
    time_ms      INTEGER NOT NULL,    -- the venue's time of the fill
    episode      INTEGER NOT NULL,
    step         INTEGER NOT NULL,    -- the step that saw it
    order_id     TEXT,
    client_oid   TEXT,                -- the env's client id ('' for a venue-side trigger)
    action       TEXT,                -- 'open_long', 'close', 'stop_loss', ... ('' unknown)
    kind         TEXT NOT NULL CHECK (kind IN ('entry', 'exit')),
    side         TEXT NOT NULL,       -- 'buy' or 'sell'
    price        REAL NOT NULL,
    amount       REAL NOT NULL,
    fee          REAL NOT NULL DEFAULT 0,
    realized_pnl REAL NOT NULL DEFAULT 0,
    maker        INTEGER NOT NULL DEFAULT 0
);
"""

_DEFAULTS = {"fees": 0.0, "funding": 0.0, "fills": 0, "orders": 0, "rejections": 0, "unrealized_pnl": 0.0}


class RunFileError(ValueError):
    """The file is not a run file (or not a readable one); the message says why, in one line."""


def _sql_rows(df: pd.DataFrame, columns: dict[str, str]) -> list[tuple[Any, ...]]:
    out = df.copy()
    out["time"] = out["time"].map(lambda t: int(t.value // 1_000_000))
    rows = []
    for rec in out[list(columns)].itertuples(index=False, name=None):
        rows.append(tuple(None if isinstance(v, float) and math.isnan(v) else _plain(v) for v in rec))
    return rows


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def save_record(record: RunRecord, path: str | Path) -> Path:
    """Write ``record`` to a new run file at ``path`` (an existing file there is replaced)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(SCHEMA)
        meta = {**record.meta, "format": FORMAT}
        db.executemany("INSERT INTO run VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        step_names = ["time_ms", *list(STEP_COLUMNS)[1:]]
        db.executemany(
            f"INSERT INTO steps ({', '.join(step_names)}) VALUES ({', '.join('?' * len(step_names))})",
            _sql_rows(record.steps, STEP_COLUMNS),
        )
        fill_names = ["time_ms" if c == "time" else c for c in FILL_COLUMNS]
        db.executemany(
            f"INSERT INTO fills ({', '.join(fill_names)}) VALUES ({', '.join('?' * len(fill_names))})",
            _sql_rows(record.fills, FILL_COLUMNS),
        )
    return path


def load_record(path: str | Path) -> RunRecord:
    """Read a run file; :class:`RunFileError` when it is missing, not SQLite, or lacks a table."""
    path = Path(path)
    if not path.is_file():
        raise RunFileError(f"{path}: no such file")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {
                r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            }
            missing = [t for t in ("run", "steps", "fills") if t not in tables]
            if missing:
                raise RunFileError(f"{path}: not a torchtrade run file (no table {', '.join(missing)})")
            meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM run")}
            steps = _read(db, "steps", STEP_COLUMNS)
            fills = _read(db, "fills", FILL_COLUMNS)
    except sqlite3.DatabaseError as e:
        raise RunFileError(f"{path}: not a torchtrade run file ({e})") from None
    if steps.empty:
        raise RunFileError(f"{path}: the run has no steps")
    return RunRecord(steps=steps, fills=fills, meta=meta)


def _read(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> pd.DataFrame:
    names = ["time_ms" if c == "time" else c for c in columns]
    cursor = db.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY time_ms, rowid")
    rows = [dict(zip(columns, r, strict=True)) for r in cursor]
    for row in rows:
        for name, default in _DEFAULTS.items():
            if name in row and row[name] is None:
                row[name] = default
        if "maker" in row:
            row["maker"] = bool(row["maker"])
    return frame(rows, columns)
