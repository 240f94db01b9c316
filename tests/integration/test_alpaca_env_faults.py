"""The Alpaca envs under every fault kind, through alpaca-py over HTTP: orders placed once, positions true.

Each cell of :func:`~tests.integration.spot_fault_matrix.spot_matrix` (stock and crypto, standard
and SLTP, plus a crypto run with resets) runs 120 steps of the futures venues' harness
(:mod:`tests.integration.fault_matrix`): every fault kind at 5-15 % (429s, 5xx, connection resets,
dropped answers, timeouts whose held order executes once the client hung up, partial fills, stale
position reads) and the scripted scenarios (stale bursts, reads failing past the retry budget, an
emulator restart and an env restart while a position is open). ``bench/fault_soak.py --venues
alpaca`` runs the same cells for 1,000 steps.

The targets are the futures venues' (:meth:`Tally.missed_targets`): no exception out of a step, every
order the env decided on is on the venue exactly once (one venue order per client id the env
reported accepted or unknown, none it never reported), no bracket leg left live for a flat position,
no position larger than one trade, no unexplained env/venue mismatch, and, once the faults stop, the
env's position is the venue's.
"""

from __future__ import annotations

import pytest

from tests.integration.fault_matrix import FAULT_KINDS, Settings
from tests.integration.spot_fault_matrix import run_spot_config, spot_matrix

CONFIGS = spot_matrix()
SETTINGS = Settings(steps=120, seed=0)


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_faults_never_duplicate_an_order_nor_lose_the_position(alpaca_emulator, config):
    tally = run_spot_config(alpaca_emulator, config, SETTINGS)

    # The harness really did what it says (not a target of the env: a check of the run itself).
    assert set(FAULT_KINDS) <= set(tally.faults), f"fault kinds that never fired: {tally.faults}"
    assert tally.decisions >= 8, f"the env hardly traded: {tally.decisions} decisions"
    for scenario in ("stale_burst", "fail_candles", "fail_positions", "emulator_restart", "env_restart"):
        assert tally.scenarios[scenario] >= 1, f"scenario {scenario} never applied: {tally.scenarios}"

    missed = tally.missed_targets()
    assert not missed, f"{config.name}: " + "; ".join(missed) + "\nexamples: " + "\n".join(tally.examples)
