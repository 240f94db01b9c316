"""Spot accounts (Alpaca: US stocks and crypto): cash and margin accounts over the shared matching.

Modules: :mod:`.types` (enums, requests, knobs), :mod:`.instruments`, :mod:`.models` (state),
:mod:`.views` (what the wire serves), :mod:`.accounting` (cash, holdings, margin, buying power, day
trades), :mod:`.rules` (Alpaca's admission rules and rejection reasons), :mod:`.desk` (order life:
submit, queue, legs, replace, cancel, expiry, bars), :mod:`.verbs` (the ``Engine`` methods).

This package imports nothing at import time so that the engine's shared modules may import its
leaves without a cycle.
"""
