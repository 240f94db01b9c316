"""Client order ids: derived from (env, episode, step, leg), so that a retry reuses the same id.

A venue refuses a second order with an id it has seen, and finds an order by its id after a timeout:
that is what makes resending safe. Ids use only ``[0-9a-zA-Z-]`` and stay under 32 characters, within
every venue's rules (Bitget: ``[0-9a-zA-Z-+_#]``, < 50; Binance: ``^[.A-Z:/a-z0-9_-]{1,36}$``).
"""

from __future__ import annotations

import secrets


class ClientOrderIds:
    """Ids for one env instance: ``tt<env>-<episode>-<step>-<leg>``.

    Args:
        env_id: identifies the env instance (random by default, so that two runs never collide).
    """

    def __init__(self, env_id: str | None = None) -> None:
        self.env_id = env_id or secrets.token_hex(4)
        if not (self.env_id.isascii() and self.env_id.isalnum()) or len(self.env_id) > 10:
            raise ValueError(f"env_id={self.env_id!r}: at most 10 ASCII letters or digits")

    def make(self, episode: int, step: int, leg: str) -> str:
        """The id of one order. ``leg`` names the order's role in the step (``"open"``, ``"close"``)."""
        return f"tt{self.env_id}-{episode}-{step}-{leg}"
