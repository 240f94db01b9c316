"""Control routes under ``/_emulator/``: reset, move the clock, read the ledger, script faults.

These are the emulator's own API (not any venue's). Tests use them to set a scene and to assert what
really happened on the venue ("one order with this client id"). :class:`ControlClient` wraps them
for Python callers, such as an env whose clock drives a standalone ``torchtrade emulator serve``.

=========================  ====================================================================
``GET  /_emulator/status``   clock, symbols, data range, accounts
``POST /_emulator/reset``    ``{"balances": {"USDT": "5000"}, "start": "now", "history_bars": 300,
                             "data": ["BTC/USDT:USDT=file.csv"], "clock": "manual", "speed": 60,
                             "spread_bps": 1, "slippage_bps": 0, "funding_rate": "0.0001",
                             "fault_seed": 7}`` (every field optional)
``POST /_emulator/advance``  ``{"bars": 1}`` | ``{"ms": 60000}`` | ``{"to": 1670889600000}``
``GET  /_emulator/ledger``   ``?kind=fill&kind=order&account=main&since=<seq>``
``GET  /_emulator/orders``   every order and trigger order of ``?account=`` (default ``main``)
``GET  /_emulator/positions``, ``/fills``, ``/balances``   the same for positions, fills, balances
``GET/POST/DELETE /_emulator/faults``   list, add (a :class:`~.faults.FaultRule` as JSON), clear
``POST /_emulator/settle``   return once requests held by a ``timeout`` fault have executed
``POST /_emulator/accounts`` ``{"api_key", "api_secret", "passphrase", "account", "balances"}``
=========================  ====================================================================
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import requests
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .engine import EngineError, PriceModel
from .engine.ledger import _plain
from .faults import FaultRule
from .http import JSONResponse
from .runtime import DataSpec
from .venues.base import Credentials

if TYPE_CHECKING:
    from .runtime import Emulator

PREFIX = "/_emulator"


class ControlError(ValueError):
    """A control request that cannot be honoured (answered with HTTP 400)."""


def plain(obj: Any) -> Any:
    """Engine objects as JSON-ready values (Decimals as strings, enums as their values)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    return _plain(obj)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise ControlError(f"{name}={value!r} is not a number") from None
    if not out.is_finite():
        raise ControlError(f"{name}={value!r} is not finite")
    return out


def reset_overrides(body: dict[str, Any], emulator: Emulator) -> dict[str, Any]:
    """Translate a reset body into :class:`~.runtime.EmulatorConfig` field overrides."""
    known = {
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
    }
    unknown = set(body) - known
    if unknown:
        raise ControlError(f"unknown reset fields: {sorted(unknown)}")
    out: dict[str, Any] = {}
    if "balances" in body:
        if not isinstance(body["balances"], dict):
            raise ControlError('balances must be an object like {"USDT": "10000"}')
        out["balances"] = {k: _decimal(v, f"balances.{k}") for k, v in body["balances"].items()}
    for key in ("start", "clock", "fault_seed"):
        if key in body:
            out[key] = body[key]
    if "history_bars" in body:
        out["history_bars"] = int(body["history_bars"])
    if "speed" in body:
        out["speed"] = float(body["speed"])
    if "data" in body:
        if not isinstance(body["data"], list) or not all(isinstance(x, str) for x in body["data"]):
            raise ControlError('data must be a list of "[SYMBOL=]FILE" strings')
        out["data"] = tuple(DataSpec.parse(x) for x in body["data"])
    eng = emulator.config.engine
    if {"spread_bps", "slippage_bps"} & set(body):
        pm = eng.price_model
        pm = PriceModel(
            spread_bps=_decimal(body.get("spread_bps", pm.spread_bps), "spread_bps"),
            slippage_bps=_decimal(body.get("slippage_bps", pm.slippage_bps), "slippage_bps"),
        )
        eng = dataclasses.replace(eng, price_model=pm)
    if "funding_rate" in body:
        eng = dataclasses.replace(eng, funding_rate=_decimal(body["funding_rate"], "funding_rate"))
    if "default_leverage" in body:
        eng = dataclasses.replace(eng, default_leverage=int(body["default_leverage"]))
    if eng is not emulator.config.engine:
        out["engine"] = eng
    return out


