"""The emulator's control routes over real HTTP: every field validated before anything is applied.

A refused control request answers 400 with a message naming the field, and leaves the emulator as it
was; an accepted one never breaks the venue routes afterwards.
"""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import requests

from torchtrade.emulator.control import ControlError

BTC = "BTCUSDT"
TIMEOUT = 10


def call(emulator, method: str, path: str, body: Any = None, *, raw: bytes | None = None, params=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    return requests.request(
        method, f"{emulator.url}/_emulator/{path}", data=data, params=params, timeout=TIMEOUT
    )


def venue_ok(emulator) -> None:
    """A public and a private venue route still answer normally."""
    assert requests.get(emulator.url + "/api/v2/public/time", timeout=TIMEOUT).status_code == 200
    r = requests.get(
        emulator.url + "/api/v2/mix/market/ticker",
        params={"symbol": BTC, "productType": "USDT-FUTURES"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text


def snapshot(emulator) -> dict[str, Any]:
    c = emulator.control
    return {
        "status": c.status(),
        "orders": c.orders(),
        "positions": c.positions(),
        "balances": c.balances(),
        "faults": c.faults(),
        "ledger": len(c.ledger()),
    }


def refused(emulator, method: str, path: str, body: Any = None, *, raw=None, params=None, field=None):
    before = snapshot(emulator)
    r = call(emulator, method, path, body, raw=raw, params=params)
    assert r.status_code == 400, (r.status_code, r.text)
    message = r.json()["error"]
    if field is not None:
        assert field in message, message
    assert snapshot(emulator) == before
    venue_ok(emulator)
    return message


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "server_error", "route": 123}, "route"),
        ({"kind": "server_error", "route": None}, "route"),
        ({"kind": "server_error", "route": ["*"]}, "route"),
        ({"kind": "server_error", "route": ""}, "route"),
        ({"kind": "server_error", "route": "x" * 1000}, "route"),
        ({"kind": 5}, "kind"),
        ({"kind": "meteor"}, "kind"),
        ({"kind": ["rate_limit"]}, "kind"),
        ({"kind": "server_error", "times": -1}, "times"),
        ({"kind": "server_error", "times": 1.5}, "times"),
        ({"kind": "server_error", "times": True}, "times"),
        ({"kind": "server_error", "times": "2"}, "times"),
        ({"kind": "server_error", "after": -1}, "after"),
        ({"kind": "server_error", "after": None}, "after"),
        ({"kind": "server_error", "after": False}, "after"),
        ({"kind": "server_error", "after": 10**30}, "after"),
        ({"kind": "server_error", "probability": 1.5}, "probability"),
        ({"kind": "server_error", "probability": -0.1}, "probability"),
        ({"kind": "server_error", "probability": "0.5"}, "probability"),
        ({"kind": "server_error", "probability": True}, "probability"),
        ({"kind": "server_error", "status": 404}, "status"),
        ({"kind": "server_error", "status": 503.0}, "status"),
        ({"kind": "server_error", "status": "503"}, "status"),
        ({"kind": "server_error", "status": True}, "status"),
        ({"kind": "timeout", "delay_s": -1}, "delay_s"),
        ({"kind": "timeout", "delay_s": 1e300}, "delay_s"),
        ({"kind": "timeout", "delay_s": "2"}, "delay_s"),
        ({"kind": "rate_limit", "retry_after_s": 1e300}, "retry_after_s"),
        ({"kind": "rate_limit", "retry_after_s": None}, "retry_after_s"),
        ({"kind": "partial_fill", "fill_ratio": 0}, "fill_ratio"),
        ({"kind": "partial_fill", "fill_ratio": 1}, "fill_ratio"),
        ({"kind": "partial_fill", "fill_ratio": "0.5"}, "fill_ratio"),
        ({"kind": "server_error", "id": 7}, "id"),
        ({"kind": "server_error", "fired": 7}, "fired"),
        ({"route": "*"}, "kind"),
    ],
)
def test_a_bad_fault_rule_is_refused_naming_the_field(emulator, body, field):
    refused(emulator, "POST", "faults", body, field=field)


def test_nan_and_infinity_are_refused(emulator):
    for raw in (b'{"kind": "timeout", "delay_s": NaN}', b'{"kind": "timeout", "delay_s": Infinity}'):
        refused(emulator, "POST", "faults", raw=raw)
    refused(emulator, "POST", "reset", raw=b'{"speed": -Infinity}')


