"""A spot account's equity at past instants, rebuilt from its deposits, its fills and the replayed bars.

Simulation choice (what ``/v2/account/portfolio/history`` is computed from): the account's cash and
holdings at an instant ``T`` are the deposits (the ledger's ``deposit`` events) and the fills
(the engine's fill records) at or before ``T``, replayed as the engine books them (a buy pays
``price × qty``, a sale receives it less its dollar fee, a fee in the asset bought reduces the
holding); holdings are valued at the close of each market's last bar closed at ``T``, as the engine
marks them. At the present this is the account's equity as ``GET /v2/account`` reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from ...engine.types import Side

if TYPE_CHECKING:
    from ...runtime import Emulator

ZERO = Decimal(0)


def equity_at(emulator: Emulator, account: str, instants: Iterable[int]) -> Iterator[Decimal]:
    """The equity of spot ``account`` at each of ``instants`` (ascending), in dollars."""
    engine = emulator.engine
    acct = engine.spot_account(account)
    deposits = [
        (int(e["t"]), Decimal(str(e["amount"]))) for e in emulator.ledger.events("deposit", account=account)
    ]
    fills = list(acct.fills)
    cash = ZERO
    held: dict[str, Decimal] = {}
    d = f = 0
    for t in instants:
        while d < len(deposits) and deposits[d][0] <= t:
            cash += deposits[d][1]
            d += 1
        while f < len(fills) and fills[f].t_ms <= t:
            fill = fills[f]
            f += 1
            base = engine.spot_instruments[fill.symbol].base
            value = fill.price * fill.qty
            qty = fill.qty if fill.side is Side.BUY else -fill.qty
            cash += -value if fill.side is Side.BUY else value
            if fill.fee_coin == base:
                qty -= fill.fee
            else:
                cash -= fill.fee
            held[fill.symbol] = held.get(fill.symbol, ZERO) + qty
        yield cash + sum((q * emulator.series[s].last_price(t) for s, q in held.items() if q), ZERO)
