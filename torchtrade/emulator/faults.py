"""Fault injection: scripted or seeded failures per route, to prove clients survive a real venue.

A :class:`FaultRule` says *what* goes wrong (:class:`FaultKind`), *where* (a route name such as
``"place_order"`` or a path glob such as ``"/api/v2/mix/order/*"``; ``"*"`` = every venue route) and
*when*: scripted (skip the first ``after`` matching requests, then fire ``times`` times) or seeded
(fire with ``probability`` from the injector's private RNG, so a run is reproducible from its seed).

What each kind does (the HTTP layer in :mod:`.http` carries it out, and records it in the ledger):

* ``rate_limit``: the venue's HTTP 429 with its rate-limit headers; nothing is executed.
* ``server_error``: an HTTP 5xx (``status``, default 503); nothing is executed.
* ``timeout``: the request is held until the client gives up and hangs up (at most ``delay_s``
  seconds), then executed as usual: the client saw a timeout, but the order still lands. The nasty,
  realistic case. ``POST /_emulator/settle`` waits for held requests to finish.
* ``drop_response``: the request is executed, then the connection is reset instead of answering.
* ``connection_reset``: the connection is reset before anything is executed.
* ``partial_fill``: an order fills only ``fill_ratio`` (default 0.5) of its quantity now; the rest
  fills at the next bar's open.
* ``stale_position``: a position read answers the previous answer of that read (or "no position" if
  there was none), as a lagging replica would.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .checks import FieldError, ascii_text, integer, number


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DROP_RESPONSE = "drop_response"
    CONNECTION_RESET = "connection_reset"
    PARTIAL_FILL = "partial_fill"
    STALE_POSITION = "stale_position"


_KINDS = {k.value for k in FaultKind}
MAX_ROUTE_LEN = 200
MAX_COUNT = 10**9  # times / after: more than any test or soak will ever send
# A held request waits at most this long (``settle`` waits up to 30 s for held requests to finish).
MAX_DELAY_S = 30.0
MAX_RETRY_AFTER_S = 3600.0


@dataclass(slots=True, kw_only=True)
class FaultRule:
    """One fault to inject.

    Attributes:
        kind: what goes wrong.
        route: a route name (``"place_order"``), a path glob (``"/api/v2/mix/*"``) or ``"*"``.
        times: how many times it fires (None: no limit).
        after: matching requests to let through before the first firing.
        probability: if set, each matching request (after ``after``) fires with this probability,
            drawn from the injector's seeded RNG.
        status: HTTP status for ``server_error``.
        delay_s: how long ``timeout`` holds the request.
        retry_after_s: the retry hint of ``rate_limit``.
        fill_ratio: the filled fraction for ``partial_fill``.

    Raises:
        FieldError: a field of the wrong type or out of range (the message names it): ``kind`` one of
            :class:`FaultKind`; ``route`` 1-200 printable ASCII characters; ``times`` (or None) and
            ``after`` ints in 0..10**9; ``probability`` (or None) in [0, 1]; ``status`` an int in
            500..599; ``delay_s`` in [0, 30]; ``retry_after_s`` in [0, 3600]; ``fill_ratio`` in
            (0, 1). Bools are not ints, and numbers must be finite.
    """

    kind: FaultKind
    route: str = "*"
    times: int | None = 1
    after: int = 0
    probability: float | None = None
    status: int = 503
    delay_s: float = 2.0
    retry_after_s: float = 1.0
    fill_ratio: float = 0.5
    id: int = 0
    seen: int = field(default=0)
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        # Every field is checked here, so a rule that exists can be matched and carried out: a
        # route that is not a string would make every venue request fail while matching it.
        if not isinstance(self.kind, FaultKind):
            if not (isinstance(self.kind, str) and self.kind in _KINDS):
                raise FieldError(f"kind={ascii(self.kind)[:40]}: must be one of {sorted(_KINDS)}")
            self.kind = FaultKind(self.kind)
        self.route = ascii_text("route", self.route, max_len=MAX_ROUTE_LEN)
        if self.times is not None:
            self.times = integer("times", self.times, lo=0, hi=MAX_COUNT)
        self.after = integer("after", self.after, lo=0, hi=MAX_COUNT)
        if self.probability is not None:
            self.probability = number("probability", self.probability, lo=0, hi=1)
        self.status = integer("status", self.status, lo=500, hi=599)
        self.delay_s = number("delay_s", self.delay_s, lo=0, hi=MAX_DELAY_S)
        self.retry_after_s = number("retry_after_s", self.retry_after_s, lo=0, hi=MAX_RETRY_AFTER_S)
        self.fill_ratio = number("fill_ratio", self.fill_ratio, lo=0, hi=1, lo_open=True, hi_open=True)
        for name in ("id", "seen", "fired"):
            integer(name, getattr(self, name), lo=0, hi=2**63)

    def matches(self, name: str, path: str) -> bool:
        return self.route in ("*", name) or fnmatch.fnmatchcase(path, self.route)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Which kinds make sense where: a partial fill needs an order, a stale read needs a position read.
ORDER_ONLY = {FaultKind.PARTIAL_FILL}
POSITION_ONLY = {FaultKind.STALE_POSITION}


class FaultInjector:
    """Holds the active fault rules and decides, request by request, which one fires."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = 0
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        rng = random.Random(seed)  # first: a seed it refuses leaves the injector as it was
        with self._lock:
            self.seed = seed
            self._rng = rng

    def restart(self, seed: int) -> None:
        """No rules and the RNG reseeded (rule ids keep counting up): what a reset does."""
        rng = random.Random(seed)
        with self._lock:
            self._rules.clear()
            self.seed = seed
            self._rng = rng

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._ids += 1
            rule.id = self._ids
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def draw(self, name: str, path: str, *, places_order: bool, reads_position: bool) -> FaultRule | None:
        """The rule that fires for this request, if any (consuming one of its firings)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in ORDER_ONLY and not places_order:
                    continue
                if rule.kind in POSITION_ONLY and not reads_position:
                    continue
                if not rule.matches(name, path):
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
            return None
