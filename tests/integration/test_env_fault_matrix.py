"""Every futures env config, on Bitget and on Binance, against a venue failing in every way: the env
keeps the venue's truth.

Per venue: standard and SLTP × one-way/hedge × isolated/crossed, plus two runs with resets
(``close_position_on_reset``), 90 steps each, every fault kind at 5-15 % and the scripted scenarios
of :mod:`tests.integration.fault_matrix` (the harness ``bench/fault_soak.py`` runs for 1,000+ steps).
90 steps keep the file near two minutes on two cores and still arm every scenario (the first at step
6, the emulator restart at 36, the env restart at 58).

Targets, per config (:meth:`Tally.missed_targets` names each one missed, with its numbers):
one venue order per decision (on Binance an SLTP entry's stop-loss and take-profit legs are decisions
of their own: see the harness's docstring), no duplicate client id, no orphan trigger, no venue leg
larger than one trade, no exception out of ``step``/``reset``, no unexplained env/venue mismatch, the
final position equal to the venue's on every leg, an emulator restart reported in ``info``, a new
env on an open position seeing it.

What failed along the way (seed 0, 120 steps; a miss is named in the message with its numbers):

* on 94c0188 (before issue 8's env fixes) every config failed: ``TransientVenueError`` out of
  ``step`` (reads failing past the retry budget after an order) and raw ``ccxt.InvalidOrder`` in hedge
  configs; orders per decision 1.01-1.17 (the order of a step that raised never reached ``info``);
  hedge configs seeing the net of two legs (70+ unexplained mismatches in the standard hedge runs,
  final position wrong); venue legs larger than one trade (stale reads after an entry; partial-fill
  remainders);
* on d2c2e7d (with them) 6 of 10 configs fail, on two patterns: (1) an entry accepted in a step
  that ends ``venue_unavailable`` (reads failing past the whole budget) is not kept as evidence: the
  next step's read, stale, shows flat and the env enters again (a venue leg of 0.02 for one trade of
  0.01; then ``stale_read`` keeps the evidenced 0.01 against the venue's true 0.02); (2) after the
  emulator restart, closes that landed on an ambiguous first attempt are reported ``skipped`` ("gone
  already"; orders per decision 1.01-1.05): the emulator's order and fill ids start over at a reset,
  and the env, which de-duplicates fills by id, never sees the fill that confirms its close. With
  ids kept unique across resets (a patched emulator) only pattern (1) is left, in 3 configs;
* on 67fcf50 (both fixed: evidence kept across an unavailable step, ids never reused) all pass.
"""

from __future__ import annotations

import pytest

from tests.integration.fault_matrix import FAULT_KINDS, Settings, matrix, run_config

CONFIGS = matrix()
SETTINGS = Settings(steps=90, seed=0)
FIXTURES = {"bitget": "emulator", "binance": "binance_emulator"}


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_env_keeps_the_venue_truth_under_faults(request, config):
    server = request.getfixturevalue(FIXTURES[config.venue])
    tally = run_config(server, config, SETTINGS)

    # The harness really did what it says (not a target of the env: a check of the run itself).
    assert set(FAULT_KINDS) <= set(tally.faults), f"fault kinds that never fired: {tally.faults}"
    assert tally.decisions >= 10, f"the env hardly traded: {tally.decisions} decisions"
    for scenario in ("stale_burst", "fail_candles", "fail_positions", "emulator_restart", "env_restart"):
        assert tally.scenarios[scenario] >= 1, f"scenario {scenario} never applied: {tally.scenarios}"
    if config.sltp and config.spec.conditional_orders:
        assert tally.decisions_by_kind["bracket"] >= 2, f"no bracket legs placed: {tally.decisions_by_kind}"

    missed = tally.missed_targets()
    assert not missed, f"{config.name}: " + "; ".join(missed) + "\nexamples: " + "\n".join(tally.examples)
