"""Funding of perpetual positions: the schedule and the settlement.

Simulation choices: funding is checked every hour on the hour and each instrument settles when its
interval (``funding_interval_h``, aligned to 00:00 UTC) divides that instant; the rate is a constant
per symbol (``EngineConfig.funding_rates``, else ``funding_rate``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .decimals import ZERO, money
from .state import Books

if TYPE_CHECKING:
    from .liquidation import Liquidation

HOUR_MS = 3_600_000


def next_funding_after(t_ms: int, interval_h: int = 8) -> int:
    step = interval_h * HOUR_MS
    return (t_ms // step + 1) * step


class Funding:
    def __init__(self, books: Books, liquidation: Liquidation) -> None:
        self.books = books
        self.liquidation = liquidation
        self.due_ms = next_funding_after(books.now, 1)  # the next hourly check

    def rate(self, symbol: str) -> Decimal:
        cfg = self.books.config
        rates = cfg.funding_rates or {}
        return rates.get(symbol, cfg.funding_rate)

    def next_ms(self, symbol: str) -> int:
        return next_funding_after(self.books.now, self.books.instruments[symbol].funding_interval_h)

    def settle_due(self, upto_ms: int, *, inclusive: bool) -> None:
        """Settle every hourly check before ``upto_ms`` (or at it, when ``inclusive``), in order."""
        while self.due_ms < upto_ms or (inclusive and self.due_ms == upto_ms):
            self.books.now = self.due_ms
            self.settle(self.due_ms)
            self.due_ms = next_funding_after(self.due_ms, 1)

    def settle(self, t_ms: int) -> None:
        """Funding at ``t_ms`` for every open position of a symbol whose interval divides that instant.

        Payment = qty × mark × rate, paid by longs to shorts when the rate is positive. Simulation
        choice: it is settled against the wallet (not the isolated margin), so it moves crossed
        liquidation prices but not isolated ones.
        """
        books = self.books
        hour = t_ms // HOUR_MS
        for acct in books.accounts.values():
            changed = False
            for pos in acct.open_positions():
                inst = books.instruments[pos.symbol]
                if hour % inst.funding_interval_h:
                    continue
                mark = books.last[pos.symbol]
                rate = self.rate(pos.symbol)
                payment = money(pos.qty * mark * rate * pos.side.sign)
                if payment == 0:
                    continue
                coin = inst.settle
                acct.wallet[coin] = acct.wallet.get(coin, ZERO) - payment
                acct.funding[coin] = acct.funding.get(coin, ZERO) + payment
                books.bill(acct, coin, "funding", -payment, ZERO, pos.symbol, pos.side)
                pos.funding += payment
                changed = True
                books.ledger.append(
                    "funding",
                    t_ms,
                    account=acct.id,
                    symbol=pos.symbol,
                    pos_side=pos.side,
                    qty=pos.qty,
                    mark=mark,
                    rate=rate,
                    payment=payment,
                )
            if changed:
                self.liquidation.refresh(acct)
