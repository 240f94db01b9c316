"""The fault-matrix harness: futures envs (Bitget, Binance) stepped against a misbehaving emulator,
checked step by step.

One harness for two users: ``bench/fault_soak.py`` (>= 1,000 steps per config, writes a table) and
``tests/integration/test_env_fault_matrix.py`` (a CI-sized run per config, asserts the targets).

A run (:class:`SoakRun`) builds an env on an emulator of its venue (venue routes through ccxt over
HTTP; the harness reads the venue through the control routes of
:class:`~torchtrade.emulator.control.ControlClient`, which are the same for every venue; the env's
``EmulatorClock`` drives the in-process emulator when there is one, else those control routes),
installs seeded faults of every kind (:func:`seeded_faults`), and steps a seeded random policy. What
differs between venues (env classes, the routes that place orders, read positions and candles, how
an account is put in the env's modes) is one small :class:`VenueSpec` per venue (:data:`VENUES`).
Scripted scenarios are armed along the run (each scripted fault is tried before the seeded ones, so
its firings come in a row):

* ``stale_burst``: three consecutive stale position reads, armed before an entry;
* ``fail_candles`` / ``fail_positions``: candle or position reads failing past the env's whole retry
  budget (attempts per call × outage rounds) right after an order is placed in the step;
* ``emulator_restart``: ``control.reset()`` while the venue holds a position the env knows of (it, and any
  conditional order, vanishes without a fill; the env should notice). The harness then puts the
  account back in the env's position/margin mode and leverage, as an operator would: the scenario is
  about the lost position, not lost settings;
* ``env_restart``: the env is closed and a new instance (a new env id) trades on the same account
  while a position is open.

After every step the harness settles held requests and compares, through the control routes (no
faults there), the env's view with the venue's: every leg, exact sizes. What it counts is in
:class:`Tally`. Everything is deterministic from the seed (actions, fault draws, scenario steps); only
the moment a held (timed-out) request executes relative to the env's look-up is left to timing.

Orders and decisions, on both venues: a *decision* is one order the env meant the venue to hold
once, i.e. one client order id it reported ``accepted`` or ``unknown``: an entry, a partial fill's
resend, each leg of a close, and on Binance each separate bracket leg (the stop-loss and the
take-profit placed after the entry fills, ``<entry id>sl`` / ``<entry id>tp``) and the immediate
close after a refused leg (``<entry id>x``). So an SLTP entry on Binance is three decisions (entry,
SL, TP), on Bitget one (its TP/SL ride on the order). A *venue order* is one our client placed that
the venue's ledger holds: a regular order from the API, Bitget's close-position orders (venue ids),
and on Binance a conditional (algo) order placed with our client id. Orders the venue makes by itself
(a trigger firing, a liquidation) are no decision and no venue order. An ``unknown`` outcome the
venue never received is the truth told (the env could not reach it and said so): it is counted apart
(``unknown_not_landed``) and is no decision; one reported ``accepted`` and missing is a miss.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ccxt

from torchtrade.emulator.clients import ccxt_client
from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.envs.live.shared.venue import MarginMode
from torchtrade.errors import TorchTradeError

SYMBOL = "BTC/USDT:USDT"
MARKET_ID = "BTCUSDT"
LEVERAGE = 5
HISTORY_BARS = 40  # the bundled BTC day has 1,440 bars: this leaves 1,400 steps of replay
MAX_STEPS = 1_390
EPISODE_STEPS = 25  # episode length of the runs with resets


@dataclass(frozen=True)
class VenueSpec:
    """What the harness needs to know of one venue; everything else goes through the control routes.

    Attributes:
        name: the emulator's venue name (``EmulatorServer(venue=...)``) and the configs' prefix.
        env / sltp_env / config / sltp_config: the env classes and their configs.
        order_routes: the routes that place our orders (each gets drop and timeout faults).
        position_routes: request-ledger names of the env's position reads (a stale read is judged
            by the last of them in a step).
        position_glob / candle_glob: path globs of the position and candle reads (stale reads and
            the failure bursts of the scenarios).
        our_sources: order sources in the venue's ledger that our client placed.
        conditional_orders: bracket legs are separate conditional orders, placed with our client
            ids (counted as venue orders and decisions); else they ride on the entry.
        closes_have_our_ids: every order the env places carries its client id (Binance's closes
            are reduce-only orders); Bitget's close-position call makes venue ids.
        quantity: the size of one trade (BTC); a venue leg larger than that is over-exposed.
        leverage_per_side: leverage is set per hold side in hedge + isolated mode (Bitget).
        no_change_codes: codes of a settings call that changes nothing (ignored when provisioning).
        reset_fields: fields of every ``control.reset`` of a run (see :data:`BINANCE`).
        market_id: the traded market's id in the control routes' positions, orders and ledger.
    """

    name: str
    env: type
    sltp_env: type
    config: type
    sltp_config: type
    order_routes: tuple[str, ...]
    position_routes: tuple[str, ...]
    position_glob: str
    candle_glob: str
    our_sources: tuple[str, ...] = ("api",)
    conditional_orders: bool = False
    closes_have_our_ids: bool = True
    quantity: Decimal = Decimal("0.01")
    leverage_per_side: bool = False
    no_change_codes: tuple[str, ...] = ()
    reset_fields: dict[str, Any] = field(default_factory=dict)
    market_id: str = MARKET_ID


BITGET = VenueSpec(
    name="bitget",
    env=BitgetFuturesTorchTradingEnv,
    sltp_env=BitgetFuturesSLTPTorchTradingEnv,
    config=BitgetFuturesTradingEnvConfig,
    sltp_config=BitgetFuturesSLTPTradingEnvConfig,
    order_routes=("place_order", "close_positions"),
    position_routes=("all_positions", "single_position"),
    position_glob="/api/v2/mix/position/*",
    candle_glob="/api/v2/mix/market/*candles",
    our_sources=("api", "close"),  # "close": the venue's close-positions call (venue-generated ids)
    closes_have_our_ids=False,
    leverage_per_side=True,
)
BINANCE = VenueSpec(
    name="binance",
    env=BinanceFuturesTorchTradingEnv,
    sltp_env=BinanceFuturesSLTPTorchTradingEnv,
    config=BinanceFuturesTradingEnvConfig,
    sltp_config=BinanceFuturesSLTPTradingEnvConfig,
    # Entries and closes (reduce-only) go to /fapi/v1/order, bracket legs to /fapi/v1/algoOrder.
    order_routes=("place_order", "place_algo_order"),
    position_routes=("position_risk_v3", "position_risk_v2"),
    position_glob="/fapi/v*/positionRisk",
    candle_glob="/fapi/v1/klines",
    conditional_orders=True,
    # Binance's minimum order value is 100 USDT and the bundled BTC day trades near 17,000: half of
    # 0.01 BTC (a partial fill's rest) could never be resent. Half of 0.02 can.
    quantity=Decimal("0.02"),
    no_change_codes=("-4046", "-4059"),  # "No need to change margin type / position side."
    # Binance meters request weight per wall-clock minute (2,400). The soak replays a bar in a few
    # milliseconds, i.e. a live env's hour of requests in seconds: the budget is lifted so that the
    # run measures the faults it injects, not a budget no live env comes near (the weight limit, 429
    # and 418 are tested on their own in tests/integration/test_binance_limits.py).
    reset_fields={"weight_limit": 10**9},
)
VENUES: dict[str, VenueSpec] = {v.name: v for v in (BITGET, BINANCE)}


def seeded_faults(venue: VenueSpec) -> tuple[dict[str, Any], ...]:
    """Every fault kind at 5-15 %, reproducible from the emulator's fault seed. Rules are tried in
    this order and the first that fires wins, so a request sees at most one of them."""
    rules: list[dict[str, Any]] = [
        {"kind": "rate_limit", "route": "*", "probability": 0.05, "retry_after_s": 0.001},
        {"kind": "server_error", "route": "*", "probability": 0.05, "status": 503},
        {"kind": "server_error", "route": "*", "probability": 0.05, "status": 502},
        {"kind": "connection_reset", "route": "*", "probability": 0.05},
        {"kind": "drop_response", "route": "*", "probability": 0.05},  # reads and orders alike
    ]
    rules += [{"kind": "drop_response", "route": r, "probability": 0.10} for r in venue.order_routes]
    rules += [{"kind": "timeout", "route": r, "probability": 0.08, "delay_s": 5} for r in venue.order_routes]
    rules += [
        {"kind": "partial_fill", "route": "place_order", "probability": 0.12, "fill_ratio": 0.5},
        {"kind": "stale_position", "route": venue.position_glob, "probability": 0.10},
    ]
    return tuple(rules)


# Once each, early, whatever the seed draws: a short run still sees every kind on an order.
SCRIPTED_FAULTS: tuple[dict[str, Any], ...] = (
    {"kind": "timeout", "route": "place_order", "after": 2, "times": 1, "delay_s": 5},
    {"kind": "partial_fill", "route": "place_order", "after": 4, "times": 1, "fill_ratio": 0.5},
)
FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "timeout",
    "drop_response",
    "connection_reset",
    "partial_fill",
    "stale_position",
)
# info keys by which a step says "my position may not be the venue's": then a mismatch is not counted.
FLAG_KEYS = ("venue_unavailable", "reconciliation", "stale_position")


@dataclass(frozen=True)
class MatrixConfig:
    """One cell of the matrix: venue × env kind × position mode × margin mode, with or without resets.

    ``index``: the cell's place among its venue's cells; it seeds the run (actions, faults, env ids),
    so a venue's runs do not depend on which other venues are in the matrix."""

    sltp: bool
    position_mode: str  # "one_way" | "hedge"
    margin_mode: str  # "isolated" | "crossed"
    resets: bool = False  # close_position_on_reset, episodes of EPISODE_STEPS
    partial_fill_policy: str = "resend"  # passed only if the env's config has the field
    venue: str = "bitget"
    index: int = 0

    @property
    def name(self) -> str:
        kind = "sltp" if self.sltp else "standard"
        resets = "+resets" if self.resets else ""
        return f"{self.venue}/{kind}/{self.position_mode}/{self.margin_mode}{resets}"

    @property
    def spec(self) -> VenueSpec:
        return VENUES[self.venue]


