"""Control routes under ``/_emulator/``: reset, move the clock, read the ledger, script faults.

These are the emulator's own API (not any venue's). Tests use them to set a scene and to assert what
really happened on the venue ("one order with this client id"). :class:`ControlClient` wraps them
for Python callers, such as an env whose clock drives a standalone ``torchtrade emulator serve``.

=========================  ====================================================================
``GET  /_emulator/status``   clock, symbols, data range, accounts; ``exhausted`` per symbol and at
                             the top (every symbol's data has run out)
``POST /_emulator/reset``    ``{"balances": {"USDT": "5000"}, "start": "now", "history_bars": 300,
                             "data": ["BTC/USDT:USDT=file.csv"], "clock": "manual", "speed": 60,
                             "spread_bps": 1, "slippage_bps": 0, "funding_rate": "0.0001",
                             "default_leverage": 20, "fault_seed": 7, "weight_limit": 2400,
                             "weight_window_ms": 60000}`` (every field optional)
``POST /_emulator/advance``  ``{"bars": 1}`` | ``{"ms": 60000}`` | ``{"to": 1670889600000}``; answers
                             ``{"now", "exhausted", "symbols": {id: {"exhausted", "closed_bars"}}}``
``GET  /_emulator/ledger``   ``?kind=fill&kind=order&account=main&since=<seq>``
``GET  /_emulator/orders``   every order and trigger order of ``?account=`` (default ``main``)
``GET  /_emulator/positions``, ``/fills``, ``/balances``   the same for positions, fills, balances
``GET/POST/DELETE /_emulator/faults``   list, add (a :class:`~.faults.FaultRule` as JSON), clear
``POST /_emulator/settle``   return once requests held by a ``timeout`` fault have executed
``POST /_emulator/accounts`` ``{"api_key", "api_secret", "passphrase", "account", "balances"}``
=========================  ====================================================================

Every route checks every field of its body and query before it applies anything, and answers a
refusal with HTTP 400 and ``{"error": "<field>=<value>: <why>"}``; a refused request changes
nothing. Bodies are JSON objects; numbers are exact (a float where an int is needed, NaN, Infinity,
a bool for a number are refused). The bounds are those of :class:`~.runtime.EmulatorConfig`,
:class:`~.faults.FaultRule` and :meth:`~.runtime.Emulator.advance_target`:

* ``reset``: atomic. The new run is built in full (data loaded, engine and accounts created), then
  swapped in; a bad field leaves the current run untouched.
* ``advance``: ``bars``/``ms`` ints >= 0 up to the replay's whole span, ``to`` an epoch-ms int up to
  2100. A ``to`` at or before the present answers the present (several clients may share one
  emulator: the one behind catches up for free); anything past the horizon (the end of the data plus a
  day) stops there. The replay runs in slices of a day of bars, and the emulator is released between
  slices, so venue requests are served during a long advance.
* ``accounts``: keys, secrets, passphrases and account names are 1-256 printable ASCII characters;
  balances as in ``reset`` (finite, >= 0, at most 1e12, in a coin a replayed market settles in).
* query parameters: only the documented ones; ``since`` ASCII digits, ``kind`` a ledger kind name,
  ``account`` an existing account for the account views.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .checks import ascii_text, decimal
from .engine import EngineError, PriceModel
from .engine.ledger import _plain
from .faults import FaultRule
from .http import JSONResponse
from .runtime import MAX_BPS, MAX_DATA_FILES, MAX_FUNDING_RATE, DataSpec
from .venues.base import Credentials

if TYPE_CHECKING:
    from .runtime import Emulator

PREFIX = "/_emulator"

RESET_FIELDS = frozenset(
    {
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
        "weight_limit",
        "weight_window_ms",
    }
)
ADVANCE_FIELDS = frozenset({"bars", "ms", "to"})
FAULT_FIELDS = frozenset(f.name for f in dataclasses.fields(FaultRule)) - {"id", "seen", "fired"}
ACCOUNT_FIELDS = frozenset({"api_key", "api_secret", "passphrase", "account", "balances"})
_KIND_RE = re.compile(r"[a-z_]{1,32}")
_SINCE_RE = re.compile(r"[0-9]{1,18}")
MAX_TEXT = 256
MAX_ACCOUNT = 64
MAX_PATH = 4096


class ControlError(ValueError):
    """A control request that cannot be honoured (answered with HTTP 400, or any 4xx seen by the client)."""


class ControlUnavailable(ConnectionError):
    """The emulator could not be reached, did not answer in time, or answered 5xx or garbage."""


def plain(obj: Any) -> Any:
    """Engine objects as JSON-ready values (Decimals as strings, enums as their values)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    return _plain(obj)


