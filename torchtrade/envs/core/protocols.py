"""What the env core needs from a venue: a trader and a candle feed (structural types)."""

from __future__ import annotations

from typing import Any, Protocol

from ...timeframes import TimeFrame
from .account import BalanceState, FillInfo, FundingInfo, OrderOutcome, OrderState, PositionState


class Trader(Protocol):
    """What the env needs from a venue (see :class:`~torchtrade.envs.live.shared.trader.FuturesTrader`)."""

    calls: int
    retries: int
    symbol: str
    attached_brackets: bool  # the entry carries its TP/SL (else: separate orders, see execution.py)

    def position(self) -> PositionState: ...
    def balance(self) -> BalanceState: ...
    def fills_since(self, since_ms: int) -> list[FillInfo]: ...
    def funding_since(self, since_ms: int) -> list[FundingInfo]: ...
    def open(
        self,
        side: str,
        price: float,
        *,
        client_oid: str,
        free_balance: float | None = None,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        amount: float | None = None,
        max_value: float | None = None,
    ) -> OrderOutcome: ...
    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome: ...
    def place_bracket(
        self, kind: str, side: str, trigger_price: float, *, client_oid: str
    ) -> OrderOutcome: ...
    def open_brackets(self) -> list[dict[str, Any]]: ...
    def order_state(self, order_id: str) -> OrderState: ...
    def cancel_order(self, order_id: str) -> bool: ...
    def find_order(self, client_oid: str) -> dict[str, Any] | None: ...
    def cancel_brackets(self) -> None: ...
    def fetch_time(self) -> int: ...


class Feed(Protocol):
    """What the env needs from a candle feed (see :class:`~torchtrade.envs.live.shared.feed.CandleFeed`)."""

    requests: int
    last_closed_ms: int | None

    def prime(self, now_ms: int) -> None: ...
    def update(self, now_ms: int) -> int: ...
    def candles(self, tf: TimeFrame) -> Any: ...
