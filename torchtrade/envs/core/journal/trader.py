"""The trader wrapper: every order is journaled before it is sent, every read as it is read."""

from __future__ import annotations

from typing import Any

from ..account import BalanceState, OrderOutcome, PositionState
from .file import JournalFile, _position_json


class JournaledTrader:
    """The env's trader, recording each order in the journal before sending it, and each read.

    Everything else passes through untouched (attributes are the wrapped trader's, read and written).
    """

    def __init__(self, trader: Any, journal: JournalFile) -> None:
        object.__setattr__(self, "_trader", trader)
        object.__setattr__(self, "_journal", journal)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trader, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._trader, name, value)

    def __repr__(self) -> str:
        return repr(self._trader)

    @property
    def wrapped(self) -> Any:
        return self._trader

    def _sent(self, client_oid: str, call: str, action: str, request: dict[str, Any], send: Any) -> Any:
        seq = self._journal.sending(client_oid, call, action, request)
        # An exception leaves the row 'sending': the next start looks the order up by its client id.
        outcome = send()
        self._journal.answered(seq, outcome)
        return outcome

    def open(self, side: str, price: float, *, client_oid: str, **kw: Any) -> OrderOutcome:
        request = {"side": side, "price": price, **kw, "levels": list(self._journal._levels)}
        self._journal._levels = (None, None)
        return self._sent(
            client_oid,
            "open",
            f"open_{side}",
            request,
            lambda: self._trader.open(side, price, client_oid=client_oid, **kw),
        )

    def close(self, position: PositionState, *, client_oid: str) -> OrderOutcome:
        request = {"position": _position_json(position)}
        return self._sent(
            client_oid, "close", "close", request, lambda: self._trader.close(position, client_oid=client_oid)
        )

    def place_bracket(self, kind: str, side: str, trigger_price: float, *, client_oid: str) -> OrderOutcome:
        request = {"kind": kind, "side": side, "trigger_price": trigger_price}
        return self._sent(
            client_oid,
            "place_bracket",
            kind,
            request,
            lambda: self._trader.place_bracket(kind, side, trigger_price, client_oid=client_oid),
        )

    def position(self) -> PositionState:
        p = self._trader.position()
        self._journal.read("position", p)
        return p

    def balance(self) -> BalanceState:
        b = self._trader.balance()
        self._journal.read("balance", b)
        return b
