"""Tests for torchtrade.emulator.data: loading, validation, period alignment, replay without look-ahead.

Aggregation is checked against an independent pandas resample and a brute-force reference that
only ever looks at bars already closed, over the real files in ``../shared/data``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import threading
from decimal import Decimal
from functools import cache
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.emulator.data import (
    MINUTE_MS,
    Bar,
    Candle,
    CandleData,
    CandleFileError,
    Period,
    ReplaySeries,
    load_candles,
    plan_timeline,
)

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
BINANCE_1M = "binance_btcbusd_1m_2022-12-13.csv"  # gapless, 1440 bars
BYBIT_1M = "bybit_btcusdt_perp_1m_2022-12-13.csv"  # 721 bars, ends 12:00
COINBASE_1M = "coinbase_btcusd_1m_2016-10-07_09.csv"  # 94 gaps
XRP_5M = "freqtrade_xrpusdt_perp_5m_2021-11.csv"  # 5m base
SPY_1H = "nyse_spy_1h_1998-2021.csv.gz"
SPY_1D = "nyse_spy_1d_1998-2021.csv"

HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

BUNDLED_DIR = Path(bundled(DEFAULT_DATA["BTC/USDT:USDT"])).parent  # the package's own copy of some files


def data_path(name: str) -> Path:
    """A data file from ../shared/data, else from the package's bundled data; the test is skipped
    when neither has it (a fresh CI machine has no ../shared: the bundled files still run)."""
    for folder in (DATA_DIR, BUNDLED_DIR):
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} not present in {DATA_DIR}")


HEADER = "timestamp,open,high,low,close,volume"
ROW1 = "2022-12-13T00:00:00Z,100,101,99,100.5,10"
ROW2 = "2022-12-13T00:01:00Z,100.5,102,100,101,5"
ROW3 = "2022-12-13T00:02:00Z,101,101.5,100.5,101,0"


def ms(iso: str) -> int:
    """ms since the epoch of an ISO-8601 UTC time such as '2022-12-13T01:30:00Z'."""
    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


@cache
def data(name: str) -> CandleData:
    """Each real file is parsed once per test session; CandleData is immutable, so sharing is safe."""
    return load_candles(data_path(name))


@cache
def series(name: str, shift_ms: int = 0) -> ReplaySeries:
    """Shared series: reusing one across calls also exercises its caches with now moving both ways."""
    return ReplaySeries(data(name), shift_ms)


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def aggregate(t: int, bars: list[Bar]) -> Candle:
    """Naive reference aggregation, written independently of the module's."""
    return Candle(
        t,
        bars[0].open,
        max(b.high for b in bars),
        min(b.low for b in bars),
        bars[-1].close,
        sum((b.volume for b in bars), Decimal(0)),
        sum((b.close * b.volume for b in bars), Decimal(0)),
    )


def reference_candles(
    s: ReplaySeries,
    period: Period,
    now: int,
    start: int | None = None,
    end: int | None = None,
    limit: int = 100,
) -> list[Candle]:
    """Brute force that only ever reads bars closed at ``now``: equality with it proves no look-ahead."""
    all_bars = [s.bar(i) for i in range(len(s))]
    closed = [b for b in all_bars if b.t + s.base_ms <= now]
    groups: dict[int, list[Bar]] = {}
    for b in closed:
        groups.setdefault(period.floor(b.t), []).append(b)
    out = [aggregate(t, bs) for t, bs in sorted(groups.items())]
    forming = period.floor(now)
    if closed and forming not in groups and any(b.t >= forming for b in all_bars):
        p = closed[-1].close
        out.append(Candle(forming, p, p, p, p, Decimal(0), Decimal(0)))
    upper = now if end is None else min(end, now)
    out = [c for c in out if (start is None or c.t >= start) and c.t <= upper]
    return out[-limit:]


