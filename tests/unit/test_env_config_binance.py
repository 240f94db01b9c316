"""The Binance configs: Binance's symbol spellings, the seed aliases and every invalid field named."""

from __future__ import annotations

import pytest

from torchtrade.envs import (
    BinanceFuturesSLTPTradingEnvConfig,
    BinanceFuturesTradingEnvConfig,
    FuturesEnvConfig,
    LiveEnvConfig,
)
from torchtrade.envs.binance import MarginMode, PositionMode
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit
from torchtrade.errors import ConfigError
from torchtrade.secrets import Secret

Config = BinanceFuturesTradingEnvConfig


def test_the_guide_snippet():
    config = Config(
        api_key="YOUR_API_KEY",
        api_secret="YOUR_SECRET_KEY",
        symbol="BTCUSDT",
        timeframe=TimeFrame(1, TimeFrameUnit.MINUTE),
        testnet=True,
        max_leverage=10.0,
        margin_type="ISOLATED",
    )
    assert config.symbol == "BTC/USDT:USDT"
    assert config.window_sizes == (50,)
    assert config.leverage == 10
    assert config.margin_mode is MarginMode.ISOLATED
    assert config.practice is True
    assert isinstance(config, FuturesEnvConfig)
    assert isinstance(config, LiveEnvConfig)
    assert isinstance(config.api_secret, Secret)
    assert "YOUR_SECRET_KEY" not in repr(config)


@pytest.mark.parametrize(
    ("symbol", "unified"),
    [("BTCUSDT", "BTC/USDT:USDT"), ("ETHUSDC", "ETH/USDC:USDC"), ("BTC/USDT:USDT", "BTC/USDT:USDT")],
)
def test_symbols(symbol, unified):
    assert Config(symbol=symbol).symbol == unified


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"symbol": "BTC/USD:BTC"}, "symbol"),
        ({"symbol": "btc-usdt"}, "symbol"),
        ({"symbol": 42}, "symbol"),
        ({"margin_type": "PORTFOLIO"}, "margin_type"),
        ({"max_leverage": 0}, "max_leverage"),
        ({"leverage": 0}, "leverage"),
        ({"testnet": "yes"}, "testnet"),
        ({"position_mode": "both"}, "position_mode"),
        ({"initial_cash": -1}, "initial_cash"),
        ({"max_position_size": -0.5}, "max_position_size"),
        ({"quantity_per_trade": 0}, "quantity_per_trade"),
    ],
)
def test_each_invalid_field_is_named(kwargs, field):
    with pytest.raises(ConfigError, match=rf"BinanceFuturesTradingEnvConfig\.{field}="):
        Config(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"leverage": 20, "max_leverage": 10.0}, ("leverage", "max_leverage")),
        ({"margin_mode": "isolated", "margin_type": "CROSS"}, ("margin_mode", "margin_type")),
    ],
)
def test_conflicts_name_both(kwargs, names):
    with pytest.raises(ConfigError) as e:
        Config(**kwargs)
    for name in names:
        assert f"BinanceFuturesTradingEnvConfig.{name}=" in str(e.value)


@pytest.mark.parametrize("margin_type", ["CROSSED", "CROSS", "crossed"])
def test_margin_type_spellings(margin_type):
    assert Config(margin_type=margin_type).margin_mode is MarginMode.CROSSED


def test_sltp_config_keeps_binance_defaults():
    config = BinanceFuturesSLTPTradingEnvConfig(symbol="ETHUSDT", position_mode=PositionMode.HEDGE)
    assert config.symbol == "ETH/USDT:USDT"
    assert config.stoploss_levels == (-0.025, -0.05, -0.1)
    assert config.position_mode is PositionMode.HEDGE
    assert config.initial_cash is None  # futures: the account's equity unless given a budget
