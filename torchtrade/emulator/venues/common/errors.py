"""The error answer every venue wire raises and its routes turn into the venue's JSON."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WireError(Exception):
    """A venue's error answer: ``code``/``msg`` in the body, ``status`` as the HTTP status.

    Each venue subclasses it, narrowing ``code`` to its own type (Bitget's are strings, Binance's
    negative integers). Raised anywhere in a route handler; :func:`~.routing.guarded` answers it.
    """

    code: object
    msg: str
    status: int = 400

    def __str__(self) -> str:
        return f"{self.code} {self.msg}"
