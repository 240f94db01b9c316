"""Env clocks: when is the next bar closed, and how to get there.

``VenueClock`` follows the venue's server time at the venue's own pace, so the same env works
against a real venue (1× wall time) and a standalone emulator replaying at 600×, found by measuring.
``EmulatorClock`` drives an emulator's clock instead: waiting is an instant jump (tests, fast
rollouts, the demo).

Only torchtrade errors escape a clock: network trouble, a timeout or a 5xx becomes
:class:`~torchtrade.errors.TransientVenueError`, anything else :class:`~torchtrade.errors.VenueError`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ...errors import TorchTradeError, TransientVenueError, VenueError

logger = logging.getLogger(__name__)


class EnvClock(Protocol):
    def now_ms(self) -> int:
        """The venue's present, in epoch milliseconds."""
        ...

    def wait_until(self, t_ms: int) -> None:
        """Return once the venue's present is at least ``t_ms``."""
        ...

    def wait_for_publication(self) -> bool:
        """Pause briefly before asking again for a bar that should have closed; False: do not ask again
        (the venue publishes bars at once, as the emulator does)."""
        ...

    @property
    def exhausted(self) -> bool:
        """True when the market has no more bars to give (a replay ran out); never for a real venue.

        The env asks only after a step that got no new bar, so it may cost a request."""
        ...


@contextlib.contextmanager
def _translated(what: str, op: str) -> Iterator[None]:
    """Let only torchtrade errors out: OSError (connection refused or reset, a timeout, an emulator's
    5xx: requests' and the control client's errors are OSErrors) is transient, the rest is not."""
    try:
        yield
    except TorchTradeError:
        raise
    except OSError as e:
        raise TransientVenueError(f"{what}: {op} failed: {e}", venue="emulator", op=op) from e
    except Exception as e:  # a refusal (ControlError), or an answer without the expected fields
        raise VenueError(f"{what}: {op} failed: {type(e).__name__}: {e}", venue="emulator", op=op) from e


