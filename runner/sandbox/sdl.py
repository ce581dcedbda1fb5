"""Build the control-plane SDL from `tables.TABLES` under one naming convention.

`schemas/controlplane.graphql` is the `vendor` output, committed; a test keeps the two equal.
Regenerate with `python -m runner.sandbox.sdl > schemas/controlplane.graphql`
(`--naming hasura-default|graphql-default` prints the other conventions).
"""

from __future__ import annotations

import argparse

from runner.sandbox.naming import NAMINGS, Naming
from runner.sandbox.tables import ENUMS, NUMERIC_TYPES, TABLES, Table

ORDER_BY_VALUES = ("asc", "asc_nulls_first", "asc_nulls_last", "desc", "desc_nulls_first",
                   "desc_nulls_last")
SCALARS = ("uuid", "timestamp", "bigint")
COMPARISON_SCALARS = ("uuid", "String", "Int", "bigint", "timestamp")
# Hasura gives enum-table columns only the equality operators (no _gt/_lt, no _like).
EQUALITY_OPS = ("_eq", "_neq")
ORDERING_OPS = ("_gt", "_gte", "_lt", "_lte")
TEXT_OPS = ("_like", "_nlike", "_ilike", "_nilike")


def _block(kind: str, name: str, lines: list[str]) -> str:
    body = "\n".join(f"  {line}" for line in lines)
    return f"{kind} {name} {{\n{body}\n}}\n"


