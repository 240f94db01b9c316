"""TimeFrame (torchtrade/timeframes.py): the one parser for every way users write a bar size."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torchtrade.envs.utils import TimeFrame as ReExported
from torchtrade.envs.utils import TimeFrameUnit as ReExportedUnit
from torchtrade.timeframes import TimeFrame, TimeFrameUnit

MIN, HOUR, DAY = TimeFrameUnit.MINUTE, TimeFrameUnit.HOUR, TimeFrameUnit.DAY


class TestParse:
    @pytest.mark.parametrize(
        ("text", "amount", "unit"),
        [
            ("1min", 1, MIN),
            ("5min", 5, MIN),
            ("15Min", 15, MIN),  # the seeds' TimeFrameUnit spelling
            ("15MIN", 15, MIN),
            ("5m", 5, MIN),  # ccxt
            ("5T", 5, MIN),  # pandas
            ("5mins", 5, MIN),
            ("1minute", 1, MIN),
            ("30 minutes", 30, MIN),
            ("1h", 1, HOUR),
            ("1H", 1, HOUR),
            ("4hour", 4, HOUR),
            ("2hours", 2, HOUR),
            ("1hr", 1, HOUR),
            ("1d", 1, DAY),
            ("1D", 1, DAY),
            ("3days", 3, DAY),
            ("1 day", 1, DAY),
            (" 5min ", 5, MIN),  # surrounding blanks
            ("05min", 5, MIN),
            ("90min", 90, MIN),  # kept as written, not normalised to hours
        ],
    )
    def test_accepted_forms(self, text, amount, unit):
        tf = TimeFrame.parse(text)
        assert (tf.amount, tf.unit) == (amount, unit)
        assert tf == TimeFrame(amount, unit)

    def test_a_timeframe_is_returned_as_is(self):
        tf = TimeFrame(5, MIN)
        assert TimeFrame.parse(tf) is tf

    @pytest.mark.parametrize(
        "text",
        [
            "1M",  # a month in ccxt: refused rather than read as a minute
            "1 M",
            "0min",
            "-5min",
            "5",
            "min",
            "",
            "   ",
            "5 x",
            "1w",  # weeks are not a unit here
            "1mo",
            "1.5h",
            "5min5",
            "5 min extra",
        ],
    )
    def test_refused_strings_name_the_value(self, text):
        with pytest.raises(ValueError, match="timeframe") as err:
            TimeFrame.parse(text)
        assert repr(text) in str(err.value)

    @pytest.mark.parametrize("value", [5, 5.0, None, b"5min", ["5min"]])
    def test_refused_types(self, value):
        with pytest.raises(ValueError, match="expected a string"):
            TimeFrame.parse(value)


class TestConstruction:
    def test_unit_from_its_value(self):
        assert TimeFrame(5, "Min") == TimeFrame(5, MIN)
        assert TimeFrame(5, "Min").unit is MIN

    @pytest.mark.parametrize("amount", [0, -1, 1.0, "5", True, None])
    def test_amount_must_be_a_positive_int(self, amount):
        with pytest.raises(ValueError, match="positive integer"):
            TimeFrame(amount, MIN)

    def test_unknown_unit(self):
        with pytest.raises(ValueError, match="minute"):
            TimeFrame(5, "minute")  # aliases are for parse(); the constructor takes the unit

    def test_frozen_hashable_and_equal_by_value(self):
        tf = TimeFrame(15, MIN)
        with pytest.raises(AttributeError):
            tf.amount = 5  # type: ignore[misc]
        assert {tf: 1}[TimeFrame.parse("15min")] == 1
        assert TimeFrame(1, HOUR) != TimeFrame(1, MIN)

    def test_reexported_by_envs_utils(self):
        assert ReExported is TimeFrame
        assert ReExportedUnit is TimeFrameUnit


class TestProperties:
    @pytest.mark.parametrize(
        ("text", "ms", "key", "ccxt"),
        [
            ("1min", 60_000, "1min", "1m"),
            ("5min", 300_000, "5min", "5m"),
            ("15Min", 900_000, "15min", "15m"),
            ("1h", 3_600_000, "1h", "1h"),
            ("4hour", 14_400_000, "4h", "4h"),
            ("1d", 86_400_000, "1d", "1d"),
            ("3days", 259_200_000, "3d", "3d"),
        ],
    )
    def test_ms_key_ccxt_and_str(self, text, ms, key, ccxt):
        tf = TimeFrame.parse(text)
        assert tf.ms == ms
        assert tf.key == key
        assert str(tf) == key
        assert tf.to_ccxt() == ccxt
        assert TimeFrame.parse(tf.key) == tf  # the key parses back
        assert TimeFrame.parse(tf.to_ccxt()) == tf  # so does the ccxt string


class TestFloor:
    @pytest.mark.parametrize(
        ("text", "t", "floor"),
        [
            ("1min", 1_670_919_617_345, 1_670_919_600_000),  # 2022-12-13 08:20:17.345 -> 08:20
            ("5min", 1_670_919_617_345, 1_670_919_600_000),  # 08:20 is a 5m boundary
            ("15min", 1_670_919_617_345, 1_670_919_300_000),  # -> 08:15
            ("1h", 1_670_919_617_345, 1_670_918_400_000),  # -> 08:00
            ("4h", 1_670_919_617_345, 1_670_918_400_000),  # 4h bars open at 00, 04, 08.. UTC
            ("1d", 1_670_919_617_345, 1_670_889_600_000),  # -> 2022-12-13 00:00 UTC
            ("1min", 1_670_919_600_000, 1_670_919_600_000),  # a boundary is its own floor
            ("1h", 0, 0),
        ],
    )
    def test_utc_epoch_alignment(self, text, t, floor):
        assert TimeFrame.parse(text).floor(t) == floor

    @given(
        amount=st.integers(1, 500),
        unit=st.sampled_from(list(TimeFrameUnit)),
        t=st.integers(-(10**13), 10**13),
    )
    def test_floor_is_the_open_of_the_bar_holding_t(self, amount, unit, t):
        tf = TimeFrame(amount, unit)
        f = tf.floor(t)
        assert f <= t < f + tf.ms
        assert f % tf.ms == 0
        assert tf.floor(f) == f


def test_one_spelling_per_duration():
    assert TimeFrame.parse("60min") == TimeFrame.parse("1h") == TimeFrame(60, TimeFrameUnit.MINUTE)
    assert TimeFrame.parse("60min").key == "1h"
    assert TimeFrame.parse("24h") == TimeFrame(1, TimeFrameUnit.DAY)
    assert TimeFrame.parse("24h").to_ccxt() == "1d"
    assert TimeFrame.parse("90min").key == "90min"  # not a whole number of hours: stays in minutes
    assert len({TimeFrame.parse(s) for s in ("60min", "1h", "1hour", "60m")}) == 1


def test_only_ascii_digits():
    with pytest.raises(ValueError, match="timeframe"):
        TimeFrame.parse("\uff15min")  # a full-width 5