def matrix(venues: tuple[str, ...] = tuple(VENUES)) -> list[MatrixConfig]:
    """Per venue: standard and SLTP × one-way/hedge × isolated/crossed, plus two runs with resets.
    The partial fill policy alternates so that each env kind runs both."""
    out = []
    for venue in venues:
        cells = []
        for i, sltp in enumerate((False, True)):
            for j, pmode in enumerate(("one_way", "hedge")):
                for k, mmode in enumerate(("isolated", "crossed")):
                    policy = ("resend", "drop")[(i + j + k) % 2]
                    cells.append((sltp, pmode, mmode, False, policy))
        cells.append((False, "one_way", "isolated", True, "drop"))
        cells.append((True, "hedge", "crossed", True, "resend"))
        out += [MatrixConfig(*cell, venue=venue, index=n) for n, cell in enumerate(cells)]
    return out


@dataclass(frozen=True)
class Settings:
    """Run settings. Held requests cost ``request_timeout_ms`` of wall time each; retries barely wait."""

    steps: int = 1000
    seed: int = 0
    request_timeout_ms: int = 200
    retry_attempts: int = 6
    retry_backoff_s: float = 0.001
    retry_max_backoff_s: float = 0.01
    # Cap of every retry wait (a 429's hint included). Not below the env's own deliberate pauses:
    # on Binance it looks for an order again 50 ms after a look-up that found nothing (a timed-out
    # order may land late), and a shorter pause would test another env than the one that ships.
    max_sleep_s: float = 0.05

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(
                f"steps={self.steps}: 1..{MAX_STEPS} (the replayed day has {MAX_STEPS} bars left)"
            )


