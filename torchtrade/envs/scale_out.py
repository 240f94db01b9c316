"""Many HTTP envs on one emulator, each on its own account: picklable constructors for TorchRL's
``ParallelEnv`` and collectors (a worker process builds its env from them).

An env instance cannot cross a process boundary (its emulator, client and locks stay where they were
made), so workers get *constructors*: :class:`EmulatorEnvFactory` for an HTTP env, and for the
in-process mode simply ``functools.partial(EnvClass.replay, config, ...)``.

The clock, when K clients share one emulator (simulation choice, see
:class:`~torchtrade.envs.core.clock.EmulatorClock`): on a **manual** clock every env jumps the
emulator to its next bar close, and a jump to an instant already reached is a no-op that learns the
present. K envs stepping in lockstep on the same ``execute_on`` (one ``ParallelEnv``/``SerialEnv``
over them, or one collector over that) thus move it one bar per batch step, the first to ask moves
it and the others find it there; each acts on the same bar, on its own account, and since accounts
share no order book the order in which they act within a bar changes nothing. Clients that step at
their own pace (several collectors, several machines) must not share a manual clock: one would skip
the others' bars. Serve the emulator with ``--clock realtime --speed N`` instead and let each env keep
its default :class:`~torchtrade.envs.core.clock.VenueClock` (``manual_clock=False``), which waits for
bars at the emulator's pace.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..emulator.control import ControlClient
from ..errors import ConfigError
from ..secrets import Secret
from .core.clock import EmulatorClock
from .live.shared.credentials import ApiKeys


@dataclass(frozen=True, eq=False)  # hashed by identity: TorchRL puts constructors in a set
class EmulatorEnvFactory:
    """Builds ``env_class(config, keys...)`` against the emulator at ``config.base_url``; picklable.

    Args:
        env_class: a torchtrade env class (``BitgetFuturesTorchTradingEnv``...).
        config: its config, with ``base_url`` the emulator's URL.
        keys: the account's keys (None: the emulator's default account).
        manual_clock: drive the emulator's manual clock (:class:`EmulatorClock`, lockstep envs only,
            see the module); False: the env's default clock (an emulator on a realtime clock).
        env_kwargs: more keyword arguments of the env class (``retry_sleep``, ``reward_fn``...).
    """

    env_class: type
    config: Any
    keys: ApiKeys | None = None
    manual_clock: bool = True
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not getattr(self.config, "base_url", None):
            raise ConfigError(f"{type(self.config).__name__}.base_url: the emulator's URL is needed")

    def __call__(self) -> Any:
        kw = dict(self.env_kwargs)
        if self.keys is not None:
            kw.update(api_key=self.keys.api_key, api_secret=self.keys.api_secret)
            if self.keys.passphrase is not None:
                kw["api_passphrase"] = self.keys.passphrase
        if self.manual_clock:
            kw["clock"] = EmulatorClock(ControlClient(self.config.base_url))
        return self.env_class(self.config, **kw)


def open_accounts(
    base_url: str,
    names: list[str],
    *,
    passphrase: bool = True,
    balances: Mapping[str, Any] | None = None,
) -> list[ApiKeys]:
    """Open one new account per name on the emulator at ``base_url`` (its control route
    ``POST /_emulator/accounts``), each with fresh random keys; returns their keys, in order.

    ``passphrase``: give each key a passphrase (Bitget signs with one). ``balances``: each account's
    starting wallet (None: the emulator's). An emulator reset forgets these accounts.

    Raises:
        ConfigError: a name is given twice or is an account the emulator already has (two envs on
            one account would trade each other's position).
    """
    control = ControlClient(base_url)
    try:
        existing = set(control.status()["accounts"])
        taken = sorted(n for n in set(names) if n in existing or names.count(n) > 1)
        if taken:
            raise ConfigError(f"names: accounts {taken} exist already or are given twice")
        keys = []
        for name in names:
            k = ApiKeys(
                "tt" + secrets.token_hex(12),
                Secret(secrets.token_hex(16)),
                Secret(secrets.token_hex(8)) if passphrase else None,
            )
            fields: dict[str, Any] = {"account": name}
            if balances is not None:
                fields["balances"] = {coin: str(v) for coin, v in balances.items()}
            control.add_account(
                k.api_key,
                k.api_secret.reveal(),
                k.passphrase.reveal() if k.passphrase else None,
                **fields,
            )
            keys.append(k)
        return keys
    finally:
        control.close()
