"""Monitoring a live env (Bitget through ccxt over HTTP against the emulator, manual clock): the series a
torchrl logger holds after a 50-step episode (CSVLogger, and W&B offline), read back from what they wrote
and compared with the steps' ``info``; a logger that fails costs no step; the INFO lines of a step's
events, with no secret in them."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
import torch
from torchrl.record.loggers import CSVLogger

from tests.conftest import BTC
from torchtrade.data import bundled
from torchtrade.emulator.clients import ccxt_client
from torchtrade.envs import (
    AlpacaSLTPTorchTradingEnv,
    AlpacaSLTPTradingEnvConfig,
    AlpacaTorchTradingEnv,
    AlpacaTradingEnvConfig,
    BinanceFuturesTorchTradingEnv,
    BinanceFuturesTradingEnvConfig,
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.envs.core.monitoring import Monitor
from torchtrade.envs.live.shared.futures_env import emulator_keys

STEPS = 50
# long, hold x2, close, short, hold, close, hold: every kind of step, with fills and fees
PATTERN = [2, 1, 1, 0, 0, 1, 2, 1]
ACTIONS = (PATTERN * (STEPS // len(PATTERN) + 1))[:STEPS]
SERIES = (
    "portfolio_value",
    "reward",
    "position",
    "unrealized_pnl",
    "fees",
    "funding",
    "fills",
    "rejections",
    "retries",
    "requests",
    "step_latency_s",
    "bar_wait_s",
    "venue_unavailable",
)


def make(emulator, logger=None, **kw) -> BitgetFuturesTorchTradingEnv:
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    config = BitgetFuturesTradingEnvConfig(
        base_url=emulator.url, time_frames=["1min"], window_sizes=[8], **kw
    )
    return BitgetFuturesTorchTradingEnv(
        config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None, logger=logger
    )


def run_episode(env) -> tuple[list[dict], list[float]]:
    env.reset()
    infos, rewards = [], []
    for i, action in enumerate(ACTIONS):
        _, reward, done, info = env.step(action)
        infos.append(info)
        rewards.append(reward)
        assert done == (i == STEPS - 1), "max_steps=50 ends the episode at its 50th step"
    return infos, rewards


def expected_series(infos: list[dict], rewards: list[float]) -> dict[str, list[float]]:
    return {
        "portfolio_value": [i["portfolio_value"] for i in infos],
        "reward": rewards,
        "position": [i["position"] for i in infos],
        "unrealized_pnl": [i["unrealized_pnl"] for i in infos],
        "fees": [sum(f["fee"] for f in i["fills"]) for i in infos],
        "funding": [sum(p["amount"] for p in i["funding"]) for i in infos],
        "fills": [len(i["fills"]) for i in infos],
        "rejections": [len(i["rejections"]) for i in infos],
        "retries": [i["retries"] for i in infos],
        "requests": [i["requests"] for i in infos],
        "venue_unavailable": [0.0] * len(infos),
    }


def read_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """``{name: [(step, value), ...]}`` from CSVLogger's ``<name>.csv`` files (``step,value`` lines)."""
    out = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open() as f:
            out[path.stem] = [(int(step), float(value)) for step, value in csv.reader(f)]
    return out


def check_series(written: dict[str, list[tuple[int, float]]], infos: list[dict], rewards: list[float]):
    assert set(written) == set(SERIES)
    for name, rows in written.items():
        assert [step for step, _ in rows] == list(range(1, STEPS + 1)), name
    for name, values in expected_series(infos, rewards).items():
        assert [v for _, v in written[name]] == [float(v) for v in values], name
    assert all(v >= 0 for _, v in written["step_latency_s"])
    assert all(v >= 0 for _, v in written["bar_wait_s"])
    # the episode really traded: fills and fees in the series, and the position went both ways
    assert sum(v for _, v in written["fills"]) >= 10
    assert sum(v for _, v in written["fees"]) > 0
    assert max(v for _, v in written["position"]) > 0
    assert min(v for _, v in written["position"]) < 0


def test_a_csv_logger_holds_every_step_of_a_50_step_episode_and_its_summary(emulator, tmp_path):
    logger = CSVLogger(exp_name="run", log_dir=str(tmp_path))
    env = make(emulator, logger, max_steps=STEPS)
    infos, rewards = run_episode(env)

    root = tmp_path / "run" / "scalars"
    check_series(read_scalars(root / "live"), infos, rewards)
    episode = read_scalars(root / "episode")
    numeric = {k: float(v) for k, v in env.get_metrics().items() if isinstance(v, int | float)}
    assert episode == {k: [(1, v)] for k, v in numeric.items()}
    assert episode["steps"] == [(1, float(STEPS))]
    assert episode["portfolio_value"] == [(1, infos[-1]["portfolio_value"])]


