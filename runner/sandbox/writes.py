"""Hasura's mutations on SQLite: nested inserts, upserts (`on_conflict`), updates, deletes,
and Postgres' wording for the constraint errors they meet."""

from __future__ import annotations

import operator
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner.sandbox.errors import HasuraError
from runner.sandbox.sql import SqlBuilder, quote
from runner.sandbox.tables import TABLES, Relation, Table

SQL_CHUNK = 900  # stay well under SQLite's bound-parameter limit per IN (...)


class _RowByRow(Exception):
    """This insert cannot be batched: write it row by row."""


_Values = list[Any]  # one row's values, in its shape's column order


@dataclass
class _Batch:
    """Rows for one table, written with one conflict clause, in runs of consecutive rows
    with the same columns (each run is one executemany, so the rows keep their order)."""

    table: str
    conflict: str
    runs: list[tuple[tuple[str, ...], list[_Values]]] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True)
class _Shape:
    """How input objects with one sequence of keys become rows of one table: the given
    columns (converted where the type says), then what the writer adds when absent - the
    parent's id (children of an array relation), `id`, the `now` defaults, the columns
    object relations fill in."""

    columns: tuple[str, ...]
    given: Callable[[dict[str, Any]], tuple[Any, ...]]
    convert: tuple[tuple[int, Callable[[Any], Any]], ...]
    link: int | None  # where the parent's id goes
    id: int
    defaults: tuple[int, ...]  # `now` columns, given or not (None there: now)
    added: tuple[Any, ...]  # placeholders for the columns appended to the given ones
    relations: tuple[tuple[str, Relation, int | None], ...]  # key, relation, its column


_ADDED = object()  # a placeholder for a value the writer fills in


