"""Hasura's `where` (bool_exp), `order_by` and `distinct_on` compiled to SQLite SQL.

Arguments arrive coerced and in hasura-default spelling (see `schema.py`); values are
converted to their stored form (`scalars.convert`) and bound as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from runner.sandbox.errors import HasuraError
from runner.sandbox.scalars import check_text, convert, parse_timestamp, parse_uuid
from runner.sandbox.tables import ENUMS, TABLES, Table

_SQL_OPS = {"_eq": "=", "_neq": "<>", "_gt": ">", "_gte": ">=", "_lt": "<", "_lte": "<="}


def quote(name: str) -> str:
    """An SQL identifier."""
    return f'"{name}"'


def order_sql(direction: str) -> str:
    """SQL words for a Hasura order_by direction (Postgres defaults: ASC NULLS LAST,
    DESC NULLS FIRST)."""
    word = "DESC" if direction.startswith("desc") else "ASC"
    if direction.endswith("nulls_first"):
        nulls = "NULLS FIRST"
    elif direction.endswith("nulls_last"):
        nulls = "NULLS LAST"
    else:
        nulls = "NULLS FIRST" if word == "DESC" else "NULLS LAST"
    return f"{word} {nulls}"


def _literal_prefix(pattern: Any) -> str | None:
    """`p` of a LIKE pattern `p%` whose `p` has no wildcard or escape, else None."""
    if not isinstance(pattern, str) or len(pattern) < 2 or not pattern.endswith("%"):
        return None
    prefix = pattern[:-1]
    if any(c in prefix for c in "%_\\") or ord(prefix[-1]) >= 0xD7FF:
        return None
    return prefix


def balanced(word: str, terms: list[str]) -> str:
    """`(a word b word c ...)` nested as a balanced tree: SQLite parses a flat chain into a
    tree as deep as it is long and refuses one past 1,000 terms (Postgres takes them)."""
    if len(terms) <= 64:
        return "(" + f" {word} ".join(terms) + ")"
    half = len(terms) // 2
    return f"({balanced(word, terms[:half])} {word} {balanced(word, terms[half:])})"


class SqlBuilder:
    """Compiles bool_exps and orderings; hands out unique table aliases."""

    def __init__(self) -> None:
        self._alias_seq = 0
        self.now: datetime | None = None  # the request's clock, for 'now'/'today' inputs

    def alias(self) -> str:
        """A fresh table alias."""
        self._alias_seq += 1
        return f"t{self._alias_seq}"

    def value(self, col_type: str, value: Any) -> Any:
        """An input value in its stored form."""
        if col_type == "timestamp" and value is not None:
            return parse_timestamp(value, self.now)
        return convert(col_type, value)

    def converter(self, col_type: str) -> Callable[[Any], Any] | None:
        """`value` for one column type's non-null values as a function, None where values
        are stored as given (numbers, enum values): the insert hot path skips the call."""
        if col_type in ("Int", "bigint") or col_type in ENUMS:
            return None
        if col_type == "String":
            return check_text
        if col_type == "uuid":
            return parse_uuid
        if col_type == "timestamp":
            return lambda v: parse_timestamp(v, self.now)
        return lambda v: self.value(col_type, v)

    def where(self, table: Table, exp: dict[str, Any], alias: str, params: list[Any]) -> str:
        """SQL for a bool_exp on `alias` (a row of `table`); parameters appended."""
        parts: list[str] = []
        for key, value in exp.items():
            if key == "_and":
                parts.append(balanced("AND", [self.where(table, e, alias, params)
                                              for e in value] or ["1"]))
            elif key == "_or":
                parts.append(balanced("OR", [self.where(table, e, alias, params)
                                             for e in value] or ["0"]))
            elif key == "_not":
                parts.append(f"NOT ({self.where(table, value, alias, params)})")
            elif (col := table.column(key)) is not None:
                parts.append(self.compare(f'{alias}."{key}"', col.type, value, params))
            else:
                rel = table.relation(key)
                assert rel is not None, key
                inner = self.alias()
                remote = TABLES[rel.remote]
                if rel.kind == "object":
                    link = f'{inner}.id = {alias}."{rel.column}"'
                else:
                    link = f'{inner}."{rel.column}" = {alias}.id'
                cond = self.where(remote, value, inner, params)
                parts.append(f"EXISTS (SELECT 1 FROM {quote(remote.name)} {inner} "
                             f"WHERE {link} AND {cond})")
        return balanced("AND", parts) if parts else "1"

    def compare(self, column: str, col_type: str, ops: dict[str, Any],
                params: list[Any]) -> str:
        """SQL for one `<type>_comparison_exp`."""
        parts: list[str] = []
        for op, value in ops.items():
            if op == "_is_null":
                if value is not None:
                    parts.append(f"{column} IS {'' if value else 'NOT '}NULL")
                continue
            if value is None:
                raise HasuraError(f"unexpected null value for type '{col_type}'",
                                  "validation-failed")
            if op in _SQL_OPS:
                parts.append(f"{column} {_SQL_OPS[op]} ?")
                params.append(self.value(col_type, value))
            elif op in ("_in", "_nin"):
                if not value:
                    parts.append("0" if op == "_in" else "1")
                    continue
                marks = ",".join("?" * len(value))
                parts.append(f"{column} {'NOT ' if op == '_nin' else ''}IN ({marks})")
                params.extend(self.value(col_type, v) for v in value)
            elif op in ("_like", "_nlike"):
                # Postgres LIKE escapes with a backslash by default; SQLite only if told.
                pattern = self.value(col_type, value)
                prefix = _literal_prefix(pattern) if op == "_like" else None
                if prefix is not None:
                    # `p%`: also a range an index can answer (LIKE is case-sensitive here),
                    # so a filter of a thousand prefixes is not a thousand scans.
                    parts.append(f"{column} >= ? AND {column} < ?")
                    params += [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
                parts.append(f"{column} {'NOT ' if op == '_nlike' else ''}LIKE ? ESCAPE '\\'")
                params.append(pattern)
            elif op in ("_ilike", "_nilike"):
                parts.append(f"lower({column}) {'NOT ' if op == '_nilike' else ''}LIKE lower(?) "
                             "ESCAPE '\\'")
                params.append(self.value(col_type, value))
        return "(" + " AND ".join(parts) + ")" if parts else "1"

    def order_by(self, table: Table, order: Any, alias: str,
                 rowid: str | None = None) -> str:
        """` ORDER BY ...` for an order_by argument; insertion order breaks ties."""
        tie = rowid or f"{alias}.rowid"
        terms = [f"{e} {d}" for e, d in self.order_terms(table, order, alias)]
        return " ORDER BY " + ", ".join([*terms, tie])

    def order_terms(self, table: Table, order: Any, alias: str) -> list[tuple[str, str]]:
        """(SQL expression, direction words) for each term of an order_by argument."""
        items = order if isinstance(order, list) else [order] if order else []
        terms: list[tuple[str, str]] = []
        for item in items:
            for key, direction in item.items():
                terms += self._terms(table, key, direction, alias)
        return terms

    def _terms(self, table: Table, key: str, direction: Any,
               alias: str) -> list[tuple[str, str]]:
        if direction is None:
            return []
        if table.column(key) is not None:
            return [(f'{alias}."{key}"', order_sql(direction))]
        rel = table.relation(key)
        assert rel is not None and rel.kind == "object"
        remote = TABLES[rel.remote]
        terms: list[tuple[str, str]] = []
        for rkey, rdir in direction.items():
            inner = self.alias()
            for expr, words in self._terms(remote, rkey, rdir, inner):
                terms.append((f"(SELECT {expr} FROM {quote(remote.name)} {inner} "
                              f'WHERE {inner}.id = {alias}."{rel.column}")', words))
        return terms

    def select(self, table: Table, args: dict[str, Any], extra_where: str = "",
               extra_params: Sequence[Any] = (), alias: str | None = None
               ) -> tuple[str, list[Any]]:
        """One SELECT alias.* for a select-like field's arguments (where, order_by,
        distinct_on, limit, offset); `extra_where` may use `{a}` for the table alias (a fresh
        one unless `alias` is given)."""
        alias = alias or self.alias()
        params: list[Any] = list(extra_params)
        clauses = [extra_where.format(a=alias)] if extra_where else []
        if args.get("where"):
            cond = self.where(table, args["where"], alias, params)
            if not extra_where and not args.get("distinct_on"):
                # Filter first, then order: otherwise SQLite walks the table in the order
                # asked and never uses the indexes an `_or` of names or prefixes could.
                cond = (f"{alias}.rowid IN (SELECT {alias}.rowid FROM {quote(table.name)} "
                        f"{alias} WHERE {cond})")
            clauses.append(cond)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        distinct = args.get("distinct_on")
        if distinct:
            sql = self._distinct(table, args, alias, where, distinct)
        else:
            sql = (f"SELECT {alias}.* FROM {quote(table.name)} {alias}{where}"
                   + self.order_by(table, args.get("order_by"), alias))
        if args.get("limit") is not None or args.get("offset") is not None:
            sql += " LIMIT ? OFFSET ?"
            limit = args.get("limit")
            params += [-1 if limit is None else limit, args.get("offset") or 0]
        return sql, params

    def _distinct(self, table: Table, args: dict[str, Any], alias: str, where: str,
                  distinct: Any) -> str:
        """Postgres' DISTINCT ON: the first row of each group in order_by order."""
        columns = distinct if isinstance(distinct, list) else [distinct]
        terms = self.order_terms(table, args.get("order_by"), alias)
        leading = [expr for expr, _ in terms[:len(columns)]]
        if sorted(leading) != sorted(f'{alias}."{c}"' for c in columns) and terms:
            raise HasuraError('"distinct_on" columns must match initial "order_by" columns',
                              "validation-failed")
        partition = ", ".join(f'{alias}."{c}"' for c in columns)
        window = ", ".join([*(f"{e} {d}" for e, d in terms), f"{alias}.rowid"])
        inner = (f"SELECT {alias}.*, {alias}.rowid AS __rowid, ROW_NUMBER() OVER (PARTITION BY "
                 f"{partition} ORDER BY {window}) AS __rn FROM {quote(table.name)} {alias}"
                 f"{where}")
        outer_terms = self.order_terms(table, args.get("order_by"), alias)
        order = ", ".join([*(f"{e} {d}" for e, d in outer_terms), f"{alias}.__rowid"])
        cols = ", ".join(f'{alias}."{c.name}"' for c in table.columns)
        return f"SELECT {cols} FROM ({inner}) {alias} WHERE {alias}.__rn = 1 ORDER BY {order}"
