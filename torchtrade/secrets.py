"""A string that never shows itself: API secrets and passphrases live in :class:`Secret`.

``repr``, ``str`` and f-strings give ``'***'``, so a secret cannot reach a log line, a config's repr
or an exception message by accident; code that really needs the value calls :meth:`Secret.reveal`.
"""

from __future__ import annotations

import hmac

MASK = "***"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a string, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple:  # pickling keeps the value (collectors may pickle configs)
        return (Secret, (self._value,))
