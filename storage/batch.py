"""Writes that do not depend on each other, sent together: one round trip on PostgreSQL.

Inside a transaction that holds a hot row (a pool's turn, locked until commit), every round trip is
time that every other writer of the pool waits for (BENCHMARKS.md, storage). A `Batch` sends its
statements to PostgreSQL as one: each becomes a data-modifying CTE, `WITH w0 AS (INSERT …), w1 AS
(UPDATE …) SELECT …`, which PostgreSQL runs to completion whether or not the query reads it. On SQLite a
statement is a function call in the same process, so they simply run one by one, in order.

PostgreSQL runs the CTEs in no set order, and none sees another's writes. So the statements must not
read each other's writes, must not lock rows that other transactions lock in a set order, and must
not insert rows whose ids should follow the order they were added in (outbox rows for one address).
Each is built once with named bind parameters, and `add` gives its values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BindParameter, Connection, Executable, ScalarSelect, bindparam, func, literal, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True, slots=True)
class Written:
    """What one statement of a batch returned: how many rows, and the first (None for none).
    Statements without RETURNING report `count=0`."""

    count: int
    first: tuple[Any, ...] | None


class Batch:
    """Statements to run together on `conn`, in the order added."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._items: list[tuple[UpdateBase, Mapping[str, Any], Exception | None]] = []

    def add(self, statement: UpdateBase, params: Mapping[str, Any], *, or_raise: Exception | None = None) -> int:
        """Add `statement` with the values of its bind parameters; returns its index in `run`'s result.
        With `or_raise`, `run` raises it if the statement returns no row (a conditional write missed)."""
        self._items.append((statement, params, or_raise))
        return len(self._items) - 1

    def run(self) -> list[Written]:
        """Execute every statement; what each returned, in the order added. Raises the `or_raise` of
        the first statement that returned no row."""
        if not self._items:
            return []
        if self.dialect == "postgresql":
            written = self._together()
        else:
            written = [_written(self.conn, statement, params) for statement, params, _ in self._items]
        for (_, _, error), result in zip(self._items, written, strict=True):
            if error is not None and not result.count:
                raise error
        return written

    def _together(self) -> list[Written]:
        together, returning = _together(tuple(statement for statement, _, _ in self._items))
        values = {}
        for i, (_, params, _) in enumerate(self._items):
            values.update({f"w{i}_{name}": value for name, value in params.items()})
        row = self.conn.execute(together, values).one()
        written, column = [], 0
        for width in returning:
            if width is None:
                written.append(Written(0, None))
                continue
            count, first = row[column], tuple(row[column + 1 : column + 1 + width])
            written.append(Written(count, first if count else None))
            column += 1 + width
        return written


def _written(conn: Connection, statement: UpdateBase, params: Mapping[str, Any]) -> Written:
    result = conn.execute(statement, params)
    if not result.returns_rows:
        return Written(0, None)
    rows = result.all()
    return Written(len(rows), tuple(rows[0]) if rows else None)


@functools.lru_cache(maxsize=256)
def _together(statements: tuple[UpdateBase, ...]) -> tuple[Executable, tuple[int | None, ...]]:
    """The one statement running `statements` as CTEs, their bind parameters renamed `w{i}_{name}`,
    and how many RETURNING columns each has (None: no RETURNING). Built once per combination (keyed
    by the statements' identity: each is built once, so there are about as many as the code has
    shapes; the bound only guards against a statement built anew on every call)."""
    ctes: list[Any] = []
    columns: list[ScalarSelect[Any]] = []
    returning: list[int | None] = []
    for i, statement in enumerate(statements):
        cte = _renamed(statement, f"w{i}_").cte(f"w{i}")
        ctes.append(cte)
        if not statement.exported_columns:  # no RETURNING
            returning.append(None)
            continue
        returning.append(len(cte.c))
        columns.append(select(func.count()).select_from(cte).scalar_subquery())
        columns.extend(_first(cte, column) for column in cte.c)
    query = select(*columns) if columns else select(literal(1))
    return query.add_cte(*ctes), tuple(returning)


def _first(cte: Any, column: Any) -> ScalarSelect[Any]:
    return select(column).select_from(cte).limit(1).scalar_subquery()


def _renamed(statement: UpdateBase, prefix: str) -> UpdateBase:
    """`statement` with every named bind parameter renamed `prefix + name` (type kept). Anonymous
    ones (literal values) are unique already and keep their values."""

    def rename(element: Any, **_: Any) -> BindParameter[Any] | None:
        if isinstance(element, BindParameter) and not element.unique:
            return bindparam(prefix + element.key, type_=element.type)
        return None

    return cast(UpdateBase, visitors.replacement_traverse(statement, {}, rename))