# --------------------------------------------------------------------------- parsing requests


def _not_a_number(name: str) -> Any:
    raise ControlError(f"{name} is not a number")


def parse_body(raw: bytes, allowed: frozenset[str]) -> dict[str, Any]:
    """A JSON object body with only ``allowed`` fields (empty body: ``{}``); floats read as Decimals."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_not_a_number)
    except ControlError:
        raise
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, a 5,000-digit int
        raise ControlError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        names = ", ".join(ascii(k) for k in sorted(unknown))
        raise ControlError(f"unknown fields: {names} (known: {', '.join(sorted(allowed)) or 'none'})")
    return body


def parse_query(request: Request, allowed: frozenset[str]) -> dict[str, list[str]]:
    """The query parameters, only ``allowed`` ones, each value a list (``kind`` may repeat)."""
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key not in allowed:
            raise ControlError(f"unknown query parameter {ascii(key)[:60]}")
        out.setdefault(key, []).append(value)
    for key, values in out.items():
        if key != "kind" and len(values) > 1:
            raise ControlError(f"query parameter {key} is given {len(values)} times")
    return out


def _since(query: dict[str, list[str]]) -> int:
    (value,) = query.get("since", ["0"])
    if not _SINCE_RE.fullmatch(value):
        raise ControlError(f"since={ascii(value)[:40]}: must be a ledger sequence number (ASCII digits)")
    return int(value)


def _kinds(query: dict[str, list[str]]) -> list[str] | None:
    kinds = query.get("kind")
    for kind in kinds or ():
        if not _KIND_RE.fullmatch(kind):
            raise ControlError(f"kind={ascii(kind)[:40]}: must be a ledger kind such as fill or order")
    return kinds or None


def _account(query: dict[str, list[str]], default: str | None = "main") -> str | None:
    values = query.get("account")
    if not values:
        return default
    return ascii_text("account", values[0], max_len=MAX_ACCOUNT)


def reset_overrides(body: dict[str, Any], emulator: Emulator) -> dict[str, Any]:
    """Translate a reset body into :class:`~.runtime.EmulatorConfig` field overrides.

    The types are checked here where the config could not tell a JSON value from a Python one
    (``data`` paths, the engine's Decimals); every range is checked by the config itself.
    """
    plain_fields = (
        "balances",
        "start",
        "clock",
        "speed",
        "history_bars",
        "fault_seed",
        "weight_limit",
        "weight_window_ms",
    )
    out: dict[str, Any] = {k: body[k] for k in plain_fields if k in body}
    if "data" in body:
        data = body["data"]
        if (
            not isinstance(data, list)
            or not 0 < len(data) <= MAX_DATA_FILES
            or not all(isinstance(x, str) and 0 < len(x) <= MAX_PATH for x in data)
        ):
            raise ControlError(f'data must be a list of 1 to {MAX_DATA_FILES} "[SYMBOL=]FILE" strings')
        out["data"] = tuple(DataSpec.parse(x) for x in data)
    # Engine knobs start from the initial configuration, as every other field does.
    eng = emulator.initial_config.engine
    if {"spread_bps", "slippage_bps"} & set(body):
        pm = eng.price_model
        spread = body.get("spread_bps", pm.spread_bps)
        slippage = body.get("slippage_bps", pm.slippage_bps)
        pm = PriceModel(
            spread_bps=decimal("spread_bps", spread, lo=Decimal(0), hi=MAX_BPS),
            slippage_bps=decimal("slippage_bps", slippage, lo=Decimal(0), hi=MAX_BPS),
        )
        eng = dataclasses.replace(eng, price_model=pm)
    if "funding_rate" in body:
        rate = decimal("funding_rate", body["funding_rate"], lo=-MAX_FUNDING_RATE, hi=MAX_FUNDING_RATE)
        eng = dataclasses.replace(eng, funding_rate=rate)
    if "default_leverage" in body:
        eng = dataclasses.replace(eng, default_leverage=body["default_leverage"])
    if eng is not emulator.initial_config.engine:
        out["engine"] = eng
    return out


def _credentials(body: dict[str, Any]) -> Credentials:
    for name in ("api_key", "api_secret"):
        if name not in body:
            raise ControlError(f"{name}: missing")
    api_key = ascii_text("api_key", body["api_key"], max_len=MAX_TEXT)
    passphrase = body.get("passphrase")
    return Credentials(
        api_key=api_key,
        api_secret=ascii_text("api_secret", body["api_secret"], max_len=MAX_TEXT),
        passphrase=None if passphrase is None else ascii_text("passphrase", passphrase, max_len=MAX_TEXT),
        account=ascii_text("account", body.get("account", api_key), max_len=MAX_ACCOUNT),
    )


# --------------------------------------------------------------------------- routes

Query = dict[str, list[str]]
Body = dict[str, Any]


def _refusal(e: Exception) -> Response:
    # backslashreplace: a lone surrogate that slipped into a message must not break the answer.
    message = str(e).encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse({"error": message}, status_code=400)


async def _catch_up(emulator: Emulator) -> None:
    """Replay up to the clock's present in slices (a realtime clock may be far ahead), yielding between."""
    while not emulator.advance_step(emulator.clock.now_ms()):
        await asyncio.sleep(0)


def control_routes(emulator: Emulator) -> list[Route]:
    def route(
        path: str,
        method: str,
        fn: Callable[[Query, Body], Any] | Callable[[Query, Body], Awaitable[Any]],
        *,
        body: frozenset[str] = frozenset(),
        query: frozenset[str] = frozenset(),
    ) -> Route:
        is_async = asyncio.iscoroutinefunction(fn)

        async def endpoint(request: Request) -> Response:
            try:
                q = parse_query(request, query)
                b = parse_body(await request.body(), body)
                await _catch_up(emulator)
                if is_async:
                    result = await fn(q, b)  # type: ignore[misc]
                else:
                    with emulator.lock:
                        result = fn(q, b)
            except (ValueError, TypeError, EngineError) as e:  # ControlError and FieldError included
                return _refusal(e)
            return JSONResponse(plain(result))

        return Route(PREFIX + path, endpoint, methods=[method], name=f"control.{method.lower()}{path}")

    def status(q: Query, b: Body) -> Any:
        return emulator.status()

    def reset(q: Query, b: Body) -> Any:
        emulator.reset(**reset_overrides(b, emulator))
        return emulator.status()

    async def advance(q: Query, b: Body) -> Any:
        if len(b) != 1:
            raise ControlError('advance takes exactly one of "bars", "ms", "to"')
        ((key, value),) = b.items()
        with emulator.lock:
            target = emulator.advance_target(**{"to_ms" if key == "to" else key: value})
            run_id = emulator.run_id
        while not emulator.advance_step(target, run_id):
            await asyncio.sleep(0)  # let venue requests in between two slices
        return emulator.clock_report()

    def ledger(q: Query, b: Body) -> Any:
        return emulator.ledger.events(_kinds(q), account=_account(q, None), since_seq=_since(q))

    def orders(q: Query, b: Body) -> Any:
        if emulator.engine.is_spot_account(_account(q)):  # type: ignore[arg-type]
            spot = emulator.engine.spot_account(_account(q))  # type: ignore[arg-type]
            return {"orders": list(spot.orders.values()), "triggers": []}
        acct = emulator.engine.account(_account(q))  # type: ignore[arg-type]
        return {"orders": list(acct.orders.values()), "triggers": list(acct.triggers.values())}

    def positions(q: Query, b: Body) -> Any:
        if emulator.engine.is_spot_account(_account(q)):  # type: ignore[arg-type]
            return emulator.engine.spot_positions(_account(q))  # type: ignore[arg-type]
        views = emulator.engine.positions(_account(q))  # type: ignore[arg-type]
        return [
            dict(
                plain(v.position),
                mark=v.mark,
                upnl=v.upnl,
                margin=v.margin,
                liq_price=v.liq_price,
                take_profit=v.take_profit,
                stop_loss=v.stop_loss,
            )
            for v in views
        ]

    def fills(q: Query, b: Body) -> Any:
        if emulator.engine.is_spot_account(_account(q)):  # type: ignore[arg-type]
            return emulator.engine.spot_account(_account(q)).fills  # type: ignore[arg-type]
        return emulator.engine.account(_account(q)).fills  # type: ignore[arg-type]

    def balances(q: Query, b: Body) -> Any:
        if emulator.engine.is_spot_account(_account(q)):  # type: ignore[arg-type]
            return [emulator.engine.spot_balance(_account(q))]  # type: ignore[arg-type]
        acct = emulator.engine.account(_account(q))  # type: ignore[arg-type]
        return [emulator.engine.balance(acct.id, coin) for coin in acct.wallet]

    def list_faults(q: Query, b: Body) -> Any:
        return [r.as_dict() for r in emulator.faults.rules()]

    def add_fault(q: Query, b: Body) -> Any:
        if "kind" not in b:
            raise ControlError('kind: missing (a fault needs a "kind")')
        return emulator.faults.add(FaultRule(**b)).as_dict()

    def clear_faults(q: Query, b: Body) -> Any:
        emulator.faults.clear()
        return []

    def accounts(q: Query, b: Body) -> Any:
        creds = _credentials(b)
        emulator.add_account(creds, b.get("balances"))
        return {"account": creds.account}

    async def settle(q: Query, b: Body) -> Any:
        """Wait until no request is held by a ``timeout`` fault (they execute once released)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while emulator.held_requests and loop.time() < deadline:
            await asyncio.sleep(0.002)
        return {"held": emulator.held_requests}

    account = frozenset({"account"})
    return [
        route("/status", "GET", status),
        route("/reset", "POST", reset, body=RESET_FIELDS),
        route("/advance", "POST", advance, body=ADVANCE_FIELDS),
        route("/ledger", "GET", ledger, query=frozenset({"kind", "account", "since"})),
        route("/orders", "GET", orders, query=account),
        route("/positions", "GET", positions, query=account),
        route("/fills", "GET", fills, query=account),
        route("/balances", "GET", balances, query=account),
        route("/faults", "GET", list_faults),
        route("/faults", "POST", add_fault, body=FAULT_FIELDS),
        route("/faults", "DELETE", clear_faults),
        route("/accounts", "POST", accounts, body=ACCOUNT_FIELDS),
        route("/settle", "POST", settle),
    ]


# --------------------------------------------------------------------------- client


class ControlClient:
    """Python access to a (possibly remote) emulator's control routes.

    Args:
        base_url: the emulator's base URL, e.g. ``http://127.0.0.1:8765``.
        timeout: per-request timeout in seconds.

    Every method raises :class:`ControlError` when the emulator refuses the request (a 4xx, with the
    emulator's message), and :class:`ControlUnavailable` when it cannot be reached, does not answer
    within ``timeout``, or answers a 5xx or something that is not JSON. Nothing else escapes.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"ControlClient({self.base_url!r})"

    def _call(self, method: str, path: str, body: dict | None = None, params: Any = None) -> Any:
        where = f"{method} {PREFIX}{path} on the emulator at {self.base_url}"
        try:
            resp = self._session.request(
                method, f"{self.base_url}{PREFIX}{path}", json=body, params=params, timeout=self.timeout
            )
        except requests.Timeout:
            raise ControlUnavailable(f"{where}: no answer within {self.timeout:g} s") from None
        except requests.RequestException as e:
            raise ControlUnavailable(f"{where}: cannot reach it ({type(e).__name__})") from None
        if resp.status_code >= 500:
            raise ControlUnavailable(f"{where}: HTTP {resp.status_code} {resp.reason or ''}".rstrip())
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code != 200:
            error = data.get("error") if isinstance(data, dict) else None
            raise ControlError(f"{where}: HTTP {resp.status_code}: {error or resp.text[:200]}")
        if data is None:
            raise ControlUnavailable(f"{where}: the answer is not JSON: is it an emulator?")
        return data

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")

    def reset(self, **fields: Any) -> dict[str, Any]:
        return self._call("POST", "/reset", fields)

    def advance(
        self, *, bars: int | None = None, ms: int | None = None, to: int | None = None
    ) -> dict[str, Any]:
        """Move the emulator's clock; the answer is ``{"now", "exhausted", "symbols"}``."""
        body = {k: v for k, v in (("bars", bars), ("ms", ms), ("to", to)) if v is not None}
        return self._call("POST", "/advance", body)

    def ledger(self, *kinds: str, account: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        params: list[tuple[str, Any]] = [("kind", k) for k in kinds] + [("since", since)]
        if account:
            params.append(("account", account))
        return self._call("GET", "/ledger", params=params)

    def orders(self, account: str = "main") -> dict[str, Any]:
        return self._call("GET", "/orders", params={"account": account})

    def positions(self, account: str = "main") -> list[dict[str, Any]]:
        return self._call("GET", "/positions", params={"account": account})

    def fills(self, account: str = "main") -> list[dict[str, Any]]:
        return self._call("GET", "/fills", params={"account": account})

    def balances(self, account: str = "main") -> list[dict[str, Any]]:
        return self._call("GET", "/balances", params={"account": account})

    def settle(self) -> dict[str, Any]:
        """Return once every request held by a ``timeout`` fault has executed."""
        return self._call("POST", "/settle")

    def add_fault(self, kind: str, route: str = "*", **fields: Any) -> dict[str, Any]:
        return self._call("POST", "/faults", {"kind": kind, "route": route, **fields})

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")

    def clear_faults(self) -> list[dict[str, Any]]:
        return self._call("DELETE", "/faults")

    def add_account(self, api_key: str, api_secret: str, passphrase: str | None = None, **fields: Any) -> Any:
        return self._call(
            "POST",
            "/accounts",
            {"api_key": api_key, "api_secret": api_secret, "passphrase": passphrase, **fields},
        )

    def close(self) -> None:
        self._session.close()
