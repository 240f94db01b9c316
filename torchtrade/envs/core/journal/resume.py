"""The resume: a new env on a used journal picks up where the dead process stopped.

:meth:`Journal.attach` binds a freshly built env to its journal: a new journal records the run's
identity; a used one is resumed:

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

import json
import logging
from collections.abc import Mapping
from typing import Any

from ....errors import ConfigError, TransientVenueError, VenueError
from ....reports.recorder import env_meta
from ....reports.store import FORMAT
from ..metrics import EpisodeMetrics
from .file import JournalFile, config_summary

logger = logging.getLogger(__name__)

#: order statuses that left an order on the venue
LANDED = ("accepted", "landed")


class Journal(JournalFile):
    """One env's journal: its file (:class:`.file.JournalFile`) and the resume of a used one
    (:meth:`attach`, see the module docstring). Single-threaded, like the env."""

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


def _owns_brackets(row: Mapping[str, Any]) -> bool:
    """Whether a journaled order left conditional orders of the env's on the venue."""
    if row["status"] not in LANDED:
        return False
    if row["call"] == "place_bracket":
        return True
    request = json.loads(row["request"])
    return row["call"] == "open" and any(request.get(k) is not None for k in ("stop_loss", "take_profit"))
