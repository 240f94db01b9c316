"""Every invalid config field raises at construction, with a message naming the field."""

from __future__ import annotations

import pytest

from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTradingEnvConfig,
    MarginMode,
    PositionMode,
    TradeMode,
)
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit
from torchtrade.errors import ConfigError
from torchtrade.secrets import Secret

Config = BitgetFuturesTradingEnvConfig
SLTP = BitgetFuturesSLTPTradingEnvConfig


def test_the_guide_config_is_valid():
    config = Config(
        symbol="BTC/USDT:USDT",
        time_frames=["5min", "15min"],
        window_sizes=[6, 32],
        execute_on="1min",
        product_type="USDT-FUTURES",
        leverage=5,
        quantity_per_trade=0.002,
        trade_mode=TradeMode.QUANTITY,
        margin_mode=MarginMode.ISOLATED,
        position_mode=PositionMode.ONE_WAY,
        demo=True,
        include_base_features=False,
        close_position_on_reset=False,
        done_on_bankruptcy=True,
        bankrupt_threshold=0.1,
    )
    assert config.time_frames == (TimeFrame(5, TimeFrameUnit.MINUTE), TimeFrame(15, TimeFrameUnit.MINUTE))
    assert config.execute_on == TimeFrame(1, TimeFrameUnit.MINUTE)
    assert config.window_sizes == (6, 32)


def test_the_single_timeframe_style():
    config = Config(timeframe=TimeFrame(1, TimeFrameUnit.MINUTE), window_size=50)
    assert config.time_frames == (TimeFrame(1, TimeFrameUnit.MINUTE),)
    assert config.window_sizes == (50,)
    assert config.execute_on == TimeFrame(1, TimeFrameUnit.MINUTE)


def test_strings_become_enums():
    config = Config(trade_mode="cash", margin_mode="crossed", position_mode="hedge")
    assert (config.trade_mode, config.margin_mode, config.position_mode) == (
        TradeMode.CASH,
        MarginMode.CROSSED,
        PositionMode.HEDGE,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_frames": ["7fortnights"], "window_sizes": [6]}, "time_frames"),
        ({"time_frames": ["5min"], "window_sizes": [0]}, "window_sizes"),
        ({"time_frames": ["5min"], "window_sizes": [-3]}, "window_sizes"),
        ({"time_frames": ["5min", "15min"], "window_sizes": [6]}, "window_sizes"),
        ({"time_frames": [], "window_sizes": []}, "time_frames"),
        ({"time_frames": ["5min", "5min"], "window_sizes": [6, 6]}, "time_frames"),
        ({"time_frames": ["7min"], "window_sizes": [6], "execute_on": "5min"}, "time_frames"),
        ({"execute_on": "soon"}, "execute_on"),
        ({"window_size": 20}, "window_size"),
        ({"max_leverage": 0.5}, "max_leverage"),
        ({"max_leverage": 200}, "max_leverage"),
        ({"margin_type": "PORTFOLIO"}, "margin_type"),
        ({"testnet": "yes"}, "testnet"),
        ({"initial_cash": 0}, "initial_cash"),
        ({"initial_cash": float("inf")}, "initial_cash"),
        ({"max_position_size": 0}, "max_position_size"),
        ({"max_position_size": float("nan")}, "max_position_size"),
        ({"outage_policy": "panic"}, "outage_policy"),
        ({"partial_fill_policy": "maybe"}, "partial_fill_policy"),
        ({"env_id": "abé"}, "env_id"),
        ({"leverage": 0}, "leverage"),
        ({"leverage": 126}, "leverage"),
        ({"leverage": 2.5}, "leverage"),
        ({"quantity_per_trade": 0}, "quantity_per_trade"),
        ({"quantity_per_trade": -0.01}, "quantity_per_trade"),
        ({"quantity_per_trade": float("nan")}, "quantity_per_trade"),
        ({"symbol": "BTCUSDT"}, "symbol"),
        ({"symbol": "btc/usdt"}, "symbol"),
        ({"product_type": "SPOT"}, "product_type"),
        ({"product_type": "COIN-FUTURES"}, "product_type"),
        ({"trade_mode": "all-in"}, "trade_mode"),
        ({"margin_mode": "portfolio"}, "margin_mode"),
        ({"position_mode": "both"}, "position_mode"),
        ({"bankrupt_threshold": 1.5}, "bankrupt_threshold"),
        ({"bankrupt_threshold": -0.1}, "bankrupt_threshold"),
        ({"demo": "yes"}, "demo"),
        ({"base_url": "ftp://127.0.0.1"}, "base_url"),
        ({"max_steps": 0}, "max_steps"),
        ({"request_timeout_ms": 0}, "request_timeout_ms"),
        ({"retry_attempts": 0}, "retry_attempts"),
        ({"env_id": "not valid!"}, "env_id"),
    ],
)
def test_each_invalid_field_is_named(kwargs, field):
    with pytest.raises(ConfigError, match=rf"BitgetFuturesTradingEnvConfig\.{field}="):
        Config(**kwargs)


