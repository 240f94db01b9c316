"""Fault soak: every futures env config (Bitget, Binance), and the Alpaca envs (stock and crypto,
standard and SLTP), for >= 1,000 steps while the venue misbehaves in every way.

    python bench/fault_soak.py [--steps 1000] [--seed 0] [--venues bitget binance alpaca]
                               [--configs binance/sltp/hedge/crossed ...] [--quick]

Per venue, every config of standard/SLTP × one-way/hedge × isolated/crossed, plus two runs with
resets (``close_position_on_reset``, 25-step episodes), steps an in-process emulator of that venue
(manual clock, reached over HTTP) with every fault kind at 5-15 % and scripted scenarios: bursts of
three stale position reads after an entry, reads failing past the retry budget right after an order,
an emulator restart while a position is open, an env restart on the same account. The harness and
what it counts are in ``tests/integration/fault_matrix.py`` (shared with
``tests/integration/test_env_fault_matrix.py``). ``--venues alpaca`` runs the Alpaca cells of
``tests/integration/spot_fault_matrix.py`` (the same harness over a spot env, shared with
``tests/integration/test_alpaca_env_faults.py``) and writes bench/results/fault_soak_alpaca.md.

Writes bench/results/fault_soak.md (futures venues) and prints it. Targets: 1.000 order per decision,
0 duplicate ids, 0 orphan triggers, 0 exceptions out of ``step``, 0 unexplained mismatches, the final
env position equal to the venue's (every leg, exact).
"""

from __future__ import annotations

import argparse
import logging
import math
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the harness lives with the tests, so that both use the same code

from tests.integration.fault_matrix import (  # noqa: E402
    FAULT_KINDS,
    VENUES,
    Settings,
    Tally,
    matrix,
    run_config,
    seeded_faults,
)
from tests.integration.spot_fault_matrix import SPECS as SPOT_SPECS  # noqa: E402
from tests.integration.spot_fault_matrix import SpotConfig, run_spot_config, spot_matrix  # noqa: E402
from torchtrade.emulator.server import EmulatorServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SPOT = "alpaca"
ALL_VENUES = [*VENUES, SPOT]
SHORT = {
    "rate_limit": "429",
    "server_error": "5xx",
    "timeout": "timeout",
    "drop_response": "drop",
    "connection_reset": "reset",
    "partial_fill": "partial",
    "stale_position": "stale",
}


