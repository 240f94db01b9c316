"""The journal: a SQLite file a live env writes as it goes, so that a new process resumes where it was.

``journal="run.sqlite"`` on any env config. The file is a run file (:mod:`torchtrade.reports.store`:
``run``, ``steps`` and ``fills``, so ``torchtrade report run.sqlite`` reads it) plus tables of its own:

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

Resume (a new env on the same file, :meth:`Journal.attach`):

* the same env_id, so client ids keep their prefix; the step counter goes past every step that has an
  order in the journal, so a resumed run never makes a client id the last run made;
* an order left ``sending`` is looked up on the venue by its client id: found, it is ``landed`` and the
  env adopts it (its id is the env's, its fills are read now); not found, it is ``not_sent``. Bitget's
  close-position call takes no client id: such a close is ``unresolved`` and the position read decides.
  The step that sent it counts as done;
* episode and step counters, holding time (the step rule applied to the step that crashed, when it
  sent an order), metrics (sums, equity, seen fills), the own ledger (``initial_cash`` accounting);
* brackets: kept when the position is still there, cancelled when it is gone; an entry the dead
  process sent without placing its separate legs (Binance) gets them now, at the levels it was sent
  with (a refused leg flattens the position next step); levels the env enforces itself (Alpaca
  crypto) are taken back from the entry's row.

The first ``reset()`` of a resumed env continues the journaled episode (no new episode, metrics kept,
no ``close_position_on_reset``): a training loop that starts with ``reset()`` picks up where it was.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import ConfigError, TransientVenueError, VenueError
from ...reports.recorder import RunRecorder, env_meta
from ...reports.store import FORMAT, SCHEMA
from .account import BalanceState, OrderOutcome, PositionState
from .metrics import EpisodeMetrics

logger = logging.getLogger(__name__)

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

#: order statuses that left an order on the venue
LANDED = ("accepted", "landed")


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


class Journal:
    """One env's journal file (see the module docstring). Single-threaded, like the env."""

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

    # ------------------------------------------------------------------ start or resume

    def attach(self, env: Any) -> bool:
        """Bind to a freshly built env: a new journal records its identity; a used one resumes it.

        What the resume did is ``env.last_info["resumed"]``. Returns whether the env resumed inside an
        episode (its first reset then continues that episode).
        """
        try:
            return self._attach(env)
        except BaseException:
            self.close()  # a refused journal stays free for the env that owns it
            raise

    def _attach(self, env: Any) -> bool:
        self._env = env
        state = self.state()
        meta = {
            **env_meta(env),
            "format": FORMAT,
            "env_id": env.client_ids.env_id,
            "config": config_summary(getattr(env, "config", None)),
        }
        if not state:
            self._db.execute("BEGIN IMMEDIATE")
            self._put("run", meta)
            self._put("journal_state", self._snapshot(env))
            self._db.execute("COMMIT")
            return False
        self._check_identity(env, state)
        report = self._resume(env, state)
        self._db.execute("BEGIN IMMEDIATE")
        self._put("run", {k: v for k, v in meta.items() if k not in ("env_id",)})
        self._put("journal_state", self._snapshot(env))
        self._db.execute("COMMIT")
        self.resumed = True
        env.last_info["resumed"] = report
        return env.episode > 0

    def _check_identity(self, env: Any, state: Mapping[str, Any]) -> None:
        run = {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM run")}
        symbol, venue = env_meta(env)["symbol"], env_meta(env)["venue"]
        if (run.get("symbol"), run.get("venue")) != (symbol, venue):
            raise ConfigError(
                f"journal={str(self.path)!r}: belongs to {run.get('venue')} {run.get('symbol')}, "
                f"not {venue} {symbol}"
            )
        wanted = getattr(getattr(env, "config", None), "env_id", None)
        if wanted is not None and wanted != state["env_id"]:
            raise ConfigError(
                f"env_id={wanted!r} and journal={str(self.path)!r} conflict: the journal's env is "
                f"{state['env_id']!r}; give one of them"
            )

    def _resume(self, env: Any, state: Mapping[str, Any]) -> dict[str, Any]:
        env.client_ids.env_id = state["env_id"]
        env.episode = int(state["episode"])
        resolved = self._resolve_pending(env)
        orders = self.orders()
        # Never reuse an (episode, step) that made client ids: the step that crashed counts as done,
        # and so does a reset that sent an order before the process died (its episode had begun).
        env.episode = max([env.episode, *(int(o["episode"]) for o in orders)])
        new_episode = env.episode > int(state["episode"])
        in_episode = [o["step"] for o in orders if o["episode"] == env.episode]
        env.step_count = max([0 if new_episode else int(state["step"]), *(s + 1 for s in in_episode)])
        crashed_step = new_episode or env.step_count > int(state["step"])
        self._restore_books(env, state, new_episode)
        env._our_orders.update(
            oid for o in orders if o["status"] in LANDED for oid in str(o["order_id"] or "").split(",") if oid
        )
        self._recorder._learn_orders([self._as_order(o) for o in orders if o["status"] in LANDED], None)
        self._recorder._update_levels([self._as_order(o) for o in orders if o["status"] in LANDED])
        self._recorder.meta = env_meta(env)
        self._recorder.steps = [{"side": state["position"]["side"]}]
        # Holding time: the step rule, for the step that crashed after sending; else as journaled.
        was = state["position"]
        now = env.position
        same_side = now.is_open and was["side"] is not None and now.side == was["side"]
        held = int(state["holding_time"])
        if not now.is_open:
            env.holding_time = 0
        elif crashed_step:
            env.holding_time = held + 1 if same_side else 1
        else:
            env.holding_time = held if same_side else 1
        brackets = self._resume_brackets(env, state, orders)
        brackets.update(self._protect(env, orders))
        info = env._new_info()
        env._read_fills(info)  # the fills of an order that landed while nobody was looking
        env._finish_info(info)
        self.record(env, info, None, row=False)
        report = {
            "env_id": state["env_id"],
            "episode": env.episode,
            "step": env.step_count,
            "orders": resolved,
            "fills": len(info["fills"]),
            **brackets,
        }
        logger.info(
            "resumed env %s of %s from %s: episode %d, step %d, %d pending order(s) resolved",
            state["env_id"],
            env.trader.symbol,
            self.path,
            env.episode,
            env.step_count,
            len(resolved),
        )
        return report

    def _protect(self, env: Any, orders: list[dict[str, Any]]) -> dict[str, Any]:
        """The protection of the last entry, when the dead process sent the entry but not its legs.

        Separate bracket legs (Binance) still missing are placed now, at the levels the entry was sent
        with; a leg the venue refuses makes the next step flatten, as a refused leg always does. Levels
        the env enforces itself (Alpaca crypto) are taken back from the entry. Attached brackets went
        with the entry: nothing to do."""
        entries = [
            o for o in orders if o["call"] == "open" and o["status"] in LANDED and any(_entry_levels(o))
        ]  # the last entry with levels (a resent rest of a partial fill has none of its own)
        if not entries or not env.position.is_open:
            return {}
        last = entries[-1]
        stop, take = _entry_levels(last)
        side = json.loads(last["request"]).get("side")
        if (stop is None and take is None) or env.position.side != side:
            return {}
        trader = env.trader
        if getattr(trader, "client_brackets", False):
            if env._client_levels is None:
                env._client_levels = (stop, take)
                env._levels_checked_ms = int(last["time_ms"])  # bars closed since the entry count
            return {"protection": "client_levels"}
        if trader.attached_brackets:
            return {}
        placed = {
            o["action"]
            for o in orders
            if o["call"] == "place_bracket" and o["status"] in LANDED and o["seq"] > last["seq"]
        }
        done: list[str] = []
        for kind, level, suffix in (("stop_loss", stop, "sl"), ("take_profit", take, "tp")):
            if level is None or kind in placed:
                continue
            leg = trader.place_bracket(kind, side, level, client_oid=env._client_oid(f"resume{suffix}"))
            if leg.accepted:
                env._brackets_live = True
                done.append(kind)
                continue
            logger.error("the %s of the resumed position could not be placed: flattening next step", kind)
            env._must_flatten = True
            return {"protection": f"{kind} refused: flattening"}
        if done:
            logger.warning("placed the %s the last run never sent for its entry", " and ".join(done))
            return {"protection": "placed", "legs_placed": done}
        return {}

    @staticmethod
    def _as_order(row: Mapping[str, Any]) -> dict[str, Any]:
        """A journal row as the ``info["orders"]`` entry the recorder learns order ids and levels from."""
        out = json.loads(row["outcome"] or "{}")
        out.setdefault("action", row["action"])
        out.setdefault("client_oid", row["client_oid"])
        out["status"] = "accepted"
        out["order_id"] = row["order_id"]
        return out

    def _restore_books(self, env: Any, state: Mapping[str, Any], new_episode: bool) -> None:
        env._fills_from = int(state["fills_from"])
        env._last_fill_ms = state["last_fill_ms"]
        env._funding_from = int(state["funding_from"])
        env._next_funding = env._funding_time_after(env._funding_from)
        env._brackets_live = bool(state["brackets_live"])
        env._must_flatten = bool(state["must_flatten"])
        levels = state["client_levels"]
        env._client_levels = tuple(levels) if levels is not None and env.position.is_open else None
        env._levels_checked_ms = int(state["levels_checked_ms"])
        seen = {r[0] for r in self._db.execute("SELECT id FROM fills")}
        m = state["metrics"]
        if new_episode:  # the metrics of an episode whose reset never finished start from nothing
            m = {"initial_value": 0.0, "fees": 0.0, "funding": 0.0, "realized_pnl": 0.0, "fills": 0}
            m["closed_trades"] = []
        equity = list(
            self._db.execute(
                "SELECT time_ms, value FROM equity WHERE episode = ? ORDER BY rowid", (env.episode,)
            )
        )
        env.metrics = EpisodeMetrics(
            initial_value=float(m["initial_value"]),
            equity=[float(v) for _, v in equity],
            timestamps=[int(t) for t, _ in equity],
            fees=float(m["fees"]),
            funding=float(m["funding"]),
            realized_pnl=float(m["realized_pnl"]),
            fills=int(m["fills"]),
            closed_trades=[float(x) for x in m["closed_trades"]],
            seen_fill_ids=seen,
        )
        self._equity_episode, self._equity_written = env.episode, len(equity)
        own = state["own"]
        env._own.realized_pnl, env._own.fees, env._own.funding = (
            own["realized_pnl"],
            own["fees"],
            own["funding"],
        )
        env._own._fills.update(seen)
        env._own._funding.update(own["funding_ids"])
        # The drawdown stop measures from the run's start, and a tripped one stays tripped: a process
        # that crashes and restarts must not re-arm its own loss limit. (A kill is not carried over:
        # starting the env again after one is the operator's decision.)
        risk = state.get("risk") or {}
        if risk.get("start_value") is not None:
            env.risk.start_value = float(risk["start_value"])
        if risk.get("drawdown_halt") and env.risk.halted is None:
            env.risk.halted, env.risk.tripped_at = "max_drawdown", risk.get("tripped_at")
        self._recorder._seen_fills.update(seen)

    def _resolve_pending(self, env: Any) -> list[dict[str, Any]]:
        """Orders left ``sending`` by a dead process: found on the venue by client id, or not."""
        out = []
        trader = env.trader
        for row in self.orders():
            if row["status"] != "sending":
                continue
            client_oid = row["client_oid"]
            no_client_id = row["call"] == "close" and bool(
                getattr(getattr(trader, "profile", None), "close_position_call", False)
            )
            found: Any = None
            status, why = "not_sent", "the venue has no order with this client id"
            if no_client_id:
                status, why = (
                    "unresolved",
                    "a close-position call has no client id: the position read decides",
                )
            else:
                try:
                    found = trader.find_order(client_oid)
                    if found is None and row["call"] == "place_bracket":
                        found = next(
                            (b for b in trader.open_brackets() if b.get("clientOrderId") == client_oid), None
                        )
                except TransientVenueError:
                    raise
                except VenueError as e:
                    status, why = "unresolved", f"looking it up failed: {e}"
                if found is not None:
                    status, why = "landed", "found on the venue by its client id"
            request = json.loads(row["request"])
            outcome: dict[str, Any] = {
                "client_oid": client_oid,
                "action": row["action"],
                "status": status,
                "reason": why,
            }
            order_id = None
            if found is not None:
                order_id, filled = _found(found)
                outcome.update(order_id=order_id, filled=filled)
                extra = {k: request[k] for k in ("stop_loss", "take_profit") if request.get(k) is not None}
                if extra:
                    outcome["extra"] = {
                        "stopLoss" if k == "stop_loss" else "takeProfit": v for k, v in extra.items()
                    }
            self._db.execute(
                "UPDATE orders SET status = ?, order_id = ?, outcome = ? WHERE seq = ?",
                (status, order_id, json.dumps(outcome, default=str), row["seq"]),
            )
            logger.info("order %s of the last run: %s (%s)", client_oid, status, why)
            out.append(outcome)
        return out

    def _resume_brackets(
        self, env: Any, state: Mapping[str, Any], orders: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Brackets the journal says the env owns: kept with their position, cancelled without it."""
        owned = bool(state["brackets_live"]) or any(_owns_brackets(o) for o in orders)
        if env.position.is_open:
            if owned and not env.trader.attached_brackets:
                env._brackets_live = True
            return {"brackets": "kept" if owned else "none"}
        env._client_levels = None
        left = env.trader.open_brackets()
        if owned or left:
            env.trader.cancel_brackets()
            env._brackets_live = False
            logger.info("cancelled the brackets of the last run: %s is flat", env.trader.symbol)
            swept = int(env.last_info.get("orphans_cancelled", 0))  # by the env's own start-up sweep
            return {"brackets": "cancelled", "brackets_cancelled": len(left) + swept}
        return {"brackets": "none"}


def _found(order: Any) -> tuple[str, float | None]:
    """(id, filled) of an order a venue found by client id: a ccxt dict, or an SDK object (Alpaca)."""
    if isinstance(order, Mapping):
        filled = order.get("filled")
        return str(order.get("id")), None if filled is None else float(filled)
    filled = getattr(order, "filled_qty", None)
    return str(order.id), None if filled is None else float(filled)


def _entry_levels(row: Mapping[str, Any]) -> tuple[float | None, float | None]:
    levels = json.loads(row["request"]).get("levels") or (None, None)
    return (levels[0], levels[1])


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


def _owns_brackets(row: Mapping[str, Any]) -> bool:
    """Whether a journaled order left conditional orders of the env's on the venue."""
    if row["status"] not in LANDED:
        return False
    if row["call"] == "place_bracket":
        return True
    request = json.loads(row["request"])
    return row["call"] == "open" and any(request.get(k) is not None for k in ("stop_loss", "take_profit"))


def _sql(v: Any) -> Any:
    if isinstance(v, float) and v != v:  # NaN is NULL in a run file
        return None
    if isinstance(v, bool):
        return int(v)
    return v.item() if hasattr(v, "item") else v


class JournaledTrader:
    """The env's trader, recording each order in the journal before sending it, and each read.

    Everything else passes through untouched (attributes are the wrapped trader's, read and written).
    """

    def __init__(self, trader: Any, journal: Journal) -> None:
        object.__setattr__(self, "_trader", trader)
        object.__setattr__(self, "_journal", journal)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trader, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._trader, name, value)

    def __repr__(self) -> str:
        return repr(self._trader)

    @property
    def wrapped(self) -> Any:
        return self._trader

    def _sent(self, client_oid: str, call: str, action: str, request: dict[str, Any], send: Any) -> Any:
        seq = self._journal.sending(client_oid, call, action, request)
        # An exception leaves the row 'sending': the next start looks the order up by its client id.
        outcome = send()
        self._journal.answered(seq, outcome)
        return outcome

    def open(self, side: str, price: float, *, client_oid: str, **kw: Any) -> OrderOutcome:
        request = {"side": side, "price": price, **kw, "levels": list(self._journal._levels)}
        self._journal._levels = (None, None)
        return self._sent(
            client_oid,
            "open",
            f"open_{side}",
            request,
            lambda: self._trader.open(side, price, client_oid=client_oid, **kw),
        )

    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome:
        request = {"position": _position_json(position)}
        return self._sent(
            client_oid, "close", "close", request, lambda: self._trader.close(position, client_oid=client_oid)
        )

    def place_bracket(self, kind: str, side: str, trigger_price: float, *, client_oid: str) -> OrderOutcome:
        request = {"kind": kind, "side": side, "trigger_price": trigger_price}
        return self._sent(
            client_oid,
            "place_bracket",
            kind,
            request,
            lambda: self._trader.place_bracket(kind, side, trigger_price, client_oid=client_oid),
        )

    def position(self) -> PositionState:
        p = self._trader.position()
        self._journal.read("position", p)
        return p

    def balance(self) -> BalanceState:
        b = self._trader.balance()
        self._journal.read("balance", b)
        return b
