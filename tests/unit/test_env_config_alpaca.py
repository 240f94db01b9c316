"""The Alpaca configs: the docs' snippet, symbols, asset classes, SLTP pair or grid, every invalid field."""

from __future__ import annotations

import pytest
from alpaca.data.timeframe import TimeFrame as AlpacaTimeFrame
from alpaca.data.timeframe import TimeFrameUnit as AlpacaUnit

from torchtrade.envs import AlpacaSLTPTradingEnvConfig, AlpacaTradingEnvConfig, LiveEnvConfig
from torchtrade.envs.alpaca import AlpacaTradingEnvConfig as FromSeedPath
from torchtrade.envs.bitget import TradeMode
from torchtrade.envs.utils import TimeFrame, TimeFrameUnit
from torchtrade.errors import ConfigError
from torchtrade.secrets import Secret

Config = AlpacaTradingEnvConfig
SLTP = AlpacaSLTPTradingEnvConfig
MINUTE = TimeFrame(1, TimeFrameUnit.MINUTE)


def test_the_docs_snippet():
    config = Config(
        api_key="YOUR_API_KEY",
        api_secret="YOUR_SECRET_KEY",
        paper=True,
        symbol="AAPL",
        timeframe=TimeFrame(1, TimeFrameUnit.MINUTE),
        initial_cash=10000.0,
        max_position_size=0.1,
    )
    assert FromSeedPath is Config
    assert isinstance(config, LiveEnvConfig)
    assert config.symbol == "AAPL"
    assert not config.is_crypto
    assert config.time_frames == (MINUTE,)
    assert config.window_sizes == (50,)
    assert config.execute_on == MINUTE
    assert config.initial_cash == 10000.0
    assert config.max_position_size == 0.1
    assert config.practice is True
    assert isinstance(config.api_secret, Secret)
    assert "YOUR_SECRET_KEY" not in repr(config)


def test_defaults():
    config = Config()
    assert config.paper is True
    assert config.initial_cash == 10000.0
    assert config.extended_hours is False
    assert config.trade_mode is None
    assert config.quantity_per_trade is None


def test_both_timeframe_styles_and_alpaca_py_timeframes():
    multi = Config(time_frames=["5min", "15min"], window_sizes=[6, 32], execute_on="1min")
    assert multi.execute_on == MINUTE
    assert [tf.key for tf in multi.time_frames] == ["5min", "15min"]
    sdk = Config(
        time_frames=[AlpacaTimeFrame(1, AlpacaUnit.Minute), AlpacaTimeFrame(1, AlpacaUnit.Hour)],
        window_sizes=[10, 4],
    )
    assert [tf.key for tf in sdk.time_frames] == ["1min", "1h"]
    assert Config(timeframe=AlpacaTimeFrame(5, AlpacaUnit.Minute)).execute_on.key == "5min"


@pytest.mark.parametrize(
    ("symbol", "normalised", "crypto"),
    [
        ("AAPL", "AAPL", False),
        ("spy", "SPY", False),
        ("BRK.B", "BRK.B", False),
        ("BTC/USD", "BTC/USD", True),
        ("eth/usd", "ETH/USD", True),
        ("ETH/BTC", "ETH/BTC", True),
    ],
)
def test_symbols_and_asset_classes(symbol, normalised, crypto):
    config = Config(symbol=symbol)
    assert config.symbol == normalised
    assert config.is_crypto is crypto


def test_a_crypto_symbol_without_its_slash_gets_a_hint():
    with pytest.raises(ConfigError, match=r"did you mean BTC/USD\?"):
        Config(symbol="BTCUSD")


def test_sizing():
    assert Config(quantity_per_trade=2).trade_mode is TradeMode.QUANTITY
    assert Config(quantity_per_trade=500, trade_mode="cash").trade_mode is TradeMode.CASH
    with pytest.raises(ConfigError, match=r"trade_mode='cash' needs .*quantity_per_trade"):
        Config(trade_mode="cash")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"symbol": "btc-usd"}, "symbol"),
        ({"symbol": 42}, "symbol"),
        ({"symbol": ""}, "symbol"),
        ({"paper": "yes"}, "paper"),
        ({"extended_hours": 1}, "extended_hours"),
        ({"data_feed": "nasdaq"}, "data_feed"),
        ({"quantity_per_trade": 0}, "quantity_per_trade"),
        ({"quantity_per_trade": 1, "trade_mode": "shares"}, "trade_mode"),
        ({"limit_slippage": 0.5}, "limit_slippage"),
        ({"limit_slippage": -0.01}, "limit_slippage"),
        ({"initial_cash": -1}, "initial_cash"),
        ({"max_position_size": 0}, "max_position_size"),
        ({"base_url": "localhost:8000"}, "base_url"),
        ({"timeframe": "1 fortnight"}, "timeframe"),
        ({"time_frames": ["1min", "7min"], "window_sizes": [8, 8], "execute_on": "5min"}, "time_frames"),
        ({"api_secret": 12}, "api_secret"),
    ],
)
def test_each_invalid_field_is_named(kwargs, field):
    with pytest.raises(ConfigError, match=rf"AlpacaTradingEnvConfig\.{field}="):
        Config(**kwargs)


def test_the_sltp_pair():
    config = SLTP(symbol="AAPL", sl_percent=0.02, tp_percent=0.05)
    assert config.stoploss_levels == (-0.02,)
    assert config.takeprofit_levels == (0.05,)
    assert config.include_short_positions is True
    assert config.include_hold_action is True


def test_the_sltp_grid_and_the_default_grid():
    grid = SLTP(stoploss_levels=[-0.02, -0.05], takeprofit_levels=[0.05, 0.1])
    assert grid.stoploss_levels == (-0.02, -0.05)
    assert grid.takeprofit_levels == (0.05, 0.1)
    default = SLTP()
    assert default.stoploss_levels == (-0.025, -0.05, -0.1)
    assert default.takeprofit_levels == (0.05, 0.1, 0.2)


def test_crypto_sltp_is_long_only():
    assert SLTP(symbol="BTC/USD", sl_percent=0.01, tp_percent=0.02).include_short_positions is False
    assert SLTP(symbol="BTC/USD", include_short_positions=False).include_short_positions is False
    with pytest.raises(ConfigError, match=r"include_short_positions=True: BTC/USD is crypto"):
        SLTP(symbol="BTC/USD", include_short_positions=True)
    assert SLTP(symbol="SPY", include_short_positions=False).include_short_positions is False


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sl_percent": 0.02}, r"tp_percent=None"),
        ({"sl_percent": 0, "tp_percent": 0.05}, r"sl_percent=0"),
        ({"sl_percent": -0.02, "tp_percent": 0.05}, r"sl_percent=-0.02"),
        ({"sl_percent": 0.02, "tp_percent": 1.5}, r"tp_percent=1.5"),
        (
            {"sl_percent": 0.02, "tp_percent": 0.05, "stoploss_levels": [-0.01]},
            r"sl_percent/tp_percent and .* conflict",
        ),
        ({"stoploss_levels": [0.02]}, r"stoploss_levels="),
        ({"takeprofit_levels": []}, r"takeprofit_levels="),
        ({"include_short_positions": "no"}, r"include_short_positions="),
    ],
)
def test_invalid_sltp_fields_are_named(kwargs, match):
    with pytest.raises(ConfigError, match=rf"AlpacaSLTPTradingEnvConfig\.{match}"):
        SLTP(**kwargs)
