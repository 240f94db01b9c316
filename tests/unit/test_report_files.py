"""The run file, the PNG and the HTML page of a record built by hand (no env), and ``torchtrade report``."""

from __future__ import annotations

import base64
import re
import sqlite3

import pandas as pd
import pytest

from torchtrade.cli import main
from torchtrade.reports import SCHEMA, RunRecord, load_record, save_record, write_report
from torchtrade.reports.record import FILL_COLUMNS, STEP_COLUMNS, frame

T0 = 1_670_918_400_000  # 2022-12-13T08:00:00Z
MIN = 60_000
PNG = b"\x89PNG\r\n\x1a\n"
BTC = "BTC/USDT:USDT"


def step(i: int, price: float, value: float, side: str | None = None, **kw) -> dict:
    row = {
        "time": T0 + i * MIN,
        "episode": 1,
        "step": i,
        "price": price,
        "side": side,
        "position": {"long": 0.1, "short": -0.1}.get(side or "", 0.0),
        "entry_price": kw.pop("entry", float("nan")),
        "unrealized_pnl": 0.0,
        "portfolio_value": value,
        "reward": float("nan") if i == 0 else 0.0,
        "fees": 0.0,
        "funding": 0.0,
        "fills": 0,
        "orders": 0,
        "rejections": 0,
        "stop_loss": float("nan"),
        "take_profit": float("nan"),
    }
    row.update(kw)
    return row


def fill(i: int, fid: str, kind: str, side: str, price: float, fee: float, pnl: float, action: str) -> dict:
    return {
        "time": T0 + i * MIN,
        "id": fid,
        "episode": 1,
        "step": i,
        "order_id": f"o{fid}",
        "client_oid": f"c{fid}" if action in ("open_long", "close") else "",
        "action": action,
        "kind": kind,
        "side": side,
        "price": price,
        "amount": 0.1,
        "fee": fee,
        "realized_pnl": pnl,
        "maker": False,
    }


@pytest.fixture
def record() -> RunRecord:
    """Long at 100 with SL 99 / TP 102; the take-profit fills at 102; a second long closed at 101."""
    steps = [
        step(0, 100.0, 1000.0),
        step(1, 100.0, 999.9, "long", entry=100.0, stop_loss=99.0, take_profit=102.0, fees=0.1, fills=1),
        step(2, 101.0, 1000.0, "long", entry=100.0, stop_loss=99.0, take_profit=102.0),
        step(3, 101.5, 1000.0, None, fees=0.1, fills=1),
        step(4, 101.0, 999.9, "long", entry=101.0, stop_loss=100.0, take_profit=103.0, fees=0.1, fills=1),
        step(5, 100.5, 999.7, None, fees=0.1, fills=1),
    ]
    fills = [
        fill(1, "1", "entry", "buy", 100.0, 0.1, 0.0, "open_long"),
        fill(3, "2", "exit", "sell", 102.0, 0.1, 0.2, "take_profit"),
        fill(4, "3", "entry", "buy", 101.0, 0.1, 0.0, "open_long"),
        fill(5, "4", "exit", "sell", 100.5, 0.1, -0.05, "close"),
    ]
    meta = {"symbol": BTC, "venue": "bitget", "execute_on": "1min", "bar_ms": MIN, "currency": "USDT"}
    return RunRecord(frame(steps, STEP_COLUMNS), frame(fills, FILL_COLUMNS), meta)


def test_the_record_metrics_by_hand(record):
    m = record.metrics()
    assert (m.initial_value, m.portfolio_value, m.steps) == (1000.0, 999.7, 5)
    assert m.total_return == pytest.approx(-0.0003)
    assert m.max_drawdown == pytest.approx(1 - 999.7 / 1000.0)
    assert (m.trades, m.fills) == (2, 4)
    assert m.win_rate == 0.5  # +0.2 - 0.1 fee wins, -0.05 - 0.1 loses
    assert m.fees == pytest.approx(0.4)
    assert m.buy_and_hold_return == pytest.approx(0.005)
    assert list(record.buy_and_hold()) == pytest.approx([1000, 1000, 1010, 1015, 1010, 1005])


def test_a_run_file_round_trips_and_follows_the_schema(record, tmp_path):
    path = save_record(record, tmp_path / "run.sqlite")
    back = load_record(path)
    pd.testing.assert_frame_equal(back.steps, record.steps)
    pd.testing.assert_frame_equal(back.fills, record.fills)
    assert back.meta["format"] == "torchtrade-run/1"
    assert back.meta["bar_ms"] == MIN
    assert back.metrics() == record.metrics()


def test_a_run_file_written_by_another_writer_with_the_schema(tmp_path):
    """What the journal will do: create the tables from SCHEMA and insert its own rows, some columns
    left to their defaults or NULL, an extra column and table of its own."""
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.execute("ALTER TABLE steps ADD COLUMN latency_ms REAL")
        db.execute("CREATE TABLE orders (client_oid TEXT)")
        db.execute("INSERT INTO run VALUES ('bar_ms', '60000'), ('symbol', '\"ETH/USDT:USDT\"')")
        for i, value in enumerate([500.0, 505.0, 495.0]):
            db.execute(
                "INSERT INTO steps (time_ms, episode, step, price, portfolio_value) VALUES (?, 1, ?, ?, ?)",
                (T0 + i * MIN, i, 2000.0 + i, value),
            )
    back = load_record(path)
    assert list(back.steps["portfolio_value"]) == [500.0, 505.0, 495.0]
    assert back.steps["fees"].eq(0).all()
    assert back.steps["stop_loss"].isna().all()
    assert back.fills.empty
    assert back.currency == "USDT"
    assert back.metrics().total_return == pytest.approx(-0.01)
    png, html = write_report(back, tmp_path / "out", stem="journal")
    assert png.read_bytes()[:8] == PNG
    assert "No fills." in html.read_text()


def test_the_html_page_holds_the_metrics_and_the_png_itself(record, tmp_path):
    png, html = write_report(record, tmp_path, stem="run")
    page = html.read_text()
    table = re.search(r'<table class="metrics" id="metrics">(.*?)</table>', page, re.S).group(1)
    for label, text in (("final value", "999.70 USDT"), ("return", "-0.030 %"), ("win rate", "50.0 %")):
        assert re.search(rf"<td>{re.escape(label)}</td><td class='num'>{re.escape(text)}</td>", table)
    embedded = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(embedded) == png.read_bytes()
    assert "take_profit" in page
    assert "2022-12-13 08:03:00" in page
    assert not re.search(r'(src|href)="(?!data:)', page), "nothing fetched: the page is self-contained"


def test_report_command_writes_both_files_next_to_the_run_file(record, tmp_path, capsys):
    path = save_record(record, tmp_path / "myrun.sqlite")
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "myrun.png").read_bytes()[:8] == PNG
    assert (tmp_path / "myrun.html").exists()
    assert "final value      999.70 USDT" in out
    assert "return           -0.030 %" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"not a database at all, just some text " * 10, "not a torchtrade run file"),
        ("empty-sqlite", "no table run, steps, fills"),
    ],
)
def test_report_of_a_bad_file_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "run.sqlite"
    if content == "empty-sqlite":
        sqlite3.connect(path).execute("CREATE TABLE x (y)").connection.close()
    elif content is not None:
        path.write_bytes(content)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("torchtrade: error:")
    assert message in err
    assert "\n" not in err