def pandas_expected(name: str, rule: str, now: int) -> list[Candle]:
    """An independent resample of the bars closed at ``now`` (label/closed left, epoch origin)."""
    df = pd.read_csv(data_path(name), dtype=str)
    # tz-naive UTC: pandas ignores origin="epoch" for day rules on a tz-aware index.
    stamps = pd.to_datetime(df["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True).dt.tz_localize(None)
    df.index = pd.DatetimeIndex(stamps)
    t_ms = (stamps - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1)
    base = int(t_ms.diff().min())
    for column in ("open", "high", "low", "close", "volume"):
        df[column] = df[column].map(Decimal)
    df["qv"] = df["close"] * df["volume"]
    df = df[(t_ms + base <= now).to_numpy()]
    kwargs = {} if rule in ("W-MON", "MS") else {"origin": "epoch"}
    agg = df.resample(rule, label="left", closed="left", **kwargs).agg(
        {
            "open": "first",
            "high": "max",
            "low": "min",
            "close": "last",
            "volume": "sum",
            "qv": "sum",
            "timestamp": "count",
        }
    )
    agg = agg[agg["timestamp"] > 0]  # resample emits empty periods for gaps; the venue shows none
    starts = (agg.index - pd.Timestamp(0)) // pd.Timedelta(milliseconds=1)
    return [
        Candle(int(t), r.open, r.high, r.low, r.close, r.volume, r.qv)
        for t, r in zip(starts, agg.itertuples(), strict=True)
    ]


# --------------------------------------------------------------------------- loading, validation


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.csv*")), ids=lambda p: p.name)
def test_every_shared_file_loads(path: Path) -> None:
    loaded = data(path.name)
    frame = pd.read_csv(path, dtype=str)
    tf = next(tok for tok in ("_1m_", "_5m_", "_1h_", "_1d_") if tok in path.name)
    assert loaded.source == path.name
    assert loaded.base_ms == {"_1m_": MINUTE_MS, "_5m_": 5 * MINUTE_MS, "_1h_": HOUR_MS, "_1d_": DAY_MS}[tf]
    assert len(loaded.bars) == len(frame)
    assert loaded.bars[0].t == ms(frame["timestamp"].iloc[0])
    assert loaded.bars[-1].t == ms(frame["timestamp"].iloc[-1])
    # Decimals come from the text: the string survives exactly.
    assert str(loaded.bars[-1].close) == frame["close"].iloc[-1]
    assert str(loaded.bars[0].volume) == frame["volume"].iloc[0]


def test_prices_are_exact_decimals() -> None:
    first = data(BINANCE_1M).bars[0]
    assert first == Bar(
        ms("2022-12-13T00:00:00Z"),
        Decimal("17212.12"),
        Decimal("17216.55"),
        Decimal("17208.88"),
        Decimal("17208.88"),
        Decimal("110.66042"),
    )
    assert str(first.open) == "17212.12"


def test_minimal_file_loads(tmp_path: Path) -> None:
    loaded = load_candles(write(tmp_path, "ok.csv", [HEADER, ROW1, ROW2, ROW3]))
    assert loaded.source == "ok.csv"
    assert loaded.base_ms == MINUTE_MS
    assert [b.t for b in loaded.bars] == [ms("2022-12-13T00:00:00Z") + i * MINUTE_MS for i in range(3)]
    assert loaded.bars[2].volume == 0  # zero volume is a legal (tradeless) bar


def test_gzip_crlf_bom_and_blank_lines(tmp_path: Path) -> None:
    plain = load_candles(write(tmp_path, "ok.csv", [HEADER, ROW1, ROW2, ROW3]))
    gz = tmp_path / "ok.csv.gz"
    gz.write_bytes(gzip.compress(("\r\n".join([HEADER, ROW1, "", ROW2, ROW3]) + "\r\n\r\n").encode()))
    assert load_candles(gz).bars == plain.bars
    bom = tmp_path / "bom.csv"
    bom.write_bytes(("\ufeff" + "\n".join([HEADER, ROW1, ROW2])).encode())
    assert len(load_candles(bom).bars) == 2
    # gzip is sniffed from the content, not the extension.
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(gz.read_bytes())
    assert load_candles(renamed).bars == plain.bars


def _bad(
    ts: str = "2022-12-13T00:01:00Z",
    o: str = "100",
    h: str = "101",
    lo: str = "99",
    c: str = "100",
    v: str = "1",
) -> str:
    """A data row with the given fields (defaults make a valid row)."""
    return f"{ts},{o},{h},{lo},{c},{v}"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param([], "line 1: empty, expected the header", id="empty-file"),
        pytest.param(
            ["timestamp,open,high,low,close", ROW1, ROW2],
            "line 1: header 'timestamp,open,high,low,close', expected 'timestamp,open,high,low,close,volume'",
            id="header-missing-column",
        ),
        pytest.param(
            ["date,open,high,low,close,volume", ROW1, ROW2], "line 1: header 'date,open", id="header-renamed"
        ),
        pytest.param(
            ["timestamp,open,low,high,close,volume", ROW1, ROW2], "line 1: header", id="header-order"
        ),
        pytest.param(
            [HEADER, ROW2, ROW1],
            "line 3: timestamp out of order: 2022-12-13T00:00:00Z is not after 2022-12-13T00:01:00Z (line 2)",
            id="unsorted",
        ),
        pytest.param(
            [HEADER, ROW1, ROW2, ROW2],
            "line 4: duplicate timestamp 2022-12-13T00:01:00Z is not after 2022-12-13T00:01:00Z (line 3)",
            id="duplicate",
        ),
        pytest.param([HEADER, ROW1, _bad(o="NaN")], "line 3: open is NaN", id="nan"),
        pytest.param([HEADER, ROW1, _bad(v="nan")], "line 3: volume is NaN", id="nan-lower"),
        pytest.param([HEADER, ROW1, _bad(c="")], "line 3: empty close", id="empty-field"),
        pytest.param([HEADER, _bad(ts=""), ROW2], "line 2: empty timestamp", id="empty-timestamp"),
        pytest.param([HEADER, ROW1, _bad(h="abc")], "line 3: high 'abc' is not a number", id="not-a-number"),
        pytest.param([HEADER, ROW1, _bad(lo="inf")], "line 3: low 'inf' is not a number", id="infinite"),
        pytest.param([HEADER, ROW1, ROW2 + ",7"], "line 3: expected 6 fields, got 7", id="extra-field"),
        pytest.param(
            [HEADER, ROW1, "2022-12-13T00:01:00Z,1,1,1"], "line 3: expected 6 fields, got 4", id="few"
        ),
        pytest.param(
            [HEADER, ROW1, _bad(ts="2022-12-13 00:01:00")],
            "line 3: timestamp '2022-12-13 00:01:00' is not in the format %Y-%m-%dT%H:%M:%SZ",
            id="timestamp-format",
        ),
        pytest.param(
            [HEADER, ROW1, _bad(ts="2022-12-13T00:01:00.000Z")], "line 3: timestamp", id="timestamp-millis"
        ),
        pytest.param(
            [HEADER, ROW1, _bad(ts="2022-02-30T00:01:00Z")],
            "line 3: timestamp '2022-02-30T00:01:00Z' is not a valid date and time",
            id="timestamp-invalid-date",
        ),
        pytest.param(
            [HEADER, ROW1, _bad(ts="2022-13-01T00:01:00Z", v="x")],
            "line 3: timestamp '2022-13-01T00:01:00Z' is not a valid date and time",
            id="timestamp-invalid-month-first",
        ),
        pytest.param(
            [HEADER, _bad(ts="2022-12-13T00:00:00Z", o="100", h="101", lo="99", c="102"), ROW2],
            "line 2: high 101 < max(open, close) 102",
            id="high-below-close",
        ),
        pytest.param(
            [HEADER, ROW1, _bad(o="102", h="101.5", lo="99", c="100")],
            "line 3: high 101.5 < max(open, close) 102",
            id="high-below-open",
        ),
        pytest.param(
            [HEADER, ROW1, _bad(o="100", h="101", lo="99.5", c="99")],
            "line 3: low 99.5 > min(open, close) 99",
            id="low-above-close",
        ),
        pytest.param(
            [HEADER, ROW1, _bad(o="100", h="101", lo="100.5", c="101")],
            "line 3: low 100.5 > min(open, close) 100",
            id="low-above-open",
        ),
        pytest.param([HEADER, ROW1, _bad(lo="0")], "line 3: low 0 is not > 0", id="zero-price"),
        pytest.param(
            [HEADER, ROW1, _bad(o="-1", h="-0.5", lo="-2", c="-1")],
            "line 3: open -1 is not > 0",
            id="neg-price",
        ),
        pytest.param([HEADER, ROW1, _bad(v="-0.001")], "line 3: volume -0.001 < 0", id="negative-volume"),
        pytest.param([HEADER, ROW1], "needs at least 2 data rows, got 1", id="one-row"),
        pytest.param([HEADER], "needs at least 2 data rows, got 0", id="no-rows"),
        pytest.param(
            [HEADER, ROW1, _bad(ts="2022-12-13T00:00:30Z"), _bad(ts="2022-12-13T00:02:00Z")],
            "line 3: smallest gap between rows is 30000 ms, not a whole number of minutes",
            id="sub-minute",
        ),
        pytest.param(
            [HEADER, _bad(ts="2022-12-13T00:30:00Z"), _bad(ts="2022-12-13T01:30:00Z")],
            "line 2: timestamp 2022-12-13T00:30:00Z is not aligned to the 1h bar size",
            id="misaligned",
        ),
        pytest.param(
            [
                HEADER,
                _bad(ts="2022-12-13T00:00:00Z"),
                _bad(ts="2022-12-13T00:05:00Z"),
                _bad(ts="2022-12-13T00:12:00Z"),
                _bad(ts="2022-12-13T00:15:00Z"),
            ],
            "line 3: timestamp 2022-12-13T00:05:00Z is not aligned to the 3m bar size",
            id="misaligned-gap",
        ),
    ],
)
@pytest.mark.parametrize("compressed", [False, True], ids=["csv", "gz"])
def test_validation_errors_name_file_and_line(
    tmp_path: Path, lines: list[str], message: str, compressed: bool
) -> None:
    name = "bad.csv.gz" if compressed else "bad.csv"
    text = "\n".join(lines) + ("\n" if lines else "")
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    with pytest.raises(CandleFileError) as info:
        load_candles(path)
    text = str(info.value)
    assert text.startswith(f"{name}: ")
    assert message in text
    assert "\n" not in text
    assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CandleFileError) as info:
        load_candles(tmp_path / "nope.csv")
    assert str(info.value) == "nope.csv: file not found"