def test_a_wandb_offline_run_holds_every_step_of_a_50_step_episode(emulator, tmp_path, monkeypatch):
    wandb = pytest.importorskip("wandb", reason="wandb is not installed (pip install torchtrade[wandb])")
    from tests.integration.wandb_support import history, run_file
    from torchtrade.integrations import WandbLogger

    for name, value in {
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path),
        "WANDB_CACHE_DIR": str(tmp_path / "cache"),  # W&B's core writes its own debug log there
        "WANDB_CONFIG_DIR": str(tmp_path / "config"),
        "WANDB_DATA_DIR": str(tmp_path / "data"),
        "WANDB_SILENT": "true",
        "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true",
    }.items():
        monkeypatch.setenv(name, value)
    logger = WandbLogger(project="live-trading", save_dir=str(tmp_path), log_env_packages=False)
    try:
        assert logger.exp_name.startswith("live-trading-")
        env = make(emulator, logger, max_steps=STEPS)
        infos, rewards = run_episode(env)
    finally:
        logger.experiment.finish()
        # finish() may return before W&B's core process has written the whole log: shutting the
        # core down waits for it (the reader checks that the run's exit record is there).
        wandb.teardown()

    rows = history(run_file(tmp_path))
    steps = [r for r in rows if "live/step" in r]
    written = {name: [(r["live/step"], r[f"live/{name}"]) for r in steps] for name in SERIES}
    check_series(written, infos, rewards)
    (episode,) = [r for r in rows if "episode/step" in r]
    assert episode["episode/step"] == 1
    assert episode["episode/steps"] == STEPS
    assert episode["episode/portfolio_value"] == infos[-1]["portfolio_value"]
    assert episode["episode/total_return"] == env.get_metrics()["total_return"]


class FailingLogger(CSVLogger):
    def log_scalar(self, name, value, step=None):
        raise OSError("disk full")

    def log_metrics(self, metrics, step=None, **kw):
        raise OSError("disk full")


def test_a_failing_logger_never_fails_a_step_and_warns_once(emulator, tmp_path, caplog):
    env = make(emulator, FailingLogger(exp_name="x", log_dir=str(tmp_path)), max_steps=3)
    caplog.set_level(logging.WARNING, logger="torchtrade.envs.core.monitoring")
    env.reset()
    for action in (2, 1, 0):
        _, _, done, info = env.step(action)
    assert done
    assert info["step"] == 3
    warnings = [r for r in caplog.records if r.name == "torchtrade.envs.core.monitoring"]
    assert len(warnings) == 1
    assert "FailingLogger failed (OSError: disk full)" in warnings[0].getMessage()
    assert env._monitor.failures == 4  # three steps and the episode's summary


def event_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]


def test_a_step_that_opens_a_position_logs_the_order_the_fill_and_the_position_no_secret(emulator, caplog):
    env = make(emulator)
    env.reset()
    caplog.set_level(logging.INFO, logger="torchtrade")
    _, _, _, info = env.step(2)
    lines = event_lines(caplog)
    (order,), (fill,) = info["orders"], info["fills"]
    assert lines == [
        f"order submitted: open_long buy 0.01 {BTC} to bitget "
        f"(client id {order['client_oid']}, order id {order['order_id']})",
        f"filled: buy 0.01 {BTC} at {fill['price']:g}, fee {fill['fee']:g} (order id {fill['order_id']})",
        f"position changed: {BTC} flat -> long 0.01 at {env.position.entry_price:g}",
    ]
    caplog.clear()
    env.step(1)  # a hold: nothing happened, nothing logged
    assert event_lines(caplog) == []
    env.step(0)  # the close
    lines = event_lines(caplog)
    assert [line.split(":")[0] for line in lines] == ["order submitted", "filled", "position changed"]
    assert lines[-1] == f"position changed: {BTC} long 0.01 -> flat"

    keys = emulator_keys("bitget")
    text = caplog.text
    for secret in (keys.api_key, keys.api_secret.reveal(), keys.passphrase.reveal()):  # type: ignore[union-attr]
        assert secret not in text


def test_a_rejection_is_one_warning_with_the_venue_code(emulator, caplog):
    env = make(emulator, quantity_per_trade=0.5)
    env.reset()
    other = ccxt_client(emulator.url, enableRateLimit=False)  # ties up the margin meanwhile
    other.load_markets()
    other.set_leverage(5, "ETH/USDT:USDT")
    eth = other.fetch_ticker("ETH/USDT:USDT")["last"]
    other.create_order("ETH/USDT:USDT", "market", "buy", round(9_000 * 5 / eth, 2))
    caplog.set_level(logging.INFO, logger="torchtrade")
    _, _, _, info = env.step(0)
    (rejection,) = info["rejections"]
    (line,) = event_lines(caplog)
    assert "rejected by bitget (code 40762" in line
    assert rejection["client_oid"] in line


