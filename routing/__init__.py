"""The routing engine: a pure function from (lead, state, now) to an explained decision.

No I/O and no clock: everything the decision depends on is passed in, so it is deterministic,
testable in microseconds and shared by the bot, `simulate` and the benchmarks.
"""

from routing.config import ConfigError, RoutingConfig, load_config, parse_config
from routing.engine import Engine
from routing.model import (
    Decision,
    Lead,
    Outcome,
    PoolMember,
    PoolState,
    Reason,
    RepState,
    RotationUpdate,
    RoutingState,
    Window,
)

__all__ = [
    "ConfigError",
    "Decision",
    "Engine",
    "Lead",
    "Outcome",
    "PoolMember",
    "PoolState",
    "Reason",
    "RepState",
    "RotationUpdate",
    "RoutingConfig",
    "RoutingState",
    "Window",
    "load_config",
    "parse_config",
]
