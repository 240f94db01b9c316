"""Retries of transient venue failures: exponential backoff with jitter, 429 hints honoured (tenacity)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ....errors import RateLimited, TransientVenueError

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried.

    Attributes:
        attempts: tries in all (first one included).
        initial_s / max_s / jitter_s: exponential backoff ``initial × 2^n`` capped at ``max``, plus up to
            ``jitter`` seconds of random jitter, so that many clients do not retry in lockstep.
        max_retry_after_s: the longest 429 hint we wait for (a longer one is capped, and logged).
    """

    attempts: int = 5
    initial_s: float = 0.25
    max_s: float = 8.0
    jitter_s: float = 0.25
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts={self.attempts}: must be >= 1")
        for name in ("initial_s", "max_s", "jitter_s", "max_retry_after_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name}={getattr(self, name)}: must be >= 0")


class Retrier:
    """Runs calls under a :class:`RetryPolicy`, counting retries (reported in the env's ``info``)."""

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = policy
        self.sleep = sleep
        self.retries = 0
        self._backoff = wait_exponential_jitter(
            multiplier=policy.initial_s, max=policy.max_s, jitter=policy.jitter_s
        )

    def _wait(self, state: RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        if isinstance(err, RateLimited) and err.retry_after is not None:
            return min(err.retry_after, self.policy.max_retry_after_s)
        return self._backoff(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        err = state.outcome.exception() if state.outcome else None
        left = self.policy.attempts - state.attempt_number
        logger.warning("%s; retrying in %.2fs, %d left", err, state.upcoming_sleep, left)

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` until it returns or raises something that is not transient, or attempts run out."""
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientVenueError),
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(fn)
        except TransientVenueError:
            logger.error("giving up after %d attempts", self.policy.attempts)
            raise