class _Sdl:
    """The SDL text for one naming."""

    def __init__(self, naming: Naming) -> None:
        self.n = naming

    def scalar_type(self, col_type: str) -> str:
        """A column's GraphQL type name (enums are renamed by graphql-default)."""
        return self.n.type(col_type) if col_type in ENUMS else col_type

    def comparison_exp(self, scalar: str) -> str:
        n, f = self.n, self.n.field
        name = n.type(f"{scalar}_comparison_exp")
        gql = self.scalar_type(scalar)
        is_enum = scalar in ENUMS
        ops = [f"{op}: {gql}" for op in EQUALITY_OPS + (() if is_enum else ORDERING_OPS)]
        ops += [f"_in: [{gql}!]", f"_nin: [{gql}!]", f"{f('_is_null')}: Boolean"]
        if scalar == "String":
            ops += [f"{op}: String" for op in TEXT_OPS]
        return _block("input", name, sorted(ops))

    def array_args(self, remote: str) -> str:
        t, f = self.n.type, self.n.field
        return (f"{f('distinct_on')}: [{t(remote, 'select_column')}!], limit: Int, offset: Int, "
                f"{f('order_by')}: [{t(remote, 'order_by')}!], where: {t(remote, 'bool_exp')}")

    def object_type(self, table: Table) -> str:
        lines = [f"{c.name}: {self.scalar_type(c.type)}{'' if c.nullable else '!'}"
                 for c in table.columns]
        for r in table.relations:
            remote = self.n.type(r.remote)
            if r.kind == "object":
                column = table.column(r.column)
                lines.append(f"{r.name}: {remote}{'' if column and column.nullable else '!'}")
            else:
                lines.append(f"{r.name}({self.array_args(r.remote)}): [{remote}!]!")
                lines.append(f"{self.n.rel_aggregate(r.name)}({self.array_args(r.remote)}): "
                             f"{self.n.type(r.remote, 'aggregate')}!")
        return _block("type", self.n.type(table.name), lines)

    def table_types(self, table: Table) -> list[str]:
        t, f, name = self.n.type, self.n.field, table.name
        bool_exp = t(name, "bool_exp")
        out = [self.object_type(table)]
        out.append(_block("input", bool_exp, [
            f"_and: [{bool_exp}!]", f"_not: {bool_exp}", f"_or: [{bool_exp}!]",
            *(f"{c.name}: {t(f'{c.type}_comparison_exp')}" for c in table.columns),
            *(f"{r.name}: {t(r.remote, 'bool_exp')}" for r in table.relations)]))
        out.append(_block("input", t(name, "order_by"), [
            *(f"{c.name}: {t('order_by')}" for c in table.columns),
            *(f"{r.name}: {t(r.remote, 'order_by')}" for r in table.relations
              if r.kind == "object")]))
        rel_insert = [f"{r.name}: {t(r.remote, 'obj_rel_insert_input')}" if r.kind == "object"
                      else f"{r.name}: {t(r.remote, 'arr_rel_insert_input')}"
                      for r in table.relations]
        out.append(_block("input", t(name, "insert_input"),
                          [*(f"{c.name}: {self.scalar_type(c.type)}" for c in table.columns),
                           *rel_insert]))
        out.append(_block("input", t(name, "arr_rel_insert_input"), [
            f"data: [{t(name, 'insert_input')}!]!",
            f"{f('on_conflict')}: {t(name, 'on_conflict')}"]))
        out.append(_block("input", t(name, "obj_rel_insert_input"), [
            f"data: {t(name, 'insert_input')}!", f"{f('on_conflict')}: {t(name, 'on_conflict')}"]))
        out.append(_block("input", t(name, "on_conflict"), [
            f"constraint: {t(name, 'constraint')}!",
            f"{f('update_columns')}: [{t(name, 'update_column')}!]! = []",
            f"where: {bool_exp}"]))
        out.append(_block("enum", t(name, "constraint"), list(table.constraints)))
        out.append(_block("enum", t(name, "update_column"), [c.name for c in table.columns]))
        out.append(_block("enum", t(name, "select_column"), [c.name for c in table.columns]))
        out.append(_block("input", t(name, "set_input"),
                          [f"{c.name}: {self.scalar_type(c.type)}" for c in table.columns]))
        numeric = [f"{c.name}: {c.type}" for c in table.columns if c.type in NUMERIC_TYPES]
        if numeric:
            out.append(_block("input", t(name, "inc_input"), numeric))
        out.append(_block("input", t(name, "pk_columns_input"), ["id: uuid!"]))
        if "update_batch" in self.n.root_fields(table):
            inc = ([f"_inc: {t(name, 'inc_input')}"] if numeric else [])
            out.append(_block("input", t(name, "updates"), [
                *inc, f"_set: {t(name, 'set_input')}", f"where: {bool_exp}!"]))
        out.append(_block("type", t(name, "mutation_response"), [
            f"{f('affected_rows')}: Int!", f"returning: [{t(name)}!]!"]))
        out.append(_block("type", t(name, "aggregate"), [
            f"aggregate: {t(name, 'aggregate_fields')}", f"nodes: [{t(name)}!]!"]))
        out.append(_block("type", t(name, "aggregate_fields"), [
            f"count(columns: [{t(name, 'select_column')}!], distinct: Boolean): Int!"]))
        return out

    def root_fields(self, table: Table) -> tuple[list[str], list[str]]:
        t, f, name = self.n.type, self.n.field, table.name
        root = self.n.root_fields(table)
        on_conflict = f"{f('on_conflict')}: {t(name, 'on_conflict')}"
        inc = (f", _inc: {t(name, 'inc_input')}"
               if any(c.type in NUMERIC_TYPES for c in table.columns) else "")
        query = [
            f"{root['select']}({self.array_args(name)}): [{t(name)}!]!",
            f"{root['aggregate']}({self.array_args(name)}): {t(name, 'aggregate')}!",
            f"{root['by_pk']}(id: uuid!): {t(name)}",
        ]
        mutation = [
            f"{root['insert_many']}(objects: [{t(name, 'insert_input')}!]!, {on_conflict})"
            f": {t(name, 'mutation_response')}",
            f"{root['insert_one']}(object: {t(name, 'insert_input')}!, {on_conflict})"
            f": {t(name)}",
            f"{root['update_many']}(_set: {t(name, 'set_input')}{inc}, "
            f"where: {t(name, 'bool_exp')}!): {t(name, 'mutation_response')}",
            f"{root['update_one']}(_set: {t(name, 'set_input')}{inc}, "
            f"{f('pk_columns')}: {t(name, 'pk_columns_input')}!): {t(name)}",
            *([f"{root['update_batch']}(updates: [{t(name, 'updates')}!]!): "
               f"[{t(name, 'mutation_response')}]"] if "update_batch" in root else []),
            f"{root['delete_many']}(where: {t(name, 'bool_exp')}!): "
            f"{t(name, 'mutation_response')}",
            f"{root['delete_one']}(id: uuid!): {t(name)}",
        ]
        return query, mutation

    def build(self) -> str:
        n = self.n
        parts = [f"# Recording control plane (Hasura conventions, naming: {n.convention}).\n"
                 "# Generated by runner/sandbox/sdl.py from runner/sandbox/tables.py; "
                 "do not edit.\n",
                 "schema {\n  query: query_root\n  mutation: mutation_root\n}\n"]
        parts += [f"scalar {s}\n" for s in SCALARS]
        parts += [_block("enum", n.type(name), list(n.enum_values(name))) for name in ENUMS]
        parts.append(_block("enum", n.type("order_by"),
                            [n.enum_value(v) for v in ORDER_BY_VALUES]))
        parts += [self.comparison_exp(s) for s in (*COMPARISON_SCALARS, *ENUMS)]
        query: list[str] = []
        mutation: list[str] = []
        for table in TABLES.values():
            parts += self.table_types(table)
            q, m = self.root_fields(table)
            query += q
            mutation += m
        parts.append(_block("type", "query_root", query))
        parts.append(_block("type", "mutation_root", mutation))
        return "\n".join(parts)


def build_sdl(convention: str = "vendor") -> str:
    """The whole control-plane SDL as text, under one naming convention."""
    return _Sdl(Naming(convention)).build()


def main() -> None:
    """`python -m runner.sandbox.sdl [--naming N]`: print the SDL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naming", choices=NAMINGS, default="vendor")
    print(build_sdl(parser.parse_args().naming), end="")


if __name__ == "__main__":
    main()