def _counter(c: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "-"


def _ok(value: bool) -> str:
    return "yes" if value else "**no**"


def _ratio(t: Tally) -> str:
    r = t.orders_per_decision
    text = "n/a" if math.isnan(r) else f"{r:.3f}"
    return text if t.venue_orders == t.decisions else f"**{text}**"


def _flag(n: int) -> str:
    return str(n) if n == 0 else f"**{n}**"


def _revision() -> str:
    """The commit measured (``+changes`` when the tree has uncommitted changes to tracked files)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision"
    return f"{head}{' +changes' if dirty else ''}"


def _rules(venue: str) -> str:
    return "; ".join(
        f"{r['kind']}{'/' + str(r['status']) if 'status' in r else ''} on {r['route']} {r['probability']:.0%}"
        for r in seeded_faults(SPOT_SPECS["stock"] if venue == SPOT else VENUES[venue])
    )


def _spot_preamble(tallies: list[Tally], settings: Settings, wall_s: float, revision: str) -> list[str]:
    """The head of the Alpaca table: what runs, and what the columns mean on a spot venue."""
    return [
        "# Fault soak (Alpaca envs against the emulator: stock and crypto, standard and SLTP)",
        "",
        f"`python bench/fault_soak.py --venues alpaca --steps {settings.steps} --seed {settings.seed}` on "
        f"{revision}, {platform.machine()}, Python {platform.python_version()}: {wall_s:,.0f} s in all. "
        "Harness: `tests/integration/spot_fault_matrix.py` over `tests/integration/fault_matrix.py` "
        "(the futures venues' run, faults, scenarios and counting).",
        "",
        f"Seeded faults (Alpaca's routes: orders, position reads): {_rules(SPOT)}.",
        "",
        "Markets: SPY (stock, shorts allowed, the XNYS calendar: a step is a regular-session minute, "
        "a close is waited across) replaying 2013-10-04..11 from Friday 12:46 ET: about 2,140 regular "
        "minutes are left to step, so a stock cell has room for "
        f"{settings.steps:,} steps (an emulator restart replays from the start again); BTC/USD (crypto, "
        "long only, around the clock) replaying 4,216 bars from bar 400. One trade: 10 SPY, 0.01 BTC "
        "(`trade_mode='quantity'`; Alpaca takes its crypto fee in the coin, so a crypto position is "
        "0.25 % below the trade). SLTP: levels of 3-6 bp; a stock entry is one bracket order whose "
        "stop-loss and take-profit legs the venue holds; crypto has no brackets, the env closes at "
        "market itself. Scripted: 3 consecutive stale position reads after an entry; candle or "
        f"position reads failing {max(t.failure_burst for t in tallies)} times in a row (past the "
        f"env's whole budget: {settings.retry_attempts} attempts per call, times its outage rounds) "
        "right after an order; an emulator restart while a position is open; an env restart on the "
        f"same account while a position is open. Request timeout {settings.request_timeout_ms} ms; "
        f"retries wait at most {settings.max_sleep_s * 1000:g} ms. Alpaca's 200 requests a minute "
        "are lifted (the soak replays a bar in milliseconds; the env under a 429 is tested apart).",
        "",
        "Bold: a missed target. A decision is one order the env reported sending (accepted, or unknown "
        "and received by the venue), each with its own client id: an entry (a stock bracket is one), "
        "a partial fill's resend, a close. Venue orders: the orders our client placed that the venue's "
        "ledger received (a bracket's legs are the venue's own, neither decisions nor venue orders). "
        "Duplicates: client ids the venue got twice, or the env reported accepted in two steps. "
        "Orphans (the trigger column): checks with a bracket leg still live while the venue holds the "
        "symbol flat, after a step that could see it. Over-exposed: checks with a venue position "
        "larger than one trade. Unexplained: steps where the env's position (exact) differs from the "
        "venue's although the step was not flagged (stale / unavailable / reconciling), except a stale "
        "last read with no evidence against it (counted apart). Final: after faults are cleared and "
        "one clean hold step.",
        "",
    ]


def table(tallies: list[Tally], settings: Settings, wall_s: float, revision: str, venues: list[str]) -> str:
    rules = [f"{name}: {_rules(name)}." for name in venues]
    if venues == [SPOT]:
        head = _spot_preamble(tallies, settings, wall_s, revision)
    else:
        head = _futures_preamble(tallies, settings, wall_s, revision, venues, rules)
    lines = [
        *head,
        "| config | steps | wall s | decisions | venue orders | orders/decision | duplicate ids "
        "| orphan triggers | over-exposed | unexplained mismatches | exceptions out of step "
        "| final env = venue |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    lines += _rows(tallies)
    return "\n".join(lines) + "\n"


def _futures_preamble(
    tallies: list[Tally],
    settings: Settings,
    wall_s: float,
    revision: str,
    venues: list[str],
    rules: list[str],
) -> list[str]:
    return [
        "# Fault soak (futures envs against the emulator: " + ", ".join(venues) + ")",
        "",
        f"`python bench/fault_soak.py --steps {settings.steps} --seed {settings.seed}` on {revision}, "
        f"{platform.machine()}, Python {platform.python_version()}: {wall_s:,.0f} s in all. "
        "Harness: `tests/integration/fault_matrix.py`.",
        "",
        "Seeded faults, per venue (each venue's routes: orders, position reads):",
        "",
        *[f"- {r}" for r in rules],
        "",
        f"Scripted: 3 consecutive stale position reads after an entry; candle "
        f"or position reads failing {max(t.failure_burst for t in tallies)} times in a row (past the "
        f"env's whole budget: {settings.retry_attempts} attempts per call, times its outage rounds) "
        "right after an order; an emulator restart while a "
        "position is open; an env restart on the same account while a position is open. Request "
        f"timeout {settings.request_timeout_ms} ms; retries wait at most {settings.max_sleep_s * 1000:g} ms. "
        "One trade: 0.01 BTC on Bitget, 0.02 on Binance (its 100 USDT minimum order value: half of "
        "0.01 could not be resent after a partial fill). Binance's request-weight budget is lifted "
        "(the soak replays a bar in milliseconds; weights, 429 and 418 are tested on their own).",
        "",
        "Bold: a missed target. A decision is one order the env reported sending (accepted, or unknown "
        "and received by the venue: an unknown one the venue never got is the env telling the truth, "
        "counted apart), "
        "each with its own client id: an entry, a partial fill's resend, each leg of a close, and on "
        "Binance each bracket leg (SL and TP are separate conditional orders placed after the entry "
        "fills: an SLTP entry is three decisions there, one on Bitget, whose TP/SL ride on the entry) "
        "and the immediate close after a refused leg. Venue orders: our orders the venue's ledger "
        "received (client orders, Bitget's close-position orders, Binance's conditional orders); "
        "orders the venue makes itself (a trigger firing) are neither. Duplicates: client ids the "
        "venue got twice, or the env reported accepted in two steps. Orphans: checks with a live "
        "trigger order for a position side the venue holds flat, after a step that could see it "
        "(Binance leaves closePosition legs when the position closes; the env cancels them when it "
        "sees the position gone: the checks after a step that could not, venue unreachable or a "
        "stale last position read, are counted apart, and an orphan still there after the next step "
        "counts). Over-exposed: checks with a "
        "venue leg larger than one trade. Unexplained: steps where the env's position (every leg, exact) "
        "differs from the venue's although the step was not flagged (stale / unavailable / reconciling), "
        "except a stale last read with no evidence against it (counted apart). Final: after faults are "
        "cleared and one clean hold step.",
        "",
    ]


def _rows(tallies: list[Tally]) -> list[str]:
    """The tables' rows: the targets, then what the decisions were, then the faults fired."""
    lines: list[str] = []
    for t in tallies:
        final = _ok(t.final_match) + ("" if t.final_match else f" (env {t.final_env}, venue {t.final_venue})")
        exc = f"**{t.exception_count}** ({_counter(t.exceptions)})" if t.exceptions else "0"
        lines.append(
            f"| {t.config} | {t.steps} | {t.wall_s:.1f} | {t.decisions} | {t.venue_orders} | {_ratio(t)} "
            f"| {_flag(t.duplicate_ids)} | {_flag(t.orphan_steps)} | {_flag(t.over_exposed_steps)} "
            f"| {_flag(t.unexplained_mismatches)} | {exc} | {final} |"
        )
    lines += [
        "",
        "What the decisions were, and the conditional orders on the venue:",
        "",
        "| config | decisions by kind | conditional orders | leftover legs cancelled by the env "
        "| orphan checks after a blind step |",
        "|---|---|---:|---:|---:|",
    ]
    for t in tallies:
        lines.append(
            f"| {t.config} | {_counter(t.decisions_by_kind)} | {t.conditional_orders} "
            f"| {t.brackets_cancelled} | {t.orphans_unseen} |"
        )
    lines += [
        "",
        "Faults fired (from the venue's ledger) and what the env reported:",
        "",
        "| config | " + " | ".join(SHORT[k] for k in FAULT_KINDS) + " | partial fills reported "
        "| stale, undetectable | flagged steps (unavailable) | emulator restart noticed "
        "| env restart sees the venue | accepted, not on venue / never reported / unknown, not sent |",
        "|---|" + "---:|" * len(FAULT_KINDS) + "---|---:|---:|---|---|---|",
    ]
    for t in tallies:
        faults = " | ".join(str(t.faults.get(k, 0)) for k in FAULT_KINDS)
        lines.append(
            f"| {t.config} | {faults} | {_counter(t.partial_fills)} | {t.stale_undetectable} "
            f"| {t.flagged_steps} ({t.unavailable_steps}) | {_counter(t.restarts_noticed)} "
            f"| {_counter(t.env_restart_seen)} | {t.missing_on_venue} / {t.unreported_on_venue} "
            f"/ {t.unknown_not_landed} |"
        )
    examples = [(t.config, e) for t in tallies for e in t.examples[:2]]
    if examples:
        lines += ["", "First examples per config:", ""]
        lines += [f"- {name}: {text}" for name, text in examples]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--venues", nargs="*", choices=ALL_VENUES, help=f"default: every futures venue; or {SPOT}"
    )
    parser.add_argument("--configs", nargs="*", help="config names (see --list), default: all")
    parser.add_argument("--quick", action="store_true", help="150 steps per config")
    parser.add_argument("--list", action="store_true", help="print the config names and exit")
    parser.add_argument("--out", type=Path, help="default: bench/results/fault_soak[_alpaca].md")
    args = parser.parse_args(argv)
    venues = args.venues or list(VENUES)
    if SPOT in venues and len(venues) > 1:
        parser.error(f"--venues {SPOT} runs alone (its table is another file)")
    out = args.out or RESULTS / ("fault_soak_alpaca.md" if venues == [SPOT] else "fault_soak.md")
    configs: list = spot_matrix() if venues == [SPOT] else matrix(tuple(venues))
    if args.list:
        print("\n".join(c.name for c in configs))
        return
    if args.configs:
        unknown = set(args.configs) - {c.name for c in configs}
        if unknown:
            parser.error(f"unknown configs {sorted(unknown)}; known: {[c.name for c in configs]}")
        configs = [c for c in configs if c.name in args.configs]
    settings = Settings(steps=150 if args.quick else args.steps, seed=args.seed)
    # The env logs every retry at WARNING: thousands of lines here. The table is the output.
    logging.getLogger("torchtrade").addHandler(logging.NullHandler())
    tallies = []
    revision = _revision()  # the code imported now is what runs, whatever lands meanwhile
    start = time.perf_counter()
    ran = [v for v in venues if any(c.venue == v for c in configs)]
    for venue in ran:
        with EmulatorServer(venue=venue, clock="manual") as server:
            for config in (c for c in configs if c.venue == venue):
                run = run_spot_config if isinstance(config, SpotConfig) else run_config
                tally = run(server, config, settings)
                tallies.append(tally)
                missed = tally.missed_targets()
                print(
                    f"{config.name}: {tally.steps} steps in {tally.wall_s:.1f} s; "
                    + ("all targets met" if not missed else "missed: " + "; ".join(missed)),
                    flush=True,
                )
    text = table(tallies, settings, time.perf_counter() - start, revision, ran)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print()
    print(text)


if __name__ == "__main__":
    main()
