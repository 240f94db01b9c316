"""torchtrade's exceptions: the class decides what the caller does next.

```
TorchTradeError
├── ConfigError(ValueError)          bad input, raised at construction: fix the config
├── InvalidAction(ValueError, TypeError)  an action outside the action spec: fix the policy
├── VenueError                       the venue (or the way to it) failed
│   ├── TransientVenueError          network, 5xx, timeout: retried with backoff
│   │   ├── RateLimited              429: retried after the venue's hint
│   │   └── VenueUnavailable         still failing after the step's whole budget (outage_policy="raise")
│   ├── OrderRejected                the venue refused an order: reported in info, the env goes on
│   │   └── InsufficientMargin
│   └── AuthError                    bad keys or permissions: stop, a human must act
├── ReconciliationError              local and venue state still disagree after a re-read
├── MissingDependency(ImportError)   an optional extra is not installed: the message says what to pip install
└── InternalError                    anything unexpected inside an env (a bug, a malformed answer)
```
These are the only exceptions that leave an env, its clock or its trader. Inside a step a transient
failure never escapes: the env follows its ``outage_policy`` (by default it holds and flags the step;
see :class:`~torchtrade.envs.core.env.LiveTradingEnv`). Messages never contain credentials.
"""

from __future__ import annotations


class TorchTradeError(Exception):
    """Base class of every torchtrade error."""


class ConfigError(TorchTradeError, ValueError):
    """An invalid configuration value; the message names the field: ``"Config.leverage=0: must be ..."``."""


class VenueError(TorchTradeError):
    """A venue call failed.

    Attributes:
        venue: the venue's name (``"bitget"``).
        op: what was being done (``"create_order"``).
        code: the venue's own error code, when it gave one.
    """

    def __init__(self, message: str, *, venue: str = "", op: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.venue = venue
        self.op = op
        self.code = code


class TransientVenueError(VenueError):
    """Network trouble, a 5xx, a timeout: worth retrying. The request may or may not have been executed."""


class RateLimited(TransientVenueError):
    """The venue throttled us (HTTP 429). ``retry_after`` is its hint in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str | None) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class OrderRejected(VenueError):
    """The venue refused an order (or a pre-send check did): log it, report it, keep running."""


class InsufficientMargin(OrderRejected):
    """Not enough available balance for the order."""


class AuthError(VenueError):
    """Invalid credentials, signature or permissions: retrying will not help."""


class VenueUnavailable(TransientVenueError):
    """The venue stayed unreachable for the whole of a step's retry budget (``outage_policy="raise"``).

    ``info`` is the step's info as far as it got: the orders placed before the outage are in it.
    """

    def __init__(self, message: str, *, info: dict | None = None, **kw: str | None) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.info = info or {}


class InvalidAction(TorchTradeError, ValueError, TypeError):
    """An action that the env's action spec does not contain (wrong type, shape or index)."""


class InternalError(TorchTradeError):
    """Something unexpected failed inside an env (a bug, or a venue answer ccxt could not parse).

    The original exception is chained as ``__cause__``.
    """


class ReconciliationError(TorchTradeError):
    """The env's view of the account and the venue's still disagree after re-reading."""


class MissingDependency(TorchTradeError, ImportError):
    """An optional feature's package is not installed; the message gives the ``pip install`` line."""
