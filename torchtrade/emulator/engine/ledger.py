"""Append-only record of every state change (and, from the server, every request and fault).

Tests read the ledger to assert what really happened on the venue ("exactly one order with this
client id"), never log text. Entries are plain dicts of JSON-friendly values (Decimals as strings) so
the control routes can serve them as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

#: values kept as they are (exact types: a str or int Enum still goes through the checks below)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Ledger:
    """A thread-safe list of events ``{"seq", "t", "kind", ...}``, ``seq`` strictly increasing."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def append(self, kind: str, t_ms: int, **fields: Any) -> dict[str, Any]:
        with self._lock:
            event = {"seq": len(self._events) + 1, "t": t_ms, "kind": kind}
            event.update({k: _plain(v) for k, v in fields.items()})
            self._events.append(event)
            return event

    def events(
        self,
        kinds: str | Iterable[str] | None = None,
        *,
        account: str | None = None,
        since_seq: int = 0,
    ) -> list[dict[str, Any]]:
        """Events with ``seq > since_seq``, optionally filtered by kind(s) and account."""
        if isinstance(kinds, str):
            kinds = {kinds}
        elif kinds is not None:
            kinds = set(kinds)
        with self._lock:
            snapshot = self._events[since_seq:]
        return [
            e
            for e in snapshot
            if (kinds is None or e["kind"] in kinds) and (account is None or e.get("account") == account)
        ]

    def __len__(self) -> int:
        return len(self._events)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
