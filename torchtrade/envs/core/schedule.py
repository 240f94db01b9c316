"""When the env steps: the close of the next ``execute_on`` bar, around the clock or in sessions only.

A futures or crypto market trades around the clock: the next bar closes one bar after the last one.
A stock trades in sessions: the env steps only on bars of open sessions, and across a close (a night,
a weekend, a holiday) the next step is the first bar of the next session. On an emulator's manual
clock that wait is one jump; on a real venue the clock sleeps until then.

Intraday bars are aligned to UTC boundaries (:meth:`TimeFrame.floor`), as Alpaca aligns them; a bar
belongs to a session when any instant of it is in the session (a session opening at 09:30 opens the
09:00-10:00 ET hour bar).
"""

from __future__ import annotations

from typing import Protocol

from ...timeframes import TimeFrame


class BarSchedule(Protocol):
    def next_close(self, t_ms: int) -> int:
        """The close of the first bar to step on that closes after ``t_ms``."""
        ...


class MarketHours(Protocol):
    """When an instrument trades (epoch ms, UTC): :mod:`torchtrade.markets.calendar`'s hours."""

    def is_open(self, t_ms: int, *, extended: bool = False) -> bool: ...
    def next_open(self, t_ms: int, *, extended: bool = False) -> int: ...


class EveryBar:
    """Around the clock: every bar of ``tf``."""

    def __init__(self, tf: TimeFrame) -> None:
        self.tf = tf

    def __repr__(self) -> str:
        return f"EveryBar({self.tf})"

    def next_close(self, t_ms: int) -> int:
        return self.tf.floor(t_ms) + self.tf.ms


class SessionBars:
    """Only bars of open sessions (regular ones; pre- and post-market too with ``extended``).

    The same definition of "the next bar" as the emulator's clock and replay
    (:func:`torchtrade.markets.bars.next_bar_close`), so that env and venue agree across nights,
    weekends, holidays and early closes.

    Args:
        tf: the bar the env steps on (intraday).
        hours: the market's hours (``torchtrade.markets.us_equity_hours()``).
        extended: count pre- and post-market sessions as open.
    """

    def __init__(self, tf: TimeFrame, hours: MarketHours, *, extended: bool = False) -> None:
        self.tf = tf
        self.hours = hours
        self.extended = extended

    def __repr__(self) -> str:
        return f"SessionBars({self.tf}, {self.hours!r}, extended={self.extended})"

    def in_session(self, open_ms: int) -> bool:
        """The bar opening at ``open_ms`` has an instant in an open session."""
        from ...markets.bars import is_session_bar

        return is_session_bar(self.hours, self.tf.ms, open_ms, extended=self.extended)  # type: ignore[arg-type]

    def next_close(self, t_ms: int) -> int:
        from ...markets.bars import next_bar_close

        return next_bar_close(self.hours, self.tf.ms, t_ms, extended=self.extended)  # type: ignore[arg-type]
