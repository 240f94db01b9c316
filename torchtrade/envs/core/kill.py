"""What an env does when it is killed, or when its ``max_drawdown`` stop trips: flatten and stop opening.

Both go through :func:`~torchtrade.envs.core.liquidation.liquidate` (cancel every order and trigger of
the symbol, close every leg, read it back) and leave the env *halted*: every later entry is refused
client-side (the step holds, ``info["risk"]`` says why); closes still go through. A kill is for good
and happens once: a second ``kill()`` after a complete one sends nothing and says so; after an
incomplete one (the venue did not answer, a leg is still open) it tries again.

The env's own state follows the venue: its position, balance and fills are read after the flatten,
so the metrics and the portfolio value include the close.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .liquidation import Liquidation, liquidate

if TYPE_CHECKING:
    from .env import LiveTradingEnv

logger = logging.getLogger(__name__)


def _flatten(env: LiveTradingEnv, leg: str, info: dict[str, Any]) -> Liquidation:
    """Liquidate the env's symbol; its orders and fills go into ``info`` as a step's do."""
    result = liquidate(env.trader, client_oid=lambda n: env._client_oid(f"{leg}{n}{env.trader.calls % 1000}"))
    for outcome in result.closes:
        info["orders"].append(outcome.as_dict())
        env._track(outcome)
    env._brackets_live = False
    env._client_levels = None
    env._must_flatten = False
    env._guard.run("reading the account after flattening", env._refresh_account, info)
    if result.closes:
        env._guard.run("reading the fills after flattening", lambda: env._read_fills(info), info)
    return result


def kill(env: LiveTradingEnv) -> dict[str, Any]:
    """:meth:`LiveTradingEnv.kill`: see the module's docstring. Returns the summary (also in
    ``env.last_info["kill"]``)."""
    if env.risk.halted == "killed" and env.risk.kill_complete:
        logger.info("kill %s: already done, nothing sent", env.trader.symbol)
        return {"status": "already_killed", "symbol": env.trader.symbol, "complete": True}
    env.risk.halted = "killed"  # from now on nothing opens, whatever happens below
    logger.warning("kill %s: cancelling every order and closing every leg", env.trader.symbol)
    info = env._new_info()
    result = _flatten(env, "kill", info)
    env.risk.kill_complete = result.complete
    summary = {"status": "killed" if result.complete else "incomplete", **result.as_dict()}
    info["kill"] = summary
    env._finish_info(info)
    if result.complete:
        logger.warning("kill %s: done: %s", env.trader.symbol, result.summary())
    else:
        logger.error("kill %s: INCOMPLETE: %s (call kill() again)", env.trader.symbol, result.summary())
    return summary


def enforce_drawdown(env: LiveTradingEnv, info: dict[str, Any]) -> None:
    """After an observed step: trip the ``max_drawdown`` stop the first time the value reaches its
    floor (flatten once), and say so in ``info["risk"]`` on every step of a halted env."""
    breach = env.risk.check_drawdown(env.portfolio_value)
    if breach is not None:
        result = _flatten(env, "risk", info)
        breach["flatten"] = result.as_dict()
        info["risk"] = {**env.risk.status(), "tripped": breach}
    elif env.risk.halted is not None:
        info.setdefault("risk", env.risk.status())
