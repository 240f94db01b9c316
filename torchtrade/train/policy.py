"""The policy network, its TorchRL actor and critic, and the file that rebuilds it anywhere.

The network reads every observation key of the env (the ``market_data_*`` windows and
``account_state``), flattens and concatenates them in a fixed order, and maps them through a small MLP
to one logit per action of the env's ``Categorical`` action spec. Because the in-process env and the
HTTP env of one class share their specs, a policy trained on one runs unchanged on the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from tensordict import TensorDictBase
from tensordict.nn import TensorDictModule
from torch import nn
from torchrl.data import Categorical as CategoricalSpec
from torchrl.envs.utils import ExplorationType, set_exploration_type
from torchrl.modules import ProbabilisticActor

FORMAT = 1  # version of the saved file's layout


@dataclass(frozen=True)
class PolicyFile:
    """What rebuilds a saved policy: the observation keys with their shapes (in the network's input
    order), the number of actions, the hidden sizes, and ``env`` (the env config's fields as plain
    values, for the user to rebuild the env it was trained for)."""

    obs_shapes: dict[str, tuple[int, ...]]
    n_actions: int
    hidden: tuple[int, ...] = (64, 64)
    env: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_env(cls, env: Any, hidden: tuple[int, ...] = (64, 64), env_fields: dict[str, Any] | None = None):
        """The file of a policy for ``env``'s observation and action specs."""
        spec = env.action_spec
        if not isinstance(spec, CategoricalSpec):
            raise TypeError(f"the policy needs a Categorical action spec, the env has {type(spec).__name__}")
        shapes = {
            str(k): tuple(v.shape) for k, v in sorted(env.observation_spec.items(), key=lambda kv: kv[0])
        }
        return cls(shapes, int(spec.n), tuple(hidden), dict(env_fields or {}))


#: Standardised inputs are clipped to +-CLIP: ``account_state`` carries levels (cash, price) that a
#: held-out stretch of data may put far outside the training sample's spread.
CLIP = 5.0


class _Flatten(nn.Module):
    """Concatenates the observation tensors (batch dims first, each flattened), standardises them
    (``loc``/``scale`` buffers, fitted once on training observations by :func:`fit_inputs`, saved with
    the weights) and runs an MLP. Standardising matters: the window features are ~1e-3, the account
    state holds values in the thousands."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], hidden: tuple[int, ...], out: int) -> None:
        super().__init__()
        self.dims = [len(s) for s in shapes.values()]
        width = sum(int(torch.tensor(s).prod()) for s in shapes.values())
        self.register_buffer("loc", torch.zeros(width))
        self.register_buffer("scale", torch.ones(width))
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(width, h), nn.Tanh()]
            width = h
        last = nn.Linear(width, out)
        # A small last layer: the untrained policy is near uniform and the critic near zero.
        nn.init.orthogonal_(last.weight, gain=0.01)
        nn.init.zeros_(last.bias)
        self.mlp = nn.Sequential(*layers, last)

    def inputs(self, *obs: torch.Tensor) -> torch.Tensor:
        flat = [o.flatten(o.dim() - d) if d else o.unsqueeze(-1) for o, d in zip(obs, self.dims, strict=True)]
        return torch.cat(flat, dim=-1)

    def forward(self, *obs: torch.Tensor) -> torch.Tensor:
        x = ((self.inputs(*obs) - self.loc) / self.scale).clamp(-CLIP, CLIP)
        return self.mlp(x)


def fit_inputs(module: TensorDictModule, observations: TensorDictBase) -> None:
    """Set the network's input standardisation from a batch of observations (mean and standard
    deviation per input; constant inputs keep a scale of 1)."""
    net = module.module
    with torch.no_grad():
        x = net.inputs(*(observations.get(k) for k in module.in_keys)).reshape(-1, net.loc.numel())
        std = x.std(0)
        net.loc.copy_(x.mean(0))
        net.scale.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))


def build_actor(spec: PolicyFile, action_spec: CategoricalSpec | None = None) -> ProbabilisticActor:
    """A stochastic actor: logits -> ``torch.distributions.Categorical`` -> ``action`` (an integer, as
    the env's spec wants), with ``action_log_prob`` for PPO. Greedy under
    ``ExplorationType.DETERMINISTIC`` (the distribution's mode)."""
    net = TensorDictModule(
        _Flatten(spec.obs_shapes, spec.hidden, spec.n_actions),
        in_keys=list(spec.obs_shapes),
        out_keys=["logits"],
    )
    return ProbabilisticActor(
        net,
        in_keys=["logits"],
        out_keys=["action"],
        spec=action_spec if action_spec is not None else CategoricalSpec(spec.n_actions),
        distribution_class=torch.distributions.Categorical,
        return_log_prob=True,
    )


def build_critic(spec: PolicyFile) -> TensorDictModule:
    """The state-value network (same inputs and body shape as the actor, one output)."""
    return TensorDictModule(
        _Flatten(spec.obs_shapes, spec.hidden, 1), in_keys=list(spec.obs_shapes), out_keys=["state_value"]
    )


def save_policy(path: str | Path, actor: ProbabilisticActor, spec: PolicyFile) -> Path:
    """``torch.save`` of the actor's ``state_dict`` and the :class:`PolicyFile` that rebuilds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "spec": asdict(spec), "state_dict": actor.state_dict()}, path)
    return path


def load_policy(path: str | Path) -> tuple[ProbabilisticActor, PolicyFile]:
    """The actor saved by :func:`save_policy` (weights only: ``weights_only=True`` loading)."""
    saved = torch.load(Path(path), weights_only=True)
    if saved.get("format") != FORMAT:
        raise ValueError(f"{path}: not a torchtrade policy file (format {saved.get('format')!r})")
    raw = saved["spec"]
    spec = PolicyFile(
        {k: tuple(v) for k, v in raw["obs_shapes"].items()},
        raw["n_actions"],
        tuple(raw["hidden"]),
        raw["env"],
    )
    actor = build_actor(spec)
    actor.load_state_dict(saved["state_dict"])
    return actor, spec


class GreedyPolicy:
    """The actor's most likely action for one observation, as an ``int`` (gym-style ``env.step``)."""

    def __init__(self, actor: ProbabilisticActor) -> None:
        self.actor = actor

    def __call__(self, obs: TensorDictBase) -> int:
        with torch.no_grad(), set_exploration_type(ExplorationType.DETERMINISTIC):
            return int(self.actor(obs.copy())["action"])
