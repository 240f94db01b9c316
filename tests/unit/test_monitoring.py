"""The monitor's arithmetic on a torchrl CSVLogger (step latency from an injected timer, the episode
summary's numbers) and ``torchtrade.integrations.WandbLogger`` when wandb is missing."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import torch
from tensordict import TensorDict
from torchrl.record.loggers import CSVLogger

from torchtrade.envs.core.account import FLAT
from torchtrade.envs.core.monitoring import Monitor, episode_summary, step_series
from torchtrade.errors import MissingDependency, TorchTradeError

INFO = {
    "portfolio_value": 10_010.5,
    "position": -0.02,
    "unrealized_pnl": 1.25,
    "fills": [{"fee": 0.5, "side": "sell", "amount": 0.01, "price": 1.0, "order_id": "a"}] * 2,
    "funding": [{"amount": -0.75}],
    "rejections": [{"status": "rejected"}],
    "retries": 2,
    "requests": 7,
    "orders": [],
}


def test_a_step_series_sums_the_fees_and_funding_and_counts_the_rest():
    assert step_series(INFO, 0.001, latency_s=3.0, wait_s=2.5) == {
        "portfolio_value": 10_010.5,
        "reward": 0.001,
        "position": -0.02,
        "unrealized_pnl": 1.25,
        "fees": 1.0,
        "funding": -0.75,
        "fills": 2.0,
        "rejections": 1.0,
        "retries": 2.0,
        "requests": 7.0,
        "step_latency_s": 0.5,
        "bar_wait_s": 2.5,
        "venue_unavailable": 0.0,
    }


def test_an_episode_summary_keeps_the_numbers_only():
    summary = {"total_return": 0.01, "sharpe": None, "trades": 3, "flag": True, "note": "x"}
    assert episode_summary(summary) == {"total_return": 0.01, "trades": 3.0}


class FakeEnv(SimpleNamespace):
    """What the monitor reads of an env after its step (the env itself is tested in integration)."""

    def get_metrics(self):
        return {
            "portfolio_value": self.last_info["portfolio_value"],
            "sharpe": None,
            "steps": self.step_count,
        }


def scalars(path) -> list[tuple[int, float]]:
    with open(path) as f:
        return [(int(s), float(v)) for s, v in csv.reader(f)]


def test_the_latency_is_the_step_time_less_the_bar_wait_on_an_injected_timer(tmp_path):
    ticks = iter([100.0, 100.25, 160.25, 160.5])  # step starts, wait starts, wait ends, step ends
    monitor = Monitor(CSVLogger("run", log_dir=str(tmp_path)), timer=lambda: next(ticks))
    env = FakeEnv(last_info=dict(INFO), episode=1, step_count=1, position=FLAT, trader=None)

    def step():
        monitor.wait(lambda: None)
        return TensorDict({"reward": torch.tensor([0.5]), "done": torch.tensor([True])}, batch_size=())

    monitor.step(env, step)
    live = tmp_path / "run" / "scalars" / "live"
    assert scalars(live / "step_latency_s.csv") == [(1, 0.5)]
    assert scalars(live / "bar_wait_s.csv") == [(1, 60.0)]
    assert scalars(live / "reward.csv") == [(1, 0.5)]
    episode = tmp_path / "run" / "scalars" / "episode"
    assert sorted(p.stem for p in episode.glob("*.csv")) == ["portfolio_value", "steps"]
    assert scalars(episode / "steps.csv") == [(1, 1.0)]


def test_a_reset_summarizes_the_episode_it_cuts_short_once(tmp_path):
    monitor = Monitor(CSVLogger("run", log_dir=str(tmp_path)))
    env = FakeEnv(last_info=dict(INFO), episode=3, step_count=1, position=FLAT, trader=None)
    td = TensorDict({"reward": torch.tensor([0.0]), "done": torch.tensor([False])}, batch_size=())
    monitor.step(env, lambda: td)
    assert monitor.reset(env, lambda: "reset") == "reset"
    monitor.reset(env, lambda: "reset")  # nothing stepped since: no second summary
    assert scalars(tmp_path / "run" / "scalars" / "episode" / "steps.csv") == [(3, 1.0)]


def test_the_wandb_logger_without_wandb_says_how_to_install_it(monkeypatch):
    from torchtrade.integrations import WandbLogger

    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb now raises ImportError
    with pytest.raises(MissingDependency, match=r"pip install torchtrade\[wandb\]") as e:
        WandbLogger(project="live-trading")
    assert isinstance(e.value, TorchTradeError)
    assert isinstance(e.value, ImportError)


def test_the_wandb_logger_is_torchrls():
    from torchrl.record.loggers import Logger
    from torchrl.record.loggers import WandbLogger as TorchRLWandbLogger

    from torchtrade.integrations import WandbLogger

    assert issubclass(WandbLogger, TorchRLWandbLogger)
    assert issubclass(WandbLogger, Logger)


def test_the_wandb_run_name_defaults_to_the_project_and_the_utc_time():
    from torchtrade.integrations import default_exp_name

    assert default_exp_name("live-trading", datetime(2026, 12, 2, 3, 15, tzinfo=UTC)) == (
        "live-trading-20261202-031500"
    )
