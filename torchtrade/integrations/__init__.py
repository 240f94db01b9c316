"""Integrations with tools around an env: ``WandbLogger`` (Weights & Biases, the ``wandb`` extra).

Any torchrl logger works as an env's ``logger=``; this module only adds the spelling of torchtrade's
docs::

    from torchtrade.integrations import WandbLogger
    env = AlpacaTorchTradingEnv(config=config, logger=WandbLogger(project="live-trading"))
"""

from .wandb_logger import WandbLogger, default_exp_name

__all__ = ["WandbLogger", "default_exp_name"]
