"""The fault-matrix harness for the Alpaca envs (stock and crypto, standard and SLTP): the futures
harness (:mod:`tests.integration.fault_matrix`) with what differs on a spot venue.

Same run, same faults (:func:`~tests.integration.fault_matrix.seeded_faults` on Alpaca's routes),
same scripted scenarios, same counting (:class:`~tests.integration.fault_matrix.Tally`). What differs:

* the env: an Alpaca env on SPY (stock: the market's calendar, shorts allowed) or BTC/USD (crypto:
  around the clock, long only), trading a fixed quantity (10 shares, 0.01 BTC) so that a venue
  position larger than one trade shows as over-exposed;
* the account needs no settings (no position, margin or leverage mode): an emulator restart only
  reloads the market data;
* venue orders are the orders our client placed (the ledger's API orders without a parent); a stock
  bracket's stop-loss and take-profit are legs the venue makes for the entry (no decisions of their
  own: the entry is one decision, as on Bitget). Crypto brackets are the env's own market closes;
* orphans: a bracket leg still live (new, held, accepted) while the venue holds the stock flat.

Used by ``tests/integration/test_alpaca_env_faults.py`` (a CI-sized run per cell) and
``bench/fault_soak.py --venues alpaca`` (1,000 steps per cell).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.integration.fault_matrix import (
    MatrixConfig,
    Settings,
    SoakRun,
    Tally,
    VenueSpec,
    _legs_of_venue,
)
from tests.integration.test_alpaca_env import BTC_FILE, SPY_FILE
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
)

SYMBOLS = {"stock": "SPY", "crypto": "BTC/USD"}
# Bars of history at a reset: the replay starts 400 minutes into the files, at Friday 2013-10-04
# 12:46 ET (a stock env warms up on regular minutes of the session already open). Left to step: SPY
# 194 regular minutes that Friday and 5 sessions of 390, about 2,140 steps; BTC/USD 3,816 bars.
HISTORY_BARS = 400
LIVE = ("new", "held", "accepted", "pending_new", "partially_filled")

ALPACA_STOCK = VenueSpec(
    name="alpaca",
    env=AlpacaTorchTradingEnv,
    sltp_env=AlpacaSLTPTorchTradingEnv,
    config=AlpacaTradingEnvConfig,
    sltp_config=AlpacaSLTPTradingEnvConfig,
    order_routes=("place_order",),
    position_routes=("position",),
    position_glob="position",
    candle_glob="stock_bars",
    quantity=Decimal("10"),
    # Alpaca meters 200 requests per wall-clock minute; a run replays hours of bars in seconds, so
    # the budget is lifted (the env under a 429 is tested apart, and the seeded 429s stay).
    reset_fields={
        "weight_limit": 10**9,
        "data": [f"SPY={SPY_FILE}", f"BTC/USD={BTC_FILE}"],
    },
    market_id="SPY",
)
ALPACA_CRYPTO = dataclasses.replace(
    ALPACA_STOCK, candle_glob="crypto_bars", quantity=Decimal("0.01"), market_id="BTC/USD"
)
SPECS = {"stock": ALPACA_STOCK, "crypto": ALPACA_CRYPTO}


@dataclass(frozen=True)
class SpotConfig(MatrixConfig):
    """One Alpaca cell: stock or crypto, standard or SLTP, with or without resets."""

    asset: str = "stock"  # "stock" | "crypto"
    venue: str = "alpaca"

    @property
    def name(self) -> str:
        kind = "sltp" if self.sltp else "standard"
        return f"alpaca/{self.asset}/{kind}{'+resets' if self.resets else ''}"

    @property
    def spec(self) -> VenueSpec:
        return SPECS[self.asset]


def spot_matrix() -> list[SpotConfig]:
    """Stock and crypto × standard and SLTP, plus one crypto run with resets."""
    cells = [(asset, sltp, False) for asset in ("stock", "crypto") for sltp in (False, True)]
    cells.append(("crypto", False, True))
    return [
        SpotConfig(
            sltp=sltp, position_mode="one_way", margin_mode="cash", resets=resets, asset=asset, index=n
        )
        for n, (asset, sltp, resets) in enumerate(cells)
    ]


def _spot_venue_name(symbol: str) -> set[str]:
    return {symbol, symbol.replace("/", "")}


class SpotRun(SoakRun):
    """One Alpaca cell's run: :class:`SoakRun` with a spot env, no account settings, bracket legs as
    the venue's own orders."""

    config: SpotConfig
    ID_PREFIX = "s"

    def _env_config(self) -> Any:
        cfg = self.config
        cls = self.venue.sltp_config if cfg.sltp else self.venue.config
        fields = self._run_fields()  # the brackets too: 3-6 bp, a few cents on SPY
        fields.update(
            symbol=SYMBOLS[cfg.asset], time_frames=["1min"], window_sizes=[10], trade_mode="quantity"
        )
        return cls(**fields)

    def _reset_emulator(self, fault_seed: int) -> None:
        self.control.reset(history_bars=HISTORY_BARS, fault_seed=fault_seed, **self.venue.reset_fields)
        self._cursor = 0

    def _provision(self) -> None:
        """A cash/margin securities account has no modes to set."""

    def _ours(self, event: dict[str, Any]) -> bool:
        """An order our client placed: the API's, without a parent (a bracket's legs are the venue's)."""
        return (
            event["kind"] == "order"
            and event.get("symbol") in _spot_venue_name(self.venue.market_id)
            and event.get("source") == "api"
            and not event.get("parent_id")
        )

    def _venue(
        self, settle: bool = True, triggers: bool = True
    ) -> tuple[tuple[tuple[str, Decimal], ...], int]:
        """The venue's position, and its orphans: bracket legs still live while it is flat."""
        if settle:
            self.control.settle()
        names = _spot_venue_name(self.venue.market_id)
        rows = [
            dict(r, symbol=self.venue.market_id) for r in self.control.positions() if r["symbol"] in names
        ]
        legs = _legs_of_venue(rows, self.venue.market_id)
        if not triggers or legs:
            return legs, 0
        return legs, sum(
            o["status"] in LIVE and o["symbol"] in names and bool(o.get("parent_id") or o.get("role"))
            for o in self.control.orders()["orders"]
        )


def run_spot_config(server: Any, config: SpotConfig, settings: Settings) -> Tally:
    """Run one Alpaca cell on ``server``, an Alpaca emulator (it is reset first)."""
    return SpotRun(server, config, settings).run()
