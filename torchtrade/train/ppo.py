"""PPO on an env with TorchRL's own parts: a ``Collector``, ``GAE`` and ``ClipPPOLoss``.

The env is any TorchRL env with the live envs' specs; for training, an env class's in-process
``replay`` env (random episode starts on the training bars). Rewards (the log return of the portfolio
value per bar, ~1e-4) are multiplied by ``reward_scale`` for the loss only, so that the critic's targets
are of order one; the env and its metrics are untouched.

Determinism: torch is seeded with ``seed``, the env with its own seed, and minibatches are drawn
from a private generator; with a frame budget only (``seconds=None``) two runs on one machine give the
same weights. A time budget stops at the first batch boundary after it, so its length varies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from tensordict import TensorDictBase
from torchrl.collectors import Collector
from torchrl.envs.utils import ExplorationType, set_exploration_type
from torchrl.modules import ProbabilisticActor
from torchrl.objectives import ClipPPOLoss
from torchrl.objectives.value import GAE

from .policy import PolicyFile, build_actor, build_critic, fit_inputs


@dataclass(frozen=True)
class PPOSettings:
    """The training budget and PPO's hyper-parameters (defaults: small, stable on this env).

    ``frames``: env steps at most; ``seconds``: wall-clock budget (None: frames only).
    """

    frames: int = 200_000
    seconds: float | None = None
    frames_per_batch: int = 1_024
    epochs: int = 4
    minibatch: int = 256
    lr: float = 3e-4
    gamma: float = 0.99
    lmbda: float = 0.95
    clip_epsilon: float = 0.2
    entropy_coeff: float = 0.01
    reward_scale: float = 100.0
    hidden: tuple[int, ...] = (64, 64)
    seed: int = 0


@dataclass
class TrainResult:
    """The trained actor (and the file that rebuilds it), the frames and seconds it took, and the
    mean reward per step of each collected batch (unscaled, the exploring policy's)."""

    actor: ProbabilisticActor
    spec: PolicyFile
    frames: int
    seconds: float
    batch_rewards: list[float] = field(default_factory=list)


def train_ppo(
    env: Any,
    settings: PPOSettings = PPOSettings(),
    env_fields: dict[str, Any] | None = None,
    on_batch: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train a policy for ``env``'s specs on ``env`` (``on_batch(frames, mean_reward)`` after each
    batch). ``env_fields`` goes into the policy file (how to rebuild the env)."""
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    spec = PolicyFile.for_env(env, settings.hidden, env_fields)
    actor = build_actor(spec, env.action_spec)
    critic = build_critic(spec)
    loss = ClipPPOLoss(
        actor,
        critic,
        clip_epsilon=settings.clip_epsilon,
        entropy_coeff=settings.entropy_coeff,
        critic_coeff=0.5,
        normalize_advantage=True,
    )
    gae = GAE(gamma=settings.gamma, lmbda=settings.lmbda, value_network=critic, average_gae=False)
    optim = torch.optim.Adam(loss.parameters(), lr=settings.lr)
    per_batch = min(settings.frames_per_batch, settings.frames)
    collector = Collector(
        env,
        actor,
        frames_per_batch=per_batch,
        total_frames=settings.frames,
        auto_register_policy_transforms=False,
    )
    started = time.monotonic()
    frames = 0
    rewards: list[float] = []
    try:
        for batch in collector:
            if frames == 0:
                _fit_inputs(batch, actor, critic)
            frames += batch.numel()
            mean_reward = float(batch["next", "reward"].mean())
            rewards.append(mean_reward)
            _update(batch, loss, gae, optim, settings, generator)
            collector.update_policy_weights_()
            if on_batch is not None:
                on_batch(frames, mean_reward)
            if settings.seconds is not None and time.monotonic() - started >= settings.seconds:
                break
    finally:
        collector.shutdown(close_env=False)
    return TrainResult(actor, spec, frames, time.monotonic() - started, rewards)


def _fit_inputs(batch: TensorDictBase, actor: ProbabilisticActor, critic: Any) -> None:
    """Fit both networks' input standardisation on the first batch's observations, then recompute
    that batch's log-probabilities under the standardised actor (PPO's ratios start at 1)."""
    fit_inputs(actor.module[0], batch)
    fit_inputs(critic, batch)
    with torch.no_grad():
        dist = actor.get_dist(batch.clone())
        batch["action_log_prob"] = dist.log_prob(batch["action"])


def _update(
    batch: TensorDictBase,
    loss: ClipPPOLoss,
    gae: GAE,
    optim: torch.optim.Optimizer,
    settings: PPOSettings,
    generator: torch.Generator,
) -> None:
    data = batch.reshape(-1).clone()
    data["next", "reward"] = data["next", "reward"] * settings.reward_scale
    for _ in range(settings.epochs):
        with torch.no_grad():
            gae(data)  # advantages from the critic as it is now
        order = torch.randperm(data.numel(), generator=generator)
        for chunk in order.split(settings.minibatch):
            out = loss(data[chunk])
            total = out["loss_objective"] + out["loss_critic"] + out["loss_entropy"]
            optim.zero_grad()
            total.backward()
            torch.nn.utils.clip_grad_norm_(loss.parameters(), 1.0)
            optim.step()


def mean_episode_return(env: Any, policy: Any, episodes: int, greedy: bool = True) -> float:
    """The mean undiscounted return (sum of the env's rewards) of ``episodes`` episodes of ``policy``
    (a TorchRL actor, or None for random actions) on ``env`` (episodes must end: an episode length)."""
    kind = ExplorationType.DETERMINISTIC if greedy else ExplorationType.RANDOM
    total = 0.0
    with torch.no_grad(), set_exploration_type(kind):
        for _ in range(episodes):
            rollout = env.rollout(100_000, policy, break_when_any_done=True)
            total += float(rollout["next", "reward"].sum())
    return total / episodes
