"""Configuration of the Alpaca envs (US stocks and crypto spot through alpaca-py) over the shared config.

Alpaca's own fields are few: the paper account switch, extended hours, the stock data feed and how
much an entry buys. Everything else (symbol, both timeframe styles, keys, ``base_url``,
``initial_cash``, ``max_position_size``, retries, outage policy...) is
:class:`~torchtrade.envs.core.config.LiveEnvConfig`'s.

The symbol says the asset class: ``"AAPL"``, ``"SPY"``, ``"BRK.B"`` are stocks; ``"BTC/USD"`` (a
slash) is crypto. Timeframes may also be alpaca-py's own ``alpaca.data.timeframe.TimeFrame``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ....config import positive_number, require
from ....errors import ConfigError
from ...core.config import LiveEnvConfig, SLTPConfig, boolean_fields, enum_field
from ..shared.venue import TradeMode

_STOCK = re.compile(r"^[A-Z][A-Z0-9]{0,9}([.][A-Z]{1,2})?$")
_CRYPTO = re.compile(r"^([A-Z0-9]{2,10})/(USD|USDT|USDC|BTC)$")
_CRYPTO_NO_SLASH = re.compile(r"^([A-Z0-9]{2,10}?)(USD|USDT|USDC)$")
_KNOWN_COINS = {"BTC", "ETH", "SOL", "LTC", "DOGE", "AVAX", "LINK", "UNI", "AAVE", "BCH", "DOT", "XRP"}
DATA_FEEDS = ("iex", "sip", "delayed_sip", "boats", "overnight", "otc")


def alpaca_symbol(owner: str, symbol: object) -> str:
    """A stock ticker (``"AAPL"``) or a crypto pair (``"BTC/USD"``), upper-cased."""
    require(isinstance(symbol, str) and symbol.strip() != "", owner, "symbol", symbol, "must be a string")
    assert isinstance(symbol, str)
    value = symbol.strip().upper()
    if _CRYPTO.match(value) or (_STOCK.match(value) and not _looks_like_crypto(value)):
        return value
    m = _CRYPTO_NO_SLASH.match(value)
    hint = f"; did you mean {m.group(1)}/{m.group(2)}?" if m else ""
    raise ConfigError(
        f"{owner}.symbol={symbol!r}: use a stock ticker ('AAPL', 'SPY', 'BRK.B') or a crypto pair with a "
        f"slash ('BTC/USD'){hint}"
    )


def _looks_like_crypto(value: str) -> bool:
    """``"BTCUSD"``: Alpaca's crypto symbol without its slash, which the data API does not take."""
    m = _CRYPTO_NO_SLASH.match(value)
    return bool(m and m.group(1) in _KNOWN_COINS)


def _timeframe_value(value: Any) -> Any:
    """alpaca-py's ``TimeFrame(1, TimeFrameUnit.Minute)`` as its string (``"1Min"``); anything else as is."""
    if hasattr(value, "amount_value") and hasattr(value, "unit_value"):
        return str(value.value)
    return value


@dataclass(frozen=True, kw_only=True)
class AlpacaTradingEnvConfig(LiveEnvConfig):
    """Configuration of :class:`~torchtrade.envs.alpaca.AlpacaTorchTradingEnv`.

    Every field of :class:`~torchtrade.envs.core.config.LiveEnvConfig`, plus:

    Attributes:
        symbol: a stock ticker (``"AAPL"``, ``"SPY"``) or a crypto pair (``"BTC/USD"``: the slash
            makes it crypto). Checked against the venue's assets when the env connects (an unknown or
            untradable one raises there).
        paper: Alpaca's paper account (default True). Production needs ``paper=False`` and live keys.
        extended_hours: a stock env also trades pre-market (04:00-09:30 ET) and after-hours
            (16:00-20:00 ET), with marketable limit orders as Alpaca requires there (a market order is
            refused outside the regular session); its clock steps on bars of those sessions too.
            Ignored for crypto, which trades around the clock.
        data_feed: the stock data feed: ``"iex"`` (default: every account may read it, live), ``"sip"``
            (every US exchange's trades: a data subscription is needed for the last 15 minutes, which
            a live env always asks for), ``"delayed_sip"``...; None: the venue's default.
        trade_mode / quantity_per_trade: what an entry buys (or sells short): None (default) spends
            the env's sizing budget (its free cash, no more than its portfolio value), cut to
            ``max_position_size`` × portfolio value if set; else ``quantity_per_trade`` shares or coins
            (``"quantity"``) or dollars (``"cash"``).
        limit_slippage: how far through the last close an extended-hours limit order is priced
            (0.005: 0.5 % above it to buy, below it to sell), so that it is marketable.
        initial_cash: the env's budget in USD (default 10,000, the docs' figure): its portfolio value
            is that plus its own results (see :class:`LiveEnvConfig`); None: the account's equity.

    Keys: arguments, config, ALPACA_API_KEY / ALPACA_SECRET_KEY, or ``.env`` (none of those against
    a local emulator, which has its own default keys).
    """

    symbol: str = "SPY"
    paper: bool = True
    extended_hours: bool = False
    data_feed: str | None = "iex"
    trade_mode: TradeMode | str | None = None
    quantity_per_trade: float | None = None
    limit_slippage: float = 0.005

    def __post_init__(self) -> None:
        owner = type(self).__name__
        set_ = object.__setattr__
        set_(self, "symbol", alpaca_symbol(owner, self.symbol))
        for name in ("timeframe", "execute_on"):
            set_(self, name, _timeframe_value(getattr(self, name)))
        if isinstance(self.time_frames, Sequence) and not isinstance(self.time_frames, str):
            set_(self, "time_frames", [_timeframe_value(tf) for tf in self.time_frames])
        else:
            set_(self, "time_frames", _timeframe_value(self.time_frames))
        super().__post_init__()
        boolean_fields(self, owner, "paper", "extended_hours")
        if self.data_feed is not None:
            feed = str(self.data_feed).lower()
            require(
                feed in DATA_FEEDS, owner, "data_feed", self.data_feed, f"must be one of {list(DATA_FEEDS)}"
            )
            set_(self, "data_feed", feed)
        self._check_sizing(owner)
        if not self.is_crypto and self.execute_on.ms >= 86_400_000:  # type: ignore[union-attr]
            raise ConfigError(
                f"{owner}.execute_on={self.execute_on}: a stock env steps on intraday bars of its sessions; "
                "observe daily bars through time_frames (e.g. time_frames=['1h', '1d'], execute_on='1h')"
            )

    def _check_sizing(self, owner: str) -> None:
        set_ = object.__setattr__
        if self.quantity_per_trade is not None:
            set_(
                self,
                "quantity_per_trade",
                positive_number(owner, "quantity_per_trade", self.quantity_per_trade),
            )
            mode = self.trade_mode if self.trade_mode is not None else TradeMode.QUANTITY
            set_(self, "trade_mode", enum_field(owner, "trade_mode", mode, TradeMode))
        elif self.trade_mode is not None:
            raise ConfigError(
                f"{owner}.trade_mode={getattr(self.trade_mode, 'value', self.trade_mode)!r} needs "
                f"{owner}.quantity_per_trade: without it an entry spends the env's budget"
            )
        value = self.limit_slippage
        require(
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and 0 <= value < 0.1,
            owner,
            "limit_slippage",
            value,
            "must be a fraction in [0, 0.1)",
        )

    @property
    def is_crypto(self) -> bool:
        """A crypto pair (``"BTC/USD"``): 24/7, long only, no venue brackets."""
        return "/" in self.symbol

    @property
    def practice(self) -> bool:
        """True for the paper account (the default), False for production."""
        return bool(self.paper)


