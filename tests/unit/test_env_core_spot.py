"""The env core's pieces for spot venues: long-only actions, the client-side SL/TP check, bar schedules."""

from __future__ import annotations

import pandas as pd
import pytest

from torchtrade.envs.core.account import FLAT, PositionState
from torchtrade.envs.core.actions import HOLD, Intent, LongOnlyActions
from torchtrade.envs.core.env import crossed_level
from torchtrade.envs.core.schedule import EveryBar
from torchtrade.timeframes import TimeFrame

MINUTE = TimeFrame.parse("1min")
LONG = PositionState.single("long", 0.5, entry_price=100.0)


def test_long_only_actions_never_short():
    actions = LongOnlyActions()
    assert actions.n == 3
    assert actions.action_map == {0: "close", 1: "hold", 2: "long"}
    assert actions.decide(2, FLAT) == Intent("open", side="long")
    assert actions.decide(0, FLAT) == HOLD  # nothing to sell
    assert actions.decide(1, FLAT) == HOLD
    assert actions.decide(0, LONG) == Intent("close")
    assert actions.decide(2, LONG) == HOLD
    assert actions.decide(1, LONG) == HOLD


def _bars(rows: list[tuple[int, float, float, float, float]]) -> pd.DataFrame:
    index = pd.to_datetime([r[0] for r in rows], unit="ms", utc=True)
    frame = pd.DataFrame(
        [r[1:] for r in rows], index=index, columns=["open", "high", "low", "close"], dtype=float
    )
    frame["volume"] = 1.0
    return frame


BARS = _bars(
    [
        (0, 100, 101, 99, 100),
        (60_000, 100, 100.5, 97.9, 98),  # reaches a stop at 98
        (120_000, 98, 106, 97, 105),  # reaches both a stop at 98 and a take-profit at 105
        (180_000, 105, 110, 104, 109),
    ]
)


@pytest.mark.parametrize(
    ("after", "side", "levels", "expected"),
    [
        (0, "long", (98.0, 105.0), ("stop_loss", 98.0, 60_000)),  # bars closing after 0
        (60_000, "long", (98.0, 105.0), ("stop_loss", 98.0, 60_000)),
        (120_000, "long", (97.5, 105.0), ("stop_loss", 97.5, 120_000)),  # both in one bar: the stop
        (120_000, "long", (96.0, 105.0), ("take_profit", 105.0, 120_000)),
        (180_000, "long", (96.0, 111.0), None),
        (120_000, "short", (111.0, 97.0), ("take_profit", 97.0, 120_000)),
        (180_000, "short", (108.0, 90.0), ("stop_loss", 108.0, 180_000)),
        (240_000, "long", (200.0, 1.0), None),  # nothing closed after the check
        (0, "long", (None, 105.5), ("take_profit", 105.5, 120_000)),
    ],
)
def test_crossed_level(after, side, levels, expected):
    assert crossed_level(BARS, after, MINUTE, side, levels) == expected


def test_every_bar_steps_around_the_clock():
    schedule = EveryBar(TimeFrame.parse("5min"))
    assert schedule.next_close(0) == 300_000
    assert schedule.next_close(299_999) == 300_000
    assert schedule.next_close(300_000) == 600_000


def test_session_bars_step_on_open_sessions_only():
    from torchtrade.envs.core.schedule import SessionBars
    from torchtrade.markets import us_equity_hours

    def ms(text: str) -> int:
        return int(pd.Timestamp(text, tz="UTC").value // 1_000_000)

    minute = SessionBars(MINUTE, us_equity_hours())
    assert minute.next_close(ms("2013-10-04 19:58:30")) == ms("2013-10-04 19:59")
    assert minute.next_close(ms("2013-10-04 20:00")) == ms("2013-10-07 13:31")  # Friday's close: Monday
    assert minute.next_close(ms("2019-07-03 17:00")) == ms("2019-07-05 13:31")  # early close, holiday
    assert minute.in_session(ms("2013-10-07 13:30"))
    assert not minute.in_session(ms("2013-10-07 13:29"))  # pre-market
    extended = SessionBars(MINUTE, us_equity_hours(), extended=True)
    assert extended.in_session(ms("2013-10-07 13:29"))
    assert extended.next_close(ms("2013-10-05 00:00")) == ms("2013-10-07 08:01")  # 04:01 ET
