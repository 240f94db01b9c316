"""Re-exports for the documented import path ``torchtrade.envs.utils``."""

from ..timeframes import TimeFrame, TimeFrameUnit

__all__ = ["TimeFrame", "TimeFrameUnit"]
