"""The same env tests on every ccxt futures venue (Bitget and Binance), through the real SDK over HTTP
against the emulator; then what only Binance has: separate bracket legs and their clean-up."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torchrl.collectors import Collector
from torchrl.data import LazyTensorStorage, TensorDictReplayBuffer
from torchrl.envs.utils import check_env_specs

from tests.conftest import bundled_frame
from torchtrade.emulator.clients import ccxt_client
from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit
from torchtrade.errors import ConfigError

BTC = "BTC/USDT:USDT"


@dataclass(frozen=True)
class Venue:
    name: str
    fixture: str
    env: type
    config: type
    sltp_env: type
    sltp_config: type


VENUES = [
    Venue(
        "bitget",
        "emulator",
        BitgetFuturesTorchTradingEnv,
        BitgetFuturesTradingEnvConfig,
        BitgetFuturesSLTPTorchTradingEnv,
        BitgetFuturesSLTPTradingEnvConfig,
    ),
    Venue(
        "binance",
        "binance_emulator",
        BinanceFuturesTorchTradingEnv,
        BinanceFuturesTradingEnvConfig,
        BinanceFuturesSLTPTorchTradingEnv,
        BinanceFuturesSLTPTradingEnvConfig,
    ),
]


@pytest.fixture(params=VENUES, ids=lambda v: v.name)
def venue(request) -> Any:
    emulator = request.getfixturevalue(request.param.fixture)
    yield request.param, emulator
    assert_no_orphans(emulator)


def assert_no_orphans(emulator) -> None:
    """Zero orphaned conditional orders on the venue after every test (a flat account has none)."""
    if not emulator.control.positions():
        assert live_triggers(emulator) == []


def make(venue, sltp: bool = False, **kw):
    v, emulator = venue
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    env_cls, cfg_cls = (v.sltp_env, v.sltp_config) if sltp else (v.env, v.config)
    return env_cls(
        cfg_cls(base_url=emulator.url, **kw),
        clock=EmulatorClock(emulator.control),
        retry_sleep=lambda s: None,
    )


def legs(emulator) -> dict[str, float]:
    return {p["side"]: float(p["qty"]) for p in emulator.control.positions()}


def live_triggers(emulator) -> list[dict]:
    return [t for t in emulator.control.orders()["triggers"] if t["status"] == "live"]


# ------------------------------------------------------------------ every venue


@pytest.mark.parametrize(
    "kw",
    [
        {"time_frames": ["1min"], "window_sizes": [10]},
        {"time_frames": ["1min", "5min", "15min"], "window_sizes": [12, 8, 4]},
        {"timeframe": TimeFrame(1, TimeFrameUnit.MINUTE)},  # window_size 50, as the seeds have it
    ],
)
def test_specs(venue, kw):
    env = make(venue, **kw)
    check_env_specs(env)
    td = env.reset()
    assert td["account_state"].shape == (10,)
    sltp = make(venue, sltp=True, **kw)
    check_env_specs(sltp)
    assert sltp.action_spec.n == 19


def test_collector_and_replay_buffer(venue):
    env = make(venue)
    buffer = TensorDictReplayBuffer(storage=LazyTensorStorage(64))
    collector = Collector(env, policy=None, frames_per_batch=16, total_frames=32)
    for batch in collector:
        buffer.extend(batch)
    collector.shutdown()
    assert len(buffer) == 32


def test_actions_open_hold_close_open_short(venue):
    _, emulator = venue
    env = make(venue)
    env.reset()
    _, _, _, info = env.step(2)
    assert [o["action"] for o in info["orders"]] == ["open_long"]
    assert legs(emulator) == {"long": 0.01}
    assert env.step(2)[3]["orders"] == []
    _, _, _, info = env.step(0)
    assert [o["action"] for o in info["orders"]] == ["close"]
    assert legs(emulator) == {}
    assert [f["side"] for f in info["fills"]] == ["sell"]
    env.step(0)
    assert legs(emulator) == {"short": 0.01}
    assert info["requests"] <= 6


def test_a_close_that_fills_in_part_is_completed_in_the_same_step(venue):
    v, emulator = venue
    env = make(venue)
    env.reset()
    env.step(2)
    emulator.control.add_fault("partial_fill", "place_order", fill_ratio=0.5, times=1)
    _, _, _, info = env.step(0)
    assert legs(emulator) == {}
    assert not env.position.is_open
    assert "reconciliation" not in info
    if v.name == "bitget":  # the close-position call: the venue closes all of it, no order to fill
        assert info["partial_fills"] == []
        return
    (partial,) = info["partial_fills"]
    assert partial["kind"] == "close"
    assert (partial["filled"], partial["remainder"], partial["action"]) == (0.005, 0.005, "resent")
    assert [o["client_oid"] for o in info["orders"]] == [partial["client_oid"], partial["client_oid"] + "r"]
    assert sum(f["amount"] for f in info["fills"] if f["side"] == "sell") == pytest.approx(0.01)


@pytest.mark.parametrize("margin_type", ["ISOLATED", "CROSSED"])
def test_hedge_mode_and_margin_types(venue, margin_type):
    _, emulator = venue
    env = make(venue, position_mode="hedge", margin_type=margin_type)
    env.reset()
    env.step(0)
    assert legs(emulator) == {"short": 0.01}
    env.step(2)  # against the short: closes it
    assert legs(emulator) == {}
    modes = {p["margin_mode"] for p in emulator.control.positions()} or {margin_type.lower()}
    assert modes == {"isolated" if margin_type == "ISOLATED" else "crossed"}


def test_observation_is_the_data_file(venue):
    _, _emulator = venue
    env = make(venue, time_frames=["1min"], window_sizes=[5], include_base_features=True)
    td = env.reset()
    frame = bundled_frame()
    last = env.feed.candles("1min").index[-1]
    expected = frame.loc[:last].tail(5)
    got = td["market_data_1min_5"][:, -5:].double()
    assert torch.allclose(got[:, 3], torch.tensor(expected["close"].to_numpy()), rtol=1e-6)


def test_account_state_against_the_ledger(venue):
    _, emulator = venue
    env = make(venue)
    env.reset()
    obs, _, _, _ = env.step(2)
    (pos,) = emulator.control.positions()
    state = obs["account_state"]
    assert float(state[1]) == pytest.approx(float(pos["qty"]))
    assert float(state[3]) == pytest.approx(float(pos["entry_price"]), rel=1e-6)
    balance = {b["coin"]: b for b in emulator.control.balances()}["USDT"]
    assert float(state[0]) == pytest.approx(float(balance["available"]), rel=1e-5)


def test_sltp_brackets_are_fired_by_the_venue(venue):
    _, emulator = venue
    env = make(
        venue, sltp=True, stoploss_levels=(-0.001,), takeprofit_levels=(0.001,), include_short_positions=False
    )
    env.reset()
    env.step(1)
    assert legs(emulator) == {"long": 0.01}
    assert len(live_triggers(emulator)) == 2
    for _ in range(120):
        _, _, _, _info = env.step(0)
        if not legs(emulator):
            break
    assert legs(emulator) == {}
    assert live_triggers(emulator) == []  # the other leg is gone too
    assert env.position.legs == ()


def test_funding_is_reported(venue):
    env = make(venue, time_frames=["1h"], window_sizes=[3], quantity_per_trade=0.1)
    env.reset()
    env.step(2)
    payments = [p for _ in range(12) for p in env.step(1)[3]["funding"]]
    assert payments
    assert all(p["amount"] < 0 for p in payments)  # a long pays at the default positive rate
    assert env.get_metrics()["funding"] == pytest.approx(sum(p["amount"] for p in payments))


def test_bad_config_fields_are_named(venue):
    v, _ = venue
    for kw, name in (({"leverage": 0}, "leverage"), ({"margin_type": "PORTFOLIO"}, "margin_type")):
        with pytest.raises(ConfigError, match=rf"{v.config.__name__}\.{name}="):
            v.config(**kw)
    with pytest.raises(ConfigError, match="max_leverage"):
        v.config(leverage=20, max_leverage=10.0)


def test_secrets_never_show(venue, caplog):
    v, emulator = venue
    emulator.control.add_account("k-sec-1", "SECRET-abc-123", "PASS-xyz-789", account="sec")
    caplog.set_level(logging.DEBUG)
    kw = {"api_key": "k-sec-1", "api_secret": "SECRET-abc-123"}
    if v.name == "bitget":
        kw["api_passphrase"] = "PASS-xyz-789"
    env = make(venue, **kw)
    env.reset()
    env.step(2)
    text = repr(env) + repr(env.config) + caplog.text
    assert "SECRET-abc-123" not in text
    assert "PASS-xyz-789" not in text


# ------------------------------------------------------------------ the documented snippet, as written


def test_the_binance_docs_snippet_runs_as_written(binance_emulator):
    # The user starts the emulator with the keys the snippet names (serve --api-key/--api-secret).
    binance_emulator.control.add_account("YOUR_API_KEY", "YOUR_SECRET_KEY", account="docs")
    config = BinanceFuturesTradingEnvConfig(
        api_key="YOUR_API_KEY",
        api_secret="YOUR_SECRET_KEY",
        symbol="BTCUSDT",  # Binance's id; "BTC/USDT:USDT" works too
        timeframe=TimeFrame(1, TimeFrameUnit.MINUTE),
        testnet=True,  # the default
        max_leverage=10.0,
        margin_type="ISOLATED",
        base_url=binance_emulator.url,
        max_steps=20,
    )
    env = BinanceFuturesTorchTradingEnv(config=config, clock=EmulatorClock(binance_emulator.control))
    env.reset()
    done, steps = False, 0
    while not done:
        _obs, _reward, done, _info = env.step(env.action_spec.rand())
        steps += 1
    assert steps == 20
    assert config.symbol == BTC
    assert config.leverage == 10


# ------------------------------------------------------------------ Binance's separate bracket legs


def test_a_refused_bracket_leg_closes_the_position_at_once(binance_emulator):
    v = VENUES[1]
    env = make((v, binance_emulator), sltp=True, include_short_positions=False)
    env.reset()
    # Config levels can never ask for it, so the stop-loss's trigger is moved above the market for a
    # long; the venue itself refuses it with -2021 ("Order would immediately trigger").
    price = float(env.feed.candles("1min")["close"].iloc[-1])
    original = env.trader.place_bracket

    def refused_stop(kind, side, trigger_price, *, client_oid):
        if kind == "stop_loss":
            trigger_price = price * 1.05
        return original(kind, side, trigger_price, client_oid=client_oid)

    env.trader.place_bracket = refused_stop
    _, _, _, info = env.step(1)
    failure = info["bracket_failure"]
    assert failure["leg"] == "stop_loss"
    assert failure["code"] == "-2021"
    assert failure["closed"] == "accepted"
    assert legs(binance_emulator) == {}  # never an unprotected position
    assert live_triggers(binance_emulator) == []


def test_after_a_stop_loss_fill_the_take_profit_is_cancelled(binance_emulator):
    env = make(
        (VENUES[1], binance_emulator),
        sltp=True,
        stoploss_levels=(-0.0005,),
        takeprofit_levels=(0.5,),
    )
    env.reset()
    env.step(2)  # a short: the replayed market rises from here, to its stop-loss
    assert legs(binance_emulator) == {"short": 0.01}
    assert len(live_triggers(binance_emulator)) == 2
    for _ in range(200):
        _, _, _, info = env.step(0)
        if not legs(binance_emulator):
            break
    assert legs(binance_emulator) == {}
    assert info["brackets_cancelled"] == 1
    assert live_triggers(binance_emulator) == []


def test_conditional_orders_left_by_a_killed_env_are_cancelled_at_construction(binance_emulator):
    env = make((VENUES[1], binance_emulator), sltp=True, include_short_positions=False)
    env.reset()
    env.step(1)
    # The env is killed; someone closes the position by hand and its two legs stay behind.
    ex = ccxt_client(binance_emulator.url, "binance", enableRateLimit=False)
    ex.load_markets()
    ex.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    assert len(live_triggers(binance_emulator)) == 2
    fresh = make((VENUES[1], binance_emulator), sltp=True, include_short_positions=False)
    assert fresh.last_info["orphans_cancelled"] == 2
    assert live_triggers(binance_emulator) == []


def test_past_the_weight_limit_the_env_waits_and_carries_on(binance_emulator):
    # A budget of 6 weight per 150 ms window: one hold step alone weighs ~11 (positionRisk and account
    # weigh 5 each), so every step runs into a 429, however slow the machine.
    binance_emulator.control.reset(weight_limit=6, weight_window_ms=150)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the env's wait, as Retry-After told it (the window is short)
        waits.append(seconds)
        time.sleep(min(seconds, 0.16))

    env = BinanceFuturesTorchTradingEnv(
        BinanceFuturesTradingEnvConfig(
            base_url=binance_emulator.url, quantity_per_trade=0.01, retry_attempts=6
        ),
        clock=EmulatorClock(binance_emulator.control),
        retry_sleep=sleep,
    )
    env.reset()
    for _ in range(6):
        _, _, _, info = env.step(1)
        assert "venue_unavailable" not in info  # no lost step
    statuses = [r["status"] for r in binance_emulator.control.ledger("request")]
    assert 429 in statuses  # the burst did go past the limit...
    assert 418 not in statuses  # ...and the env never kept going into a ban
    assert waits
    # It waited as long as Retry-After said (the time left in a 150 ms window), not its own backoff.
    assert 0 < max(waits) <= 0.15
