"""SQL pieces the report queries share: seconds (and whole minutes) between two stored times, on either engine.

SQLite keeps times as UTC text (see `storage.tables.UtcDateTime`), PostgreSQL as `timestamptz`; both
subtract to seconds here, so a duration is aggregated in the database rather than fetched row by row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):
    """`seconds_between(start, end)`: `end - start` in seconds, as a float."""

    type = Float()
    inherit_cache = True

    def __init__(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> None:
        super().__init__(start, end)


@compiles(seconds_between, "sqlite")
def _sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


class whole_minutes_between(FunctionElement[int]):
    """`whole_minutes_between(start, end)`: the whole minutes from `start` to `end` (`end` not before
    `start`), rounded down on both engines. Half a second is added first: julianday arithmetic can put
    a time on the minute a hair before it (09:00:00 as 08:59:59.9999), which would count it a minute
    early."""

    type = Integer()
    inherit_cache = True

    def __init__(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> None:
        super().__init__(start, end)


@compiles(whole_minutes_between, "sqlite")
def _sqlite_minutes(element: whole_minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(((julianday({end}) - julianday({start})) * 86400.0 + 0.5) / 60 AS INTEGER)"  # truncates


@compiles(whole_minutes_between, "postgresql")
def _postgresql_minutes(element: whole_minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM ({end} - {start})) + 0.5) / 60) AS INTEGER)"  # a bare cast rounds
