"""What every venue's trader does the same way, whatever its SDK (ccxt, alpaca-py).

A trader subclass says how one SDK call is translated to torchtrade errors (:meth:`translated`), how
an order is cancelled (:meth:`_cancel`) and closed (``close``); the rest is here: calls retried
while transient, the retry count, a cancel that finds nothing left to cancel, and closing whatever
the venue holds.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ....errors import TransientVenueError, VenueError
from ...core.account import OrderOutcome, PositionState
from .retry import Retrier

logger = logging.getLogger(__name__)
T = TypeVar("T")


class TraderBase:
    """The SDK-independent half of a trader (see the module's docstring).

    Subclasses set ``symbol`` and ``retrier`` and implement :meth:`translated`, :meth:`_cancel`,
    ``position()`` and ``close(position, client_oid=...)``.
    """

    symbol: str
    retrier: Retrier

    @contextlib.contextmanager
    def translated(self, op: str, *, order: bool = False) -> Iterator[None]:
        """Run one SDK call, its failure re-raised as a torchtrade error."""
        raise NotImplementedError
        yield  # pragma: no cover

    def _attempt(self) -> None:
        """Called before every attempt (a trader that counts its requests itself counts one)."""

    def call(self, op: str, fn: Callable[..., T], *args: Any, order: bool = False, **kwargs: Any) -> T:
        """One venue call, translated to torchtrade errors and retried while transient."""

        def attempt() -> T:
            self._attempt()
            with self.translated(op, order=order):
                return fn(*args, **kwargs)

        return self.retrier.run(attempt)

    @property
    def retries(self) -> int:
        return self.retrier.retries

    def _cancel(self, order_id: str) -> None:
        raise NotImplementedError

    def cancel_order(self, order_id: str) -> bool:
        """Cancel a working order; False when the venue says there is nothing left to cancel."""
        try:
            self._cancel(order_id)
        except VenueError as e:
            if isinstance(e, TransientVenueError):
                raise
            logger.info("cancel_order %s %s: %s (code %s)", self.symbol, order_id, e, e.code)
            return False
        return True

    def position(self) -> PositionState:
        raise NotImplementedError

    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome:
        raise NotImplementedError

    def close_position(self, client_oid: str | None = None) -> OrderOutcome:
        """Close whatever position the venue holds in the symbol; "No position to close" when flat."""
        oid = client_oid or f"ttclose{secrets.token_hex(6)}"
        outcome = self.close(self.position(), client_oid=oid)
        if outcome.status == "skipped":
            logger.info("close_position %s: %s", self.symbol, outcome.reason)
        return outcome