class VenueClock:
    """The system clock synced to the venue's server time, running at the venue's rate.

    At construction it samples the server time twice (``probe_s`` apart) to learn the offset and the
    rate: a real venue runs at 1× (a measured rate within 2 % of 1 is taken as exactly 1); an emulator
    at ``--speed 600`` runs at 600×, and the env then waits 0.1 s per minute bar, not 60 s.

    Args:
        fetch_time: the venue's server time in ms (``exchange.fetch_time``).
        settle_ms: wait this long past a bar's close before reading it (venues publish a closed bar a
            moment after its close).
        probe_s: wall seconds between the two samples.
        exhausted_probe: asked by :attr:`exhausted`, and only then: True once the market's replayed
            data has run out. None (a real venue): never exhausted. For a local emulator,
            :func:`emulator_exhaustion_probe` builds one from its base URL. The env asks only after
            a step that got no new bar, so a normal step costs no request for it.
        sleep / wall: injectable for tests.
    """

    def __init__(
        self,
        fetch_time: Callable[[], int],
        *,
        settle_ms: int = 1500,
        probe_s: float = 0.25,
        exhausted_probe: Callable[[], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_time = fetch_time
        self._sleep = sleep
        self._wall = wall
        self._exhausted_probe = exhausted_probe
        self.settle_ms = settle_ms
        self.rate = 1.0
        self.sync(probe_s)

    def bind(self, market_id: str | None) -> None:
        """Tell the exhaustion probe which market the env trades (if it wants to know)."""
        bind = getattr(self._exhausted_probe, "bind", None)
        if market_id and callable(bind):
            bind(market_id)

    def _sample(self) -> tuple[float, int]:
        before = self._wall()
        server = self._fetch_time()
        after = self._wall()
        return (before + after) / 2, server  # the server read its clock around the middle of the round trip

    def sync(self, probe_s: float = 0.25) -> None:
        w1, s1 = self._sample()
        self._sleep(probe_s)
        w2, s2 = self._sample()
        measured = (s2 - s1) / 1000 / (w2 - w1) if w2 > w1 else 1.0
        if measured <= 0:
            # A real venue's clock always moves; a frozen one is an emulator on a manual clock, and
            # waiting for its next bar would wait forever.
            raise TorchTradeError(
                "the venue's clock did not move while we watched it: is it an emulator on a manual clock? "
                "Use clock=EmulatorClock(...) to drive it, or serve it with a realtime clock"
            )
        self.rate = 1.0 if abs(measured - 1.0) < 0.02 else measured
        self._wall0, self._server0 = w2, s2
        if self.rate != 1.0:
            logger.info("venue clock runs at %.1fx wall time", self.rate)

    def now_ms(self) -> int:
        return int(self._server0 + (self._wall() - self._wall0) * 1000 * self.rate)

    def wait_until(self, t_ms: int) -> None:
        # The publication lag is a wall-time matter of real venues; a replay at N× has none.
        settle = self.settle_ms if self.rate == 1.0 else 0
        remaining_ms = t_ms + settle - self.now_ms()
        if remaining_ms > 0:
            self._sleep(remaining_ms / 1000 / self.rate)

    def wait_for_publication(self) -> bool:
        # Half a second of wall time on a real venue; a replay at N× publishes at once.
        if self.rate != 1.0:
            return False
        self._sleep(0.5)
        return True

    @property
    def exhausted(self) -> bool:
        """The probe's answer (a request to a local emulator); False without a probe (a real venue)."""
        if self._exhausted_probe is None:
            return False
        with _translated("the exhaustion probe", "exhausted"):
            return bool(self._exhausted_probe())


class EmulatorExhaustionProbe:
    """Asks a running emulator (``GET /_emulator/status``) whether a market's data has run out.

    Built by :func:`emulator_exhaustion_probe`; callable, one request per call. With no market bound
    (neither given nor learnt through :meth:`bind`), the answer is the emulator's top-level one: every
    replayed market has run out.
    """

    def __init__(self, base_url: str, market_id: str | None = None, *, timeout: float = 5.0) -> None:
        from ...emulator.control import ControlClient  # the env needs the emulator only here

        self._client = ControlClient(base_url, timeout=timeout)
        self.market_id = market_id

    def __repr__(self) -> str:
        return f"EmulatorExhaustionProbe({self._client.base_url!r}, {self.market_id!r})"

    def bind(self, market_id: str | None) -> None:
        if market_id:
            self.market_id = market_id

    def __call__(self) -> bool:
        with _translated(f"emulator at {self._client.base_url}", "status"):
            return _exhausted_in(self._client.status(), self.market_id)


def emulator_exhaustion_probe(
    base_url: str, market_id: str | None = None, *, timeout: float = 5.0
) -> EmulatorExhaustionProbe:
    """An ``exhausted_probe`` for :class:`VenueClock` on a local emulator (``torchtrade emulator serve``).

    Example (the venue's market id, e.g. ``"BTCUSDT"``; it may also come later through ``bind``)::

        VenueClock(trader.fetch_time, exhausted_probe=emulator_exhaustion_probe(base_url, "BTCUSDT"))

    Raises (when called): :class:`~torchtrade.errors.TransientVenueError` if the emulator cannot be
    reached or answers 5xx, :class:`~torchtrade.errors.VenueError` for any other failure.
    """
    return EmulatorExhaustionProbe(base_url, market_id, timeout=timeout)


def _exhausted_in(answer: dict[str, Any], market_id: str | None) -> bool:
    """A market's exhaustion in a status or advance answer (every market's, if it is not listed)."""
    symbol = answer.get("symbols", {}).get(market_id) if market_id else None
    if symbol is None:
        return bool(answer["exhausted"])
    if "exhausted" in symbol:
        return bool(symbol["exhausted"])
    return bool(answer["now"] >= symbol["last_close"])  # an emulator from before per-symbol flags


class EmulatorClock:
    """Jumps an emulator's clock to the requested instant (it must run a manual clock).

    One control round trip per env step over HTTP: :meth:`wait_until` sends one advance, and its
    answer (the new present and every market's exhaustion) is what :meth:`now_ms` and
    :attr:`exhausted` report until the next one. A fresh status read happens only on first use (when
    no answer is cached yet) and on :meth:`refresh`. Several envs may share one emulator, each
    driving its own clock: waiting for an instant the emulator has already passed is a no-op that
    just learns the emulator's present (the advance route answers the present for a ``to`` at or
    before it). Against an in-process emulator every read is live and free.

    Failures are torchtrade errors: :class:`~torchtrade.errors.TransientVenueError` when the emulator
    cannot be reached, does not answer in time or answers 5xx; :class:`~torchtrade.errors.VenueError`
    when it refuses a request or answers something unexpected.

    Args:
        control: an in-process :class:`~torchtrade.emulator.runtime.Emulator` or a
            :class:`~torchtrade.emulator.control.ControlClient` of a running one.
        market_id: the venue id of the traded market (``"BTCUSDT"``); the env binds it. The replay is
            exhausted for the env when *that* market's data has run out (every market's, if unbound).
    """

    def __init__(self, control: Any, market_id: str | None = None) -> None:
        self._control = control
        self._market_id = market_id
        self._in_process = hasattr(control, "clock") and hasattr(control, "series")
        self._answer: dict[str, Any] | None = None  # the last status or advance answer (HTTP only)

    def __repr__(self) -> str:
        return f"EmulatorClock({self._control!r}, market_id={self._market_id!r})"

    def bind(self, market_id: str | None) -> None:
        if market_id:
            self._market_id = market_id

    def _what(self) -> str:
        return f"emulator clock ({getattr(self._control, 'base_url', 'in-process')})"

    def refresh(self) -> None:
        """Read the emulator's status now (after someone else moved its clock, say)."""
        if self._in_process:
            return
        with _translated(self._what(), "status"):
            answer = self._control.status()
            int(answer["now"])  # a status without a present is no answer
            self._answer = answer

    def _cached(self) -> dict[str, Any]:
        if self._answer is None:
            self.refresh()
        return self._answer  # type: ignore[return-value]

    def now_ms(self) -> int:
        """The emulator's present: live in-process, else as of the last answer (see the class doc)."""
        if self._in_process:
            with _translated(self._what(), "now"):
                return int(self._control.clock.now_ms())
        with _translated(self._what(), "now"):
            return int(self._cached()["now"])

    def wait_until(self, t_ms: int) -> None:
        """Advance the emulator to ``t_ms`` (a no-op if it is already there or past): one round trip."""
        with _translated(self._what(), "advance"):
            if self._in_process:
                self._control.advance(to_ms=int(t_ms))
                return
            answer = self._control.advance(to=int(t_ms))
            int(answer["now"])
            self._answer = answer

    def wait_for_publication(self) -> bool:
        return False  # the emulator publishes a bar the moment it closes

    @property
    def exhausted(self) -> bool:
        """No bar of the bound market is left to replay (all markets, if none is bound)."""
        if self._in_process:
            with _translated(self._what(), "exhausted"):
                flags = self._control.exhaustion()
                if self._market_id in flags:
                    return bool(flags[self._market_id])
                return all(flags.values())
        with _translated(self._what(), "exhausted"):
            return _exhausted_in(self._cached(), self._market_id)
