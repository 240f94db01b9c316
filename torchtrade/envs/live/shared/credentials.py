"""API keys: from the constructor, else the config, else the environment, else a ``.env`` file.

Secrets are held as :class:`~torchtrade.secrets.Secret` from the moment they are read, so they cannot
reach a log line, a repr or an exception message by accident.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from dotenv import dotenv_values, find_dotenv

from ....errors import ConfigError
from ....secrets import MASK, Secret, mask_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApiKeys:
    """An account's keys. The repr shows the key as :func:`~torchtrade.secrets.mask_key` does (first
    4 characters of a key of 16 or more, else nothing) and the secrets as ``***``; the ccxt client
    built from them registers all three with the log redactor
    (:func:`~torchtrade.ccxt_util.guard_secrets`)."""

    api_key: str
    api_secret: Secret
    passphrase: Secret | None = None

    def __repr__(self) -> str:
        return (
            f"ApiKeys(api_key={mask_key(self.api_key)!r}, api_secret='{MASK}', "
            f"passphrase={repr(MASK) if self.passphrase else None})"
        )


def _dotenv() -> dict[str, str | None]:
    path = find_dotenv(usecwd=True)
    return dict(dotenv_values(path)) if path else {}


def resolve(
    owner: str,
    *,
    given: tuple[str | None, str | Secret | None, str | Secret | None],
    configured: tuple[str | None, Secret | None, Secret | None],
    env_names: tuple[str, str, str | None],
    fallback: ApiKeys | None = None,
    need_passphrase: bool = False,
    use_environment: bool = True,
) -> ApiKeys:
    """Resolve the keys, field by field, in the documented order.

    Args:
        owner: the config's name, for error messages.
        given: (key, secret, passphrase) passed to the constructor.
        configured: the same from the config.
        env_names: environment variable names (also looked up in ``.env``).
        fallback: keys to use when none is found anywhere (the local emulator's documented keys).
        need_passphrase: the venue signs with a passphrase (Bitget).
        use_environment: look in the environment and ``.env`` (off for a local emulator: keys there
            are the real venue's, which the emulator does not know).

    Raises:
        ConfigError: naming the missing field (never its value).
    """
    dotenv: dict[str, str | None] | None = None
    values: list[str | None] = []
    for i in range(3):
        value = given[i] or configured[i]
        env_name = env_names[i]
        if not value and env_name and use_environment:
            value = os.environ.get(env_name)
            if not value:
                dotenv = _dotenv() if dotenv is None else dotenv
                value = dotenv.get(env_name)
        values.append(value.reveal() if isinstance(value, Secret) else value)  # type: ignore[union-attr]
    key, secret, passphrase = values
    if not key and not secret and fallback is not None:
        logger.info("%s: no API keys configured; using the local emulator's default keys", owner)
        return fallback
    env_key, env_secret, env_pass = env_names
    if not key:
        raise ConfigError(
            f"{owner}.api_key is missing: pass api_key=..., set it in the config, or set {env_key}"
        )
    if not secret:
        raise ConfigError(
            f"{owner}.api_secret is missing: pass api_secret=..., set it in the config, or set {env_secret}"
        )
    if need_passphrase and not passphrase:
        raise ConfigError(
            f"{owner}.api_passphrase is missing: pass api_passphrase=..., set it in the config, or set "
            f"{env_pass}"
        )
    return ApiKeys(key, Secret(secret), Secret(passphrase) if passphrase else None)
