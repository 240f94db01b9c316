"""Margin arithmetic: liquidation prices and margin requirements.

Simulation choices (all venues):

* One maintenance-margin tier per instrument: maintenance margin = ``mmr × qty × price``. Real venues
  raise the rate with position size; our positions are small enough for the first tier.
* A position is liquidated when its margin balance falls to its maintenance margin. For an isolated
  position the margin balance is its locked margin plus its unrealized PnL; for crossed positions it
  is the account's cross equity (see :func:`cross_liquidation_price`).
* Fees are not part of the liquidation formula (venues add an estimated closing fee; we charge the
  taker fee when the liquidation fills, and the rest of the maintenance margin as a liquidation fee).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .models import Position
from .types import Direction, PositionSide

ZERO = Decimal(0)
ONE = Decimal(1)


def isolated_liquidation_price(
    side: PositionSide, qty: Decimal, entry: Decimal, margin: Decimal, mmr: Decimal
) -> Decimal:
    """Price at which ``margin + upnl == mmr × qty × price`` for an isolated position.

    Long:  ``margin + (P - entry) × qty = mmr × P × qty  →  P = (entry × qty - margin) / (qty × (1 - mmr))``
    Short: ``margin + (entry - P) × qty = mmr × P × qty  →  P = (entry × qty + margin) / (qty × (1 + mmr))``

    Returns 0 when the position cannot be liquidated (a long whose margin covers its whole value).
    """
    if qty <= 0:
        return ZERO
    if side is PositionSide.LONG:
        price = (entry * qty - margin) / (qty * (ONE - mmr))
    else:
        price = (entry * qty + margin) / (qty * (ONE + mmr))
    return price if price > 0 else ZERO


def cross_liquidation_price(
    positions: Iterable[Position],
    equity_without_symbol: Decimal,
    maintenance_without_symbol: Decimal,
    mmr: Decimal,
) -> tuple[Decimal, Direction]:
    """Liquidation price of one symbol's crossed positions, other symbols held at their current mark.

    With ``A`` the account's cross equity excluding this symbol's PnL (wallet minus isolated margins plus
    the unrealized PnL of crossed positions in *other* symbols) and ``B`` the maintenance margin of those
    other positions, the account is liquidated at the price ``P`` of this symbol where

        ``A + Σ sᵢ (P - Eᵢ) Qᵢ = B + mmr × P × Σ Qᵢ``      (sᵢ = +1 long, -1 short)

    so ``P = (B + Σ sᵢ Eᵢ Qᵢ - A) / (Σ sᵢ Qᵢ - mmr × Σ Qᵢ)``. That covers a single position, a hedged
    long + short in the same symbol, and several symbols (held constant).

    Returns ``(P, direction)``: when the denominator is positive (a net long book) equity minus
    maintenance grows with the price, so liquidation comes with a *fall* to P; otherwise with a *rise*.
    P is 0 when no positive price liquidates (e.g. a long with more equity than value).
    """
    net = ZERO
    gross = ZERO
    weighted_entry = ZERO
    for p in positions:
        s = p.side.sign
        net += s * p.qty
        gross += p.qty
        weighted_entry += s * p.entry_price * p.qty
    if gross == 0:
        return ZERO, Direction.FALL
    denominator = net - mmr * gross
    direction = Direction.FALL if denominator > 0 else Direction.RISE
    if denominator == 0:
        return ZERO, direction
    price = (maintenance_without_symbol + weighted_entry - equity_without_symbol) / denominator
    return (price if price > 0 else ZERO), direction


def initial_margin(qty: Decimal, price: Decimal, leverage: int) -> Decimal:
    return qty * price / leverage