@dataclass
class Tally:
    """What one run measured. Targets (see :meth:`missed_targets`): ``orders_per_decision`` 1.000,
    ``duplicate_ids`` 0, ``orphan_steps`` 0, ``over_exposed_steps`` 0, ``exceptions`` 0,
    ``unexplained_mismatches`` 0, ``final_match``, every emulator restart reported in ``info``, every
    env restart seeing the venue's position."""

    config: str
    steps: int = 0
    wall_s: float = 0.0
    decisions: int = 0  # client ids the env reported accepted or unknown (see the module docstring)
    venue_orders: int = 0  # our orders on the venue (client, close-position and conditional orders)
    decisions_by_kind: Counter = field(default_factory=Counter)  # entry, resend, bracket, close
    conditional_orders: int = 0  # of venue_orders: separate conditional (bracket) orders
    duplicate_ids: int = 0  # client ids the venue holds twice, or the env reported accepted twice
    orphan_steps: int = 0  # checks with a live trigger order for a flat side, after a step that saw it
    orphans_unseen: int = 0  # the same after a step that could not see the venue flat (see _check)
    brackets_cancelled: int = 0  # leftover conditional orders the env reported cancelling
    over_exposed_steps: int = 0  # checks with a venue leg larger than one trade
    unexplained_mismatches: int = 0  # env != venue, unflagged, not a stale read the env could not see
    stale_undetectable: int = 0  # env != venue after a stale last read, with no evidence against it
    flagged_steps: int = 0  # steps whose info said stale/unavailable/reconciling
    unavailable_steps: int = 0
    exceptions: Counter = field(default_factory=Counter)  # out of step/reset, by type
    construction_errors: Counter = field(default_factory=Counter)
    final_match: bool = False
    final_env: str = ""
    final_venue: str = ""
    faults: Counter = field(default_factory=Counter)  # fired, from the venue's ledger
    partial_fills: Counter = field(default_factory=Counter)  # reported by the env: total, resent, dropped
    scenarios: Counter = field(default_factory=Counter)  # applied, by name
    failure_burst: int = 0  # failures in a row of the fail_* scenarios (past the env's whole budget)
    restarts_noticed: Counter = field(default_factory=Counter)  # by reconciliation status, or "missed"
    env_restart_seen: Counter = field(default_factory=Counter)  # "matched", "mismatched"
    missing_on_venue: int = 0  # entries the env reported accepted that the venue never received
    unknown_not_landed: int = 0  # reported unknown only, and the venue never got it: no decision
    unreported_on_venue: int = 0  # client orders on the venue the env never reported sending
    examples: list[str] = field(default_factory=list)  # a few mismatches/exceptions, for messages

    @property
    def orders_per_decision(self) -> float:
        return self.venue_orders / self.decisions if self.decisions else float("nan")

    @property
    def exception_count(self) -> int:
        return sum(self.exceptions.values())

    def missed_targets(self) -> list[str]:
        """The targets this run missed, each with its numbers (empty: all met)."""
        out = []
        if self.venue_orders != self.decisions:
            out.append(
                f"orders per decision {self.orders_per_decision:.3f} "
                f"({self.venue_orders} venue orders / {self.decisions} decisions; "
                f"{self.missing_on_venue} reported but not on the venue, "
                f"{self.unreported_on_venue} on the venue but never reported)"
            )
        if self.duplicate_ids:
            out.append(f"{self.duplicate_ids} duplicate client ids")
        if self.orphan_steps:
            out.append(f"orphan triggers in {self.orphan_steps} checks")
        if self.exceptions:
            out.append(f"{self.exception_count} exceptions out of step/reset: {dict(self.exceptions)}")
        if self.over_exposed_steps:
            out.append(f"a venue leg larger than one trade in {self.over_exposed_steps} checks")
        if self.unexplained_mismatches:
            out.append(f"{self.unexplained_mismatches} unexplained env/venue mismatches")
        if not self.final_match:
            out.append(f"final env position {self.final_env} != venue {self.final_venue}")
        if self.restarts_noticed.get("missed"):
            out.append(f"emulator restarts never reported in info: {dict(self.restarts_noticed)}")
        if self.env_restart_seen.get("mismatched"):
            out.append(f"a new env on an open position: {dict(self.env_restart_seen)}")
        return out


