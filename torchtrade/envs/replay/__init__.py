"""In-process mode: an env class trading the emulator's engine directly (no HTTP, no SDK, no ccxt).

``BitgetFuturesTorchTradingEnv.replay(config, data=...)`` (a classmethod of every env class) builds
the same env on the same venue profile, stepping as fast as the engine replays a bar: for training
on the very engine and env class that then trades over HTTP. See :mod:`.build`.
"""

from .build import build_futures_replay
from .clock import ReplayClock
from .session import ReplaySession, resolve_data
from .trader import EngineTrader

__all__ = ["EngineTrader", "ReplayClock", "ReplaySession", "build_futures_replay", "resolve_data"]