@dataclass(frozen=True, kw_only=True)
class AlpacaSLTPTradingEnvConfig(AlpacaTradingEnvConfig, SLTPConfig):
    """Configuration of :class:`~torchtrade.envs.alpaca.AlpacaSLTPTorchTradingEnv`: the Alpaca config
    plus the bracket levels.

    Give either one pair, ``sl_percent=0.02, tp_percent=0.05`` (a stop-loss 2 % against the entry and
    a take-profit 5 % in favour: actions HOLD, long, and short for a stock), or a grid,
    ``stoploss_levels=[-0.02, -0.05]`` and ``takeprofit_levels=[0.05, 0.1]`` (negative and positive
    fractions, as in :class:`~torchtrade.envs.core.config.SLTPConfig`); neither: the default grid.

    Attributes:
        sl_percent / tp_percent: the pair (positive fractions); both or neither.
        include_short_positions: short entries too. None (default): yes for a stock, no for crypto,
            which Alpaca does not lend; True for crypto raises.
    """

    sl_percent: float | None = None
    tp_percent: float | None = None
    stoploss_levels: Sequence[float] | None = None  # type: ignore[assignment]
    takeprofit_levels: Sequence[float] | None = None  # type: ignore[assignment]
    include_short_positions: bool | None = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        owner = type(self).__name__
        self._resolve_levels(owner)
        crypto = isinstance(self.symbol, str) and "/" in self.symbol
        shorts = self.include_short_positions
        if shorts is None:
            object.__setattr__(self, "include_short_positions", not crypto)
        elif shorts is True and crypto:
            raise ConfigError(
                f"{owner}.include_short_positions=True: {self.symbol} is crypto, which Alpaca does not "
                "sell short (the env is long only there)"
            )
        super().__post_init__()
        if self.extended_hours and not crypto:
            raise ConfigError(
                f"{owner}.extended_hours=True: Alpaca's bracket orders trade in the regular session only; "
                "use the standard env for pre- and post-market trading"
            )

    def _resolve_levels(self, owner: str) -> None:
        set_ = object.__setattr__
        pair = (self.sl_percent, self.tp_percent)
        grid = (self.stoploss_levels, self.takeprofit_levels)
        if pair == (None, None):
            defaults = SLTPConfig.__dataclass_fields__
            for name, given in zip(("stoploss_levels", "takeprofit_levels"), grid, strict=True):
                set_(self, name, given if given is not None else defaults[name].default)
            return
        for name, value in zip(("sl_percent", "tp_percent"), pair, strict=True):
            require(
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and 0 < value < 1,
                owner,
                name,
                value,
                "must be a fraction in (0, 1) (0.02 = 2 %); give sl_percent and tp_percent together",
            )
        if grid != (None, None):
            raise ConfigError(
                f"{owner}.sl_percent/tp_percent and {owner}.stoploss_levels/takeprofit_levels conflict: "
                "give one pair or one grid"
            )
        set_(self, "sl_percent", float(self.sl_percent))  # type: ignore[arg-type]
        set_(self, "tp_percent", float(self.tp_percent))  # type: ignore[arg-type]
        set_(self, "stoploss_levels", (-float(self.sl_percent),))  # type: ignore[arg-type]
        set_(self, "takeprofit_levels", (float(self.tp_percent),))  # type: ignore[arg-type]