class Writer:
    """Writes of one engine (inside the caller's transaction)."""

    def __init__(self, conn: sqlite3.Connection, sql: SqlBuilder) -> None:
        self.conn = conn
        self.sql = sql
        # Per table: column -> converter of non-null values (None: stored as given);
        # relations are absent.
        self._columns = {t.name: {c.name: sql.converter(c.type) for c in t.columns}
                         for t in TABLES.values()}
        self._shapes: dict[tuple[str, str | None, tuple[str, ...]], _Shape] = {}

    def insert(self, table: Table, objects: list[dict[str, Any]],
               on_conflict: dict[str, Any] | None, now: str) -> tuple[list[str], int]:
        """Insert objects (with nested relations); returns the ids of rows inserted or
        updated at this level and the number of rows affected at all levels.

        When every row is certain to be written with the id it names (no `on_conflict`, or
        an update on the primary key), each table's rows go in one `executemany` per run of
        rows with the same columns; otherwise, or when a constraint fails (to word the error
        as Postgres would, for the row that failed), row by row."""
        batches: list[_Batch] = []
        try:
            ids = self._flatten(table, objects, on_conflict, now, batches)
        except _RowByRow:
            return self._insert_rows(table, objects, on_conflict, now)
        self.conn.execute("SAVEPOINT sandbox_bulk_insert")
        try:
            for batch in batches:
                for cols, rows in batch.runs:
                    self.conn.executemany(
                        f"INSERT INTO {quote(batch.table)} (" + ", ".join(f'"{c}"' for c in cols)
                        + ") VALUES (" + ",".join("?" * len(cols)) + ")" + batch.conflict, rows)
        except (sqlite3.Error, OverflowError):
            self.conn.execute("ROLLBACK TO sandbox_bulk_insert")
            self.conn.execute("RELEASE sandbox_bulk_insert")
            return self._insert_rows(table, objects, on_conflict, now)
        self.conn.execute("RELEASE sandbox_bulk_insert")
        return ids, sum(b.size for b in batches)

    def _flatten(self, table: Table, objects: list[dict[str, Any]],
                 on_conflict: dict[str, Any] | None, now: str, out: list[_Batch],
                 links: tuple[str, list[str]] | None = None) -> list[str]:
        """Append the rows of `objects` and their relations to `out` in an order the foreign
        keys accept (object relations, the rows, then array relations); their ids.
        `links`: the column and, per object, the parent's id (children of an array
        relation: the id replaces whatever the object gives for that column)."""
        if on_conflict is not None and (
                on_conflict["constraint"] != f"{table.name}_pkey"
                or not on_conflict.get("update_columns") or on_conflict.get("where")):
            raise _RowByRow  # a row may be skipped, or updated under another id
        conflict_sql, _ = self._conflict_clause(table, on_conflict)
        link_column = None if links is None else links[0]
        batch = _Batch(table.name, conflict_sql)
        ids: list[str] = []
        # Per relation: its conflict clause (one for all objects, else row by row), the
        # nested objects and, for object relations, the row and position each fills in;
        # for array relations, each child's parent id.
        related: dict[str, tuple[Relation, Any, list[dict[str, Any]], list[Any]]] = {}
        keys: tuple[str, ...] | None = None
        run: list[_Values] = []
        for index, obj in enumerate(objects):
            if tuple(obj) != keys:  # the objects of a request mostly share one shape
                keys = tuple(obj)
                key = (table.name, link_column, keys)
                shape = self._shapes.get(key) or self._shape(table, link_column, key)
            row = [*shape.given(obj), *shape.added]
            for position, conv in shape.convert:
                value = row[position]
                if value is not None:
                    row[position] = conv(value)
            if shape.link is not None:
                assert links is not None
                row[shape.link] = links[1][index]
            row_id = row[shape.id]
            if row_id is None or row_id is _ADDED:
                row_id = row[shape.id] = str(uuid.uuid4())
            for position in shape.defaults:
                if row[position] is None or row[position] is _ADDED:
                    row[position] = now
            for name, rel, column_at in shape.relations:
                value = obj[name]
                entry = related.setdefault(name, (rel, value.get("on_conflict"), [], []))
                if entry[1] != value.get("on_conflict"):
                    raise _RowByRow
                if rel.kind == "object":
                    entry[2].append(value["data"])
                    entry[3].append((row, column_at))
                else:
                    entry[2].extend(value["data"])
                    entry[3].extend([row_id] * len(value["data"]))
            if not batch.runs or batch.runs[-1][0] is not shape.columns:
                run = []
                batch.runs.append((shape.columns, run))
            run.append(row)
            ids.append(row_id)
        for rel, conflict, items, targets in related.values():
            if rel.kind == "object":
                sub_ids = self._flatten(TABLES[rel.remote], items, conflict, now, out)
                for (row, position), sub_id in zip(targets, sub_ids, strict=True):
                    row[position] = sub_id
        batch.size = len(objects)
        out.append(batch)
        for rel, conflict, items, targets in related.values():
            if rel.kind == "array":
                self._flatten(TABLES[rel.remote], items, conflict, now, out,
                              (rel.column, targets))
        return ids

    def _shape(self, table: Table, link_column: str | None,
               key: tuple[str, str | None, tuple[str, ...]]) -> _Shape:
        columns = self._columns[table.name]
        given = [k for k in key[2] if k in columns and k != link_column]
        added = [c for c in (link_column, "id", *(c.name for c in table.columns
                                                   if c.default == "now")) if c]
        relations = [(k, table.relation(k)) for k in key[2] if k not in columns
                     and k != link_column]
        assert all(rel is not None for _, rel in relations), relations  # coercion checked
        added += [rel.column for _, rel in relations if rel is not None and rel.kind == "object"]
        names = tuple(given) + tuple(dict.fromkeys(c for c in added if c not in given))
        position = {name: i for i, name in enumerate(names)}
        getter: Callable[[dict[str, Any]], tuple[Any, ...]]
        if len(given) > 1:
            getter = operator.itemgetter(*given)
        else:
            getter = lambda obj: tuple(obj[k] for k in given)  # noqa: E731 (itemgetter's arity)
        shape = self._shapes[key] = _Shape(
            columns=names, given=getter,
            convert=tuple((i, conv) for i, name in enumerate(given)
                          if (conv := columns[name]) is not None),
            link=None if link_column is None else position[link_column],
            id=position["id"],
            defaults=tuple(position[c.name] for c in table.columns if c.default == "now"),
            added=(_ADDED,) * (len(names) - len(given)),
            relations=tuple((k, rel, position[rel.column] if rel.kind == "object" else None)
                            for k, rel in relations if rel is not None))
        return shape

    def _insert_rows(self, table: Table, objects: list[dict[str, Any]],
                     on_conflict: dict[str, Any] | None, now: str) -> tuple[list[str], int]:
        """`insert` one row at a time, each with RETURNING (the general case)."""
        ids: list[str] = []
        affected = 0
        conflict_sql, conflict_params = self._conflict_clause(table, on_conflict)
        statements: dict[tuple[str, ...], str] = {}
        columns = self._columns[table.name]
        for obj in objects:
            values: dict[str, Any] = {}
            nested_arrays = []
            for key, value in obj.items():
                if key in columns:
                    conv = columns[key]
                    values[key] = value if conv is None or value is None else conv(value)
                    continue
                rel = table.relation(key)
                assert rel is not None
                if rel.kind == "object":
                    sub_ids, n = self._insert_rows(TABLES[rel.remote], [value["data"]],
                                             value.get("on_conflict"), now)
                    if not sub_ids:
                        raise HasuraError(
                            f'cannot proceed to insert object relation "{key}" since insert '
                            f'to table "{rel.remote}" affects zero rows', "not-supported")
                    affected += n
                    values[rel.column] = sub_ids[0]
                else:
                    nested_arrays.append((rel, value))
            if values.get("id") is None:
                values["id"] = str(uuid.uuid4())
            for c in table.columns:
                if c.default == "now" and values.get(c.name) is None:
                    values[c.name] = now
            cols = tuple(values)
            statement = statements.get(cols)
            if statement is None:
                statement = (f"INSERT INTO {quote(table.name)} ("
                             + ", ".join(f'"{c}"' for c in cols) + ") VALUES ("
                             + ",".join("?" * len(cols)) + ")" + conflict_sql + " RETURNING id")
                statements[cols] = statement
            try:
                row = self.conn.execute(statement, [*values.values(), *conflict_params]).fetchone()
            except sqlite3.IntegrityError as err:
                raise sqlite3.IntegrityError(self.constraint_message(
                    table, "insert", err, values)) from None
            if row is None:
                if nested_arrays:
                    raise HasuraError(
                        "cannot proceed to insert array relations since insert to table "
                        f'"{table.name}" affects zero rows', "not-supported")
                continue
            ids.append(row[0])
            affected += 1
            for rel, value in nested_arrays:
                children = [{**child, rel.column: row[0]} for child in value["data"]]
                _, n = self._insert_rows(TABLES[rel.remote], children,
                                         value.get("on_conflict"), now)
                affected += n
        return ids, affected

    def _conflict_clause(self, table: Table,
                         on_conflict: dict[str, Any] | None) -> tuple[str, list[Any]]:
        if on_conflict is None:
            return "", []
        target = table.constraints[on_conflict["constraint"]]
        cols = ", ".join(f'"{c}"' for c in target)
        update = on_conflict.get("update_columns") or []
        if not update:
            return f" ON CONFLICT ({cols}) DO NOTHING", []
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in update)
        params: list[Any] = []
        where = ""
        if on_conflict.get("where"):
            where = " WHERE " + self.sql.where(table, on_conflict["where"], quote(table.name),
                                               params)
        return f" ON CONFLICT ({cols}) DO UPDATE SET {sets}{where}", params

    def update(self, table: Table, where: dict[str, Any], set_: dict[str, Any],
               inc: dict[str, Any], now: str) -> list[str]:
        """UPDATE ... RETURNING id; `updatedAt` follows the clock unless set."""
        params: list[Any] = []
        assignments: list[str] = []
        for key, value in set_.items():
            col = table.column(key)
            assert col is not None
            assignments.append(f'"{key}" = ?')
            params.append(self.sql.value(col.type, value))
        for key, value in inc.items():
            if value is not None:
                assignments.append(f'"{key}" = "{key}" + ?')
                params.append(value)
        if table.column("updatedAt") is not None and "updatedAt" not in set_:
            assignments.append('"updatedAt" = ?')
            params.append(now)
        where_params: list[Any] = []
        cond = self.sql.where(table, where, quote(table.name), where_params)
        statement = (f"UPDATE {quote(table.name)} SET {', '.join(assignments)} WHERE {cond} "
                     "RETURNING id")
        try:
            return [r[0] for r in self.conn.execute(statement, params + where_params).fetchall()]
        except sqlite3.IntegrityError as err:
            raise sqlite3.IntegrityError(self.constraint_message(
                table, "update", err, set_)) from None
        except OverflowError:
            raise HasuraError("bigint out of range", "data-exception") from None

    def matching_ids(self, table: Table, where: dict[str, Any]) -> list[str]:
        """Ids of the rows a delete's `where` selects."""
        alias = self.sql.alias()
        params: list[Any] = []
        cond = self.sql.where(table, where, alias, params)
        rows = self.conn.execute(f"SELECT {alias}.id FROM {quote(table.name)} {alias} "
                                 f"WHERE {cond}", params).fetchall()
        return [r[0] for r in rows]

    def delete(self, table: Table, ids: list[str]) -> None:
        """DELETE these rows (cascades and restrictions as the foreign keys say)."""
        for i in range(0, len(ids), SQL_CHUNK):
            chunk = ids[i:i + SQL_CHUNK]
            try:
                self.conn.execute(f"DELETE FROM {quote(table.name)} WHERE id IN "
                                  f"({','.join('?' * len(chunk))})", chunk)
            except sqlite3.IntegrityError as err:
                raise sqlite3.IntegrityError(self.constraint_message(
                    table, "delete", err)) from None

    def constraint_message(self, table: Table, op: str, err: sqlite3.IntegrityError,
                           values: dict[str, Any] | None = None) -> str:
        """Postgres' wording (as Hasura relays it) for an SQLite integrity error."""
        text = str(err)
        if text.startswith(("Uniqueness violation", "Not-NULL violation",
                            "Foreign key violation")):
            return text  # already translated deeper down
        m = re.match(r"UNIQUE constraint failed: (.*)", text)
        if m:
            cols = tuple(part.split(".", 1)[1] for part in m[1].split(", "))
            tname = m[1].split(".", 1)[0]
            target = TABLES.get(tname, table)
            name = next((n for n, c in target.constraints.items() if c == cols),
                        f"{tname}_pkey")
            return ("Uniqueness violation. duplicate key value violates unique constraint "
                    f'"{name}"')
        m = re.match(r"NOT NULL constraint failed: (\w+)\.(\w+)", text)
        if m:
            return (f'Not-NULL violation. null value in column "{m[2]}" of relation "{m[1]}" '
                    "violates not-null constraint")
        if "FOREIGN KEY" in text:
            if op == "delete":
                for other in TABLES.values():
                    for fk in other.foreign_keys:
                        if fk.remote == table.name and fk.on_delete == "RESTRICT":
                            return (f'Foreign key violation. update or delete on table '
                                    f'"{table.name}" violates foreign key constraint '
                                    f'"{fk.name}" on table "{other.name}"')
            for fk in table.foreign_keys:
                value = (values or {}).get(fk.column)
                if value is not None and self.conn.execute(
                        f"SELECT 1 FROM {quote(fk.remote)} WHERE id = ?", (value,)
                ).fetchone() is None:
                    return (f'Foreign key violation. insert or update on table "{table.name}" '
                            f'violates foreign key constraint "{fk.name}"')
            return f'Foreign key violation. on table "{table.name}"'
        return text
