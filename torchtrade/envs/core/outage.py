"""What a step does when the venue cannot be reached: the outage policy.

Every venue call already retries transient failures (exponential backoff, 429 hints; see
:mod:`torchtrade.envs.live.shared.retry`). When a call still fails, the step's phase (waiting for the
bar, reading candles, reading the account) is tried again, whole, while the bar lasts: at most
``rounds`` times and never past the next bar's close on the venue's clock. What happens then is the
policy's:

* ``hold`` (default): the step returns the last observation, flagged ``info["venue_unavailable"]``
  and ``info["stale_observation"]``, with reward 0 and no new order; the next step re-reads the
  account before it acts on anything.
* ``raise``: the step raises :class:`~torchtrade.errors.VenueUnavailable` (its ``info`` holds the
  orders placed before the outage).
* ``flatten``: as ``hold``; then the first step that reaches the venue again closes every leg and
  cancels the brackets (that step opens nothing).

Whatever the policy, an order placed in a step is in that step's ``info``, and the next step is the
next bar: a step that failed is never acted again in the same bar.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from ...errors import TransientVenueError, VenueUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")


class OutagePolicy(StrEnum):
    HOLD = "hold"
    RAISE = "raise"
    FLATTEN = "flatten"


class OutageGuard:
    """Runs a step's venue phases under the outage policy.

    Args:
        policy: what to do when a phase keeps failing.
        rounds: how many times a failing phase is tried, whole, within one step.
        past_deadline: ``() -> bool``, true once the next bar is due (stop retrying then).
    """

    def __init__(self, policy: OutagePolicy, rounds: int, past_deadline: Callable[[], bool]) -> None:
        self.policy = OutagePolicy(policy)
        self.rounds = rounds
        self._past_deadline = past_deadline
        self.down = False  # the last phase failed for good: the venue is unavailable

    def run(self, what: str, fn: Callable[[], T], info: dict[str, Any]) -> tuple[bool, T | None]:
        """``(True, result)``, or ``(False, None)`` with ``info`` flagged once the budget is spent."""
        error: TransientVenueError | None = None
        for attempt in range(self.rounds):
            try:
                return True, fn()
            except TransientVenueError as e:
                error = e
                if self.policy is OutagePolicy.RAISE:
                    break
                if attempt + 1 < self.rounds and self._deadline_passed():
                    break
                logger.warning("venue unavailable while %s (%s); trying again", what, e)
        assert error is not None
        self.down = True
        info["venue_unavailable"] = True
        info["stale_observation"] = True
        info.setdefault("errors", []).append(f"{what}: {error}")
        if self.policy is OutagePolicy.RAISE:
            raise VenueUnavailable(
                f"the venue is unavailable ({what}): {error}",
                info=info,
                venue=error.venue,
                op=error.op,
                code=error.code,
            ) from error
        logger.error("venue unavailable while %s: %s; the step returns the last observation", what, error)
        return False, None

    def _deadline_passed(self) -> bool:
        try:
            return bool(self._past_deadline())
        except TransientVenueError:
            return False
