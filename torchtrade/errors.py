"""torchtrade's exceptions: the class decides what the caller does next.

```
TorchTradeError
├── ConfigError(ValueError)          bad input, raised at construction: fix the config
├── VenueError                       the venue (or the way to it) failed
│   ├── TransientVenueError          network, 5xx, timeout: retried with backoff
│   │   └── RateLimited              429: retried after the venue's hint
│   ├── OrderRejected                the venue refused an order: reported in info, the env goes on
│   │   └── InsufficientMargin
│   └── AuthError                    bad keys or permissions: stop, a human must act
└── ReconciliationError              local and venue state still disagree after a re-read
```
Messages never contain credentials.
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


class ReconciliationError(TorchTradeError):
    """The env's view of the account and the venue's still disagree after re-reading."""
