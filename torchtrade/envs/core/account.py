"""What an env knows of its account, venue-agnostic: position, balance, fills, order outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
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


def exact_sum(values: Iterable[float]) -> float:
    """Sum venue amounts exactly: each float is read as the short decimal it was parsed from
    (``0.03 - 0.01`` is ``0.02``, not ``0.019999999999999997``)."""
    values = list(values)
    if len(values) < 2:
        # A float's repr reads back as that float, and Decimal(0) + it has no sign of zero: the same
        # result as below without the Decimals (the one-leg position of every step).
        return float(values[0]) + 0.0 if values else 0.0
    return float(sum((Decimal(repr(float(v))) for v in values), Decimal(0)))


def _plain_fields(obj: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` of a dataclass whose fields are all immutable scalars (str, numbers, bool,
    None): asdict would deep-copy them into the same values, at ten times the cost."""
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def _as_plain(value: Any) -> Any:
    """A value as ``dataclasses.asdict`` copies a field: containers rebuilt, dataclasses as dicts."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, dict):
        return type(value)((_as_plain(k), _as_plain(v)) for k, v in value.items())
    if type(value) is list:
        return [_as_plain(v) for v in value]
    return asdict(_Box(value))["v"]  # anything else (tuples, dataclasses, ...): asdict's own way


@dataclass(slots=True)
class _Box:
    v: Any


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of the venue's position in a symbol, exactly as the venue reports it.

    ``size`` is unsigned, in base units, in the market's precision (never a recomputed amount).
    """

    side: Side
    size: float
    entry_price: float = 0.0
    mark_price: float = 0.0
    leverage: float = 0.0
    liquidation_price: float = 0.0
    unrealized_pnl: float = 0.0
    margin_mode: str | None = None

    @property
    def signed_size(self) -> float:
        return self.size if self.side == "long" else -self.size

    def as_dict(self) -> dict[str, Any]:
        return _plain_fields(self)


