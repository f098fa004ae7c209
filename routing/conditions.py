"""The condition language of routing rules and SLA policies.

A condition is YAML such as::

    when:
      country: {in: [DE, AT, CH]}      # in
      employees: ">=200"               # numeric range (also "<20", "20-199", 50)
      industry: fintech                # equals (case-insensitive)
      title: {contains: "vp"}          # substring
      email: {regex: "@.*\\.edu$"}     # regular expression
      budget: {exists: true}
      any: [{intent: demo}, {score: ">=80"}]
      not: {source: partner}

Several keys in one mapping must all hold. `parse` turns that into an immutable tree whose `matches`
is cheap enough to run a hundred rules per lead; `implies` is a conservative implication test used by
`leadrelay check` to find rules that an earlier rule shadows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]

_RANGE = re.compile(
    r"^\s*(?:(?P<op>>=|<=|>|<|=)\s*(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<lo>-?\d+(?:\.\d+)?)\s*(?:-|\.\.)\s*(?P<hi>-?\d+(?:\.\d+)?))\s*$"
)
_OPERATORS = ("equals", "in", "range", "contains", "regex", "exists")
# A tuple, not `int | float`: that expression builds a new union object each time it is evaluated.
_NUMBERS = (int, float)


class ConditionError(ValueError):
    """A condition that cannot be parsed; `path` is relative to the condition's root."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class Condition:
    """Base of the condition tree."""

    __slots__ = ()

    def matches(self, facts: Facts) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, _NUMBERS):
        return float(value)
    return None


@dataclass(frozen=True, slots=True)
class Always(Condition):
    def matches(self, facts: Facts) -> bool:
        return True

    def describe(self) -> str:
        return "always"


@dataclass(frozen=True, slots=True)
class AllOf(Condition):
    parts: tuple[Condition, ...]

    def matches(self, facts: Facts) -> bool:
        for part in self.parts:  # noqa: SIM110 - a plain loop: no generator on the hot path
            if not part.matches(facts):
                return False
        return True

    def describe(self) -> str:
        return " and ".join(part.describe() for part in self.parts)


