"""The journal on real envs over HTTP through the real SDKs (ccxt, alpaca-py) against the emulator:
a restart resumes the env's identity, counters, holding time, metrics and brackets; an order the last
run never sent is found missing by its client id; a journal of another env is refused.

The SIGKILL case (an order in flight when the process dies) is in ``test_journal_sigkill.py``."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from tests.conftest import BTC
from tests.integration.test_alpaca_env import make as make_alpaca
from tests.integration.test_alpaca_env import reset as reset_alpaca
from torchtrade.cli import main
from torchtrade.envs import (
    BinanceFuturesSLTPTorchTradingEnv,
    BinanceFuturesSLTPTradingEnvConfig,
    EmulatorClock,
)
from torchtrade.envs.bitget import (
    BitgetFuturesSLTPTorchTradingEnv,
    BitgetFuturesSLTPTradingEnvConfig,
    BitgetFuturesTorchTradingEnv,
    BitgetFuturesTradingEnvConfig,
)
from torchtrade.errors import ConfigError
from torchtrade.reports import RunRecorder, load_record

LONG = 2  # StandardActions: 0 short, 1 hold, 2 long


def bitget(emulator, journal, sltp: bool = False, **kw):
    kw.setdefault("quantity_per_trade", 0.01)
    kw.setdefault("leverage", 5)
    cls, cfg = (
        (BitgetFuturesSLTPTorchTradingEnv, BitgetFuturesSLTPTradingEnvConfig)
        if sltp
        else (BitgetFuturesTorchTradingEnv, BitgetFuturesTradingEnvConfig)
    )
    return cls(cfg(base_url=emulator.url, journal=str(journal), **kw), clock=EmulatorClock(emulator.control))


def venue_client_oids(emulator) -> list[str]:
    return [o["client_oid"] for o in emulator.control.orders()["orders"]]


def test_a_restart_resumes_the_identity_counters_holding_time_and_metrics(emulator, tmp_path):
    journal = tmp_path / "run.sqlite"
    env = bitget(emulator, journal)
    env.reset()
    env.step(LONG)
    env.step(1)
    env.step(1)
    before = env.get_metrics()
    state = (env.client_ids.env_id, env.episode, env.step_count, env.holding_time, env.portfolio_value)
    env.close()

    again = bitget(emulator, journal)
    assert again.last_info["resumed"]["orders"] == []
    assert (again.client_ids.env_id, again.episode, again.step_count, again.holding_time) == state[:4]
    assert again.portfolio_value == pytest.approx(state[4])
    assert again.get_metrics() == pytest.approx(before, nan_ok=True)
    again.reset()  # continues the episode
    assert (again.episode, again.step_count, again.holding_time) == state[1:4]
    _, _, _, info = again.step(1)
    assert again.holding_time == state[3] + 1
    assert info["step"] == state[2] + 1
    assert len(again.metrics.equity) == len(env.metrics.equity) + 1
    _, _, _, info = again.step(0)  # short: closes the long
    assert info["orders"][0]["client_oid"].startswith(f"tt{state[0]}-1-{state[2] + 1}-")
    ids = venue_client_oids(emulator)
    assert len(ids) == len(set(ids)) == 2
    assert again.get_metrics()["fills"] == 2
    again.reset()  # a second reset starts a new episode, as always
    assert (again.episode, again.step_count) == (2, 0)
    assert again.get_metrics()["fills"] == 0
    again.close()
    third = bitget(emulator, journal)  # resumed in the new episode, right after its reset
    assert (third.episode, third.step_count) == (2, 0)
    assert third.metrics.equity == again.metrics.equity
    third.close()

    record = load_record(journal)  # the journal is a run file: the report reads it
    assert list(record.steps["step"]) == [0, 1, 2, 3, 4, 5, 0]
    assert list(record.fills["kind"]) == ["entry", "exit"]
    assert main(["report", str(journal), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "run.html").is_file()


def test_an_order_the_last_run_never_sent_is_marked_not_sent_and_its_id_never_reused(emulator, tmp_path):
    journal = tmp_path / "run.sqlite"
    env = bitget(emulator, journal)
    env.reset()
    env.step(1)
    # The last run died right after writing its order row: the request never left.
    oid = env.client_ids.make(env.episode, env.step_count, "openl")
    env._journal.sending(oid, "open", "open_long", {"side": "long"})
    env.close()

    again = bitget(emulator, journal)
    (order,) = again.last_info["resumed"]["orders"]
    assert (order["client_oid"], order["status"]) == (oid, "not_sent")
    assert again.step_count == 2  # the step that made the id counts as done
    assert not again.position.is_open
    assert again.holding_time == 0
    _, _, _, info = again.step(LONG)
    assert info["orders"][0]["client_oid"] != oid
    assert venue_client_oids(emulator) == [info["orders"][0]["client_oid"]]
    with sqlite3.connect(journal) as db:
        statuses = dict(db.execute("SELECT client_oid, status FROM orders"))
    assert statuses == {oid: "not_sent", info["orders"][0]["client_oid"]: "accepted"}
    again.close()


def test_the_brackets_of_a_position_gone_meanwhile_are_cancelled(
    binance_emulator, binance_exchange, tmp_path
):
    journal = tmp_path / "run.sqlite"
    config = BinanceFuturesSLTPTradingEnvConfig(
        base_url=binance_emulator.url,
        journal=str(journal),
        quantity_per_trade=0.01,
        leverage=5,
        include_short_positions=False,
    )

    def make():
        return BinanceFuturesSLTPTorchTradingEnv(
            config, clock=EmulatorClock(binance_emulator.control), retry_sleep=lambda s: None
        )

    env = make()
    env.reset()
    _, _, _, info = env.step(1)
    assert [o["action"] for o in info["orders"]] == ["open_long", "stop_loss", "take_profit"]
    assert len(env.trader.open_brackets()) == 2
    env.close()
    # Someone closes the position while no env runs: the two legs stay on the venue.
    binance_exchange.create_order(BTC, "market", "sell", 0.01, None, {"reduceOnly": True})
    assert binance_emulator.control.positions() == []

    again = make()
    resumed = again.last_info["resumed"]
    assert resumed["brackets"] == "cancelled"
    assert resumed["brackets_cancelled"] == 2
    assert again.trader.open_brackets() == []
    assert again.holding_time == 0
    again.close()


def test_the_brackets_of_a_position_still_there_are_kept(emulator, tmp_path):
    journal = tmp_path / "run.sqlite"
    env = bitget(emulator, journal, sltp=True)
    env.reset()
    env.step(1)
    env.close()
    again = bitget(emulator, journal, sltp=True)
    assert again.last_info["resumed"]["brackets"] == "kept"
    live = [t for t in emulator.control.orders()["triggers"] if t["status"] == "live"]
    assert len(live) == 2
    assert again.holding_time == 1
    again.close()


def test_a_journal_of_another_env_is_refused(emulator, tmp_path):
    journal = tmp_path / "run.sqlite"
    bitget(emulator, journal, env_id="first").close()
    with pytest.raises(ConfigError, match="env_id='second' and journal="):
        bitget(emulator, journal, env_id="second")
    with pytest.raises(ConfigError, match="belongs to bitget BTC/USDT:USDT, not bitget ETH/USDT:USDT"):
        bitget(emulator, journal, symbol="ETH/USDT:USDT")
    again = bitget(emulator, journal, env_id="first")
    assert again.client_ids.env_id == "first"
    with pytest.raises(ConfigError, match="in use by another env"):
        bitget(emulator, journal)  # one env per journal while it is open
    again.close()


def test_a_journal_path_is_checked_by_the_config(tmp_path):
    with pytest.raises(ConfigError, match=r"\.journal=.*does not exist"):
        BitgetFuturesTradingEnvConfig(journal=str(tmp_path / "no" / "run.sqlite"))
    with pytest.raises(ConfigError, match=r"\.journal=.*is a directory"):
        BitgetFuturesTradingEnvConfig(journal=str(tmp_path))
    with pytest.raises(ConfigError, match=r"\.journal=3: must be a file path"):
        BitgetFuturesTradingEnvConfig(journal=3)


def test_an_alpaca_env_resumes_from_its_journal(alpaca_emulator, tmp_path):
    reset_alpaca(alpaca_emulator)
    journal = str(tmp_path / "run.sqlite")
    env = make_alpaca(alpaca_emulator, journal=journal)
    env.reset()
    _, _, _, info = env.step(LONG)
    assert info["orders"][0]["status"] == "accepted"
    state = (env.client_ids.env_id, env.step_count, env.holding_time, env.get_metrics()["fills"])
    env.close()
    again = make_alpaca(alpaca_emulator, journal=journal)
    assert (again.client_ids.env_id, again.step_count, again.holding_time) == state[:3]
    assert again.get_metrics()["fills"] == state[3] == 1
    again.close()


def test_an_alpaca_crypto_entry_sent_by_a_dead_process_gets_its_levels_back(alpaca_emulator, tmp_path):
    """Alpaca crypto has no conditional orders: the env enforces its stop-loss and take-profit itself,
    so a restart must take them back from the journal, or the position would be unprotected."""
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.requests import MarketOrderRequest

    from tests.integration.alpaca_support import trading

    reset_alpaca(alpaca_emulator)
    journal = tmp_path / "run.sqlite"
    env = make_alpaca(alpaca_emulator, sltp=True, symbol="BTC/USD", journal=str(journal))
    env.reset()
    env.step(0)
    oid = env.client_ids.make(env.episode, env.step_count, "openl")
    price = env._last_close()
    levels = [price * 0.95, price * 1.1]
    env.close()
    # What a process killed on the wire leaves: its order row, and the order on the venue.
    with sqlite3.connect(journal) as db:
        db.execute(
            "INSERT INTO orders (client_oid, episode, step, time_ms, call, action, request, status) "
            "VALUES (?, 1, 1, 0, 'open', 'open_long', ?, 'sending')",
            (oid, f'{{"side": "long", "price": {price}, "levels": {levels}}}'),
        )
    trading(alpaca_emulator.url).submit_order(
        MarketOrderRequest(
            symbol="BTC/USD", qty=0.01, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, client_order_id=oid
        )
    )

    again = make_alpaca(alpaca_emulator, sltp=True, symbol="BTC/USD", journal=str(journal))
    resumed = again.last_info["resumed"]
    assert [(o["client_oid"], o["status"]) for o in resumed["orders"]] == [(oid, "landed")]
    assert resumed["protection"] == "client_levels"
    assert again.client_levels == pytest.approx(tuple(levels))
    assert again.position.side == "long"
    assert again.holding_time == 1
    assert again.get_metrics()["fills"] == 1
    again.close()


def test_the_journal_holds_what_a_run_recorder_holds(emulator, tmp_path):
    """``torchtrade report run.sqlite`` on a journal shows what it shows on a recorder's file: the same
    rows, the same fills (a venue-side bracket exit included), the same metrics."""
    journal = tmp_path / "run.sqlite"
    env = bitget(
        emulator,
        journal,
        sltp=True,
        time_frames=["1min"],
        window_sizes=[10],
        stoploss_levels=(-0.002,),
        takeprofit_levels=(0.002,),
        include_short_positions=False,
    )
    rec = RunRecorder()
    env.reset()
    rec.record(env)
    _, reward, _, info = env.step(1)
    rec.record(env, info, reward=reward)
    for _ in range(60):  # until a bracket closes the position on the venue
        _, reward, _, info = env.step(0)
        rec.record(env, info, reward=reward)
        if not env.position.is_open:
            break
    assert not env.position.is_open
    env.close()
    mine, theirs = load_record(journal), rec.to_record()
    pd.testing.assert_frame_equal(mine.steps, theirs.steps)
    pd.testing.assert_frame_equal(mine.fills, theirs.fills)
    assert list(mine.fills["kind"]) == ["entry", "exit"]
    assert mine.fills.iloc[1]["action"] in ("stop_loss", "take_profit")
    assert mine.metrics() == theirs.metrics()


def test_the_journal_file_holds_no_key_or_secret(emulator, tmp_path):
    from torchtrade.envs.live.shared.futures_env import emulator_keys

    keys = emulator_keys("bitget")
    secrets = [keys.api_key, keys.api_secret.reveal(), keys.passphrase.reveal()]  # type: ignore[union-attr]
    journal = tmp_path / "run.sqlite"
    env = bitget(emulator, journal, api_key=secrets[0], api_secret=secrets[1], api_passphrase=secrets[2])
    env.reset()
    env.step(LONG)
    files = [p for p in tmp_path.iterdir() if p.name.startswith("run.sqlite")]  # the WAL too
    raw = b"".join(p.read_bytes() for p in files)
    env.close()
    raw += journal.read_bytes()
    for secret in secrets:
        assert secret.encode() not in raw


def test_a_reset_that_sent_an_order_before_the_process_died_begins_its_episode(emulator, tmp_path):
    journal = tmp_path / "run.sqlite"
    env = bitget(emulator, journal)
    env.reset()
    env.step(1)
    # The last run's second reset sent its close, then died before it could record the reset.
    oid = env.client_ids.make(2, 0, "reset")
    with sqlite3.connect(journal) as db:
        db.execute(
            "INSERT INTO orders (client_oid, episode, step, time_ms, call, action, request, status) "
            "VALUES (?, 2, 0, 0, 'close', 'close', '{}', 'sending')",
            (oid,),
        )
    env.close()
    again = bitget(emulator, journal)
    assert (again.episode, again.step_count) == (2, 1)  # never episode 2's step 0 again
    assert again.get_metrics()["fills"] == 0
    again.reset()
    assert again.episode == 2
    again.reset()
    assert again.episode == 3
    again.close()