@dataclass(frozen=True, slots=True)
class PositionState:
    """The venue's position in one symbol: its legs (none: flat; one in one-way mode; up to two, a long
    and a short, in hedge mode). The legs are the state; everything else is a view of them.

    With a single leg the views are that leg's. With both legs (hedge mode) they describe the *net*
    exposure, computed exactly: ``signed_size`` is long − short, ``side`` the net side (None when the
    legs cancel out, although :attr:`is_open` is still True: there is something to close), ``size`` its
    magnitude; ``entry_price``, ``leverage``, ``liquidation_price`` and ``margin_mode`` are the larger
    leg's (the long one on a tie); ``unrealized_pnl`` is the legs' sum and ``gross_size`` their total.
    """

    legs: tuple[Leg, ...] = ()
    # Views of the legs, computed once: a step reads its position a dozen times. Not part of the
    # position's identity (equality and hash are the legs').
    _open: bool = field(init=False, repr=False, compare=False)
    _signed: float = field(init=False, repr=False, compare=False)
    _main_leg: Leg | None = field(init=False, repr=False, compare=False)
    _sizes: tuple[tuple[str, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        legs = self.legs
        if len(legs) == 1:  # one-way mode, or one leg of hedge mode: the leg's own (exact_sum's too)
            leg = legs[0]
            opened, signed, main = leg.size > 0, leg.signed_size + 0.0, leg
            sizes: tuple[tuple[str, float], ...] = ((leg.side, leg.size),) if opened else ()
        else:
            opened = any(leg.size > 0 for leg in legs)
            signed = exact_sum(leg.signed_size for leg in legs)
            main = max(legs, key=lambda leg: (leg.size, leg.side == "long")) if legs else None
            sizes = tuple(sorted((leg.side, leg.size) for leg in legs if leg.size > 0))
        object.__setattr__(self, "_sizes", sizes)  # what same_as compares
        object.__setattr__(self, "_open", opened)
        object.__setattr__(self, "_signed", signed)
        object.__setattr__(self, "_main_leg", main)

    @classmethod
    def single(cls, side: Side, size: float, **fields: Any) -> PositionState:
        return cls((Leg(side, size, **fields),))

    def leg(self, side: Side) -> Leg | None:
        return next((leg for leg in self.legs if leg.side == side), None)

    @property
    def is_open(self) -> bool:
        """True while the venue holds anything in the symbol, even legs that net to zero."""
        return self._open

    @property
    def hedged(self) -> bool:
        """Both a long and a short leg are open."""
        return self.leg("long") is not None and self.leg("short") is not None

    @property
    def signed_size(self) -> float:
        return self._signed

    @property
    def gross_size(self) -> float:
        return exact_sum(leg.size for leg in self.legs)

    @property
    def side(self) -> Side | None:
        net = self.signed_size
        return "long" if net > 0 else "short" if net < 0 else None

    @property
    def size(self) -> float:
        return abs(self.signed_size)

    @property
    def main(self) -> Leg | None:
        """The larger leg (the long one on a tie); None when flat."""
        return self._main_leg

    def _main(self, name: str, default: Any = 0.0) -> Any:
        main = self._main_leg
        return getattr(main, name) if main is not None else default

    @property
    def entry_price(self) -> float:
        return self._main("entry_price")

    @property
    def mark_price(self) -> float:
        return self._main("mark_price")

    @property
    def leverage(self) -> float:
        return self._main("leverage")

    @property
    def liquidation_price(self) -> float:
        return self._main("liquidation_price")

    @property
    def margin_mode(self) -> str | None:
        return self._main("margin_mode", None)

    @property
    def unrealized_pnl(self) -> float:
        return float(sum(leg.unrealized_pnl for leg in self.legs))

    @property
    def notional(self) -> float:
        return self.size * self.mark_price

    def same_as(self, other: PositionState, slack: float = 0.0) -> bool:
        """The same legs (side and exact size), whatever the prices.

        ``slack`` > 0: sizes may differ by that fraction of the larger one (a venue that takes its fee
        in the coin bought holds a little less than the order filled: Alpaca crypto).
        """
        if slack <= 0:
            # Floats are equal exactly when their shortest decimals (``_shape``) are: legs kept sorted.
            return self._sizes == other._sizes
        mine, theirs = dict(_shape(self)), dict(_shape(other))
        if mine.keys() != theirs.keys():
            return False
        return all(abs(mine[s] - theirs[s]) <= Decimal(repr(slack)) * max(mine[s], theirs[s]) for s in mine)

    def describe(self) -> str:
        """``"flat"``, ``"long 0.01"`` or ``"long 0.03 + short 0.01"``."""
        if not self.is_open:
            return "flat"
        return " + ".join(f"{leg.side} {leg.size:g}" for leg in sorted(self.legs, key=lambda x: x.side))

    def legs_info(self) -> list[dict[str, Any]]:
        return [leg.as_dict() for leg in self.legs]


def _shape(position: PositionState) -> tuple[tuple[str, Decimal], ...]:
    return tuple(sorted((leg.side, Decimal(repr(float(leg.size)))) for leg in position.legs if leg.size > 0))


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
        return _plain_fields(self)


@dataclass(frozen=True, slots=True)
class FundingInfo:
    """One funding payment of the symbol: ``amount`` > 0 received, < 0 paid (settle coin)."""

    id: str
    timestamp: int
    amount: float

    def as_dict(self) -> dict[str, Any]:
        return _plain_fields(self)


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
    filled: float | None = None  # what filled, once known (None: not checked)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def as_dict(self) -> dict[str, Any]:
        out = {}
        for name in self.__dataclass_fields__:
            value = _as_plain(getattr(self, name))
            if value not in (None, {}):
                out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order as the venue reports it now (``status``: ccxt's ``open``/``closed``/``canceled``)."""

    order_id: str
    status: str
    amount: float
    filled: float
    average: float | None = None

    @property
    def working(self) -> bool:
        return self.status == "open"


def account_state(
    position: PositionState, balance: BalanceState, current_price: float, holding_time: int
) -> np.ndarray:
    """The 10-element ``account_state`` vector, in :data:`ACCOUNT_STATE_FIELDS` order.

    ``cash`` is the free (available) balance; ``position_size`` the signed net size; ``position_value``
    the net notional at the mark; ``unrealized_pnl_pct`` the position's price return since entry (a
    fraction, signed by side, not multiplied by leverage); ``margin_ratio`` the *gross* notional (every
    leg) over total equity; ``holding_time`` the number of steps the current position has been held.

    When both legs of a hedge-mode position are open, the return is that of the legs together
    (``Σ signed size × (mark − entry) / Σ size × entry``), and entry price, leverage and liquidation
    price are the larger leg's (see :class:`PositionState`); the legs themselves are in ``info["legs"]``.
    """
    mark = position.mark_price or current_price
    pnl_pct = 0.0
    cost = sum(leg.size * leg.entry_price for leg in position.legs)
    if position.is_open and cost > 0:
        pnl = sum(leg.signed_size * ((leg.mark_price or mark) - leg.entry_price) for leg in position.legs)
        pnl_pct = pnl / cost
    gross = sum(leg.size * (leg.mark_price or mark) for leg in position.legs)
    margin_ratio = gross / balance.total if balance.total > 0 else 0.0
    return np.array(
        [
            balance.free,
            position.signed_size,
            position.size * mark,
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