def control_routes(emulator: Emulator) -> list[Route]:
    def handler(fn: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ControlError("the body must be a JSON object")
                with emulator.lock:
                    emulator.sync()
                    result = fn(request, body)
            except (ControlError, ValueError, TypeError, EngineError, json.JSONDecodeError) as e:
                return JSONResponse({"error": str(e)}, status_code=400)
            return JSONResponse(plain(result))

        return endpoint

    def account_of(request: Request) -> str:
        return request.query_params.get("account", "main")

    def status(request: Request, body: dict) -> Any:
        return emulator.status()

    def reset(request: Request, body: dict) -> Any:
        emulator.reset(**reset_overrides(body, emulator))
        return emulator.status()

    def advance(request: Request, body: dict) -> Any:
        keys = {k: body[k] for k in ("bars", "ms", "to") if k in body}
        if len(keys) != 1:
            raise ControlError('advance takes exactly one of "bars", "ms", "to"')
        ((key, value),) = keys.items()
        if isinstance(value, bool) or not isinstance(value, int):
            raise ControlError(f"{key} must be an integer")
        now = emulator.advance(**{"to_ms" if key == "to" else key: value})
        return {"now": now, "exhausted": emulator.exhausted()}

    def ledger(request: Request, body: dict) -> Any:
        kinds = request.query_params.getlist("kind") or None
        since = int(request.query_params.get("since", "0"))
        return emulator.ledger.events(kinds, account=request.query_params.get("account"), since_seq=since)

    def orders(request: Request, body: dict) -> Any:
        acct = emulator.engine.account(account_of(request))
        return {"orders": list(acct.orders.values()), "triggers": list(acct.triggers.values())}

    def positions(request: Request, body: dict) -> Any:
        views = emulator.engine.positions(account_of(request))
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

    def fills(request: Request, body: dict) -> Any:
        return emulator.engine.account(account_of(request)).fills

    def balances(request: Request, body: dict) -> Any:
        acct = emulator.engine.account(account_of(request))
        return [emulator.engine.balance(acct.id, coin) for coin in acct.wallet]

    def faults(request: Request, body: dict) -> Any:
        if request.method == "POST":
            fields = {f.name for f in dataclasses.fields(FaultRule)} - {"id", "seen", "fired"}
            unknown = set(body) - fields
            if unknown:
                raise ControlError(f"unknown fault fields: {sorted(unknown)}")
            if "kind" not in body:
                raise ControlError('a fault needs a "kind"')
            return emulator.faults.add(FaultRule(**body)).as_dict()
        if request.method == "DELETE":
            emulator.faults.clear()
        return [r.as_dict() for r in emulator.faults.rules()]

    def accounts(request: Request, body: dict) -> Any:
        try:
            creds = Credentials(
                api_key=str(body["api_key"]),
                api_secret=str(body["api_secret"]),
                passphrase=str(body["passphrase"]) if body.get("passphrase") is not None else None,
                account=str(body.get("account") or body["api_key"]),
            )
        except KeyError as e:
            raise ControlError(f"missing field {e.args[0]!r}") from None
        bal = body.get("balances")
        emulator.add_account(creds, {k: _decimal(v, k) for k, v in bal.items()} if bal else None)
        return {"account": creds.account}

    async def settle(request: Request) -> Response:
        """Wait until no request is held by a ``timeout`` fault (they execute once released)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while emulator.held_requests and loop.time() < deadline:
            await asyncio.sleep(0.002)
        return JSONResponse({"held": emulator.held_requests})

    r = [
        ("/status", status, ["GET"]),
        ("/reset", reset, ["POST"]),
        ("/advance", advance, ["POST"]),
        ("/ledger", ledger, ["GET"]),
        ("/orders", orders, ["GET"]),
        ("/positions", positions, ["GET"]),
        ("/fills", fills, ["GET"]),
        ("/balances", balances, ["GET"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/accounts", accounts, ["POST"]),
    ]
    routes = [Route(PREFIX + path, handler(fn), methods=methods) for path, fn, methods in r]
    return [*routes, Route(PREFIX + "/settle", settle, methods=["POST"])]


class ControlClient:
    """Python access to a (possibly remote) emulator's control routes.

    Args:
        base_url: the emulator's base URL, e.g. ``http://127.0.0.1:8765``.
        timeout: per-request timeout in seconds.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(self, method: str, path: str, body: dict | None = None, params: Any = None) -> Any:
        resp = self._session.request(
            method, f"{self.base_url}{PREFIX}{path}", json=body, params=params, timeout=self.timeout
        )
        data = resp.json()
        if resp.status_code != 200:
            raise ControlError(data.get("error", resp.text))
        return data

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")

    def reset(self, **fields: Any) -> dict[str, Any]:
        return self._call("POST", "/reset", fields)

    def advance(
        self, *, bars: int | None = None, ms: int | None = None, to: int | None = None
    ) -> dict[str, Any]:
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
