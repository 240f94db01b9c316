"""Decimal constants and the one rounding rule for money the engine books."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
MONEY = Decimal("1e-8")  # fees, PnL and funding are settled to 8 decimals, as venues report them


def money(x: Decimal) -> Decimal:
    return x.quantize(MONEY, rounding=ROUND_HALF_EVEN)
