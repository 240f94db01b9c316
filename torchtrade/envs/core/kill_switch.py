"""``kill_switch(env)``: on SIGINT or SIGTERM, kill the env (cancel every order, close every leg), then exit.

As a context manager (the safe way)::

    with kill_switch(env):
        while True:
            obs, reward, done, info = env.step(policy(obs))

A signal inside the block stops the running code where it is (an exception that no ``except
Exception`` catches unwinds the step: a step that dies half-way is fine, the kill reads the venue's
truth), then the block's exit runs :meth:`env.kill() <torchtrade.envs.core.env.LiveTradingEnv.kill>`
and exits the process: status 0 when the kill ended flat with no order left, 1 when it did not (the
summary is logged at ERROR then). ``exit=False`` leaves the process running instead: the block ends
and the code after it goes on with a halted env (``switch.summary`` holds the kill's summary).

As an installer, ``switch = kill_switch(env).install()`` (``switch.uninstall()`` to remove it): the
kill then runs inside the signal handler itself, on top of whatever the process was doing (a request
half-sent on the same connection pool, say). Prefer the context manager.

A second signal while the kill runs forces the exit at once (status 130), leaving the venue as it is.
The previous handlers are restored when the block ends or on :meth:`KillSwitch.uninstall`. Signal
handlers can only be set from the main thread; elsewhere :meth:`install` raises a TorchTradeError.

Exiting: the kill switch raises SystemExit, so ``finally`` blocks and atexit handlers run (a logger's
flush, a journal's commit). Before that it freezes the garbage collector (:func:`gc.freeze`): the
interpreter's last collection over a process holding torch, torchrl, pandas and ccxt objects took 5 s
on a loaded machine, and a kill switch should not keep the process alive that long after the venue is
flat (0.6 s frozen). Frozen objects are never collected, which no longer matters then.

Messages go to the ``torchtrade`` loggers at WARNING (Python prints them on stderr even when logging
was never configured).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from collections.abc import Iterable
from types import FrameType, TracebackType
from typing import Any

from ...errors import TorchTradeError

logger = logging.getLogger(__name__)

FORCED_EXIT = 130  # what a shell reports for a process ended by Ctrl-C


class KillSwitchInterrupt(BaseException):
    """Raised into the running code by the signal (a BaseException: ``except Exception`` lets it pass)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"{signal.Signals(signum).name}: the kill switch fired")
        self.signum = signum


class KillSwitch:
    """See the module's docstring.

    Args:
        env: anything with a ``kill()`` returning a summary dict with ``complete`` (a live env).
        signals: the signals that fire it.
        exit: exit the process after the kill (status 0 if complete, else 1).
    """

    def __init__(
        self,
        env: Any,
        *,
        signals: Iterable[int] = (signal.SIGINT, signal.SIGTERM),
        exit: bool = True,
    ) -> None:
        self.env = env
        self.signals = tuple(signals)
        self.exit = exit
        self.triggered: int | None = None  # the signal that fired it
        self.summary: dict[str, Any] | None = None  # the kill's summary, once it ran
        self._previous: dict[int, Any] = {}
        self._in_block = False
        self._killing = False

    # ------------------------------------------------------------------ handlers

    def install(self) -> KillSwitch:
        """Set the handlers (remembering the previous ones); returns self."""
        if threading.current_thread() is not threading.main_thread():
            raise TorchTradeError("kill_switch: signal handlers can only be set from the main thread")
        for signum in self.signals:
            if signum not in self._previous:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def uninstall(self) -> None:
        """Restore the handlers that were there before :meth:`install`."""
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._killing or self.triggered is not None:
            logger.error("%s again: exiting now, the kill did not finish", signal.Signals(signum).name)
            logging.shutdown()
            os._exit(FORCED_EXIT)
        self.triggered = signum
        if self._in_block:
            raise KillSwitchInterrupt(signum)
        self._kill_and_exit()

    # ------------------------------------------------------------------ the kill

    def _kill(self) -> dict[str, Any]:
        self._killing = True
        name = signal.Signals(self.triggered).name if self.triggered else "kill switch"
        logger.warning("%s: killing the env (cancel every order, close every leg); again to force exit", name)
        try:
            summary = self.env.kill()
        except TorchTradeError as e:
            summary = {"status": "failed", "complete": False, "errors": [f"{type(e).__name__}: {e}"]}
        finally:
            self._killing = False
        self.summary = summary
        if summary.get("complete"):
            logger.warning("%s: the env is killed: %s", name, _brief(summary))
        else:
            logger.error("%s: the kill is INCOMPLETE: %s", name, _brief(summary))
        return summary

    def _exit_code(self) -> int:
        return 0 if self.summary and self.summary.get("complete") else 1

    def _exit(self) -> None:
        gc.freeze()  # see the module's docstring: the final collection would take seconds
        raise SystemExit(self._exit_code())

    def _kill_and_exit(self) -> None:
        self._kill()
        self.uninstall()
        if self.exit:
            self._exit()

    # ------------------------------------------------------------------ context manager

    def __enter__(self) -> KillSwitch:
        self.install()
        self._in_block = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self._in_block = False
        if self.triggered is None:
            self.uninstall()
            return False
        try:
            self._kill()  # the handlers stay in place meanwhile: a second signal forces the exit
        finally:
            self.uninstall()
        if self.exit:
            self._exit()
        return exc_type is KillSwitchInterrupt


def _brief(summary: dict[str, Any]) -> str:
    parts = [f"{k}={summary[k]}" for k in ("status", "symbol", "cancelled", "orders_left") if k in summary]
    closes = summary.get("closes")
    if closes is not None:
        parts.append(f"closes={len(closes)}")
    parts += [f"error: {e}" for e in summary.get("errors", [])]
    return ", ".join(parts)


def kill_switch(
    env: Any, *, signals: Iterable[int] = (signal.SIGINT, signal.SIGTERM), exit: bool = True
) -> KillSwitch:
    """A :class:`KillSwitch` for ``env``: use it as a context manager, or ``.install()`` it."""
    return KillSwitch(env, signals=signals, exit=exit)
