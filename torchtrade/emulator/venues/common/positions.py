"""Position reads under the ``stale_position`` fault: the previous answer of the same read."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from ...http import CallContext

if TYPE_CHECKING:
    from ...runtime import Emulator


def stale_aware(emulator: Emulator, ctx: CallContext, key: Hashable, fresh: Any, empty: Any) -> Any:
    """``fresh`` (and remember it under ``key``), or under a ``stale_position`` fault the answer this
    read (same ``key``: account and filters) gave last time, ``empty`` if it never answered.

    A lagging replica serves what it had; a read that never answered before has nothing to lag
    behind, so it says "no position", the most misleading stale answer there is.
    """
    cache: dict[Hashable, Any] = emulator.wire_cache.setdefault("positions", {})
    if ctx.stale_read:
        return cache.get(key, empty)
    cache[key] = fresh
    return fresh
