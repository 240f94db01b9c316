"""The Bitget envs through ccxt over HTTP against the emulator: specs, TorchRL plumbing, actions,
observations, brackets, modes, request budget, config and secrets."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest
import torch
from tensordict import TensorDict
from torchrl.collectors import Collector
from torchrl.data import LazyTensorStorage, TensorDictReplayBuffer
from torchrl.envs import Compose, DoubleToFloat, InitTracker, RewardSum, StepCounter, TransformedEnv
from torchrl.envs.utils import check_env_specs

from tests.conftest import BTC, bundled_frame
from torchtrade.emulator.clients import ccxt_client
from torchtrade.envs import EmulatorClock
from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
    MarginMode,
    PositionMode,
)
from torchtrade.errors import ConfigError, VenueUnavailable

MIN_MS = 60_000


def make(emulator, sltp: bool = False, **kw):
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    cls, cfg = (
        (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig)
        if sltp
        else (BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig)
    )
    return cls(cfg(base_url=emulator.url, **kw), clock=EmulatorClock(emulator.control))


def venue_side(emulator) -> tuple[str | None, float]:
    positions = emulator.control.positions()
    if not positions:
        return None, 0.0
    (p,) = positions
    return p["side"], float(p["qty"])


class TestSpecs:
    @pytest.mark.parametrize(
        "kw",
        [
            {"time_frames": ["1min"], "window_sizes": [10]},
            {"time_frames": ["1min", "5min", "15min"], "window_sizes": [12, 8, 4]},
            {"time_frames": ["5min", "15min"], "window_sizes": [6, 32], "execute_on": "1min"},
            {"time_frames": ["1min", "5min"], "window_sizes": [8, 4], "include_base_features": True},
        ],
    )
    def test_standard_env_specs(self, emulator, kw):
        env = make(emulator, **kw)
        check_env_specs(env)
        assert env.action_spec.n == 3
        td = env.reset()
        for tf, w in zip(env.time_frames, env.window_sizes, strict=True):
            assert td[f"market_data_{tf.key}_{w}"].shape[0] == w
        assert td["account_state"].shape == (10,)

    @pytest.mark.parametrize(
        ("kw", "n"),
        [
            ({}, 19),
            ({"include_short_positions": False}, 10),
            ({"include_hold_action": False}, 18),
            ({"include_short_positions": False, "include_hold_action": False}, 9),
            (
                {
                    "time_frames": ["1min", "5min", "15min"],
                    "window_sizes": [6, 6, 6],
                    "include_base_features": True,
                },
                19,
            ),
            ({"stoploss_levels": (-0.01,), "takeprofit_levels": (0.02, 0.04)}, 5),
        ],
    )
    def test_sltp_env_specs(self, emulator, kw, n):
        kw.setdefault("time_frames", ["1min"])
        kw.setdefault("window_sizes", [10])
        env = make(emulator, sltp=True, **kw)
        check_env_specs(env)
        assert env.action_spec.n == n

    def test_the_guide_action_map(self, emulator):
        env = make(emulator, sltp=True)
        assert env.action_spec.n == 19
        assert env.action_map[0] == (None, None, None)
        assert env.action_map[1] == ("long", -0.025, 0.05)
        assert env.action_map[10] == ("short", -0.025, 0.05)


class TestTorchRL:
    def test_collector_fills_a_replay_buffer_and_dumps_it(self, emulator, tmp_path):
        env = make(emulator, time_frames=["1min", "5min"], window_sizes=[8, 4])
        collector = Collector(env, policy=None, frames_per_batch=1, total_frames=200)
        buffer = TensorDictReplayBuffer(storage=LazyTensorStorage(200))
        for batch in collector:
            buffer.extend(batch)
        collector.shutdown()
        assert len(buffer) == 200
        buffer.dumps(tmp_path / "buffer")
        restored = TensorDictReplayBuffer(storage=LazyTensorStorage(200))
        restored.loads(tmp_path / "buffer")
        assert len(restored) == 200
        sample = restored.sample(8)
        assert sample["next", "market_data_1min_8"].shape == (8, 8, 5)

    def test_transformed_env_rolls_out(self, emulator):
        env = TransformedEnv(
            make(emulator, sltp=True), Compose(InitTracker(), StepCounter(), DoubleToFloat(), RewardSum())
        )
        check_env_specs(env)
        rollout = env.rollout(20)
        assert rollout.shape == (20,)
        assert rollout["next", "step_count"][-1].item() == 20
        assert "episode_reward" in rollout["next"]

    def test_gym_style_step(self, emulator):
        env = make(emulator)
        env.reset()
        for action in (1, np.int64(1), np.array(1), torch.tensor(1), torch.tensor([1])):
            obs, reward, done, info = env.step(action)
            assert isinstance(reward, float)
            assert done is False
            assert obs["account_state"].shape == (10,)
            assert info["requests"] == 3
        td = env.step(TensorDict({"action": torch.tensor(1)}, batch_size=[]))
        assert ("next", "reward") in td.keys(include_nested=True)

    @pytest.mark.parametrize(
        ("action", "error"),
        [
            (3, ValueError),
            (-1, ValueError),
            (1.0, TypeError),
            (torch.tensor(1.0), TypeError),
            (torch.tensor([0, 1]), ValueError),
            ("long", TypeError),
            (True, TypeError),
        ],
    )
    def test_bad_actions_raise_a_clear_error(self, emulator, action, error):
        env = make(emulator)
        env.reset()
        with pytest.raises(error, match="action"):
            env.step(action)


class TestActions:
    def test_open_hold_close_on_the_opposite_open_short(self, emulator):
        env = make(emulator)
        env.reset()
        _, _, _, info = env.step(2)  # long from flat: opens
        assert info["orders"][0]["action"] == "open_long"
        assert venue_side(emulator) == ("long", 0.01)
        _, _, _, info = env.step(2)  # same side: holds
        assert info["orders"] == []
        _, _, _, info = env.step(1)  # hold
        assert venue_side(emulator) == ("long", 0.01)
        _, _, _, info = env.step(0)  # opposite: closes, does not flip
        assert info["orders"][0]["action"] == "close"
        assert venue_side(emulator) == (None, 0.0)
        assert [f["side"] for f in info["fills"]] == ["sell"]
        _, _, _, info = env.step(0)  # short from flat: opens
        assert venue_side(emulator) == ("short", 0.01)
        orders = emulator.control.ledger("order")
        # Entries carry our client ids; the close went through the venue's close-position call.
        assert [o["source"] for o in orders] == ["api", "close", "api"]
        assert all(o["client_oid"].startswith("tt") for o in orders if o["source"] == "api")

    def test_sltp_bracket_triggered_by_the_venue(self, emulator):
        env = make(
            emulator,
            sltp=True,
            stoploss_levels=(-0.001,),
            takeprofit_levels=(0.001,),
            include_short_positions=False,
        )
        env.reset()
        _, _, _, info = env.step(1)
        assert info["orders"][0]["extra"].keys() == {"stopLoss", "takeProfit"}
        live = emulator.control.orders()["triggers"]
        assert sorted(t["kind"] for t in live if t["status"] == "live") == ["pos_loss", "pos_profit"]
        for _ in range(120):
            _, _, _, info = env.step(0)
            if info["fills"]:
                break
        else:
            pytest.fail("no bracket fired in 120 bars")
        (fill,) = info["fills"]
        assert fill["side"] == "sell"
        assert info["position"] == 0.0
        assert venue_side(emulator) == (None, 0.0)
        # no trigger order survives its position
        assert [t for t in emulator.control.orders()["triggers"] if t["status"] == "live"] == []

    def test_hedge_mode_and_crossed_margin(self, emulator):
        env = make(emulator, position_mode=PositionMode.HEDGE, margin_mode=MarginMode.CROSSED)
        env.reset()
        env.step(2)
        (pos,) = emulator.control.positions()
        assert (pos["side"], pos["margin_mode"]) == ("long", "crossed")
        assert emulator.control.ledger("position_mode")[0]["position_mode"] == "hedge"
        env.step(0)
        env.step(0)
        (pos,) = emulator.control.positions()
        assert pos["side"] == "short"
        orders = emulator.control.orders()["orders"]
        assert [o["pos_side"] for o in orders] == [
            "long",
            "long",
            "short",
        ]  # hedge orders name their position

    def test_close_never_flattens_and_trader_close_position(self, emulator):
        env = make(emulator)
        env.reset()
        env.step(2)
        env.close()
        assert venue_side(emulator) == ("long", 0.01)
        env = make(emulator)
        outcome = env.trader.close_position()
        assert outcome.status == "accepted"
        assert venue_side(emulator) == (None, 0.0)
        again = env.trader.close_position()
        assert (again.status, again.reason) == ("skipped", "No position to close")

    def test_close_all_positions_and_metrics(self, emulator):
        env = make(emulator, sltp=True)
        env.reset()
        env.step(1)
        env.close_all_positions()
        assert venue_side(emulator) == (None, 0.0)
        assert [t for t in emulator.control.orders()["triggers"] if t["status"] == "live"] == []
        metrics = env.get_metrics()
        assert {"portfolio_value", "realized_pnl", "num_positions", "fees", "trades"} <= metrics.keys()
        assert metrics["num_positions"] == 0
        assert env.is_connected()

    def test_an_entry_never_goes_past_the_balance(self, emulator):
        env = make(emulator, quantity_per_trade=50, leverage=2)  # 50 BTC: far beyond 10,000 USDT at 2x
        env.reset()
        _, _, _, info = env.step(2)
        (order,) = info["orders"]
        assert order["status"] == "accepted"
        assert 0 < order["amount"] <= 10_000 * 2 / env.position.entry_price
        assert order["amount"] == pytest.approx(1.16, abs=0.01)

    def test_a_venue_rejection_is_reported_and_the_env_goes_on(self, emulator):
        env = make(emulator, quantity_per_trade=0.5, leverage=5)
        env.reset()  # the env now believes 10,000 USDT are free
        # Another client of the same account ties up most of the margin in ETH meanwhile.
        other = ccxt_client(emulator.url, enableRateLimit=False)
        other.load_markets()
        other.set_leverage(5, "ETH/USDT:USDT")
        eth = other.fetch_ticker("ETH/USDT:USDT")["last"]
        other.create_order("ETH/USDT:USDT", "market", "buy", round(9_000 * 5 / eth, 2))
        _, _, _, info = env.step(0)  # a 0.5 BTC short at 5x needs ~1,720 USDT of margin
        (rejection,) = info["rejections"]
        assert rejection["code"] == "40762"
        assert "insufficient margin" in rejection["reason"]
        assert env.position.side is None
        _, _, _, info = env.step(1)  # the env goes on
        assert info["rejections"] == []

    def test_an_order_below_the_minimum_is_not_sent(self, emulator):
        env = make(emulator, quantity_per_trade=0.0002)  # worth ~3.4 USDT < 5 USDT minimum
        env.reset()
        _, _, _, info = env.step(2)
        assert info["rejections"][0]["code"] == "precheck"
        assert "minimum" in info["rejections"][0]["reason"]
        assert emulator.control.ledger("order", "order_rejected") == []


class TestObservations:
    def test_market_windows_equal_the_data_file(self, emulator):
        env = make(
            emulator,
            time_frames=["1min", "5min", "15min"],
            window_sizes=[10, 6, 4],
            include_base_features=True,
        )
        df = bundled_frame()
        agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        obs = env.reset()
        for _ in range(25):
            now = emulator.control.status()["now"]
            closed = df[[int(t.value // 1_000_000) + MIN_MS <= now for t in df.index]]
            for tf, w, rule in (("1min", 10, "1min"), ("5min", 6, "5min"), ("15min", 4, "15min")):
                period_ms = pd.Timedelta(rule).value // 1_000_000
                want = closed.resample(rule, label="left", closed="left").agg(agg).dropna()
                # a candle is observed only once its whole period has closed: no look-ahead
                want = want[[int(t.value // 1_000_000) + period_ms <= now for t in want.index]].iloc[-w:]
                got = obs[f"market_data_{tf}_{w}"][:, -5:].numpy().astype(np.float64)  # the raw OHLCV columns
                np.testing.assert_allclose(got, want[list(agg)].to_numpy(), rtol=1e-6)
            obs = env.step(1)[0]

    def test_account_state_matches_the_venue(self, emulator):
        env = make(emulator, leverage=7, margin_mode=MarginMode.ISOLATED)
        env.reset()
        obs, *_ = env.step(0)  # short
        for held in range(1, 4):
            state = obs["account_state"].numpy()
            (pos,) = emulator.control.positions()
            balance = emulator.control.balances()[0]
            assert state[0] == pytest.approx(float(balance["available"]), rel=1e-6)  # cash
            assert state[1] == pytest.approx(-float(pos["qty"]))  # signed size
            assert state[3] == pytest.approx(float(pos["entry_price"]), rel=1e-9)
            assert state[4] == pytest.approx(float(pos["mark"]), rel=1e-6)
            assert state[5] == pytest.approx(-(float(pos["mark"]) / float(pos["entry_price"]) - 1), abs=1e-6)
            assert state[6] == 7
            assert state[8] == pytest.approx(float(pos["liq_price"]), rel=1e-6)
            assert state[9] == held
            obs, *_ = env.step(1)


class TestRequestsPerStep:
    @pytest.mark.parametrize(("tfs", "windows"), [(["1min"], [10]), (["1min", "5min", "15min"], [10, 6, 4])])
    def test_a_hold_step_costs_at_most_three_requests(self, emulator, tfs, windows):
        env = make(emulator, time_frames=tfs, window_sizes=windows)
        env.reset()
        for _ in range(5):
            seq = emulator.control.ledger()[-1]["seq"]
            env.step(1)
            requests = emulator.control.ledger("request", since=seq)
            assert len(requests) <= 3, [r["route"] for r in requests]
            assert env.last_info["requests"] == len(requests)


class TestConfigAtConnection:
    def test_leverage_beyond_the_markets_limit(self, emulator):
        with pytest.raises(ConfigError, match=r"\.leverage=110: ETH/USDT:USDT allows 1\.\.100"):
            make(emulator, symbol="ETH/USDT:USDT", leverage=110)

    def test_a_symbol_the_venue_does_not_list(self, emulator):
        with pytest.raises(ConfigError, match=r"\.symbol='DOGE/USDT:USDT': not listed"):
            make(emulator, symbol="DOGE/USDT:USDT")

    def test_missing_passphrase(self, emulator, monkeypatch, tmp_path):
        for name in ("BITGETACCESSAPIKEY", "BITGETSECRETKEY", "BITGETPASSPHRASE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(tmp_path)  # no .env around
        config = BitgetFuturesTradingEnvConfig(base_url=emulator.url, api_key="k", api_secret="s")
        with pytest.raises(ConfigError, match=r"\.api_passphrase is missing"):
            BitgetFuturesTorchTradingEnv(config, clock=EmulatorClock(emulator.control))

    def test_a_local_emulator_ignores_the_real_venues_keys_in_the_environment(self, emulator, monkeypatch):
        monkeypatch.setenv("BITGETACCESSAPIKEY", "real-demo-key")
        monkeypatch.setenv("BITGETSECRETKEY", "real-demo-secret")
        monkeypatch.setenv("BITGETPASSPHRASE", "real-demo-pass")
        env = make(emulator)  # base_url is the local emulator: its default keys apply
        env.reset()
        env.step(2)
        assert len(emulator.control.ledger("order", account="main")) == 1

    def test_keys_given_to_the_constructor_are_used_with_a_local_emulator(self, emulator):
        emulator.control.add_account("arg-key", "arg-secret", "arg-pass", account="fromargs")
        env = BitgetFuturesTorchTradingEnv(
            BitgetFuturesTradingEnvConfig(base_url=emulator.url, quantity_per_trade=0.01),
            "arg-key",
            "arg-secret",
            "arg-pass",
            clock=EmulatorClock(emulator.control),
        )
        env.reset()
        env.step(2)
        assert len(emulator.control.ledger("order", account="fromargs")) == 1


class TestSecrets:
    def test_no_secret_in_repr_exceptions_or_debug_logs(self, emulator, caplog):
        emulator.control.add_account("k-123", "SUPERSECRET-123", "PASS-XYZ-789", account="secret")
        caplog.set_level(logging.DEBUG)
        config = BitgetFuturesTradingEnvConfig(
            base_url=emulator.url,
            api_key="k-123",
            api_secret="SUPERSECRET-123",
            api_passphrase="PASS-XYZ-789",
            quantity_per_trade=0.01,
            retry_attempts=1,
            outage_policy="raise",
        )
        env = BitgetFuturesTorchTradingEnv(config, clock=EmulatorClock(emulator.control))
        env.reset()
        env.step(2)
        env.step(0)
        emulator.control.add_fault("server_error", "all_positions")
        with pytest.raises(VenueUnavailable, match=r"fetch_positions") as e:
            env.step(1)
        text = repr(config) + repr(env) + str(e.value) + repr(e.value) + caplog.text
        assert "ACCESS-PASSPHRASE" in caplog.text  # ccxt really logged its request headers...
        for secret in ("SUPERSECRET-123", "PASS-XYZ-789"):
            assert secret not in text  # ...with the values masked

    def test_math_sanity_of_reward(self, emulator):
        env = make(emulator)
        env.reset()
        before = env.portfolio_value
        _, reward, _, _ = env.step(2)
        assert reward == pytest.approx(math.log(env.portfolio_value / before))


def test_btc_symbol_constant():
    assert BTC == "BTC/USDT:USDT"
