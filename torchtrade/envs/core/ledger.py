"""The env's own results since it started: what ``initial_cash`` adds up on a shared account.

On a real account that holds more than the env's budget (or trades other things too), the account's
equity says nothing about the env. Its value is then ``initial_cash`` plus what its own fills realized,
minus their fees, plus the funding of its symbol, plus its position's unrealized PnL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .account import FillInfo, FundingInfo


@dataclass(slots=True)
class OwnLedger:
    """Realized PnL, fees and funding of the env's own symbol since it started (each counted once)."""

    realized_pnl: float = 0.0
    fees: float = 0.0
    funding: float = 0.0
    _fills: set[str] = field(default_factory=set)
    _funding: set[str] = field(default_factory=set)

    @property
    def total(self) -> float:
        return self.realized_pnl - self.fees + self.funding

    def record_fills(self, fills: list[FillInfo]) -> None:
        for f in fills:
            if f.id not in self._fills:
                self._fills.add(f.id)
                self.realized_pnl += f.realized_pnl
                self.fees += f.fee

    def record_funding(self, payments: list[FundingInfo]) -> list[FundingInfo]:
        """Count new payments; returns them."""
        new = [p for p in payments if p.id not in self._funding]
        for p in new:
            self._funding.add(p.id)
            self.funding += p.amount
        return new
