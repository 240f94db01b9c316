"""Env clocks: one control round trip per step, shared emulators, exhaustion, and only our errors.

The HTTP cases talk to the emulator of the session (the ``emulator`` fixture) or to a local server
that answers 503 or nothing at all: real sockets, no mocks.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from torchtrade.emulator.control import ControlClient, ControlError, ControlUnavailable
from torchtrade.emulator.process import free_port
from torchtrade.envs.core.clock import EmulatorClock, VenueClock, emulator_exhaustion_probe
from torchtrade.errors import TorchTradeError, TransientVenueError, VenueError

BTC, ETH = "BTCUSDT", "ETHUSDT"
MIN = 60_000


class CountingClient(ControlClient):
    """A real ControlClient that counts its round trips."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, timeout=5)
        self.calls: list[str] = []

    def _call(self, method: str, path: str, body: dict | None = None, params: Any = None) -> Any:
        self.calls.append(path)
        return super()._call(method, path, body, params)


@pytest.fixture
def client(emulator) -> Iterator[CountingClient]:
    c = CountingClient(emulator.url)
    yield c
    c.close()


@pytest.fixture
def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture
def gateway_503() -> Iterator[str]:
    """A server that answers every request with a load balancer's 503 page."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            self.send_response(503)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- EmulatorClock over HTTP


def test_one_control_round_trip_per_step(client):
    clock = EmulatorClock(client, BTC)
    t = clock.now_ms()  # first use: one status read
    assert client.calls == ["/status"]
    for _ in range(5):
        t += MIN
        clock.wait_until(t)
        assert clock.now_ms() == t
        assert clock.exhausted is False
    assert client.calls == ["/status"] + ["/advance"] * 5


def test_waiting_for_an_instant_already_past_is_a_cheap_no_op(emulator, client):
    ahead = EmulatorClock(ControlClient(emulator.url), BTC)
    behind = EmulatorClock(client, BTC)
    start = behind.now_ms()
    ahead.wait_until(start + 10 * MIN)  # another env drives the shared emulator further
    behind.wait_until(start + MIN)  # already past on the emulator: no error, no move
    assert behind.now_ms() == start + 10 * MIN  # the answer says where the emulator is
    assert emulator.control.status()["now"] == start + 10 * MIN
    assert client.calls == ["/status", "/advance"]


def test_exhaustion_is_that_of_the_bound_market(emulator, client):
    symbols = emulator.control.status()["symbols"]
    btc = EmulatorClock(client)
    btc.bind(BTC)
    eth = EmulatorClock(ControlClient(emulator.url), ETH)
    btc.wait_until(symbols[BTC]["last_close"])
    assert btc.exhausted is True
    eth.wait_until(symbols[BTC]["last_close"])  # the same instant: ETH still has data
    assert eth.exhausted is False
    anyone = EmulatorClock(ControlClient(emulator.url))  # unbound: every market
    assert anyone.exhausted is False
    anyone.wait_until(symbols[ETH]["last_close"])
    assert anyone.exhausted is True
    assert btc.exhausted is True  # the cached answer of btc's last advance


def test_refresh_reads_the_status_again(emulator, client):
    clock = EmulatorClock(client, BTC)
    start = clock.now_ms()
    emulator.control.advance(bars=3)
    assert clock.now_ms() == start  # the last answer, until asked to refresh
    clock.refresh()
    assert clock.now_ms() == start + 3 * MIN
    assert client.calls == ["/status", "/status"]


def test_in_process_clock_has_the_same_semantics(emulator_server):
    emulator_server.control.reset()
    emu = emulator_server.emulator
    if emu is None:
        pytest.skip("needs the in-process emulator")
    a, b = EmulatorClock(emu, BTC), EmulatorClock(emu, BTC)
    start = a.now_ms()
    a.wait_until(start + 5 * MIN)
    b.wait_until(start + MIN)  # in the past: a no-op
    assert b.now_ms() == start + 5 * MIN
    assert b.exhausted is False
    b.wait_until(emu.series[BTC].last_close_ms)
    assert a.exhausted is True
    emulator_server.control.reset()


def test_an_unreachable_emulator_raises_a_transient_venue_error(dead_url):
    clock = EmulatorClock(ControlClient(dead_url, timeout=2), BTC)
    for action in (clock.now_ms, lambda: clock.wait_until(1), lambda: clock.exhausted, clock.refresh):
        with pytest.raises(TransientVenueError, match=r"127\.0\.0\.1"):
            action()


def test_a_5xx_answer_raises_a_transient_venue_error(gateway_503):
    clock = EmulatorClock(ControlClient(gateway_503, timeout=2), BTC)
    with pytest.raises(TransientVenueError, match="503"):
        clock.wait_until(1_670_919_660_000)


def test_a_refused_control_call_raises_a_venue_error(client):
    clock = EmulatorClock(client, BTC)
    with pytest.raises(VenueError) as info:
        clock.wait_until(10**30)  # the emulator refuses such an instant (400)
    assert not isinstance(info.value, TransientVenueError)


def test_nothing_but_torchtrade_errors_escape_the_clock():
    class Broken:
        def status(self) -> dict:
            raise KeyError("now")

        def advance(self, **kw: Any) -> dict:
            return {"surprise": True}  # an answer without "now"

    clock = EmulatorClock(Broken(), BTC)
    with pytest.raises(TorchTradeError):
        clock.now_ms()
    with pytest.raises(TorchTradeError):
        clock.wait_until(5)


# --------------------------------------------------------------------------- ControlClient


def test_control_client_errors(dead_url, gateway_503, emulator):
    with pytest.raises(ControlUnavailable, match="cannot reach"):
        ControlClient(dead_url, timeout=2).status()
    with pytest.raises(ControlUnavailable, match="503"):
        ControlClient(gateway_503, timeout=2).status()
    with pytest.raises(ControlError, match="bars"):
        ControlClient(emulator.url).advance(bars=-1)
    # The venue's own 404 page is not a control answer.
    with pytest.raises(ControlError, match="404"):
        ControlClient(emulator.url)._call("GET", "/no-such-route")


# --------------------------------------------------------------------------- VenueClock


class FakeVenue:
    """A venue clock running at 1x, and a wall clock, both moved only by the fake sleep."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.fetches = 0

    def fetch_time(self) -> int:
        self.fetches += 1
        return 1_670_919_600_000 + int((self.wall - 100.0) * 1000)

    def sleep(self, s: float) -> None:
        self.wall += s


