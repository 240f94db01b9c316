"""``WandbLogger(project=...)``: torchrl's W&B logger, named from the project by default.

W&B is an optional extra (``pip install torchtrade[wandb]``): importing this module never needs it;
constructing a logger without it raises :class:`~torchtrade.errors.MissingDependency` saying so.
W&B reads its usual environment variables (``WANDB_MODE=offline`` writes the run under ``WANDB_DIR``
without any network; ``WANDB_API_KEY`` logs in).
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from torchrl.record.loggers.wandb import WandbLogger as TorchRLWandbLogger

from ..errors import MissingDependency

INSTALL_HINT = "pip install torchtrade[wandb]"


def default_exp_name(project: str, now: datetime | None = None) -> str:
    """``<project>-<UTC time>``, e.g. ``live-trading-20261202-031500``: a run name that sorts by start."""
    return f"{project}-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}"


def require_wandb() -> None:
    """Raise :class:`MissingDependency` when the ``wandb`` package cannot be imported."""
    try:
        importlib.import_module("wandb")
    except ImportError as e:
        raise MissingDependency(f"W&B monitoring needs the wandb package: {INSTALL_HINT}") from e


class WandbLogger(TorchRLWandbLogger):
    """A :class:`torchrl.record.loggers.WandbLogger` for an env's ``logger=``.

    Args:
        project: the W&B project (default ``"torchtrade"``).
        exp_name: the run's name (default :func:`default_exp_name` of the project).
        **kwargs: torchrl's ``WandbLogger`` arguments (``offline``, ``save_dir``, ``id``, ...) and
            ``wandb.init``'s.

    Raises:
        MissingDependency: wandb is not installed.
    """

    def __init__(self, project: str = "torchtrade", exp_name: str | None = None, **kwargs: Any) -> None:
        require_wandb()
        super().__init__(exp_name=exp_name or default_exp_name(project), project=project, **kwargs)