def _legs_of_env(position: Any) -> tuple[tuple[str, Decimal], ...]:
    """The env's view as (side, exact size) legs: its ``legs`` when it has them, else its one side."""
    legs = getattr(position, "legs", None)
    if legs is None:
        pairs = [(position.side, position.size)] if position.is_open else []
    else:
        pairs = [
            (leg["side"], leg["size"]) if isinstance(leg, dict) else (leg.side, leg.size) for leg in legs
        ]
    return tuple(sorted((str(s), Decimal(repr(float(z)))) for s, z in pairs if z and float(z) > 0))


def _legs_of_venue(rows: list[dict[str, Any]], market_id: str = MARKET_ID) -> tuple[tuple[str, Decimal], ...]:
    """The venue's legs as (side, exact size); a size is unsigned (Alpaca's short quantities are negative)."""
    return tuple(
        sorted(
            (r["side"], abs(Decimal(r["qty"])))
            for r in rows
            if r["symbol"] == market_id and Decimal(r["qty"]) != 0
        )
    )


def _closing_side(trigger: dict[str, Any]) -> str:
    """The position side a closing trigger order closes: its position side (hedge mode, Bitget's
    position TP/SL), else the side its closing order reduces (a one-way close-all: sell closes long)."""
    return trigger.get("pos_side") or ("long" if trigger["side"] == "sell" else "short")


def _kind_of(action: str, client_oid: str) -> str:
    """A decision's kind for the report: entry, resend (an entry's id plus ``r``), bracket or close."""
    if action.startswith("open"):
        return "resend" if client_oid.endswith("r") else "entry"
    return "bracket" if action in ("stop_loss", "take_profit") else action


def _sent(info: dict[str, Any]) -> bool:
    """The step sent an order, or may have (accepted or unknown), new or not."""
    return any(o.get("status") in ("accepted", "unknown") for o in info.get("orders") or [])


def _brief(info: dict[str, Any]) -> dict[str, Any]:
    """What a report needs of an info dict: its orders and its flags."""
    out: dict[str, Any] = {
        "orders": [(o.get("action"), o.get("status"), o.get("reason")) for o in info.get("orders") or []]
    }
    out.update({k: info[k] for k in (*FLAG_KEYS, "fills") if info.get(k)})
    if "fills" in out:
        out["fills"] = [(f.get("side"), f.get("amount"), f.get("order_id")) for f in out["fills"]]
    return out


def describe(legs: tuple[tuple[str, Decimal], ...]) -> str:
    return " + ".join(f"{side} {size.normalize()}" for side, size in legs) or "flat"


