"""The part of SOQL the Salesforce stand-in answers: one object, plain and parent (``A.B``) fields,
comparisons with literals joined by AND, OR and parentheses, ORDER BY, LIMIT. Anything else (functions,
subqueries, IN, LIKE, GROUP BY, OFFSET, a field the object lacks) is refused with Salesforce's own
error codes (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE), so a connector that starts sending more
than this fails its tests rather than passing against a stand-in that guesses.

Semantics kept from Salesforce: `=` on text ignores case; a comparison with a null field is false
(except `= null`); ORDER BY puts nulls first; a parent field of a record with no parent is null.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Record = Mapping[str, Any]
Resolve = Callable[[Record, str], Any]  # a record's value for a (possibly dotted) field


class SoqlError(Exception):
    """A query the stand-in refuses: `code` is Salesforce's errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>>=|<=|!=|=|>|<)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "BY", "LIMIT", "TRUE", "FALSE", "NULL"}
_UNSUPPORTED = {"IN", "NOT", "LIKE", "INCLUDES", "EXCLUDES", "GROUP", "HAVING", "OFFSET", "WITH", "FOR", "USING"}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


@dataclass(frozen=True, slots=True)
class Comparison:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Junction:
    op: str  # "AND" or "OR"
    terms: tuple[Condition, ...]


Condition = Comparison | Junction


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    fields: tuple[str, ...]
    sobject: str
    where: Condition | None
    order_by: tuple[str, ...]
    limit: int | None

    def run(self, records: Sequence[Record], resolve: Resolve) -> list[Record]:
        """The records that match, in order, up to the limit."""
        matching = [record for record in records if self.where is None or _holds(self.where, record, resolve)]
        for field in reversed(self.order_by):
            matching.sort(key=lambda record, f=field: _order_key(resolve(record, f)))  # type: ignore[misc]
        return matching if self.limit is None else matching[: self.limit]


def parse(text: str, fields_of: Mapping[str, frozenset[str]]) -> Query:
    """`text` as a Query, its fields checked against `fields_of` (object → fields, parent fields
    written ``Parent.Field``). Raises SoqlError."""
    tokens = _tokens(text)
    parser = _Parser(tokens)
    parser.expect("SELECT")
    fields = [parser.field()]
    while parser.accept(","):
        fields.append(parser.field())
    parser.expect("FROM")
    sobject = parser.word()
    if sobject not in fields_of:
        raise SoqlError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
    where = None
    if parser.accept("WHERE"):
        where = parser.disjunction()
    order_by: list[str] = []
    if parser.accept("ORDER"):
        parser.expect("BY")
        order_by.append(parser.field())
        while parser.accept(","):
            order_by.append(parser.field())
    limit = None
    if parser.accept("LIMIT"):
        limit = parser.integer()
    parser.end()
    known = fields_of[sobject]
    for field in [*fields, *order_by, *_fields_in(where)]:
        if field not in known:
            raise SoqlError("INVALID_FIELD", f"No such column '{field}' on entity '{sobject}'.")
    return Query(fields=tuple(fields), sobject=sobject, where=where, order_by=tuple(order_by), limit=limit)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    while at < len(text.rstrip()):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token at: {text[at : at + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        at = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end":
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.at += 1
        return token

    def accept(self, text: str) -> bool:
        kind, value = self.peek()
        if kind in ("word", "punct") and value.upper() == text:
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise SoqlError("MALFORMED_QUERY", f"expecting '{text}', found {self.peek()[1]!r}")

    def word(self) -> str:
        kind, value = self.take()
        if kind != "word" or value.upper() in _KEYWORDS:
            raise SoqlError("MALFORMED_QUERY", f"expecting a name, found {value!r}")
        if value.upper() in _UNSUPPORTED:
            raise SoqlError("MALFORMED_QUERY", f"{value} is not supported by this stand-in")
        return value

    def field(self) -> str:
        name = self.word()
        if self.peek() == ("punct", "("):
            raise SoqlError("MALFORMED_QUERY", f"functions such as {name}() are not supported by this stand-in")
        return name

    def integer(self) -> int:
        kind, value = self.take()
        if kind != "number" or not value.isdigit():
            raise SoqlError("MALFORMED_QUERY", f"expecting a number, found {value!r}")
        return int(value)

    def end(self) -> None:
        if self.peek()[0] != "end":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {self.peek()[1]!r}")

    def disjunction(self) -> Condition:
        terms = [self.conjunction()]
        while self.accept("OR"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else Junction("OR", tuple(terms))

    def conjunction(self) -> Condition:
        terms = [self.term()]
        while self.accept("AND"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else Junction("AND", tuple(terms))

    def term(self) -> Condition:
        if self.accept("("):
            inner = self.disjunction()
            self.expect(")")
            return inner
        field = self.field()
        kind, op = self.take()
        if kind != "op":
            raise SoqlError("MALFORMED_QUERY", f"expecting an operator after {field}, found {op!r}")
        return Comparison(field, op, self.literal())

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1])
        if kind == "datetime":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.astimezone(UTC)
        if kind == "number":
            return float(value) if "." in value else int(value)
        if kind == "word" and value.upper() in ("TRUE", "FALSE", "NULL"):
            return {"TRUE": True, "FALSE": False, "NULL": None}[value.upper()]
        raise SoqlError("MALFORMED_QUERY", f"expecting a value, found {value!r}")


def _fields_in(condition: Condition | None) -> list[str]:
    if condition is None:
        return []
    if isinstance(condition, Comparison):
        return [condition.field]
    return [field for term in condition.terms for field in _fields_in(term)]


def _holds(condition: Condition, record: Record, resolve: Resolve) -> bool:
    if isinstance(condition, Junction):
        results = (_holds(term, record, resolve) for term in condition.terms)
        return all(results) if condition.op == "AND" else any(results)
    actual, wanted, op = resolve(record, condition.field), condition.value, condition.op
    if actual is None or wanted is None:
        return (actual is None) == (wanted is None) if op == "=" else (op == "!=" and actual is not wanted)
    if isinstance(actual, str) and isinstance(wanted, str) and op in ("=", "!="):
        actual, wanted = actual.casefold(), wanted.casefold()
    try:
        return bool(_OPERATORS[op](actual, wanted))
    except TypeError:
        raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", f"cannot compare {condition.field} with {wanted!r}") from None


def _order_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)