def test_a_good_fault_rule_still_works(emulator):
    rule = emulator.control.add_fault("server_error", "time", times=1, status=502)
    assert rule["route"] == "time"
    assert requests.get(emulator.url + "/api/v2/public/time", timeout=TIMEOUT).status_code == 502
    venue_ok(emulator)


# --------------------------------------------------------------------------- reset


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"speed": 1e308, "clock": "realtime"}, "speed"),
        ({"speed": 1e308}, "speed"),
        ({"speed": 0}, "speed"),
        ({"speed": "fast"}, "speed"),
        ({"speed": True}, "speed"),
        ({"start": "2022-13-45"}, "start"),
        ({"start": -(10**15)}, "start"),
        ({"start": 10**20}, "start"),
        ({"start": 1.5e12}, "start"),
        ({"start": True}, "start"),
        ({"start": ["now"]}, "start"),
        ({"history_bars": -1}, "history_bars"),
        ({"history_bars": 1.5}, "history_bars"),
        ({"history_bars": "10"}, "history_bars"),
        ({"history_bars": 10**12}, "history_bars"),
        ({"spread_bps": -1}, "spread_bps"),
        ({"spread_bps": "1e9"}, "spread_bps"),
        ({"spread_bps": None}, "spread_bps"),
        ({"slippage_bps": "abc"}, "slippage_bps"),
        ({"slippage_bps": 10**9}, "slippage_bps"),
        ({"funding_rate": "NaN"}, "funding_rate"),
        ({"funding_rate": 5}, "funding_rate"),
        ({"funding_rate": True}, "funding_rate"),
        ({"default_leverage": 0}, "default_leverage"),
        ({"default_leverage": 126}, "default_leverage"),
        ({"default_leverage": 5.5}, "default_leverage"),
        ({"default_leverage": "5"}, "default_leverage"),
        ({"fault_seed": [1]}, "fault_seed"),
        ({"fault_seed": "seed"}, "fault_seed"),
        ({"fault_seed": 1.5}, "fault_seed"),
        ({"clock": "sundial"}, "clock"),
        ({"clock": 1}, "clock"),
        ({"balances": {"USDT": "-10000"}}, "balances"),
        ({"balances": {"USDT": "1e30"}}, "balances"),
        ({"balances": {"USDT": None}}, "balances"),
        ({"balances": {"USDT": True}}, "balances"),
        ({"balances": {"DOGE": "10"}}, "balances"),
        ({"balances": {"": "10"}}, "balances"),
        ({"balances": ["USDT", "10"]}, "balances"),
        ({"data": "BTC/USDT:USDT=nope.csv"}, "data"),
        ({"data": ["/definitely/not/here.csv"]}, "data"),
        ({"data": [1]}, "data"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_reset_field_is_refused_and_nothing_is_applied(emulator, body, field):
    # Another valid field in the same body must not be applied either: the reset is atomic.
    emulator.control.advance(bars=3)
    emulator.control.add_fault("server_error", "ticker", times=0)
    body = {"balances": {"USDT": "123"}, **body} if "balances" not in body else body
    refused(emulator, "POST", "reset", body, field=field)


def test_a_refused_reset_leaves_the_seeded_faults_alone(emulator):
    emulator.control.reset(fault_seed=5)
    before = emulator.control.status()
    refused(emulator, "POST", "reset", {"fault_seed": 6, "history_bars": -1}, field="history_bars")
    assert emulator.control.status() == before


def test_reset_with_default_leverage_keeps_market_orders_working(emulator, exchange):
    emulator.control.reset(default_leverage=125)  # above ETH's maximum (100): capped per instrument
    venue_ok(emulator)
    order = exchange.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
    assert order["id"]
    assert emulator.control.ledger("internal_error") == []


def test_the_speed_of_a_realtime_reset_is_bounded(emulator):
    emulator.control.reset(clock="realtime", speed=1_000_000)
    try:
        venue_ok(emulator)
        r = call(emulator, "POST", "reset", {"clock": "realtime", "speed": 1_000_001})
        assert r.status_code == 400
        assert "speed" in r.json()["error"]
        assert emulator.control.status()["speed"] == 1_000_000
        venue_ok(emulator)
    finally:
        emulator.control.reset()


# --------------------------------------------------------------------------- advance


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ms": 1e30}, "ms"),
        ({"ms": 10**30}, "ms"),
        ({"ms": -1}, "ms"),
        ({"ms": 60000.0}, "ms"),
        ({"ms": "60000"}, "ms"),
        ({"bars": True}, "bars"),
        ({"bars": 10**18}, "bars"),
        ({"bars": -2}, "bars"),
        ({"to": 10**30}, "to"),
        ({"to": -5}, "to"),
        ({"to": "tomorrow"}, "to"),
        ({"to": None}, "to"),
        ({}, "one of"),
        ({"bars": 1, "ms": 1}, "one of"),
        ({"bars": 1, "minutes": 1}, "minutes"),
    ],
)
def test_a_bad_advance_is_refused(emulator, body, field):
    refused(emulator, "POST", "advance", body, field=field)


