"""Live tests talk to a real venue's practice account: they run only when asked for with ``-m live``.

A plain ``pytest`` skips every one of them here, before any key is read or any request sent, with one
line saying how to run them.
"""

from __future__ import annotations

import re

import pytest

HOW = "live venue tests run only with `pytest -m live` (and the venue's keys in the environment or .env)"


@pytest.fixture(autouse=True)
def _only_when_asked_for(request: pytest.FixtureRequest) -> None:
    if not re.search(r"\blive\b", request.config.getoption("markexpr") or ""):
        pytest.skip(HOW)
