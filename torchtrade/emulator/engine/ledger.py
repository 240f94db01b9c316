"""Append-only record of every state change (and, from the server, every request and fault).

Tests read the ledger to assert what really happened on the venue ("exactly one order with this
client id"), never log text. Entries are plain dicts of JSON-friendly values (Decimals as strings) so
the control routes can serve them as they are.

An entry is made plain when it is first read, not when it is appended: an in-process training run
appends a few entries a step and reads none, and the conversion was a tenth of its engine's time.
The values kept until then are immutable (Decimals, enums, strings, numbers); a container (a dict, a
list) is converted at once, so that nothing changed after the append can reach the record.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

#: values kept as they are (exact types: a str or int Enum still goes through the checks below)
_SCALARS = frozenset({str, int, float, bool, type(None)})
#: values that may change after the append: made plain at once
_CONTAINERS = frozenset({dict, list, tuple})


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
        self._plain_upto = 0  # entries before this index are plain already
        self._lock = threading.Lock()

    def append(self, kind: str, t_ms: int, **fields: Any) -> None:
        with self._lock:
            event = {"seq": len(self._events) + 1, "t": t_ms, "kind": kind, **fields}
            for k, v in fields.items():
                if type(v) in _CONTAINERS:
                    event[k] = _plain(v)
            self._events.append(event)

    def _make_plain(self) -> None:
        """Under the lock: every entry appended since the last read, as plain values (in place)."""
        for event in self._events[self._plain_upto :]:
            for k, v in event.items():
                event[k] = _plain(v)  # plain values (the head's ints and str) stay as they are
        self._plain_upto = len(self._events)

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
            self._make_plain()
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
            self._plain_upto = 0