def test_an_outage_and_the_venue_answering_again_are_logged(emulator, caplog):
    env = make(emulator, retry_attempts=1, outage_rounds=1)
    env.reset()
    caplog.set_level(logging.INFO, logger="torchtrade")
    emulator.control.add_fault(kind="server_error", route="*", times=None)
    _, _, _, info = env.step(1)
    emulator.control.clear_faults()
    assert info["venue_unavailable"]
    outage = [r for r in caplog.records if "venue unavailable" in r.getMessage()]
    assert outage[-1].levelno == logging.ERROR
    caplog.clear()
    env.step(1)
    assert event_lines(caplog) == [f"the venue answers again: {BTC} is observed and traded as usual"]


def test_an_env_built_without_a_logger_still_logs_its_events(emulator):
    env = make(emulator)
    assert isinstance(env._monitor, Monitor)
    assert env._monitor.logger is None


# ------------------------------------------------------------------ every venue's env takes logger=


def bitget_sltp(request, logger):
    emulator = request.getfixturevalue("emulator")
    config = BitgetFuturesSLTPTradingEnvConfig(
        base_url=emulator.url,
        quantity_per_trade=0.01,
        leverage=5,
        time_frames=["1min"],
        window_sizes=[8],
        stoploss_levels=(-0.01,),
        takeprofit_levels=(0.01,),
        include_short_positions=False,
    )
    return BitgetFuturesSLTPTorchTradingEnv(
        config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None, logger=logger
    )


def binance(request, logger):
    emulator = request.getfixturevalue("binance_emulator")
    config = BinanceFuturesTradingEnvConfig(
        base_url=emulator.url, quantity_per_trade=0.01, leverage=5, time_frames=["1min"], window_sizes=[8]
    )
    return BinanceFuturesTorchTradingEnv(
        config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None, logger=logger
    )


def alpaca(request, logger, symbol: str = "SPY", sltp: bool = False):
    emulator = request.getfixturevalue("alpaca_emulator")
    emulator.control.reset(history_bars=400, weight_limit=10**9, data=[f"{symbol}={ALPACA_DATA[symbol]}"])
    fields = {"base_url": emulator.url, "symbol": symbol, "time_frames": ["1min"], "window_sizes": [8]}
    if sltp:
        env_cls, config = (
            AlpacaSLTPTorchTradingEnv,
            AlpacaSLTPTradingEnvConfig(
                **fields, sl_percent=0.01, tp_percent=0.01, include_short_positions=False
            ),
        )
    else:
        env_cls, config = AlpacaTorchTradingEnv, AlpacaTradingEnvConfig(**fields)
    return env_cls(config, clock=EmulatorClock(emulator.control), retry_sleep=lambda s: None, logger=logger)


ALPACA_DATA = {
    "SPY": bundled("nyse_spy_1m_2013-10-04_11.csv.gz"),
    "BTC/USD": bundled("binance_btcbusd_1m_2022-12-13.csv"),
}
VENUE_ENVS = {
    "bitget_sltp": bitget_sltp,
    "binance": binance,
    "alpaca_stock": alpaca,
    "alpaca_crypto_sltp": lambda request, logger: alpaca(request, logger, "BTC/USD", sltp=True),
}


@pytest.mark.parametrize("venue", list(VENUE_ENVS))
def test_every_venue_env_writes_its_steps_to_the_logger(request, venue, tmp_path):
    env = VENUE_ENVS[venue](request, CSVLogger(exp_name="run", log_dir=str(tmp_path)))
    env.reset()
    n = env.action_spec.n
    hold = 1 if n == 3 else 0  # {short or close, hold, long}, or an SLTP env's (hold, long with SL/TP)
    infos = [env.step(action)[3] for action in (hold, n - 1, hold)]
    written = read_scalars(tmp_path / "run" / "scalars" / "live")
    assert set(written) == set(SERIES)
    assert written["portfolio_value"] == [(i + 1, info["portfolio_value"]) for i, info in enumerate(infos)]
    assert written["position"] == [(i + 1, float(info["position"])) for i, info in enumerate(infos)]
    assert infos[1]["fills"], "the entry filled"


def test_a_torchrl_rollout_is_logged_like_gym_steps(emulator, tmp_path):
    env = make(emulator, CSVLogger(exp_name="run", log_dir=str(tmp_path)), max_steps=4)
    td = env.rollout(10, policy=lambda td: td.set("action", torch.tensor(1)))  # holds until max_steps
    assert td.shape == (4,)
    written = read_scalars(tmp_path / "run" / "scalars" / "live")
    assert [step for step, _ in written["reward"]] == [1, 2, 3, 4]
    assert [v for _, v in written["reward"]] == td["next", "reward"].squeeze(-1).tolist()
    assert read_scalars(tmp_path / "run" / "scalars" / "episode")["steps"] == [(1, 4.0)]
