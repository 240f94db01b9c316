"""A venue as data: what differs between ccxt futures venues, in one frozen profile.

The shared trader reads these facts instead of asking ``if venue == ...``; a venue module overrides
methods only for quirks data cannot express.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSSED = "crossed"

    @property
    def ccxt(self) -> str:
        """ccxt's unified name (``"cross"`` / ``"isolated"``)."""
        return "cross" if self is MarginMode.CROSSED else "isolated"


class PositionMode(StrEnum):
    ONE_WAY = "one_way"
    HEDGE = "hedge"


class TradeMode(StrEnum):
    """How ``quantity_per_trade`` is read.

    QUANTITY: an amount of the base coin (0.002 BTC).
    CASH: a position value in the quote coin (100 USDT): amount = value / price, rounded down.
    """

    QUANTITY = "quantity"
    CASH = "cash"


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """Facts about a ccxt futures venue that the shared trader needs.

    Attributes:
        name: our name for the venue (``"bitget"``).
        ccxt_id: the ccxt class (``"bitget"``, ``"binanceusdm"``).
        key_env: environment variables holding (key, secret, passphrase).
        needs_passphrase: the venue signs with a passphrase (Bitget).
        margin_mode_per_order: the margin mode goes with every order (Bitget reads it from the order).
        close_position_call: the venue closes a position leg by itself (ccxt's ``close_position``), so
            the env never recomputes a close amount.
        no_position_codes: codes meaning "nothing to close" (answered gracefully, not as a failure).
        duplicate_order_codes: codes meaning "this client order id was already used".
        fill_pnl_field: field of a raw fill holding its realized PnL.
        ohlcv_page_limit: candles per request ccxt may get (the smallest of the venue's endpoints).
        ccxt_options: options for the ccxt constructor.
        practice_name: what the venue calls its practice account (for reprs and logs).
        funding_interval_h: hours between funding times (on UTC boundaries); the env reads its funding
            only after a position was held across one.
        practice_call: how ccxt reaches the practice venue: ``"sandbox"`` (``set_sandbox_mode``) or
            ``"demo_trading"`` (``enable_demo_trading``).
        attached_brackets: the entry order carries its stop-loss and take-profit (Bitget's presets);
            otherwise they are separate conditional orders the env places and cleans up itself.
        client_ids_unique_while_open: the venue refuses a client id only while an order with it is
            open (Binance), so a resend of a filled order would be accepted: after an ambiguous
            failure, a lookup that finds nothing is repeated once after a pause before resending.
        error_codes: the venue's codes and the torchtrade error each means, whatever ccxt made of them
            (ccxt maps some Binance codes only on Binance's own hosts).
    """

    name: str
    ccxt_id: str
    key_env: tuple[str, str, str | None]
    needs_passphrase: bool = False
    margin_mode_per_order: bool = False
    close_position_call: bool = False
    no_position_codes: tuple[str, ...] = ()
    duplicate_order_codes: tuple[str, ...] = ()
    fill_pnl_field: str = "realizedPnl"
    ohlcv_page_limit: int = 500
    ccxt_options: dict[str, object] = field(default_factory=dict)
    practice_name: str = "testnet"
    funding_interval_h: int = 8
    practice_call: str = "sandbox"
    attached_brackets: bool = True
    client_ids_unique_while_open: bool = False
    error_codes: dict[str, str] = field(default_factory=dict)