def test_unreadable_and_corrupt_files(tmp_path: Path) -> None:
    directory = tmp_path / "somedir"
    directory.mkdir()
    with pytest.raises(CandleFileError, match=r"^somedir: cannot read"):
        load_candles(directory)
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(gzip.compress((HEADER + "\n" + ROW1 + "\n").encode())[:-12])
    with pytest.raises(CandleFileError, match=r"^corrupt\.csv\.gz: not a valid gzip file"):
        load_candles(corrupt)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"timestamp,open,high,low,close,volume\n\xe9\n")
    with pytest.raises(CandleFileError, match=r"^latin\.csv: not UTF-8 text"):
        load_candles(latin)


def test_candle_data_checks_its_invariants() -> None:
    bar = Bar(0, Decimal(1), Decimal(1), Decimal(1), Decimal(1), Decimal(0))
    with pytest.raises(ValueError, match="base_ms=30000"):
        CandleData("x", 30_000, (bar,))
    with pytest.raises(ValueError, match="no bars"):
        CandleData("x", MINUTE_MS, ())
    with pytest.raises(ValueError, match="not aligned"):
        CandleData("x", MINUTE_MS, (bar._replace(t=1),))
    with pytest.raises(ValueError, match="not after"):
        CandleData("x", MINUTE_MS, (bar, bar))


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "kind", "n"),
    [
        ("1m", "ms", MINUTE_MS),
        ("3m", "ms", 3 * MINUTE_MS),
        ("5m", "ms", 5 * MINUTE_MS),
        ("15m", "ms", 15 * MINUTE_MS),
        ("30m", "ms", 30 * MINUTE_MS),
        ("1h", "ms", HOUR_MS),
        ("2h", "ms", 2 * HOUR_MS),
        ("4h", "ms", 4 * HOUR_MS),
        ("6h", "ms", 6 * HOUR_MS),
        ("8h", "ms", 8 * HOUR_MS),
        ("12h", "ms", 12 * HOUR_MS),
        ("1d", "ms", DAY_MS),
        ("3d", "ms", 3 * DAY_MS),
        ("1w", "week", 1),
        ("1M", "month", 1),
    ],
)
def test_period_parse(text: str, kind: str, n: int) -> None:
    period = Period.parse(text)
    assert (period.kind, period.n) == (kind, n)
    assert str(period) == text
    if kind == "ms":
        assert Period.of_ms(n) == period
        assert period.approx_ms == n


@pytest.mark.parametrize("text", ["", "m", "0m", "1x", "1H", "1 m", "1.5h", "2w", "3M", "-1m", "01m", "1mo"])
def test_period_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("(", r"\(").replace(".", r"\.")):
        Period.parse(text)


