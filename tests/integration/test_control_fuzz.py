"""Every control route, driven with random and hostile bodies and queries over real HTTP.

Whatever arrives: never a 5xx, never a hang (the client gives up after a bounded time and the test
fails), no state change on a refusal (status, orders, positions, balances, faults and the ledger read
the same before and after a 400), and the venue routes never crash afterwards.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.emulator.faults import FaultKind

TIMEOUT = 10  # a hang fails the test instead of stalling the suite

ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "reset"): (
        "balances",
        "start",
        "history_bars",
        "data",
        "clock",
        "speed",
        "spread_bps",
        "slippage_bps",
        "funding_rate",
        "default_leverage",
        "fault_seed",
    ),
    ("POST", "advance"): ("bars", "ms", "to"),
    ("POST", "faults"): (
        "kind",
        "route",
        "times",
        "after",
        "probability",
        "status",
        "delay_s",
        "retry_after_s",
        "fill_ratio",
    ),
    ("GET", "faults"): (),
    ("DELETE", "faults"): (),
    ("POST", "accounts"): ("api_key", "api_secret", "passphrase", "account", "balances"),
    ("POST", "settle"): (),
    ("GET", "status"): (),
    ("GET", "ledger"): (),
    ("GET", "orders"): (),
    ("GET", "positions"): (),
    ("GET", "fills"): (),
    ("GET", "balances"): (),
}
QUERY_KEYS = ("kind", "since", "account", "x")
REQUIRED = {"faults": ("kind",), "accounts": ("api_key", "api_secret")}

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
numeric_text = st.sampled_from(
    ["1", "0", "-1", "1.5", "1e3", "NaN", "Infinity", "\u00b2", "1_000", "\uff15", "+5", " 5", "10000", ""]
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=3000),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    numeric_text,
)
hostile = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)
BTC_FILE = f"BTC/USDT:USDT={bundled(DEFAULT_DATA['BTC/USDT:USDT'])}"
plausible: dict[str, st.SearchStrategy[Any]] = {
    "clock": st.sampled_from(["manual", "realtime"]),
    "speed": st.sampled_from([1, 60, 600.5, 1e6, 1e7, 1e308, 0, -1]),
    "start": st.sampled_from(["now", "2022-12-13T10:00:00Z", 1_670_900_000_000, 0, 10**17]),
    "history_bars": st.integers(min_value=-2, max_value=5000),
    "data": st.sampled_from([[BTC_FILE], ["nope.csv"], [BTC_FILE, BTC_FILE], []]),
    "balances": st.dictionaries(
        st.sampled_from(["USDT", "BTC", "", "usdt"]), st.sampled_from(["0", "10", "-5", 1e300, 7]), max_size=2
    ),
    "default_leverage": st.integers(min_value=-1, max_value=130),
    "fault_seed": st.integers(min_value=-(2**70), max_value=2**70),
    "spread_bps": st.sampled_from(["0", "1", "2.5", 1e9, -1]),
    "slippage_bps": st.sampled_from(["0", "3", 10**12]),
    "funding_rate": st.sampled_from(["0.0001", "-0.003", "0.5", 1]),
    "bars": st.integers(min_value=-1, max_value=5000) | st.just(10**9),
    "ms": st.integers(min_value=-1, max_value=3 * 10**8) | st.just(10**13),
    "to": st.integers(min_value=1_670_000_000_000, max_value=1_680_000_000_000),
    "kind": st.sampled_from([k.value for k in FaultKind if k is not FaultKind.TIMEOUT] + ["meteor"]),
    "route": st.sampled_from(["*", "time", "ticker", "/api/v2/*", "place_order"]),
    "times": st.integers(min_value=-1, max_value=5) | st.none(),
    "after": st.integers(min_value=-1, max_value=5),
    "probability": st.floats(min_value=-0.5, max_value=1.5),
    "status": st.integers(min_value=400, max_value=600),
    "delay_s": st.floats(min_value=-1, max_value=100),
    "retry_after_s": st.floats(min_value=-1, max_value=1e6),
    "fill_ratio": st.floats(min_value=-0.5, max_value=1.5),
    "api_key": st.sampled_from(["fuzz-key", "emulator-key", "", "k\u00e9y"]),
    "api_secret": st.sampled_from(["fuzz-secret", ""]),
    "passphrase": st.sampled_from(["fuzz-pass", None]),
    "account": st.sampled_from(["fuzz", "main", ""]),
}


@st.composite
def requests_(draw: st.DrawFn) -> tuple[str, str, bytes | None, str]:
    """A request to a control route: mostly plausible fields (so that many are accepted and change
    state), else hostile values and unknown fields, else raw bytes."""
    method, path = draw(st.sampled_from(sorted(ROUTES)))
    fields = ROUTES[(method, path)]
    mode = draw(st.sampled_from(["plausible", "plausible", "hostile", "raw"]))
    if mode == "raw":
        raw: bytes | None = draw(st.binary(max_size=40))
        pairs = []
    elif mode == "plausible":
        keys = draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)) if fields else []
        keys = [*REQUIRED.get(path, ()), *(k for k in keys if k not in REQUIRED.get(path, ()))]
        body = {k: draw(plausible[k]) for k in keys}
        raw = json.dumps(body).encode() if body else None
        query = st.tuples(
            st.sampled_from(["since", "account", "kind"]),
            st.sampled_from(["0", "3", "main", "fill", "order", "fuzz"]),
        )
        pairs = draw(st.lists(query, max_size=1))
    else:
        keys = draw(st.lists(st.sampled_from(fields) | any_text, max_size=4, unique=True)) if fields else []
        body = {k: draw(plausible[k] if k in plausible and draw(st.booleans()) else hostile) for k in keys}
        raw = json.dumps(body).encode() if body or draw(st.booleans()) else None
        pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), any_text | numeric_text), max_size=2))
    # Percent-encode ourselves, so that even a lone surrogate reaches the server (as invalid UTF-8).
    query_text = "&".join(f"{k}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs)
    return method, path, raw, query_text


def snapshot(session: requests.Session, url: str) -> dict[str, Any]:
    out = {}
    for path in ("status", "orders", "positions", "balances", "faults", "ledger"):
        r = session.get(f"{url}/_emulator/{path}", timeout=TIMEOUT)
        assert r.status_code == 200, (path, r.text)
        out[path] = r.json()
    return out


def venue_still_works(session: requests.Session, url: str) -> None:
    """Venue routes answer (a fault rule just added may fail them on purpose), but never crash."""
    for path, params in (
        ("/api/v2/public/time", {}),
        ("/api/v2/mix/market/ticker", {"symbol": "BTCUSDT", "productType": "USDT-FUTURES"}),
    ):
        with contextlib.suppress(requests.RequestException):  # a connection_reset rule doing its job
            session.get(url + path, params=params, timeout=0.5)
    crashes = session.get(f"{url}/_emulator/ledger", params={"kind": "internal_error"}, timeout=TIMEOUT)
    assert crashes.json() == []


@pytest.fixture
def session() -> Any:
    with requests.Session() as s:
        yield s


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests_())
def test_control_routes_survive_anything(emulator_server, session, request):
    url = emulator_server.url
    assert session.post(f"{url}/_emulator/reset", timeout=TIMEOUT).status_code == 200
    method, path, raw, query = request
    before = snapshot(session, url)
    target = f"{url}/_emulator/{path}" + (f"?{query}" if query else "")
    r = session.request(method, target, data=raw, timeout=TIMEOUT)
    assert r.status_code < 500, (method, path, raw, query, r.status_code, r.text)
    assert r.status_code in (200, 400), (r.status_code, r.text)
    body = r.json()
    if r.status_code == 400:
        assert isinstance(body["error"], str)
        assert body["error"]
        assert snapshot(session, url) == before, (method, path, raw, query)
    venue_still_works(session, url)