def venue_clock(venue: FakeVenue, **kw: Any) -> VenueClock:
    return VenueClock(venue.fetch_time, sleep=venue.sleep, wall=lambda: venue.wall, **kw)


def test_a_real_venue_is_never_exhausted():
    venue = FakeVenue()
    clock = venue_clock(venue)
    assert clock.rate == 1.0
    assert clock.exhausted is False


def test_the_exhaustion_probe_is_asked_only_when_the_env_asks():
    venue = FakeVenue()
    answers = iter([False, True])
    asked: list[int] = []

    def probe() -> bool:
        asked.append(1)
        return next(answers)

    clock = venue_clock(venue, exhausted_probe=probe)
    clock.wait_until(clock.now_ms() + MIN)
    clock.now_ms()
    assert asked == []  # no request on a normal step
    assert clock.exhausted is False
    assert clock.exhausted is True
    assert len(asked) == 2


def test_a_failing_probe_raises_only_torchtrade_errors():
    def probe() -> bool:
        raise OSError("socket trouble")

    clock = venue_clock(FakeVenue(), exhausted_probe=probe)
    with pytest.raises(TransientVenueError):
        clock.exhausted  # noqa: B018


def test_the_emulator_probe_reads_the_status_of_one_market(emulator):
    symbols = emulator.control.status()["symbols"]
    btc = emulator_exhaustion_probe(emulator.url, BTC)
    eth = emulator_exhaustion_probe(emulator.url, ETH)
    assert btc() is False
    assert eth() is False
    emulator.control.advance(to=symbols[BTC]["last_close"])
    assert btc() is True
    assert eth() is False
    clock = venue_clock(FakeVenue(), exhausted_probe=btc)
    assert clock.exhausted is True


def test_the_probe_learns_the_market_from_the_env(emulator):
    probe = emulator_exhaustion_probe(emulator.url)
    clock = venue_clock(FakeVenue(), exhausted_probe=probe)
    clock.bind(BTC)  # what the env does once it knows its market
    emulator.control.advance(to=emulator.control.status()["symbols"][BTC]["last_close"])
    assert clock.exhausted is True


def test_the_emulator_probe_over_a_dead_link(dead_url):
    with pytest.raises(TransientVenueError):
        emulator_exhaustion_probe(dead_url, BTC, timeout=2)()