def test_period_construction_is_validated() -> None:
    with pytest.raises(ValueError, match="kind"):
        Period("day", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        Period.of_ms(0)
    with pytest.raises(ValueError, match="only 1"):
        Period("week", 2)
    assert Period.parse("60m") == Period.parse("1h")  # equal periods share one candle cache entry
    assert Period.parse("1w").approx_ms == 7 * DAY_MS
    assert Period.parse("1M").approx_ms == 30 * DAY_MS
    assert str(Period.of_ms(90_000)) == "90s"


@pytest.mark.parametrize(
    ("period", "t", "floor", "nxt"),
    [
        ("4h", "2022-12-13T05:30:00Z", "2022-12-13T04:00:00Z", "2022-12-13T08:00:00Z"),
        ("4h", "2022-12-13T23:59:59Z", "2022-12-13T20:00:00Z", "2022-12-14T00:00:00Z"),
        ("15m", "2022-12-13T05:44:59Z", "2022-12-13T05:30:00Z", "2022-12-13T05:45:00Z"),
        ("1d", "2022-12-13T05:30:00Z", "2022-12-13T00:00:00Z", "2022-12-14T00:00:00Z"),
        # 3d is epoch-aligned: 1970-01-01 + 3k days; 2022-12-12 is day 19338 = 3 * 6446.
        ("3d", "2022-12-13T05:30:00Z", "2022-12-12T00:00:00Z", "2022-12-15T00:00:00Z"),
        ("1w", "2022-12-13T05:30:00Z", "2022-12-12T00:00:00Z", "2022-12-19T00:00:00Z"),  # Tuesday
        ("1w", "2022-12-18T23:59:59Z", "2022-12-12T00:00:00Z", "2022-12-19T00:00:00Z"),  # Sunday
        ("1w", "2022-12-19T00:00:00Z", "2022-12-19T00:00:00Z", "2022-12-26T00:00:00Z"),  # Monday
        ("1w", "1969-12-31T12:00:00Z", "1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z"),
        ("1M", "2022-12-13T05:30:00Z", "2022-12-01T00:00:00Z", "2023-01-01T00:00:00Z"),
        ("1M", "2024-02-29T23:59:59Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        ("1M", "2023-01-01T00:00:00Z", "2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z"),
        ("1M", "1969-12-31T12:00:00Z", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ],
)
def test_period_alignment(period: str, t: str, floor: str, nxt: str) -> None:
    p = Period.parse(period)
    assert p.floor(ms(t)) == ms(floor)
    assert p.next(ms(t)) == ms(nxt)
    assert p.next(ms(floor)) == ms(nxt)


PERIODS = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "3d", "1w", "1M"]


@settings(max_examples=300, derandomize=True)
@given(
    period=st.sampled_from(PERIODS),
    t=st.integers(min_value=ms("1960-01-01T00:00:00Z"), max_value=ms("2100-01-01T00:00:00Z")),
)
def test_period_floor_next_properties(period: str, t: int) -> None:
    p = Period.parse(period)
    start, end = p.floor(t), p.next(t)
    assert start <= t < end
    assert p.floor(start) == start
    assert p.floor(end) == end
    assert p.floor(end - 1) == start
    when = dt.datetime.fromtimestamp(start / 1000, tz=dt.UTC)
    if p.kind == "ms":
        assert start % p.n == 0
        assert end - start == p.n
    elif p.kind == "week":
        assert (when.weekday(), when.hour, when.minute) == (0, 0, 0)
        assert end - start == 7 * DAY_MS
    else:
        assert (when.day, when.hour, when.minute, when.second) == (1, 0, 0, 0)


# --------------------------------------------------------------------------- aggregation vs pandas


AGGREGATION_CASES = [
    (BINANCE_1M, "5m", "5min", "2022-12-13T13:37:00Z"),
    (BINANCE_1M, "15m", "15min", "2022-12-13T13:37:00Z"),
    (BINANCE_1M, "1h", "1h", "2022-12-13T13:37:00Z"),
    (BINANCE_1M, "4h", "4h", "2022-12-13T13:37:00Z"),
    (BINANCE_1M, "1d", "1D", "2022-12-13T13:37:00Z"),
    (BINANCE_1M, "1h", "1h", "2022-12-13T00:59:30Z"),
    (BINANCE_1M, "1d", "1D", "2022-12-14T00:00:00Z"),  # exhausted: the whole day, closed
    (COINBASE_1M, "5m", "5min", "2016-10-08T13:37:10Z"),
    (COINBASE_1M, "15m", "15min", "2016-10-08T13:37:10Z"),
    (COINBASE_1M, "1h", "1h", "2016-10-09T07:03:00Z"),
    (COINBASE_1M, "4h", "4h", "2016-10-09T07:03:00Z"),
    (COINBASE_1M, "1d", "1D", "2016-10-09T07:03:00Z"),
    (COINBASE_1M, "3d", "3D", "2016-10-09T07:03:00Z"),
    (COINBASE_1M, "1w", "W-MON", "2016-10-09T07:03:00Z"),
    (COINBASE_1M, "1M", "MS", "2016-10-09T07:03:00Z"),
    (COINBASE_1M, "1h", "1h", "2016-10-12T00:00:00Z"),
    (XRP_5M, "15m", "15min", "2021-11-18T10:20:00Z"),
    (XRP_5M, "1h", "1h", "2021-11-18T10:20:00Z"),
    (XRP_5M, "4h", "4h", "2021-11-18T10:20:00Z"),
    (XRP_5M, "1d", "1D", "2021-11-18T10:20:00Z"),
    (XRP_5M, "1w", "W-MON", "2021-11-18T10:20:00Z"),
    (SPY_1H, "1d", "1D", "2008-10-15T17:30:00Z"),
    (SPY_1H, "1w", "W-MON", "2008-10-15T17:30:00Z"),
    (SPY_1H, "1M", "MS", "2008-10-15T17:30:00Z"),
    (SPY_1H, "1M", "MS", "2030-01-01T00:00:00Z"),
    (SPY_1D, "1w", "W-MON", "2020-03-18T00:00:00Z"),
    (SPY_1D, "1M", "MS", "2020-03-18T00:00:00Z"),
]


@pytest.mark.parametrize(("name", "period", "rule", "now_iso"), AGGREGATION_CASES)
def test_aggregation_matches_pandas_resample(name: str, period: str, rule: str, now_iso: str) -> None:
    s = series(name)
    now = ms(now_iso)
    got = s.candles(Period.parse(period), now, limit=10**6)
    expected = pandas_expected(name, rule, now)
    p = Period.parse(period)
    if len(got) == len(expected) + 1:
        # A flat forming candle (no bar of the forming period closed yet) has no pandas counterpart.
        flat = got.pop()
        price = s.last_price(now)
        assert flat == Candle(p.floor(now), price, price, price, price, Decimal(0), Decimal(0))
    assert len(got) == len(expected) > 0
    assert got == expected
    # Exact Decimal sums, not float approximations.
    assert all(isinstance(c.volume, Decimal) and isinstance(c.quote_volume, Decimal) for c in got)


def test_spy_hourly_candles_are_regular_session_only() -> None:
    s = series(SPY_1H)
    days = s.candles(Period.parse("1d"), s.last_close_ms, limit=10**6)
    assert len(days) == 5849  # one per trading day (README); weekends and holidays have no candle
    weeks = s.candles(Period.parse("1w"), s.last_close_ms, limit=10**6)
    assert all(dt.datetime.fromtimestamp(c.t / 1000, tz=dt.UTC).weekday() == 0 for c in weeks)


# --------------------------------------------------------------------------- forming candle


def test_forming_candle_is_built_from_closed_bars_only() -> None:
    s = series(BINANCE_1M)
    bars = data(BINANCE_1M).bars
    now = ms("2022-12-13T01:30:30Z")  # bar 01:30 (index 90) is open, closes at 01:31
    hourly = s.candles(Period.parse("1h"), now, limit=2)
    assert [c.t for c in hourly] == [ms("2022-12-13T00:00:00Z"), ms("2022-12-13T01:00:00Z")]
    assert hourly[0] == aggregate(bars[0].t, list(bars[:60]))
    assert hourly[1] == aggregate(bars[60].t, list(bars[60:90]))
    assert hourly[1].close == bars[89].close
    assert hourly[1].volume == sum((b.volume for b in bars[60:90]), Decimal(0))


def test_forming_candle_is_flat_at_a_boundary() -> None:
    s = series(BINANCE_1M)
    bars = data(BINANCE_1M).bars
    now = ms("2022-12-13T01:30:00Z")  # bar 01:29 just closed, bar 01:30 just opened
    p = bars[89].close
    minute = s.candles(Period.parse("1m"), now, limit=2)
    assert minute[0] == aggregate(bars[89].t, [bars[89]])
    assert minute[1] == Candle(now, p, p, p, p, Decimal(0), Decimal(0))
    at_hour = ms("2022-12-13T01:00:00Z")
    hourly = s.candles(Period.parse("1h"), at_hour, limit=5)
    q = bars[59].close
    assert hourly == [
        aggregate(bars[0].t, list(bars[:60])),
        Candle(at_hour, q, q, q, q, Decimal(0), Decimal(0)),
    ]


def test_no_candle_before_the_first_bar_closes() -> None:
    s = series(BINANCE_1M)
    first = s.first_open_ms
    for period in ("1m", "1h", "1d", "1w"):
        p = Period.parse(period)
        assert s.candles(p, first - DAY_MS) == []
        assert s.candles(p, first) == []
        assert s.candles(p, first + MINUTE_MS - 1) == []
    bar0 = aggregate(first, [data(BINANCE_1M).bars[0]])
    after_first = first + MINUTE_MS
    o = bar0.close
    assert s.candles(Period.parse("1m"), after_first) == [
        bar0,
        Candle(after_first, o, o, o, o, Decimal(0), Decimal(0)),
    ]
    assert s.candles(Period.parse("1h"), after_first) == [bar0]


def test_no_forming_candle_after_exhaustion() -> None:
    s = series(BINANCE_1M)
    bars = data(BINANCE_1M).bars
    end = s.last_close_ms
    assert end == ms("2022-12-14T00:00:00Z")
    for now in (end, end + 1, end + 30 * DAY_MS):
        minute = s.candles(Period.parse("1m"), now, limit=3)
        assert minute[-1] == aggregate(bars[-1].t, [bars[-1]])  # no flat candle invented after the data
        assert s.candles(Period.parse("1h"), now, limit=1)[0].t == ms("2022-12-13T23:00:00Z")
        assert s.candles(Period.parse("1d"), now) == [aggregate(bars[0].t, list(bars))]


def test_data_ending_inside_a_period() -> None:
    s = series(BYBIT_1M)  # last bar opens 12:00, closes 12:01
    bars = data(BYBIT_1M).bars
    last = aggregate(bars[-1].t, [bars[-1]])
    # Bar 12:00 still open: the 12:00 hour is forming with none of its bars closed, so it is flat.
    before_last = s.candles(Period.parse("1h"), ms("2022-12-13T12:00:30Z"), limit=2)
    assert before_last[0].t == ms("2022-12-13T11:00:00Z")
    p = bars[-2].close
    assert before_last[1] == Candle(bars[-1].t, p, p, p, p, Decimal(0), Decimal(0))
    for now in ("2022-12-13T12:01:00Z", "2022-12-13T12:30:00Z", "2022-12-13T12:59:59Z"):
        assert s.candles(Period.parse("1h"), ms(now), limit=1) == [last]  # forming, holds every bar left
    assert s.candles(Period.parse("1h"), ms("2022-12-13T13:00:00Z"), limit=1) == [last]  # now completed
    assert s.candles(Period.parse("1h"), ms("2022-12-13T14:10:00Z"), limit=1) == [last]
    daily = s.candles(Period.parse("1d"), ms("2022-12-13T18:00:00Z"))
    assert daily == [aggregate(bars[0].t, list(bars))]


def _gaps(d: CandleData) -> list[int]:
    """Open times of the missing bars."""
    return [t for a, b in pairwise(d.bars) for t in range(a.t + d.base_ms, b.t, d.base_ms)]


def test_gaps_yield_no_candle_but_a_flat_forming_one() -> None:
    d = data(COINBASE_1M)
    s = series(COINBASE_1M)
    missing = _gaps(d)
    assert len(missing) == 104  # README: 94 gaps, 104 missing minutes
    every = s.candles(Period.parse("1m"), s.last_close_ms, limit=10**6)
    assert [c.t for c in every] == [b.t for b in d.bars]
    assert not set(missing) & {c.t for c in every}
    gap = missing[0]
    # While the missing minute is forming, the venue shows a flat candle at the last price...
    inside = s.candles(Period.parse("1m"), gap + 30_000, limit=2)
    p = s.last_price(gap + 30_000)
    assert inside[-1] == Candle(gap, p, p, p, p, Decimal(0), Decimal(0))
    # ...and once it has elapsed, no candle at all: we never invent data.
    later = s.candles(Period.parse("1m"), gap + 10 * MINUTE_MS, limit=20)
    assert gap not in [c.t for c in later]
    five = s.candles(Period.parse("5m"), s.last_close_ms, limit=10**6)
    assert [c.t for c in five] == sorted({b.t - b.t % (5 * MINUTE_MS) for b in d.bars})


# --------------------------------------------------------------------------- no look-ahead


LOOKAHEAD_FILES = [COINBASE_1M, XRP_5M]


@settings(max_examples=250, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(LOOKAHEAD_FILES),
    period=st.sampled_from(["1m", "5m", "15m", "1h", "4h", "1d", "3d", "1w", "1M"]),
    frac=st.floats(min_value=-0.05, max_value=1.05),
    offset=st.integers(min_value=0, max_value=5 * MINUTE_MS),
    start_back=st.none() | st.integers(min_value=-DAY_MS, max_value=30 * DAY_MS),
    end_back=st.none() | st.integers(min_value=-DAY_MS, max_value=3 * DAY_MS),
    limit=st.integers(min_value=1, max_value=400),
)
def test_no_lookahead_against_brute_force(
    name: str,
    period: str,
    frac: float,
    offset: int,
    start_back: int | None,
    end_back: int | None,
    limit: int,
) -> None:
    s = series(name)
    p = Period.parse(period)
    if p.kind == "ms" and p.n % s.base_ms:
        with pytest.raises(ValueError, match="multiple of the base bar"):
            s.candles(p, s.last_close_ms)
        return
    span = s.last_close_ms - s.first_open_ms
    now = s.first_open_ms + int(frac * span) + offset
    start = None if start_back is None else now - start_back
    end = None if end_back is None else now - end_back
    got = s.candles(p, now, start_ms=start, end_ms=end, limit=limit)
    assert got == reference_candles(s, p, now, start, end, limit)
    assert len(got) <= limit
    assert [c.t for c in got] == sorted({c.t for c in got})
    closed = s.closed_count(now)
    revealed_volume = sum((s.bar(i).volume for i in range(closed)), Decimal(0))
    assert sum((c.volume for c in got), Decimal(0)) <= revealed_volume
    for c in got:
        assert c.t <= now
        # Every price in a candle is a price of a bar closed at now.
        hi = max((s.bar(i).high for i in range(closed) if p.floor(s.bar(i).t) == c.t), default=c.close)
        assert c.high == hi


@pytest.mark.parametrize("period", ["15m", "1h", "4h", "1d", "1w", "1M"])
def test_forming_candle_while_the_clock_walks(period: str) -> None:
    """Incremental forming-candle updates equal a fresh aggregation, forwards and after a rewind."""
    s = ReplaySeries(data(BINANCE_1M))
    p = Period.parse(period)
    nows = list(range(s.first_open_ms, s.last_close_ms + HOUR_MS, 7 * MINUTE_MS + 13_000))
    nows += [ms("2022-12-13T05:00:00Z"), ms("2022-12-13T04:59:00Z"), ms("2022-12-13T15:10:00Z")]
    for now in nows:
        got = s.candles(p, now, limit=1)
        closed = [s.bar(i) for i in range(s.closed_count(now))]
        start = p.floor(now)
        in_period = [b for b in closed if b.t >= start]
        if not closed:
            assert got == []
        elif in_period:
            assert got == [aggregate(start, in_period)]
        elif now < s.last_close_ms:
            price = closed[-1].close
            assert got == [Candle(start, price, price, price, price, Decimal(0), Decimal(0))]


# --------------------------------------------------------------------------- range selection


def test_limit_keeps_the_newest() -> None:
    s = series(BINANCE_1M)
    now = ms("2022-12-13T13:37:00Z")
    p = Period.parse("5m")
    everything = s.candles(p, now, limit=1000)
    assert len(everything) == 13 * 12 + 8  # 156 completed + the forming 13:35
    assert everything[-1].t == ms("2022-12-13T13:35:00Z")
    assert s.candles(p, now, limit=5) == everything[-5:]
    assert s.candles(p, now, limit=1) == everything[-1:]
    # More than `limit` qualify after start_ms: the newest win, as venues page back from the end.
    assert s.candles(p, now, start_ms=ms("2022-12-13T01:00:00Z"), limit=3) == everything[-3:]
    assert len(s.candles(p, now)) == 100  # default limit


def test_start_and_end_are_inclusive_open_times() -> None:
    s = series(BINANCE_1M)
    now = ms("2022-12-13T13:37:00Z")
    p = Period.parse("1h")
    everything = s.candles(p, now, limit=1000)
    t3, t5 = ms("2022-12-13T03:00:00Z"), ms("2022-12-13T05:00:00Z")
    assert [c.t for c in s.candles(p, now, start_ms=t3, end_ms=t5)] == [t3, t3 + HOUR_MS, t5]
    assert [c.t for c in s.candles(p, now, start_ms=t3 + 1, end_ms=t5 - 1)] == [t3 + HOUR_MS]
    assert s.candles(p, now, start_ms=t3, end_ms=t3) == [everything[3]]
    assert s.candles(p, now, end_ms=t5, limit=2) == everything[4:6]
    assert s.candles(p, now, start_ms=t5, end_ms=t3) == []
    assert s.candles(p, now, start_ms=now + 1) == []
    assert s.candles(p, now, end_ms=s.first_open_ms - 1) == []
    # end beyond now is capped at now: the future is never served, only the forming candle.
    assert s.candles(p, now, start_ms=t5, end_ms=now + 10 * DAY_MS) == everything[5:]
    assert s.candles(p, now, start_ms=ms("2022-12-13T13:00:00Z")) == everything[-1:]


def test_invalid_requests() -> None:
    s = series(XRP_5M)
    with pytest.raises(ValueError, match="limit=0"):
        s.candles(Period.parse("1h"), s.last_close_ms, limit=0)
    for finer in ("1m", "3m", "7m", "12m"):
        with pytest.raises(ValueError, match=f"period {finer} cannot be built from 5m bars"):
            s.candles(Period.parse(finer), s.last_close_ms)
    assert s.candles(Period.parse("5m"), s.last_close_ms, limit=1)[0].t == s.bar(-1).t
    hourly = ReplaySeries(data(SPY_1H))
    with pytest.raises(ValueError, match="90m"):
        hourly.candles(Period.parse("90m"), hourly.last_close_ms)


def test_completed_candles_are_computed_once_per_period(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Period] = []
    original = ReplaySeries._build_table

    def counting(self: ReplaySeries, period: Period) -> object:
        built.append(period)
        return original(self, period)

    monkeypatch.setattr(ReplaySeries, "_build_table", counting)
    s = ReplaySeries(data(COINBASE_1M))
    p = Period.parse("1h")
    first = s.candles(p, s.last_close_ms, limit=1000)
    for now in range(s.first_open_ms, s.last_close_ms, 17 * MINUTE_MS):
        s.candles(p, now)
    s.candles(Period.parse("60m"), s.first_open_ms + DAY_MS)
    s.candles(Period.parse("1d"), s.first_open_ms + DAY_MS)
    assert built == [p, Period.parse("1d")]
    assert s.candles(p, s.last_close_ms, limit=1000) == first
    # Callers get copies: mutating a result does not corrupt the cache.
    first.clear()
    assert len(s.candles(p, s.last_close_ms, limit=1000)) == 72


def test_concurrent_first_use_builds_consistent_results() -> None:
    s = ReplaySeries(data(XRP_5M))
    p = Period.parse("1h")
    now = ms("2021-11-20T10:20:00Z")
    results: list[list[Candle]] = []

    def worker() -> None:
        results.append(s.candles(p, now, limit=500))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 8
    assert all(r == results[0] for r in results)
    assert results[0] == reference_candles(s, p, now, limit=500)


# --------------------------------------------------------------------------- bar access, shifting


def test_closed_count_and_last_closed() -> None:
    s = series(COINBASE_1M)
    first, base = s.first_open_ms, s.base_ms
    assert len(s) == 4216
    assert s.closed_count(first - DAY_MS) == 0
    assert s.closed_count(first) == 0
    assert s.closed_count(first + base - 1) == 0
    assert s.closed_count(first + base) == 1
    assert s.closed_count(s.last_close_ms - 1) == len(s) - 1
    assert s.closed_count(s.last_close_ms) == len(s)
    assert s.closed_count(s.last_close_ms + 10**12) == len(s)
    assert s.last_closed(first + base - 1) is None
    assert s.last_closed(first + base) == s.bar(0)
    assert s.last_closed(s.last_close_ms + 1) == s.bar(-1)
    # Across a gap the last closed bar stays the one before it.
    gap = _gaps(data(COINBASE_1M))[0]
    assert s.last_closed(gap + base + 30_000) == s.bar(s.closed_count(gap) - 1)
    assert s.last_closed(gap + base + 30_000).t == gap - base  # type: ignore[union-attr]


def test_closed_between() -> None:
    s = series(COINBASE_1M)
    first, base = s.first_open_ms, s.base_ms
    assert s.closed_between(first, first) == []
    assert s.closed_between(first + 5 * base, first) == []
    assert s.closed_between(first, first + base) == [s.bar(0)]
    assert s.closed_between(first, first + base - 1) == []
    assert s.closed_between(first + base, first + 3 * base) == [s.bar(1), s.bar(2)]
    assert s.closed_between(first - DAY_MS, s.last_close_ms + DAY_MS) == [s.bar(i) for i in range(len(s))]
    gap = _gaps(data(COINBASE_1M))[0]
    # The missing minute's close reveals nothing; the next bar's close reveals that bar only.
    assert s.closed_between(gap, gap + base) == []
    assert s.closed_between(gap, gap + 2 * base) == [s.bar(s.closed_count(gap))]
    assert s.closed_between(gap, gap + 2 * base)[0].t == gap + base
    # Walking the clock in steps reveals every bar exactly once.
    steps = range(first - base, s.last_close_ms + base, 7 * base + 1234)
    revealed = [b for a, b2 in pairwise(steps) for b in s.closed_between(a, b2)]
    revealed += s.closed_between(steps[-1], s.last_close_ms + base)
    assert revealed == [s.bar(i) for i in range(len(s))]


def test_last_price_and_exhausted() -> None:
    s = series(BINANCE_1M)
    bars = data(BINANCE_1M).bars
    assert s.last_price(s.first_open_ms - DAY_MS) == bars[0].open
    assert s.last_price(s.first_open_ms + MINUTE_MS - 1) == bars[0].open
    assert s.last_price(s.first_open_ms + MINUTE_MS) == bars[0].close
    assert s.last_price(s.first_open_ms + 90 * MINUTE_MS + 59_999) == bars[89].close
    assert s.last_price(s.last_close_ms + DAY_MS) == bars[-1].close
    assert not s.exhausted(s.last_close_ms - 1)
    assert s.exhausted(s.last_close_ms)
    assert s.exhausted(s.last_close_ms + 1)


def test_shifting_moves_every_bar_and_candle() -> None:
    d = data(BINANCE_1M)
    shift = 400 * DAY_MS + 7 * HOUR_MS
    plain = series(BINANCE_1M)
    moved = ReplaySeries(d, shift)
    assert (moved.base_ms, moved.shift_ms, len(moved)) == (MINUTE_MS, shift, len(d.bars))
    assert moved.first_open_ms == d.bars[0].t + shift
    assert moved.last_close_ms == d.bars[-1].t + MINUTE_MS + shift
    assert moved.bar(5) == d.bars[5]._replace(t=d.bars[5].t + shift)
    now = ms("2022-12-13T13:37:20Z")
    assert moved.closed_between(now - HOUR_MS + shift, now + shift) == [
        b._replace(t=b.t + shift) for b in plain.closed_between(now - HOUR_MS, now)
    ]
    assert moved.last_price(now + shift) == plain.last_price(now)
    hourly = moved.candles(Period.parse("1h"), now + shift, limit=1000)
    assert hourly == [c._replace(t=c.t + shift) for c in plain.candles(Period.parse("1h"), now, limit=1000)]
    # A shift that is not a whole number of days changes which bars share a UTC day, as it must.
    daily = moved.candles(Period.parse("1d"), moved.last_close_ms)
    assert [c.t for c in daily] == [ms("2024-01-17T00:00:00Z"), ms("2024-01-18T00:00:00Z")]
    assert daily[0] == aggregate(daily[0].t, [moved.bar(i) for i in range(17 * 60)])
    with pytest.raises(ValueError, match="shift_ms=1000"):
        ReplaySeries(d, 1000)
    negative = ReplaySeries(d, -DAY_MS)
    assert negative.first_open_ms == ms("2022-12-12T00:00:00Z")


# --------------------------------------------------------------------------- timeline planning


def test_plan_timeline_at_the_files_own_dates() -> None:
    datas = [data(BINANCE_1M), data(BYBIT_1M), data(COINBASE_1M)]
    shifts, present = plan_timeline(datas, start=None, history_bars=100, wall_now_ms=0)
    t0 = datas[0].bars[0].t
    assert shifts[0] == 0
    assert present == t0 + 100 * MINUTE_MS
    for d, shift in zip(datas, shifts, strict=True):
        assert shift % d.base_ms == 0
        s = ReplaySeries(d, shift)
        assert s.first_open_ms == t0
        assert s.closed_count(present) == 100
    assert shifts[1] == 0  # same day as Binance
    assert shifts[2] == ms("2022-12-13T00:00:00Z") - ms("2016-10-07T00:00:00Z")


def test_plan_timeline_caps_history_at_the_shortest_file() -> None:
    datas = [data(BINANCE_1M), data(BYBIT_1M)]
    shifts, present = plan_timeline(datas, start=None, history_bars=10**6, wall_now_ms=0)
    assert present == datas[0].bars[0].t + 720 * MINUTE_MS
    shorter = ReplaySeries(datas[1], shifts[1])
    assert shorter.closed_count(present) == 720
    assert not shorter.exhausted(present)  # one bar left to play


@pytest.mark.parametrize("start", [ms("2030-05-17T09:41:27Z") + 123, ms("2030-05-17T09:41:00Z"), "now"])
def test_plan_timeline_at_a_given_start(start: int | str) -> None:
    wall = ms("2026-11-25T03:04:05Z") + 678
    datas = [data(COINBASE_1M), data(BINANCE_1M)]
    shifts, present = plan_timeline(datas, start=start, history_bars=500, wall_now_ms=wall)  # type: ignore[arg-type]
    assert present == (wall if start == "now" else start)
    t0 = present - present % MINUTE_MS - 500 * MINUTE_MS
    for d, shift in zip(datas, shifts, strict=True):
        assert shift % d.base_ms == 0
        s = ReplaySeries(d, shift)
        assert s.first_open_ms == t0
        # History is 500 bar durations; a file with gaps holds fewer bars in them.
        assert s.closed_count(present) == sum(b.t + shift < t0 + 500 * MINUTE_MS for b in d.bars)
    gapless = ReplaySeries(datas[1], shifts[1])
    assert gapless.closed_count(present) == 500
    # The newest bar closed at the last minute boundary: a client computing since = now - 500
    # minutes from its own clock gets exactly the bars it asks for.
    assert gapless.last_closed(present).t + MINUTE_MS == present - present % MINUTE_MS  # type: ignore[union-attr]
    candles = ReplaySeries(datas[1], shifts[1]).candles(
        Period.parse("1m"), present, start_ms=present - 500 * MINUTE_MS, limit=1000
    )
    # 500 closed minutes (the oldest drops out when `since` is mid-minute) plus the forming one.
    assert len(candles) == (500 if present % MINUTE_MS else 501)
    assert candles[-1].t == present - present % MINUTE_MS
    assert candles[-1].volume == 0


def test_plan_timeline_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        plan_timeline([], start=None, history_bars=0, wall_now_ms=0)
    with pytest.raises(ValueError, match="different bar sizes"):
        plan_timeline([data(BINANCE_1M), data(XRP_5M)], start=None, history_bars=0, wall_now_ms=0)
    with pytest.raises(ValueError, match="history_bars=-1"):
        plan_timeline([data(BINANCE_1M)], start=None, history_bars=-1, wall_now_ms=0)
    with pytest.raises(ValueError, match="start='later'"):
        plan_timeline([data(BINANCE_1M)], start="later", history_bars=0, wall_now_ms=0)  # type: ignore[arg-type]
    shifts, present = plan_timeline([data(XRP_5M)], start=None, history_bars=0, wall_now_ms=0)
    assert (shifts, present) == ([0], data(XRP_5M).bars[0].t)
