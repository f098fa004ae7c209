"""The routing configuration: YAML in, a validated and compiled `RoutingConfig` out.

Loading happens in two passes. Pydantic checks the shape and types of the file (`spec`); `compile`
then checks what pydantic cannot (references between reps, teams and rules, conditions, time zones,
working hours) and builds the immutable runtime objects the engine reads on every decision (`compiled`).
Every problem from either pass is reported together as ``path: problem`` lines, e.g.
``rules[3].when.employees: expected a range like '>=200', '<20' or '20-199'``.
Reading the file is here; everything callers use is importable from `routing.config`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import yaml
from pydantic import ValidationError

from routing.config.compile import NUMERIC_FIELDS, compile_spec, format_path, normalise_domain
from routing.config.compiled import (
    CRM_KINDS,
    WEBHOOK_EVENTS,
    Account,
    Crm,
    Dedupe,
    Digest,
    Escalation,
    Manager,
    OffHours,
    Outcomes,
    Qualification,
    Rep,
    Requirement,
    RoutingConfig,
    Rule,
    SlaPolicy,
    Strategy,
    Team,
    Thresholds,
    Webhook,
)
from routing.config.spec import ConfigSpec

__all__ = [
    "CRM_KINDS",
    "NUMERIC_FIELDS",
    "WEBHOOK_EVENTS",
    "Account",
    "ConfigError",
    "Crm",
    "Dedupe",
    "Digest",
    "Escalation",
    "Manager",
    "OffHours",
    "Outcomes",
    "Qualification",
    "Rep",
    "Requirement",
    "RoutingConfig",
    "Rule",
    "SlaPolicy",
    "Strategy",
    "Team",
    "Thresholds",
    "Webhook",
    "compile_config",
    "format_path",
    "load_config",
    "normalise_domain",
    "parse_config",
]


class ConfigError(ValueError):
    """The configuration is invalid; `problems` holds one ``path: problem`` line per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


def load_config(path: str) -> RoutingConfig:
    """Read and compile a YAML config file. Raises ConfigError (also for unreadable YAML)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file ({exc.strerror})"]) from exc
    return parse_config(text)


def _yaml12(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """`loader` with YAML 1.2 booleans: only true/false, so `country: [NO]` stays Norway."""
    resolvers = {
        first: [(tag, regexp) for tag, regexp in pairs if tag != "tag:yaml.org,2002:bool"]
        for first, pairs in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    made = type(f"Yaml12{loader.__name__}", (loader,), {"yaml_implicit_resolvers": resolvers})
    yaml12 = cast(type[yaml.SafeLoader], made)
    yaml12.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return yaml12


_YAML = _yaml12(yaml.SafeLoader)
# libyaml's parser where PyYAML was built with it (its wheels are): ten times faster. Its errors give
# no excerpt of the line, so a text it refuses is read again by the pure-Python parser for the message.
_FAST_YAML = _yaml12(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def parse_config(text: str) -> RoutingConfig:
    """Parse and compile YAML text. Raises ConfigError listing every problem found."""
    try:
        raw = yaml.load(text, Loader=_FAST_YAML)
    except yaml.YAMLError:
        try:
            raw = yaml.load(text, Loader=_YAML)
        except yaml.YAMLError as exc:
            raise ConfigError([f"YAML: {exc}".replace("\n", " ")]) from exc
    return compile_config(raw)


def compile_config(raw: Any) -> RoutingConfig:
    """Validate a config mapping and compile it. Raises ConfigError."""
    if not isinstance(raw, Mapping):
        raise ConfigError(["(top): expected a mapping with reps, teams, rules, sla and fallback"])
    try:
        spec = ConfigSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_pydantic_problem(error) for error in exc.errors()]) from None
    problems: list[str] = []
    config = compile_spec(spec, problems)
    if problems:
        raise ConfigError(problems)
    return config


def _pydantic_problem(error: Any) -> str:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function")))
    message = error["msg"]
    if error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} is not a valid value here"
    elif error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    return f"{format_path(loc)}: {message}"
