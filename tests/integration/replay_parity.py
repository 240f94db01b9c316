"""Shared by the parity tests: one seeded action sequence through an in-process env and an HTTP env
(the real SDK against the emulator on a manual clock), step by step, compared exactly."""

from __future__ import annotations

import time
from typing import Any

import torch

from torchtrade.data import DEFAULT_DATA, bundled
from torchtrade.envs import EmulatorClock

BTC = "BTC/USDT:USDT"
#: Bars of history before the first step: 1,440 bars in the bundled file leave 1,340 to step on.
HISTORY = 100
#: Fields of a fill or an order that are the venue's ids: the HTTP emulator's id sequence goes on
#: across resets (a restarted venue never reuses an id), the in-process one starts afresh.
ID_FIELDS = ("id", "order_id")


def reset_http(emulator: Any) -> None:
    """The HTTP emulator replaying exactly what the in-process env replays: the bundled BTC candles,
    the same history before the present."""
    emulator.control.reset(
        data=[f"{BTC}={bundled(DEFAULT_DATA[BTC])}"], history_bars=HISTORY, weight_limit=10**9
    )


def http_env(env_cls: type, cfg_cls: type, emulator: Any, **kw: Any) -> Any:
    return env_cls(
        cfg_cls(base_url=emulator.url, **kw),
        clock=EmulatorClock(emulator.control),
        retry_sleep=lambda s: None,
    )


def replay_env(env_cls: type, cfg_cls: type, **kw: Any) -> Any:
    return env_cls.replay(cfg_cls(**kw), start=HISTORY)


def _strip(items: list[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k not in fields} for item in items]


def _orders(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Orders as both envs report them: action, status, amount, code, levels (not ids or texts)."""
    keep = ("client_oid", "action", "status", "amount", "code", "filled")
    return [
        {k: o.get(k) for k in keep} | {"extra": _strip([o.get("extra", {})], "legs")[0]}
        for o in info["orders"]
    ]


def compare_step(i: int, a: tuple, b: tuple) -> list[str]:
    """The differences between two gym-style step results (``a`` in-process, ``b`` HTTP)."""
    (obs_a, r_a, d_a, info_a), (obs_b, r_b, d_b, info_b) = a, b
    diffs = []
    for key in obs_b.keys():  # noqa: SIM118 (a TensorDict iterates its batch)
        if not torch.equal(obs_a[key], obs_b[key]):
            diffs.append(f"step {i}: {key} {obs_a[key].tolist()} != {obs_b[key].tolist()}")
    if r_a != r_b:
        diffs.append(f"step {i}: reward {r_a!r} != {r_b!r}")
    if d_a != d_b:
        diffs.append(f"step {i}: done {d_a} != {d_b}")
    for key in ("position", "side", "entry_price", "unrealized_pnl", "portfolio_value", "legs"):
        if info_a.get(key) != info_b.get(key):
            diffs.append(f"step {i}: info[{key}] {info_a.get(key)!r} != {info_b.get(key)!r}")
    if _strip(info_a["fills"], *ID_FIELDS) != _strip(info_b["fills"], *ID_FIELDS):
        diffs.append(f"step {i}: fills {info_a['fills']} != {info_b['fills']}")
    if _strip(info_a["funding"], "id") != _strip(info_b["funding"], "id"):
        diffs.append(f"step {i}: funding {info_a['funding']} != {info_b['funding']}")
    if _orders(info_a) != _orders(info_b):
        diffs.append(f"step {i}: orders {info_a['orders']} != {info_b['orders']}")
    if set(info_a) != set(info_b):
        diffs.append(f"step {i}: info keys {sorted(set(info_a) ^ set(info_b))}")
    return diffs


def run_parity(inproc: Any, http: Any, steps: int, seed: int, actions: Any = None) -> dict[str, Any]:
    """Step both envs on the same seeded actions; returns what happened (diffs, counts, metrics)."""
    g = torch.Generator().manual_seed(seed)
    n = inproc.action_spec.n
    assert http.action_spec.n == n
    ra, rb = inproc.reset(), http.reset()
    diffs = [f"reset: {k}" for k in rb.keys() if not torch.equal(ra[k], rb[k])]  # noqa: SIM118 (a TensorDict iterates its batch)
    fills = funding = trades = 0
    spent = [0.0, 0.0]
    for i in range(steps):
        action = int(torch.randint(n, (), generator=g)) if actions is None else actions(i, g, n)
        t0 = time.perf_counter()
        a = inproc.step(action)
        t1 = time.perf_counter()
        b = http.step(action)
        spent[0] += t1 - t0
        spent[1] += time.perf_counter() - t1
        diffs += compare_step(i, a, b)
        if diffs:
            break
        fills += len(b[3]["fills"])
        funding += len(b[3]["funding"])
        trades += len(b[3]["orders"])
        if b[2]:
            break
    ma, mb = inproc.get_metrics(), http.get_metrics()
    if ma != mb:
        diffs.append(f"metrics {ma} != {mb}")
    if inproc.balance != http.balance:
        diffs.append(f"balance {inproc.balance} != {http.balance}")
    return {
        "diffs": diffs,
        "steps": i + 1,
        "seconds": spent,
        "fills": fills,
        "funding": funding,
        "orders": trades,
        "metrics": mb,
    }