def test_btcusdt_gets_a_hint():
    with pytest.raises(ConfigError, match=r"did you mean BTC/USDT:USDT"):
        Config(symbol="BTCUSDT")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"stoploss_levels": (0.02,)}, "stoploss_levels"),
        ({"stoploss_levels": (0,)}, "stoploss_levels"),
        ({"stoploss_levels": ()}, "stoploss_levels"),
        ({"takeprofit_levels": (0.0,)}, "takeprofit_levels"),
        ({"takeprofit_levels": (-0.05,)}, "takeprofit_levels"),
        ({"include_short_positions": "no"}, "include_short_positions"),
        ({"include_hold_action": 1}, "include_hold_action"),
    ],
)
def test_sltp_fields(kwargs, field):
    with pytest.raises(ConfigError, match=rf"BitgetFuturesSLTPTradingEnvConfig\.{field}="):
        SLTP(**kwargs)


def test_secrets_never_show_in_repr_or_errors():
    config = Config(api_key="my-key-123", api_secret="TOPSECRET", api_passphrase="PASSPHRASE-1")
    text = repr(config) + str(config)
    assert "TOPSECRET" not in text
    assert "PASSPHRASE-1" not in text
    assert "my-key-123" not in text
    assert isinstance(config.api_secret, Secret)
    assert config.api_secret.reveal() == "TOPSECRET"
    with pytest.raises(ConfigError) as e:
        Config(api_secret="TOPSECRET", leverage=0)
    assert "TOPSECRET" not in str(e.value)


def test_a_lone_timeframe_gets_the_seeds_window():
    config = Config(timeframe=TimeFrame(1, TimeFrameUnit.MINUTE))
    assert config.window_sizes == (50,)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"demo": True, "testnet": True}),
        ({"testnet": False}, {"demo": False, "testnet": False}),
        ({"demo": False}, {"demo": False, "testnet": False}),
        ({"demo": True, "testnet": True}, {"demo": True}),
        ({"max_leverage": 10.0}, {"leverage": 10}),
        ({"max_leverage": 10.5}, {"leverage": 10}),
        ({"max_leverage": 10.0, "leverage": 3}, {"leverage": 3}),
        ({}, {"leverage": 1, "margin_mode": MarginMode.ISOLATED, "margin_type": "ISOLATED"}),
        ({"margin_type": "CROSS"}, {"margin_mode": MarginMode.CROSSED, "margin_type": "CROSSED"}),
        ({"margin_type": "crossed"}, {"margin_mode": MarginMode.CROSSED}),
        ({"margin_mode": "crossed", "margin_type": "CROSS"}, {"margin_mode": MarginMode.CROSSED}),
        ({"margin_mode": MarginMode.ISOLATED}, {"margin_type": "ISOLATED"}),
        ({}, {"initial_cash": None, "max_position_size": None}),
        (
            {"initial_cash": 1000, "max_position_size": 0.1},
            {"initial_cash": 1000.0, "max_position_size": 0.1},
        ),
    ],
)
def test_seed_aliases(kwargs, expected):
    config = Config(**kwargs)
    for name, value in expected.items():
        assert getattr(config, name) == value, name


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"demo": True, "testnet": False}, ("demo", "testnet")),
        ({"leverage": 20, "max_leverage": 10.0}, ("leverage", "max_leverage")),
        ({"margin_mode": "isolated", "margin_type": "CROSSED"}, ("margin_mode", "margin_type")),
    ],
)
def test_conflicting_aliases_name_both(kwargs, names):
    with pytest.raises(ConfigError) as e:
        Config(**kwargs)
    for name in names:
        assert f"BitgetFuturesTradingEnvConfig.{name}=" in str(e.value)


def test_sltp_config_keeps_the_venues_defaults():
    config = SLTP()
    assert config.symbol == "BTC/USDT:USDT"
    assert config.demo is True
    assert isinstance(config, Config)
