"""What an env knows of its account, venue-agnostic: position, balance, fills, order outcomes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Side = Literal["long", "short"]

ACCOUNT_STATE_FIELDS = (
    "cash",
    "position_size",
    "position_value",
    "entry_price",
    "current_price",
    "unrealized_pnl_pct",
    "leverage",
    "margin_ratio",
    "liquidation_price",
    "holding_time",
)


@dataclass(frozen=True, slots=True)
class PositionState:
    """The venue's position in one symbol (``side`` None: flat). ``size`` is unsigned, in base units."""

    side: Side | None = None
    size: float = 0.0
    entry_price: float = 0.0
    mark_price: float = 0.0
    leverage: float = 0.0
    liquidation_price: float = 0.0
    unrealized_pnl: float = 0.0
    margin_mode: str | None = None

    @property
    def signed_size(self) -> float:
        return self.size if self.side == "long" else -self.size if self.side == "short" else 0.0

    @property
    def is_open(self) -> bool:
        return self.side is not None and self.size > 0

    @property
    def notional(self) -> float:
        return self.size * self.mark_price


FLAT = PositionState()


@dataclass(frozen=True, slots=True)
class BalanceState:
    """Account value in the settle coin: ``total`` (equity, with unrealized PnL) and ``free`` (available)."""

    total: float
    free: float


@dataclass(frozen=True, slots=True)
class FillInfo:
    id: str
    order_id: str
    side: str
    price: float
    amount: float
    fee: float
    realized_pnl: float
    timestamp: int
    maker: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class OrderOutcome:
    """What happened to one intended order.

    ``status``: ``accepted`` (the venue has it), ``rejected`` (the venue or a pre-send check refused
    it: ``code``/``reason`` say why), ``skipped`` (nothing to do, e.g. no position to close) or
    ``unknown`` (transient failures outlasted the retries and the venue never confirmed it).
    """

    client_oid: str
    action: str  # "open_long", "open_short", "close"
    status: Literal["accepted", "rejected", "skipped", "unknown"]
    amount: float = 0.0
    order_id: str | None = None
    reason: str | None = None
    code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {})}


def account_state(
    position: PositionState, balance: BalanceState, current_price: float, holding_time: int
) -> np.ndarray:
    """The 10-element ``account_state`` vector, in :data:`ACCOUNT_STATE_FIELDS` order.

    ``cash`` is the free (available) balance; ``position_value`` the absolute notional at the mark;
    ``unrealized_pnl_pct`` the position's price return since entry (a fraction, signed by side, not
    multiplied by leverage); ``margin_ratio`` the position value over total equity; ``holding_time``
    the number of steps the current position has been held.
    """
    mark = position.mark_price or current_price
    value = position.size * mark
    pnl_pct = 0.0
    if position.is_open and position.entry_price > 0:
        sign = 1.0 if position.side == "long" else -1.0
        pnl_pct = sign * (mark / position.entry_price - 1.0)
    margin_ratio = value / balance.total if balance.total > 0 else 0.0
    return np.array(
        [
            balance.free,
            position.signed_size,
            value,
            position.entry_price if position.is_open else 0.0,
            current_price,
            pnl_pct,
            position.leverage if position.is_open else 0.0,
            margin_ratio,
            position.liquidation_price if position.is_open else 0.0,
            float(holding_time),
        ],
        dtype=np.float32,
    )