def test_advance_far_beyond_the_data_stops_at_a_bounded_horizon(emulator):
    status = emulator.control.status()
    last_close = max(s["last_close"] for s in status["symbols"].values())
    start = time.monotonic()
    answer = emulator.control.advance(to=last_close + 365 * 86_400_000)
    assert time.monotonic() - start < 10
    assert last_close <= answer["now"] <= last_close + 2 * 86_400_000
    assert answer["exhausted"] is True
    # Once there, more time changes nothing; an amount beyond the replay's whole span is refused.
    again = emulator.control.advance(bars=1440)
    assert again["now"] == answer["now"]
    span = answer["now"] - min(s["first_open"] for s in status["symbols"].values())
    refused(emulator, "POST", "advance", {"ms": span + 1}, field="ms")
    venue_ok(emulator)


def test_advance_to_the_past_answers_the_present(emulator):
    now = emulator.control.advance(bars=5)["now"]
    answer = emulator.control.advance(to=now - 120_000)
    assert answer["now"] == now
    assert emulator.control.advance(to=now)["now"] == now


def test_advance_answers_per_symbol_exhaustion(emulator):
    status = emulator.control.status()
    btc_end = status["symbols"][BTC]["last_close"]
    eth_end = status["symbols"]["ETHUSDT"]["last_close"]
    assert btc_end < eth_end  # the bundled BTC day runs out first
    answer = emulator.control.advance(to=btc_end)
    assert answer["now"] == btc_end
    assert answer["symbols"][BTC]["exhausted"] is True
    assert answer["symbols"]["ETHUSDT"]["exhausted"] is False
    assert answer["exhausted"] is False  # top level: every symbol has run out
    status = emulator.control.status()
    assert status["symbols"][BTC]["exhausted"] is True
    assert status["symbols"]["ETHUSDT"]["exhausted"] is False
    assert status["exhausted"] is False
    assert emulator.control.advance(to=eth_end)["exhausted"] is True


def test_a_long_advance_lets_venue_requests_through(emulator_server, monkeypatch):
    """The advance replays in slices and lets the server answer other requests between them."""
    emulator_server.control.reset()
    emu = emulator_server.emulator
    if emu is None:
        pytest.skip("needs the in-process emulator")
    # 200 slices of 5 bars, each made to cost 2 ms of wall time: the advance lasts 0.4 s at least,
    # however fast the machine, and the poller has the whole of it to get an answer in.
    monkeypatch.setattr(emu, "advance_slice_bars", 5)
    replay = emu.engine.advance_to

    def slow_replay(t_ms: int) -> None:
        time.sleep(0.002)
        replay(t_ms)

    monkeypatch.setattr(emu.engine, "advance_to", slow_replay)
    try:
        start = emulator_server.control.status()["now"]
        end = start + 1000 * 60_000
        seen: list[int] = []
        done = threading.Event()

        def poll() -> None:
            with requests.Session() as s:
                while not done.is_set():
                    r = s.get(emulator_server.url + "/api/v2/public/time", timeout=TIMEOUT)
                    seen.append(int(r.json()["data"]["serverTime"]))

        poller = threading.Thread(target=poll)
        poller.start()
        while not seen:
            time.sleep(0.001)
        answer = emulator_server.control.advance(to=end)
        done.set()
        poller.join()
        assert answer["now"] == end
        assert any(start < t < end for t in seen), "no venue request was served during the advance"
    finally:
        emulator_server.control.reset()


def test_the_lock_is_held_for_one_slice_at_a_time(emulator_server, monkeypatch):
    emu = emulator_server.emulator
    if emu is None:
        pytest.skip("needs the in-process emulator")
    emulator_server.control.reset()
    spans: list[tuple[int, int]] = []
    real = emu.engine.advance_to

    def recording(t_ms: int) -> None:
        spans.append((emu.engine.now_ms, t_ms))
        real(t_ms)

    monkeypatch.setattr(emu.engine, "advance_to", recording)
    start = emu.clock.now_ms()
    emu.advance(bars=2000)
    slice_ms = emu.advance_slice_bars * emu.base_ms
    assert len(spans) >= 2000 // emu.advance_slice_bars
    assert all(b - a <= slice_ms for a, b in spans)
    assert emu.clock.now_ms() > start
    emulator_server.control.reset()