class SoakRun:
    """One config's run. ``server`` has ``url`` and ``control`` (an EmulatorServer or the fixtures')."""

    def __init__(
        self, server: Any, config: MatrixConfig, settings: Settings, index: int | None = None
    ) -> None:
        index = config.index if index is None else index
        self.venue = config.spec
        self.url = server.url
        self.control = server.control
        # The env's clock drives the in-process emulator when there is one (no round trips), else the
        # control routes of a running one.
        self._clock_target = getattr(server, "emulator", None) or server.control
        self.config = config
        self.settings = settings
        self.index = index
        self.tally = Tally(config.name)
        self._rng = random.Random(settings.seed * 1000 + index)
        self._fault_seed = settings.seed * 1000 + index
        self._cursor = 0  # last venue ledger seq read
        self._instance = 0
        self._restarts = 0
        self._api_oids: Counter = Counter()
        self._reported: Counter = Counter()  # client id -> times reported accepted (in distinct steps)
        self._decided: set[str] = set()
        self._decided_opens: set[str] = set()
        self._accepted: set[str] = set()  # client ids the env reported accepted at least once
        self._contradiction = False  # a mismatch stands since a step that sent an order
        self._unexplained = False  # the last check counted an unexplained mismatch
        self._over = False  # the last check saw a leg larger than one trade
        self._notice_window = 0  # steps left to notice an emulator restart
        self._armed: list[str] = []
        self.env: Any = None

    # ------------------------------------------------------------------ setup

    ID_PREFIX = "m"  # of the env ids (then the cell's index, the env instance, the seed)

    def _run_fields(self) -> dict[str, Any]:
        """The env config fields every venue's run sets alike: retries, resets, ids, brackets."""
        cfg, seed = self.config, self.settings.seed
        fields: dict[str, Any] = {
            "base_url": self.url,
            "quantity_per_trade": float(self.venue.quantity),
            "close_position_on_reset": cfg.resets,
            "max_steps": EPISODE_STEPS if cfg.resets else None,
            "request_timeout_ms": self.settings.request_timeout_ms,
            "retry_attempts": self.settings.retry_attempts,
            "retry_backoff_s": self.settings.retry_backoff_s,
            "retry_max_backoff_s": self.settings.retry_max_backoff_s,
            "env_id": f"{self.ID_PREFIX}{self.index:02d}{self._instance:02d}{seed % 100_000:05d}",
            "seed": self.settings.seed,
        }
        if cfg.sltp:
            # Tight brackets (3-6 bp, a few dollars on the bundled BTC day): they fire within minutes.
            fields.update(stoploss_levels=(-0.0003, -0.0006), takeprofit_levels=(0.0003, 0.0006))
        return fields

    def _env_config(self) -> Any:
        cfg = self.config
        cls = self.venue.sltp_config if cfg.sltp else self.venue.config
        fields = self._run_fields()
        fields.update(
            symbol=SYMBOL, leverage=LEVERAGE, position_mode=cfg.position_mode, margin_mode=cfg.margin_mode
        )
        if "partial_fill_policy" in {f.name for f in dataclasses.fields(cls)}:
            fields["partial_fill_policy"] = cfg.partial_fill_policy
        return cls(**fields)

    def _make_env(self) -> Any:
        cls = self.venue.sltp_env if self.config.sltp else self.venue.env
        cap = self.settings.max_sleep_s
        for _ in range(3):
            try:
                return cls(
                    self._env_config(),
                    clock=EmulatorClock(self._clock_target),
                    retry_sleep=lambda s: time.sleep(min(s, cap)),
                )
            except Exception as e:  # counted: construction under faults may fail; try again
                self.tally.construction_errors[type(e).__name__] += 1
        raise RuntimeError(f"{self.config.name}: the env could not be built 3 times in a row")

    def _install_faults(self) -> None:
        for rule in SCRIPTED_FAULTS:
            self.control.add_fault(**rule)
        for rule in seeded_faults(self.venue):
            self.control.add_fault(times=None, **rule)

    def _script(self, kind: str, route: str, **fields: Any) -> None:
        """Add a scripted fault *before* the seeded ones (the first rule that fires wins), so that its
        firings come in a row. Unfinished scripted rules keep their place; the seeded RNG goes on."""
        pending = []
        for rule in self.control.faults():
            if rule["probability"] is None and rule["fired"] < rule["times"]:
                left = {k: v for k, v in rule.items() if k not in ("id", "seen", "fired")}
                left.update(times=rule["times"] - rule["fired"], after=max(0, rule["after"] - rule["seen"]))
                pending.append(left)
        self.control.clear_faults()
        self.control.add_fault(kind, route, **fields)
        for rule in pending:
            self.control.add_fault(**rule)
        for rule in seeded_faults(self.venue):
            self.control.add_fault(times=None, **rule)

    def _provision(self) -> None:
        """Put the account in the env's modes (after an emulator reset), without faults."""
        ex = ccxt_client(self.url, self.venue.name, enableRateLimit=False, timeout=5000)
        ex.load_markets()
        hedge = self.config.position_mode == "hedge"
        self._setting(lambda: ex.set_position_mode(hedge, SYMBOL))
        self._setting(lambda: ex.set_margin_mode(MarginMode(self.config.margin_mode).ccxt, SYMBOL))
        if hedge and self.config.margin_mode == "isolated" and self.venue.leverage_per_side:
            for side in ("long", "short"):
                ex.set_leverage(LEVERAGE, SYMBOL, {"holdSide": side})
        else:
            ex.set_leverage(LEVERAGE, SYMBOL)

    def _setting(self, call: Callable[[], Any]) -> None:
        """A settings call; a venue answering "nothing to change" (it is so already) is fine."""
        try:
            call()
        except ccxt.ExchangeError as e:
            if not any(code in str(e) for code in self.venue.no_change_codes):
                raise

    def _reset_emulator(self, fault_seed: int) -> None:
        self.control.reset(history_bars=HISTORY_BARS, fault_seed=fault_seed, **self.venue.reset_fields)
        self._cursor = 0

    # ------------------------------------------------------------------ venue side

    def _read_ledger(self) -> list[dict[str, Any]]:
        events = self.control.ledger("order", "trigger", "fault", "request", since=self._cursor)
        if events:
            self._cursor = events[-1]["seq"]
        for e in events:
            if e["kind"] == "fault":
                self.tally.faults[e["fault"]] += 1
            elif self._ours(e):
                self.tally.venue_orders += 1
                if e["kind"] == "trigger":
                    self.tally.conditional_orders += 1
                if e["kind"] == "trigger" or e["source"] == "api":
                    self._api_oids[e["client_oid"]] += 1
        return events

    def _ours(self, event: dict[str, Any]) -> bool:
        """A ledger event of an order our client placed (see the module docstring)."""
        if event.get("symbol") != self.venue.market_id:
            return False
        if event["kind"] == "order":
            return event["source"] in self.venue.our_sources
        # A conditional order placed through the API (Bitget's position TP/SL ride on the entry).
        return event["kind"] == "trigger" and self.venue.conditional_orders

    def _venue(
        self, settle: bool = True, triggers: bool = True
    ) -> tuple[tuple[tuple[str, Decimal], ...], int]:
        """The venue's legs, and its orphans: live trigger orders that would close a position side
        the venue holds flat (all of them when it is flat; in hedge mode those of the flat side), once
        held requests have executed (``settle=False``: none is held; ``triggers=False``: no count)."""
        if settle:
            self.control.settle()
        legs = _legs_of_venue(self.control.positions(), self.venue.market_id)
        if not triggers or len(legs) == 2:
            return legs, 0
        held = {side for side, _ in legs}
        return legs, sum(
            t["status"] == "live" and t["symbol"] == self.venue.market_id and _closing_side(t) not in held
            for t in self.control.orders()["triggers"]
        )

    # ------------------------------------------------------------------ env side

    def _record_orders(self, info: dict[str, Any]) -> list[str]:
        """Count the orders the env reports; returns the new ones (``"action status"``): the orders
        sent, or maybe sent, in this step."""
        new: list[str] = []
        seen_here: set[str] = set()
        for order in info.get("orders") or []:
            legs = order.get("legs") or (order.get("extra") or {}).get("legs") or [order]
            for leg in legs:
                status, oid = leg.get("status"), leg.get("client_oid")
                if status not in ("accepted", "unknown") or not oid:
                    continue
                action = str(leg.get("action", order.get("action", "")))
                if oid not in self._decided:
                    new.append(f"{action} {status}")
                    self.tally.decisions_by_kind[_kind_of(action, oid)] += 1
                self._decided.add(oid)
                if action.startswith("open"):
                    self._decided_opens.add(oid)
                if status == "accepted":
                    self._accepted.add(oid)
                if status == "accepted" and oid not in seen_here:
                    seen_here.add(oid)
                    self._reported[oid] += 1
        for pf in info.get("partial_fills") or []:
            # The env's note: "dropped", "resent", or "resend <status>" (rejected: the rest is below
            # the market's minimum; unknown: the venue did not answer).
            self.tally.partial_fills["reported"] += 1
            outcome = str(pf.get("action") or "unlabelled")
            self.tally.partial_fills[outcome] += 1
            resend = pf.get("resend_client_oid")
            if resend and outcome in ("resent", "resend unknown"):
                if resend not in self._decided:
                    new.append("resend")
                    self.tally.decisions_by_kind["resend"] += 1
                self._decided.add(resend)
                self._decided_opens.add(resend)
                if outcome == "resent":
                    self._accepted.add(resend)
        self.tally.brackets_cancelled += int(info.get("brackets_cancelled") or 0)
        self.tally.brackets_cancelled += int(info.get("orphans_cancelled") or 0)
        return new

    def _events(self) -> list[dict[str, Any]]:
        """The venue's ledger since the last read, once requests held by a timeout have executed."""
        events = self._read_ledger()
        if any(e["kind"] == "fault" and e["fault"] == "timeout" for e in events):
            self.control.settle()
            events += self._read_ledger()
        return events

    def _audit(self, label: str, new: list[str], events: list[dict[str, Any]]) -> None:
        """An example for the report when a step's reported orders and the venue's disagree in number."""
        ours = [e for e in events if self._ours(e)]
        if len(ours) != len(new):
            faults = [f"{e['route']}:{e['fault']}" for e in events if e["kind"] == "fault"]
            self._example(
                f"{label}: the env reported {new or 'no order'}, the venue got {len(ours)} (faults {faults})"
            )

    def _check(self, info: dict[str, Any], sent: bool, step_events: list[dict[str, Any]]) -> None:
        # Only SLTP entries carry brackets: the standard env's triggers are counted at the end.
        venue, orphans = self._venue(settle=False, triggers=self.config.sltp)
        env = _legs_of_env(self.env.position)
        reads = [
            e
            for e in step_events
            if e["kind"] == "request" and e["route"] in self.venue.position_routes and e["status"] == 200
        ]
        last_stale = bool(reads) and reads[-1]["fault"] == "stale_position"
        if orphans:
            # Separate bracket legs outlive their position (Binance's closePosition orders): the env
            # cancels what is left once it sees the position gone. A step that could not see it (the
            # venue unreachable, or its last position read stale: the venue's own lag) leaves it to
            # the next step that does; if that one leaves it too, it counts there.
            if info.get("venue_unavailable") or last_stale:
                self.tally.orphans_unseen += 1
            else:
                self.tally.orphan_steps += 1
                self._example(
                    f"step {self.tally.steps}: {orphans} live trigger order(s) for a flat side, venue "
                    f"{describe(venue)} ({_brief(info)})"
                )
        over = any(size > self.venue.quantity for _, size in venue)
        if over:
            self.tally.over_exposed_steps += 1
            if not self._over:
                self._example(f"step {self.tally.steps}: venue {describe(venue)} ({_brief(info)})")
        self._over = over
        flagged = any(info.get(k) for k in FLAG_KEYS)
        self.tally.flagged_steps += flagged
        self.tally.unavailable_steps += bool(info.get("venue_unavailable"))
        mismatch = env != venue
        if mismatch and not flagged:
            if self._contradiction or sent or not last_stale:
                self.tally.unexplained_mismatches += 1
                if not self._unexplained:  # the first step of a streak
                    self._example(
                        f"step {self.tally.steps}: env {describe(env)} != venue {describe(venue)} "
                        f"({_brief(info)})"
                    )
            else:
                self.tally.stale_undetectable += 1
        self._contradiction = mismatch and (self._contradiction or sent)
        self._unexplained = mismatch and not flagged
        if self._notice_window:  # did the env report the vanished position within a few steps?
            note = info.get("reconciliation")
            status = (note.get("status") if isinstance(note, dict) else None) or ("noted" if note else None)
            if status == "entry_held":
                status = None  # that is about a stale read, not about the lost position
            self._notice_window = 0 if status else self._notice_window - 1
            if status or not self._notice_window:
                self.tally.restarts_noticed[status or "missed"] += 1

    def _example(self, text: str) -> None:
        if len(self.tally.examples) < 8:
            self.tally.examples.append(text)

    # ------------------------------------------------------------------ scenarios

    def _arm_schedule(self) -> dict[int, list[str]]:
        """Step -> the scenarios armed there (each fires at the first fitting step from then on)."""
        n = self.settings.steps
        schedule: dict[int, list[str]] = {}
        period = max(12, n // 10)
        cycle = ("stale_burst", "fail_candles", "fail_positions")
        for k, step in enumerate(range(period // 2, n - 5, period)):
            schedule.setdefault(step, []).append(cycle[k % len(cycle)])
        for frac in (0.4, 0.8) if n >= 400 else (0.4,):
            schedule.setdefault(int(n * frac), []).append("emulator_restart")
        for frac in (0.6, 0.9) if n >= 400 else (0.65,):
            schedule.setdefault(int(n * frac), []).append("env_restart")
        return schedule

    def _apply_armed(self, opening: bool) -> None:
        """Fire the armed scenarios whose moment has come (before the step is taken)."""
        # Past the env's whole budget: its retries of one call, times the rounds of a step's phase.
        budget = self.settings.retry_attempts * getattr(self.env.config, "outage_rounds", 1) + 1
        self.tally.failure_burst = budget
        for name in list(self._armed):
            if name in ("stale_burst", "fail_candles", "fail_positions"):
                if not opening:
                    continue
                if name == "stale_burst":
                    self._script("stale_position", self.venue.position_glob, times=3)
                elif name == "fail_candles":
                    self._script("server_error", self.venue.candle_glob, times=budget)
                else:
                    self._script("server_error", self.venue.position_glob, times=budget)
            else:
                venue, _ = self._venue()
                if not venue or not self.env.position.is_open:
                    # Wait until the venue holds a position the env knows of. (A venue position the
                    # env believes gone, e.g. the rest of a partly filled close working until the
                    # next bar, vanishes on a restart into what the env already believes.)
                    continue
                if name == "emulator_restart":
                    self._emulator_restart()
                else:
                    self._env_restart()
            self._armed.remove(name)
            self.tally.scenarios[name] += 1

    def _emulator_restart(self) -> None:
        self._read_ledger()  # the reset drops the ledger: take what is in it first
        self._restarts += 1
        self._reset_emulator(self._fault_seed + 100 * self._restarts)
        self._provision()
        self._read_ledger()
        self._install_faults()
        self._notice_window = 3

    def _env_restart(self) -> None:
        self.env.close()
        self._instance += 1
        # Built with faults off: ccxt's load_markets is several requests per attempt, and under these
        # rates most attempts fail; what is tested here is the new env meeting an open position.
        self.control.clear_faults()
        self.env = self._make_env()
        self._install_faults()
        self._reset()
        venue, _ = self._venue()
        seen = _legs_of_env(self.env.position) == venue
        self.tally.env_restart_seen["matched" if seen else "mismatched"] += 1
        if not seen:
            env = describe(_legs_of_env(self.env.position))
            reset = _brief(self.env.last_info)
            self._example(f"after env restart: env {env} != venue {describe(venue)} (reset {reset})")

    # ------------------------------------------------------------------ stepping

    def _reset(self) -> None:
        for _ in range(5):
            try:
                self.env.reset()
            except Exception as e:  # counted: nothing should escape a reset
                self.tally.exceptions[f"reset:{type(e).__name__}"] += 1
                self._example(f"reset raised {type(e).__name__}: {str(e)[:160]}")
                continue
            self._audit(f"reset {self.env.episode}", self._record_orders(self.env.last_info), self._events())
            return
        self.tally.exceptions["reset:gave_up"] += 1  # stepping on is what a collector loop would try

    def _action(self) -> int:
        if self.config.sltp:
            return self._rng.randrange(self.env.action_spec.n)
        return self._rng.choice([0, 0, 1, 2, 2])

    def _step(self, action: int) -> bool:
        """One env step and its checks; True if the episode ended."""
        try:
            _, _, done, info = self.env.step(action)
        except Exception as e:  # counted: nothing should escape a step
            # a raw (non-torchtrade) error is named with its module, so that it stands out
            name = type(e).__name__
            if not isinstance(e, TorchTradeError):
                name = f"{type(e).__module__}.{name}"
            self.tally.exceptions[name] += 1
            self._example(f"step {self.tally.steps} raised {name}: {str(e)[:160]}")
            self.tally.steps += 1
            self._events()
            return False
        self.tally.steps += 1
        new = self._record_orders(info)
        events = self._events()
        self._audit(f"step {self.tally.steps}", new, events)
        self._check(info, bool(new) or _sent(info), events)
        return bool(done)

    def run(self) -> Tally:
        start = time.perf_counter()
        try:
            self._reset_emulator(self._fault_seed)
            self.env = self._make_env()
            self._install_faults()
            self._reset()
            schedule = self._arm_schedule()
            for i in range(self.settings.steps):
                self._armed += schedule.get(i, [])
                action = self._action()
                if self._armed:
                    intent = self.env.actions.decide(action, self.env.position)
                    self._apply_armed(intent.kind == "open")
                if self._step(action):
                    self._reset()
            self._finish()
        finally:
            if self.env is not None:
                self.env.close()
        self.tally.wall_s = time.perf_counter() - start
        return self.tally

    def _finish(self) -> None:
        """Faults off, one clean hold step, then the env's position against the venue's, exactly."""
        self.control.clear_faults()
        self.control.settle()
        hold = 0 if self.config.sltp else 1
        try:
            self.env.step(hold)
        except Exception as e:  # counted like any step's
            self.tally.exceptions[f"final:{type(e).__name__}"] += 1
        self._record_orders(self.env.last_info)
        self._events()
        venue, orphans = self._venue()
        env = _legs_of_env(self.env.position)
        self.tally.final_match = env == venue
        self.tally.final_env, self.tally.final_venue = describe(env), describe(venue)
        if orphans:
            self.tally.orphan_steps += 1
            self._example(f"final: {orphans} live trigger order(s) for a flat side, venue {describe(venue)}")
        t = self.tally
        on_venue = set(self._api_oids)
        unknown_only = self._decided - self._accepted
        # Only where the venue's ledger shows every decision by our id (closes too) can a missing one
        # be told from a venue-named close.
        if not self.venue.closes_have_our_ids:
            unknown_only &= self._decided_opens
        not_landed = unknown_only - on_venue
        t.unknown_not_landed = len(not_landed)
        self._decided -= not_landed
        self._decided_opens -= not_landed
        t.decisions = len(self._decided)
        t.duplicate_ids = sum(n - 1 for n in self._api_oids.values() if n > 1) + sum(
            n - 1 for n in self._reported.values() if n > 1
        )
        # Every decision carries our client id where closes do (Binance); else only entries do.
        checked = self._decided if self.venue.closes_have_our_ids else self._decided_opens
        t.missing_on_venue = len(checked - set(self._api_oids))
        t.unreported_on_venue = len(set(self._api_oids) - self._decided)


def run_config(server: Any, config: MatrixConfig, settings: Settings, index: int | None = None) -> Tally:
    """Run one config of the matrix on ``server``, an emulator of the config's venue (it is reset
    first); ``index`` overrides the config's seed index."""
    return SoakRun(server, config, settings, index).run()
