"""What the emulated Alpaca lists: its symbols, the asset facts it serves, their ids.

**Symbols.** A US stock is its ticker (``SPY``, ``BRK.B``: 1-5 letters, an optional class suffix); a
crypto pair is ``BASE/QUOTE`` (``BTC/USD``) as Alpaca's assets, orders and market data write it. The
legacy form without the slash (``BTCUSD``) is what Alpaca's positions carry and accept, so it is read
too (never for market data: Alpaca's crypto data refuses it). Crypto pairs quote USD, USDT or USDC.

**Asset facts.** The emulator's listing (:data:`STOCKS`) gives the flags Alpaca serves for a few
well-known tickers; any other ticker it replays is listed with :data:`DEFAULT_STOCK` facts. These
are the emulator's facts, chosen so that every case an env must handle exists on it (a stock that
cannot be sold short, one that trades in whole shares only); they are not a copy of Alpaca's current
listing, whose flags (``easy_to_borrow`` above all) change from day to day. Crypto pairs are
fractionable and never shortable or marginable, as on Alpaca.

**Ids.** Alpaca's asset ids are UUIDs; the emulator derives each from its symbol (UUID 5), so an id
is the same on every run and every emulator.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

US_EQUITY = "us_equity"
CRYPTO = "crypto"
CRYPTO_QUOTES = ("USD", "USDT", "USDC")
_NAMESPACE = uuid.UUID("5c0b6d1e-7a6b-4f0e-9a39-6d8f0a2c7e11")  # the emulator's own namespace

# Tickers: letters, an optional class suffix after a dot (BRK.B). Crypto: the pair with its slash.
_STOCK = re.compile(r"[A-Z]{1,5}(\.[A-Z]{1,2})?")
_CRYPTO = re.compile(r"([A-Z0-9]{2,10})/([A-Z]{3,5})")
_CRYPTO_LEGACY = re.compile(r"([A-Z0-9]{2,10}?)(USDT|USDC|USD)")
#: What Alpaca's crypto market data checks a symbol against (quoted in its error answer).
CRYPTO_DATA_SYMBOL = re.compile(r"[A-Z]+/[A-Z]+")


@dataclass(frozen=True, slots=True)
class AssetFacts:
    """The flags and sizes of one asset, as ``/v2/assets`` serves them (sizes as Alpaca's strings)."""

    name: str
    exchange: str
    tradable: bool = True
    marginable: bool = True
    shortable: bool = True
    easy_to_borrow: bool = True
    fractionable: bool = True
    maintenance_margin_requirement: int = 30


DEFAULT_STOCK = AssetFacts(name="", exchange="NYSE")
STOCKS: dict[str, AssetFacts] = {
    "SPY": AssetFacts("SPDR S&P 500 ETF Trust", "ARCA"),
    "QQQ": AssetFacts("Invesco QQQ Trust, Series 1", "NASDAQ"),
    "IWM": AssetFacts("iShares Russell 2000 ETF", "ARCA"),
    "AAPL": AssetFacts("Apple Inc. Common Stock", "NASDAQ"),
    "MSFT": AssetFacts("Microsoft Corporation Common Stock", "NASDAQ"),
    "NVDA": AssetFacts("NVIDIA Corporation Common Stock", "NASDAQ"),
    "AMZN": AssetFacts("Amazon.com, Inc. Common Stock", "NASDAQ"),
    "TSLA": AssetFacts("Tesla, Inc. Common Stock", "NASDAQ"),
    # Hard to borrow on the emulator: no short sales (Alpaca's 42210000 "cannot be sold short").
    "GME": AssetFacts(
        "GameStop Corp. Class A",
        "NYSE",
        shortable=False,
        easy_to_borrow=False,
        maintenance_margin_requirement=100,
    ),
    # Whole shares only on the emulator: no fractional or notional orders.
    "BRK.A": AssetFacts("Berkshire Hathaway Inc. Class A", "NYSE", fractionable=False),
}
_TAPES = {"NASDAQ": "C", "NYSE": "A"}  # everything else (ARCA, AMEX, BATS) is tape B


@dataclass(frozen=True, slots=True)
class Symbol:
    """A symbol read from a request: the emulator's market id and its asset class."""

    market_id: str  # "SPY", "BTC/USD"
    asset_class: str  # US_EQUITY or CRYPTO
    base: str
    quote: str

    @property
    def legacy(self) -> str:
        """The symbol without its slash: what Alpaca's positions carry for crypto (``BTCUSD``)."""
        return self.market_id.replace("/", "")


def parse(text: str, *, legacy_crypto: bool = True) -> Symbol | None:
    """``text`` as a stock or crypto symbol (case-insensitive), or None when it is neither.

    ``legacy_crypto``: also read a slash-less pair (``BTCUSD``) as crypto; a ticker of 6 or more
    letters cannot be a stock, so there is no ambiguity.
    """
    if not isinstance(text, str) or not text.isascii() or len(text) > 24:
        return None
    upper = text.strip().upper()
    m = _CRYPTO.fullmatch(upper)
    if m:
        base, quote = m.groups()
        return Symbol(upper, CRYPTO, base, quote) if quote in CRYPTO_QUOTES else None
    if _STOCK.fullmatch(upper):
        return Symbol(upper, US_EQUITY, upper, "USD")
    if legacy_crypto:
        m = _CRYPTO_LEGACY.fullmatch(upper)
        if m:
            base, quote = m.groups()
            return Symbol(f"{base}/{quote}", CRYPTO, base, quote)
    return None


def asset_id(market_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, market_id)


def stock_facts(market_id: str) -> AssetFacts:
    found = STOCKS.get(market_id)
    return found if found is not None else replace(DEFAULT_STOCK, name=market_id)


def crypto_facts(symbol: Symbol) -> AssetFacts:
    return AssetFacts(
        name=f"{symbol.base} / {symbol.quote}",
        exchange="CRYPTO",
        marginable=False,
        shortable=False,
        easy_to_borrow=False,
        fractionable=True,
        maintenance_margin_requirement=100,
    )


def facts(symbol: Symbol) -> AssetFacts:
    return crypto_facts(symbol) if symbol.asset_class == CRYPTO else stock_facts(symbol.market_id)


@dataclass(frozen=True, slots=True)
class CryptoSizes:
    """A crypto pair's steps (``/v2/assets``: min_order_size, min_trade_increment, price_increment)."""

    min_order_size: Decimal
    min_trade_increment: Decimal
    price_increment: Decimal


FRACTION = Decimal("0.000000001")  # Alpaca takes quantities to 9 decimals


def crypto_sizes(price: Decimal) -> CryptoSizes:
    """Scaled to the pair's price, as Alpaca lists its pairs: a minimum order worth about $1 (a power
    of ten of the base), 9 decimals of quantity, about 5 significant digits of price."""
    p = price if price > 0 else Decimal(1)
    exponent = (Decimal(1) / p).adjusted()
    min_order = Decimal(1).scaleb(exponent) if exponent < 0 else Decimal(1)
    return CryptoSizes(min_order, FRACTION, Decimal(1).scaleb(p.adjusted() - 4))


def tape(exchange: str) -> str:
    """The consolidated tape a stock prints on (A: NYSE, B: NYSE Arca and regional, C: NASDAQ)."""
    return _TAPES.get(exchange, "B")
