"""The ``replay`` classmethod every live env class has: the same class in-process on the engine."""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, Self

from ...core.observation import FeatureFn
from ...core.reward import RewardFn


class Replayable:
    """Gives an env class ``replay(config, data=...)`` (see :mod:`torchtrade.envs.replay`).

    ``_replay_builder`` names the builder of the class's family as ``"module:function"``; it is
    imported on first use, because the in-process package imports the env classes themselves.
    """

    _replay_builder: ClassVar[str]

    @classmethod
    def replay(
        cls,
        config: Any = None,
        *,
        data: Any = None,
        start: int | None = None,
        episode_length: int | None = None,
        random_start: bool = False,
        seed: int | None = None,
        feature_preprocessing_fn: FeatureFn | None = None,
        reward_fn: RewardFn | None = None,
    ) -> Self:
        """This env class on its venue's engine in-process: no HTTP, the same venue rules (and, for
        stocks, the market calendar), a bar per step at engine speed (training).

        ``data``: a candle CSV path, a DataFrame or None (the bundled candles: BTC/USDT for futures,
        SPY or BTC/USD minutes for Alpaca); ``start``: bars of history before the first step;
        ``episode_length``: steps per episode; ``random_start``: every episode on a fresh account at
        a random bar (``seed``). Same specs, ``info`` and ``get_metrics()`` as over HTTP.
        """
        module, name = cls._replay_builder.split(":")
        build = getattr(importlib.import_module(module), name)
        return build(
            cls,
            config,
            data=data,
            start=start,
            episode_length=episode_length,
            random_start=random_start,
            seed=seed,
            feature_preprocessing_fn=feature_preprocessing_fn,
            reward_fn=reward_fn,
        )