@dataclass(frozen=True, slots=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def matches(self, facts: Facts) -> bool:
        for part in self.parts:  # noqa: SIM110 - a plain loop: no generator on the hot path
            if part.matches(facts):
                return True
        return False

    def describe(self) -> str:
        return "(" + " or ".join(part.describe() for part in self.parts) + ")"


@dataclass(frozen=True, slots=True)
class Not(Condition):
    part: Condition

    def matches(self, facts: Facts) -> bool:
        return not self.part.matches(facts)

    def describe(self) -> str:
        return f"not ({self.part.describe()})"


@dataclass(frozen=True, slots=True)
class OneOf(Condition):
    """`field` equals one of `values` (strings compared case-insensitively)."""

    field: str
    values: frozenset[Any]
    shown: tuple[str, ...]

    def matches(self, facts: Facts) -> bool:
        value = facts.get(self.field)
        if value is None:
            return False
        return (value.casefold() if type(value) is str else value) in self.values

    def describe(self) -> str:
        if len(self.shown) == 1:
            return f"{self.field} = {self.shown[0]}"
        return f"{self.field} in [{', '.join(self.shown)}]"


@dataclass(frozen=True, slots=True)
class Range(Condition):
    """`low <= field <= high` with open or closed ends; both ends may be infinite."""

    field: str
    low: float
    high: float
    low_open: bool
    high_open: bool
    shown: str

    def matches(self, facts: Facts) -> bool:
        value = _number(facts.get(self.field))
        if value is None:
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        return f"{self.field} {self.shown}"

    def within(self, other: Range) -> bool:
        """Every value this range accepts, `other` accepts too."""
        low_ok = self.low > other.low or (self.low == other.low and (self.low_open or not other.low_open))
        high_ok = self.high < other.high or (self.high == other.high and (self.high_open or not other.high_open))
        return low_ok and high_ok


@dataclass(frozen=True, slots=True)
class Contains(Condition):
    field: str
    needle: str

    def matches(self, facts: Facts) -> bool:
        value = facts.get(self.field)
        return value is not None and self.needle in str(value).casefold()

    def describe(self) -> str:
        return f"{self.field} contains {self.needle!r}"


@dataclass(frozen=True, slots=True)
class Regex(Condition):
    field: str
    pattern: re.Pattern[str]

    def matches(self, facts: Facts) -> bool:
        value = facts.get(self.field)
        return value is not None and self.pattern.search(str(value)) is not None

    def describe(self) -> str:
        return f"{self.field} ~ /{self.pattern.pattern}/"


@dataclass(frozen=True, slots=True)
class Exists(Condition):
    field: str
    present: bool

    def matches(self, facts: Facts) -> bool:
        value = facts.get(self.field)
        has = value is not None and value != ""
        return has is self.present

    def describe(self) -> str:
        return f"{self.field} {'is set' if self.present else 'is missing'}"


def parse_range(field: str, text: Any) -> Range:
    """Parse ``>=200``, ``<20``, ``20-199`` or a bare number. Raises ValueError."""
    num = _number(text)
    if num is not None:
        return Range(field, num, num, False, False, f"= {text}")
    match = _RANGE.match(str(text)) if isinstance(text, str) else None
    if not match:
        raise ValueError("expected a range like '>=200', '<20' or '20-199'")
    if match.group("op"):
        op, value = match.group("op"), float(match.group("num"))
        low, high, low_open, high_open = {
            ">=": (value, math.inf, False, True),
            ">": (value, math.inf, True, True),
            "<=": (-math.inf, value, True, False),
            "<": (-math.inf, value, True, True),
            "=": (value, value, False, False),
        }[op]
        return Range(field, low, high, low_open, high_open, text.strip())
    low, high = float(match.group("lo")), float(match.group("hi"))
    if low > high:
        raise ValueError(f"range {text!r} is empty: {low:g} is above {high:g}")
    return Range(field, low, high, False, False, f"{low:g}–{high:g}")


def parse(spec: Any, numeric_fields: frozenset[str] = frozenset()) -> Condition:
    """Parse a condition. Raises ConditionError with the path of the offending part."""
    return _parse(spec, (), numeric_fields)


def _parse(spec: Any, path: tuple[str | int, ...], numeric: frozenset[str]) -> Condition:
    if spec is None or spec == {}:
        return Always()
    if not isinstance(spec, Mapping):
        raise ConditionError(path, "expected a mapping of field: value, or all/any/not")
    parts: list[Condition] = []
    for key, value in spec.items():
        key = str(key)
        here = (*path, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(here, f"'{key}' takes a non-empty list of conditions")
            children = tuple(_parse(item, (*here, i), numeric) for i, item in enumerate(value))
            parts.append(AllOf(children) if key == "all" else AnyOf(children))
        elif key == "not":
            parts.append(Not(_parse(value, here, numeric)))
        else:
            parts.append(_field(key, value, here, numeric))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _field(field: str, value: Any, path: tuple[str | int, ...], numeric: frozenset[str]) -> Condition:
    try:
        if isinstance(value, Mapping):
            unknown = [op for op in value if op not in _OPERATORS]
            if unknown or not value:
                raise ValueError(
                    f"unknown operator {unknown[0]!r}; use one of {', '.join(_OPERATORS)}"
                    if unknown
                    else "empty condition"
                )
            ops = [_operator(field, str(op), arg, numeric) for op, arg in value.items()]
            return ops[0] if len(ops) == 1 else AllOf(tuple(ops))
        if isinstance(value, list):
            return _operator(field, "in", value, numeric)
        if field in numeric:
            return _operator(field, "range", value, numeric)
        if isinstance(value, str) and _RANGE.match(value) and not value.strip().lstrip("-").isdigit():
            return parse_range(field, value)
        return _operator(field, "equals", value, numeric)
    except ValueError as exc:
        raise ConditionError(path, str(exc)) from exc


def _operator(field: str, op: str, arg: Any, numeric: frozenset[str]) -> Condition:
    if op == "range":
        return parse_range(field, arg)
    if op in ("equals", "in"):
        values = arg if op == "in" else [arg]
        if not isinstance(values, list) or not values:
            raise ValueError("'in' takes a non-empty list")
        if any(isinstance(item, Mapping | list) or item is None for item in values):
            raise ValueError("values must be plain strings, numbers or booleans")
        if field in numeric and not all(_number(item) is not None for item in values):
            raise ValueError("expected a range like '>=200' or a number")
        return OneOf(field, frozenset(_norm(item) for item in values), tuple(str(item) for item in values))
    if op == "contains":
        if not isinstance(arg, str) or not arg:
            raise ValueError("'contains' takes a non-empty string")
        return Contains(field, arg.casefold())
    if op == "regex":
        if not isinstance(arg, str):
            raise ValueError("'regex' takes a string")
        try:
            return Regex(field, re.compile(arg, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"bad regular expression: {exc}") from exc
    if op == "exists":
        if not isinstance(arg, bool):
            raise ValueError("'exists' takes true or false")
        return Exists(field, arg)
    raise ValueError(f"unknown operator {op!r}")


class Prefilter:
    """Finds which conditions of a list some facts match, evaluating as few of them as it can.

    Most routing rules require a field to equal one of a few values (``country: [DE, AT]``, ``region:
    EMEA``) or not to (``not: {region: APAC}``), and a lead fails most of them. For each field some
    condition tests that way, the prefilter maps each value to a bitmask of the conditions that value
    does not rule out; ANDing one mask per field leaves the conditions still worth evaluating. A
    condition ruled out surely fails; one left in has passed those tests, so only the rest of it is
    evaluated. The conditions that match come out in order, as evaluating each in full would find them."""

    __slots__ = ("_conditions", "_everything", "_fields", "_plans", "_rest")

    def __init__(self, conditions: Sequence[Condition]) -> None:
        self._conditions = tuple(conditions)
        self._everything = (1 << len(conditions)) - 1
        accepting: dict[str, dict[int, frozenset[Any]]] = {}  # field -> condition -> the only values it accepts
        rejecting: dict[str, dict[int, frozenset[Any]]] = {}  # field -> condition -> values it rejects
        self._rest: list[Condition | None] = []  # what is left to evaluate of each condition, if anything
        for i, cond in enumerate(conditions):
            accepts, rejects, rest = _split(cond)
            for field, values in accepts.items():
                accepting.setdefault(field, {})[i] = values
            for field, values in rejects.items():
                rejecting.setdefault(field, {})[i] = values
            self._rest.append(rest)
        self._plans: dict[int, tuple[tuple[int, Condition | None], ...]] = {}  # by mask, see `candidates`
        self._fields: list[tuple[str, dict[Any, int], int]] = []
        for field in dict.fromkeys([*accepting, *rejecting]):
            accepted_by, rejected_by = accepting.get(field, {}), rejecting.get(field, {})
            unnamed = self._everything  # what a value no condition names leaves in
            for i in accepted_by:
                unnamed &= ~(1 << i)
            by_value: dict[Any, int] = {}
            for i, values in accepted_by.items():
                for value in values:
                    by_value[value] = by_value.get(value, unnamed) | (1 << i)
            for i, values in rejected_by.items():
                for value in values:
                    by_value[value] = by_value.get(value, unnamed) & ~(1 << i)
            self._fields.append((field, by_value, unnamed))

    def candidates(self, facts: Facts) -> Sequence[tuple[int, Condition | None]]:
        """In order, the conditions that `facts` pass the indexed tests of: each one's index and what is
        left of it to evaluate (None: nothing, it matches)."""
        mask = self._everything
        try:
            for field, by_value, unnamed in self._fields:
                value = facts.get(field)
                mask &= by_value.get(value.casefold() if type(value) is str else value, unnamed)
        except TypeError:  # an unhashable value: no index applies, so evaluate every condition as written
            return tuple(enumerate(self._conditions))
        plan = self._plans.get(mask)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            plan = self._plans[mask] = tuple((i, self._rest[i]) for i in _set_bits(mask))
        return plan


_MAX_PLANS = 4096  # a config allows few masks and leads share them; the bound is for the unforeseen


def _set_bits(mask: int) -> list[int]:
    """The positions of the bits set in `mask`, lowest first."""
    positions = []
    while mask:
        lowest = mask & -mask
        positions.append(lowest.bit_length() - 1)
        mask ^= lowest
    return positions


_ValueTests = dict[str, frozenset[Any]]


def _split(cond: Condition) -> tuple[_ValueTests, _ValueTests, Condition | None]:
    """Split `cond` into what the prefilter checks and the rest: for each field that `cond` needs to
    equal one of some values (`OneOf`, alone or under `all`), the values it accepts; for each field it
    needs not to (`not` of a `OneOf`), the values it rejects; and what else it tests, if anything. A
    value outside the first, or inside the second, fails the condition whatever else it tests."""
    if isinstance(cond, OneOf):
        return {cond.field: cond.values}, {}, None
    if isinstance(cond, Not) and isinstance(cond.part, OneOf):
        return {}, {cond.part.field: cond.part.values}, None
    if isinstance(cond, Always):
        return {}, {}, None
    if not isinstance(cond, AllOf):
        return {}, {}, cond
    accepts: _ValueTests = {}
    rejects: _ValueTests = {}
    rest: list[Condition] = []
    for part in cond.parts:
        part_accepts, part_rejects, part_rest = _split(part)
        for field, values in part_accepts.items():
            accepts[field] = accepts[field] & values if field in accepts else values
        for field, values in part_rejects.items():
            rejects[field] = rejects.get(field, frozenset()) | values
        if part_rest is not None:
            rest.append(part_rest)
    if not rest:
        return accepts, rejects, None
    return accepts, rejects, rest[0] if len(rest) == 1 else AllOf(tuple(rest))


def _conjuncts(cond: Condition) -> list[Condition] | None:
    """The flat list of field tests a condition requires, or None if it has any/not in it."""
    if isinstance(cond, Always):
        return []
    if isinstance(cond, AllOf):
        out: list[Condition] = []
        for part in cond.parts:
            sub = _conjuncts(part)
            if sub is None:
                return None
            out.extend(sub)
        return out
    if isinstance(cond, AnyOf | Not):
        return None
    return [cond]


def _test_implies(specific: Condition, general: Condition) -> bool:
    if specific == general:
        return True
    if isinstance(general, Exists) and general.present:
        return getattr(specific, "field", None) == general.field and not isinstance(specific, Exists)
    if isinstance(specific, OneOf) and isinstance(general, OneOf):
        return specific.field == general.field and specific.values <= general.values
    if isinstance(specific, Range) and isinstance(general, Range):
        return specific.field == general.field and specific.within(general)
    if isinstance(specific, OneOf) and isinstance(general, Range):
        return specific.field == general.field and all(
            general.matches({general.field: value}) for value in specific.values
        )
    return False


def implies(specific: Condition, general: Condition) -> bool:
    """True only if every lead matching `specific` surely matches `general` (conservative)."""
    general_parts = _conjuncts(general)
    specific_parts = _conjuncts(specific)
    if general_parts is None or specific_parts is None:
        return isinstance(general, Always)
    return all(any(_test_implies(s, g) for s in specific_parts) for g in general_parts)


def values_named(cond: Condition, field: str) -> frozenset[Any]:
    """Every value `cond` compares `field` with for equality (`in` and plain equals), anywhere in the
    tree, case-folded as matching compares them: the values of that field the configuration knows."""
    if isinstance(cond, OneOf):
        return cond.values if cond.field == field else frozenset()
    if isinstance(cond, AllOf | AnyOf):
        return frozenset().union(*(values_named(part, field) for part in cond.parts))
    if isinstance(cond, Not):
        return values_named(cond.part, field)
    return frozenset()


def fields_of(condition: Condition) -> tuple[str, ...]:
    """The lead fields `condition` reads, in the order written, each once (none for `Always`)."""
    found: list[str] = []
    pending = [condition]
    while pending:
        part = pending.pop(0)
        if isinstance(part, AllOf | AnyOf):
            pending[:0] = part.parts
        elif isinstance(part, Not):
            pending.insert(0, part.part)
        elif isinstance(part, OneOf | Range | Contains | Regex | Exists) and part.field not in found:
            found.append(part.field)
    return tuple(found)
