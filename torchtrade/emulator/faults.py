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


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DROP_RESPONSE = "drop_response"
    CONNECTION_RESET = "connection_reset"
    PARTIAL_FILL = "partial_fill"
    STALE_POSITION = "stale_position"


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
        self.kind = FaultKind(self.kind)
        if self.times is not None and self.times < 0:
            raise ValueError(f"FaultRule.times must be >= 0 or None, got {self.times}")
        if self.after < 0:
            raise ValueError(f"FaultRule.after must be >= 0, got {self.after}")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise ValueError(f"FaultRule.probability must be in [0, 1], got {self.probability}")
        if not 500 <= self.status <= 599:
            raise ValueError(f"FaultRule.status must be a 5xx status, got {self.status}")
        if self.delay_s < 0 or self.retry_after_s < 0:
            raise ValueError("FaultRule.delay_s and retry_after_s must be >= 0")
        if not 0 < self.fill_ratio < 1:
            raise ValueError(f"FaultRule.fill_ratio must be in (0, 1), got {self.fill_ratio}")

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
        self.seed = seed
        self._rng = random.Random(seed)

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
