"""One run of a policy on an env, every step recorded for the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tensordict import TensorDictBase
from tqdm import tqdm

from ..reports import RunRecord, RunRecorder


@dataclass(frozen=True)
class TradeRun:
    """What a run did: its record (metrics, fills, equity), the env's ``get_metrics()``, the steps
    taken and whether the data ran out before ``steps``."""

    record: RunRecord
    env_metrics: dict[str, Any]
    steps: int
    data_ran_out: bool


def trade(
    env: Any,
    policy: Callable[[TensorDictBase], int],
    steps: int,
    progress: bool = False,
    desc: str = "trading",
) -> TradeRun:
    """Reset ``env``, step ``policy``'s actions for up to ``steps`` bars (stopping when done), close
    the position (so the final value is realised) and return the record. The env stays open."""
    recorder = RunRecorder()
    obs = env.reset()
    recorder.record(env)
    ran_out = False
    with tqdm(total=steps, desc=desc, unit="bar", disable=not progress, mininterval=0.5) as bar:
        for _ in range(steps):
            obs, reward, done, info = env.step(policy(obs))
            recorder.record(env, info, reward=reward)
            bar.update(1)
            value, position = info["portfolio_value"], info["position"]
            bar.set_postfix(value=f"{value:,.2f}", position=f"{position:+g}", refresh=False)
            if done:
                ran_out = bool(info.get("data_exhausted"))
                break
    taken = env.step_count
    env.close_all_positions()
    recorder.record(env)  # the closing fills and the value after them
    return TradeRun(recorder.to_record(), env.get_metrics(), taken, ran_out)
