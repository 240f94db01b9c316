"""Which position is true: the venue's read, or what the env's own orders and fills prove.

The venue's positions are the truth, but a read can be stale (a lagging replica answers an old state).
The env's accepted orders and their fills are evidence against such a read:

* after the env's own order, the read should show the order's effect (``expected``). If it does not,
  and no fill of someone else (a bracket, a liquidation, a manual trade) explains the difference, the
  account is read again (``rereads`` times, with backoff). A read that still contradicts the evidence
  is taken as stale: the env keeps the evidenced position, and no new entry is placed while the
  contradiction stands (the step holds; ``info["reconciliation"]`` says why);
* a standing contradiction is checked again every step. It ends when the venue agrees, when a fill
  explains the venue's position, or when the order that proves it is gone from the venue (a venue
  reset: nothing proves the position any more). After ``max_steps`` steps the venue's read is taken,
  with a WARNING, so that nothing stays frozen forever;
* a position that changes while the env did nothing, with no fill at all, is logged at WARNING and
  reported once (``unexplained_change``); a change made by fills that are not the env's (a liquidation,
  a manual trade; a bracket in an env without brackets) is reported once as ``external_fill``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .account import FillInfo, PositionState

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Evidence:
    """A position the env's own accepted order proves, against what the venue's read says.

    ``confirm_by_fill``: the order is only *probably* ours (a close-position call that answered
    "nothing to close" after an ambiguous failure, so no order id came back): it is proof only if a
    fill shows up in the step; without one, the position was already gone before the env closed it.
    """

    expected: PositionState
    client_oid: str
    order_id: str | None
    steps: int = 0
    confirm_by_fill: bool = False
    decision_oid: str = ""  # the env's client id of the decision (``client_oid`` is what the venue knows)


@dataclass(slots=True)
class Probes:
    """How the reconciler asks the venue for more, when a read disagrees (each may cost a request).

    Attributes:
        fills: the fills since the last ones seen (recorded by the env).
        reread: the venue's position, read again.
        order_exists: whether the venue still knows the order behind some evidence.
        ours: order ids of the env's own orders.
    """

    fills: Callable[[], list[FillInfo]]
    reread: Callable[[], PositionState]
    order_exists: Callable[[Evidence], bool]
    ours: set[str]


@dataclass(slots=True)
class Settled:
    """The outcome of reconciling one step: the position to believe, and the note for ``info``."""

    position: PositionState
    note: dict[str, Any] | None = None
    external_fills: bool = False
    unconfirmed: bool = False  # ``fresh`` needed a fill to count, and none came


class Reconciler:
    """Settles the env's position every step.

    Args:
        rereads: extra reads of the account when a read contradicts the env's evidence.
        max_steps: steps a contradiction may stand before the venue's read is taken anyway.
        sleep / backoff_s: the pause before re-read ``k`` is ``backoff_s × 2**k``.
        brackets: the env places brackets (a fill that closes its position is then expected).
        slack: how far (a fraction) a read's size may be from the evidence's and still agree (0: exact;
            see :meth:`PositionState.same_as`).
    """

    def __init__(
        self,
        *,
        rereads: int,
        max_steps: int,
        sleep: Callable[[float], None],
        backoff_s: float,
        brackets: bool,
        slack: float = 0.0,
    ) -> None:
        self.slack = slack
        self.rereads = rereads
        self.max_steps = max_steps
        self.sleep = sleep
        self.backoff_s = backoff_s
        self.brackets = brackets
        self.evidence: Evidence | None = None

    @property
    def contradicted(self) -> bool:
        """A contradiction stands: the env must not open anything new."""
        return self.evidence is not None

    def settle(
        self, *, before: PositionState, read: PositionState, fresh: Evidence | None, probes: Probes
    ) -> Settled:
        """The position to believe after this step.

        Args:
            before: what the env believed before the step.
            read: the venue's position read after the step.
            fresh: evidence from an order the env had accepted in this step (None: no order landed).
            probes: how to ask the venue for more.
        """
        probes = Probes(_once(probes.fills), probes.reread, probes.order_exists, probes.ours)
        unconfirmed = False
        if fresh is not None and fresh.confirm_by_fill:
            if probes.fills():
                # our close's fills: their order id was unknown until now
                probes.ours = probes.ours | {f.order_id for f in probes.fills()}
            else:
                fresh, unconfirmed = None, True
        if fresh is not None:
            self.evidence = None
            expected = fresh.expected
        elif self.evidence is not None:
            expected = self.evidence.expected
        else:
            expected = before
        settled = self._settle(before, read, expected, fresh, probes)
        settled.unconfirmed = unconfirmed
        return settled

    def _settle(
        self,
        before: PositionState,
        read: PositionState,
        expected: PositionState,
        fresh: Evidence | None,
        probes: Probes,
    ) -> Settled:
        if read.same_as(expected, self.slack):
            return self._agreed(read)
        new = probes.fills()
        external = [f for f in new if f.order_id not in probes.ours]
        if external:
            return self._external(before, read, external)
        if new and fresh is None and self.evidence is None:
            # No evidence to defend, and fills of our own explain a change (an order the venue held
            # for the open, a late fill): the venue's read stands, with no re-read.
            return Settled(read)
        for k in range(self.rereads):
            self.sleep(self.backoff_s * 2**k)
            read = probes.reread()
            if read.same_as(expected, self.slack):
                return self._agreed(read)
        if fresh is not None:
            self.evidence = fresh
            return self._stale(fresh, read, "our accepted order and its fills prove it")
        if self.evidence is not None:
            return self._standing(self.evidence, read, probes.order_exists)
        if new:  # only our own fills (a late one): the venue's read stands
            return Settled(read)
        logger.warning(
            "position changed with no fill we know of (%s -> %s): a manual trade, a liquidation or a "
            "venue reset? Taking the venue's position",
            before.describe(),
            read.describe(),
        )
        return Settled(
            read, {"status": "unexplained_change", "before": before.describe(), "venue": read.describe()}
        )

    def _agreed(self, read: PositionState) -> Settled:
        if self.evidence is not None:
            logger.info("the venue's position read agrees with our evidence again: %s", read.describe())
            self.evidence = None
        return Settled(read)

    def _external(self, before: PositionState, read: PositionState, external: list[FillInfo]) -> Settled:
        self.evidence = None
        if self.brackets and not read.is_open:
            logger.info("position closed by the venue within the bar (a bracket or a liquidation fired)")
            return Settled(read, external_fills=True)
        logger.warning(
            "position changed by fills that are not ours (%s -> %s; orders %s): a liquidation or a manual "
            "trade? Taking the venue's position",
            before.describe(),
            read.describe(),
            sorted({f.order_id for f in external}),
        )
        note = {
            "status": "external_fill",
            "before": before.describe(),
            "venue": read.describe(),
            "orders": sorted({f.order_id for f in external}),
        }
        return Settled(read, note, external_fills=True)

    def _stale(self, ev: Evidence, read: PositionState, why: str) -> Settled:
        logger.warning(
            "the venue's position read (%s) contradicts %s (%s, client id %s): taking the read as stale; "
            "no new entry until they agree",
            read.describe(),
            why,
            ev.expected.describe(),
            ev.client_oid,
        )
        note = {
            "status": "stale_read",
            "expected": ev.expected.describe(),
            "venue": read.describe(),
            "client_oid": ev.client_oid,
            "reads": 1 + self.rereads,
            "entries_held": True,
        }
        return Settled(ev.expected, note)

    def _standing(
        self, ev: Evidence, read: PositionState, order_exists: Callable[[Evidence], bool]
    ) -> Settled:
        ev.steps += 1
        if not order_exists(ev):
            self.evidence = None
            logger.warning(
                "our order %s is gone from the venue and so is the position it opened (%s -> %s): a venue "
                "reset? Taking the venue's position",
                ev.client_oid,
                ev.expected.describe(),
                read.describe(),
            )
            return Settled(
                read,
                {
                    "status": "vanished",
                    "expected": ev.expected.describe(),
                    "venue": read.describe(),
                    "client_oid": ev.client_oid,
                },
            )
        if ev.steps > self.max_steps:
            self.evidence = None
            logger.warning(
                "the venue's position read (%s) contradicted our order %s for %d steps: taking the venue's",
                read.describe(),
                ev.client_oid,
                ev.steps,
            )
            return Settled(
                read,
                {
                    "status": "gave_up",
                    "expected": ev.expected.describe(),
                    "venue": read.describe(),
                    "client_oid": ev.client_oid,
                    "steps": ev.steps,
                },
            )
        settled = self._stale(ev, read, "our earlier order and its fills")
        assert settled.note is not None
        settled.note["steps"] = ev.steps
        return settled


def _once(fn: Callable[[], list[FillInfo]]) -> Callable[[], list[FillInfo]]:
    """``fn`` called at most once: the fills of a step are read once, however often they are asked for."""
    cache: list[list[FillInfo]] = []

    def call() -> list[FillInfo]:
        if not cache:
            cache.append(fn())
        return cache[0]

    return call