# --------------------------------------------------------------------------- accounts


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"api_key": "k2", "api_secret": "s", "balances": {"USDT": "-10000"}}, "balances"),
        ({"api_key": "k2", "api_secret": "s", "balances": {"USDT": "NaN"}}, "balances"),
        ({"api_key": "k2", "api_secret": "s", "balances": {"USDT": 1e300}}, "balances"),
        ({"api_key": "k2", "api_secret": "s", "balances": {"XYZ": "1"}}, "balances"),
        ({"api_key": "k2", "api_secret": "s", "balances": "lots"}, "balances"),
        ({"api_key": "", "api_secret": "s"}, "api_key"),
        ({"api_key": 5, "api_secret": "s"}, "api_key"),
        ({"api_key": "k\u00e9y", "api_secret": "s"}, "api_key"),
        ({"api_key": "k" * 500, "api_secret": "s"}, "api_key"),
        ({"api_key": "k2", "api_secret": ""}, "api_secret"),
        ({"api_key": "k2", "api_secret": ["s"]}, "api_secret"),
        ({"api_key": "k2", "api_secret": "s", "passphrase": 7}, "passphrase"),
        ({"api_key": "k2", "api_secret": "s", "account": ""}, "account"),
        ({"api_key": "k2", "api_secret": "s", "account": "a\nb"}, "account"),
        ({"api_key": "k2", "api_secret": "s", "nickname": "x"}, "nickname"),
        ({"api_secret": "s"}, "api_key"),
        ({"api_key": "emulator-key", "api_secret": "s"}, "api_key"),  # exists already
    ],
)
def test_a_bad_account_is_refused(emulator, body, field):
    refused(emulator, "POST", "accounts", body, field=field)


def test_a_good_account_is_added(emulator):
    out = emulator.control.add_account("k2", "s2", "p2", account="second", balances={"USDT": "50"})
    assert out == {"account": "second"}
    (balance,) = emulator.control.balances("second")
    assert Decimal(balance["wallet"]) == 50


# --------------------------------------------------------------------------- queries and bodies


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("ledger", {"since": "abc"}, "since"),
        ("ledger", {"since": "-1"}, "since"),
        ("ledger", {"since": "1.5"}, "since"),
        ("ledger", {"since": "\u00b2"}, "since"),
        ("ledger", {"since": "9" * 5000}, "since"),
        ("ledger", {"kind": "x" * 500}, "kind"),
        ("ledger", {"colour": "blue"}, "colour"),
        ("orders", {"account": "nobody"}, "account"),
        ("positions", {"account": ""}, "account"),
        ("fills", {"account": "x" * 500}, "account"),
        ("balances", "account=%ED%A0%80", "account"),  # a lone surrogate, UTF-8 encoded
        ("status", {"verbose": "1"}, "verbose"),
    ],
)
def test_a_bad_query_is_a_400_not_a_500(emulator, path, params, field):
    refused(emulator, "GET", path, params=params, field=field)


@pytest.mark.parametrize("path", ["reset", "advance", "faults", "accounts", "settle"])
@pytest.mark.parametrize(
    "raw",
    [b"[]", b"5", b'"text"', b"null", b"{", b"\xff\xfe", b'{"a": 1}' * 2, b"[" * 100_000],
    ids=["list", "number", "string", "null", "truncated", "not-utf8", "two-objects", "deep"],
)
def test_a_body_that_is_not_an_object_is_refused(emulator, path, raw):
    refused(emulator, "POST", path, raw=raw)


def test_control_client_raises_control_error_on_refusal(emulator):
    with pytest.raises(ControlError, match="ms"):
        emulator.control.advance(ms=-1)


def test_an_advance_begun_before_a_reset_does_not_drive_the_new_run(emulator_server):
    emu = emulator_server.emulator
    if emu is None:
        pytest.skip("needs the in-process emulator")
    emulator_server.control.reset()
    target = emu.advance_target(bars=100)
    run_id = emu.run_id
    emulator_server.control.reset()  # another client resets between two slices
    start = emu.clock.now_ms()
    assert emu.advance_step(target, run_id) is True  # the old advance stops here
    assert emu.clock.now_ms() == start
