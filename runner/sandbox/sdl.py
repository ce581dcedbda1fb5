"""Build the control-plane SDL (Hasura naming) from `tables.TABLES`.

`schemas/controlplane.graphql` is this output, committed; a test keeps the two equal.
Regenerate with `python -m runner.sandbox.sdl > schemas/controlplane.graphql`.
"""

from __future__ import annotations

from runner.sandbox.tables import ENUMS, NUMERIC_TYPES, TABLES, Table, by_pk_field, capitalized

ORDER_BY_VALUES = ("asc", "asc_nulls_first", "asc_nulls_last", "desc", "desc_nulls_first",
                   "desc_nulls_last")
COMPARISON_SCALARS = ("uuid", "String", "Int", "bigint", "timestamp", *ENUMS)
ARRAY_ARGS = ("where: {t}_bool_exp, order_by: [{t}_order_by!], limit: Int, offset: Int")


def _block(kind: str, name: str, lines: list[str]) -> str:
    body = "\n".join(f"  {line}" for line in lines)
    return f"{kind} {name} {{\n{body}\n}}\n"


def _gql_type(table: Table, column: str) -> str:
    col = table.column(column)
    assert col is not None
    return col.type + ("" if col.nullable else "!")


def _comparison_exp(scalar: str) -> str:
    ops = [f"{op}: {scalar}" for op in ("_eq", "_neq", "_gt", "_gte", "_lt", "_lte")]
    ops += [f"_in: [{scalar}!]", f"_nin: [{scalar}!]", "_is_null: Boolean"]
    if scalar == "String":
        ops += [f"{op}: String" for op in ("_like", "_nlike", "_ilike", "_nilike")]
    return _block("input", f"{scalar}_comparison_exp", ops)


def _object_type(t: Table) -> str:
    lines = [f"{c.name}: {c.type}{'' if c.nullable else '!'}" for c in t.columns]
    for r in t.relations:
        if r.kind == "object":
            nullable = TABLES[t.name].column(r.column)
            lines.append(f"{r.name}: {r.remote}{'' if nullable and nullable.nullable else '!'}")
        else:
            lines.append(f"{r.name}({ARRAY_ARGS.format(t=r.remote)}): [{r.remote}!]!")
    return _block("type", t.name, lines)


def _table_types(t: Table) -> list[str]:
    n = t.name
    rel_bool = [f"{r.name}: {r.remote}_bool_exp" for r in t.relations]
    out = [_object_type(t)]
    out.append(_block("input", f"{n}_bool_exp", [
        f"_and: [{n}_bool_exp!]", f"_not: {n}_bool_exp", f"_or: [{n}_bool_exp!]",
        *(f"{c.name}: {c.type}_comparison_exp" for c in t.columns), *rel_bool]))
    out.append(_block("input", f"{n}_order_by", [
        *(f"{c.name}: order_by" for c in t.columns),
        *(f"{r.name}: {r.remote}_order_by" for r in t.relations if r.kind == "object")]))
    rel_insert = [f"{r.name}: {r.remote}_{'obj' if r.kind == 'object' else 'arr'}_rel_insert_input"
                  for r in t.relations]
    out.append(_block("input", f"{n}_insert_input",
                      [*(f"{c.name}: {c.type}" for c in t.columns), *rel_insert]))
    out.append(_block("input", f"{n}_arr_rel_insert_input",
                      [f"data: [{n}_insert_input!]!", f"on_conflict: {n}_on_conflict"]))
    out.append(_block("input", f"{n}_obj_rel_insert_input",
                      [f"data: {n}_insert_input!", f"on_conflict: {n}_on_conflict"]))
    out.append(_block("input", f"{n}_on_conflict", [
        f"constraint: {n}_constraint!", f"update_columns: [{n}_update_column!]! = []",
        f"where: {n}_bool_exp"]))
    out.append(_block("enum", f"{n}_constraint", list(t.constraints)))
    out.append(_block("enum", f"{n}_update_column", [c.name for c in t.columns]))
    out.append(_block("enum", f"{n}_select_column", [c.name for c in t.columns]))
    out.append(_block("input", f"{n}_set_input", [f"{c.name}: {c.type}" for c in t.columns]))
    numeric = [f"{c.name}: {c.type}" for c in t.columns if c.type in NUMERIC_TYPES]
    if numeric:
        out.append(_block("input", f"{n}_inc_input", numeric))
    out.append(_block("input", f"{n}_pk_columns_input", ["id: uuid!"]))
    out.append(_block("type", f"{n}_mutation_response",
                      ["affected_rows: Int!", f"returning: [{n}!]!"]))
    out.append(_block("type", f"{n}_aggregate",
                      [f"aggregate: {n}_aggregate_fields", f"nodes: [{n}!]!"]))
    out.append(_block("type", f"{n}_aggregate_fields", [
        f"count(columns: [{n}_select_column!], distinct: Boolean): Int!"]))
    return out


def _root_fields(t: Table) -> tuple[list[str], list[str]]:
    n, cap_p, cap_s = t.name, capitalized(t.plural), capitalized(t.singular)
    query = [
        f"{t.plural}(where: {n}_bool_exp, order_by: [{n}_order_by!], limit: Int, offset: Int)"
        f": [{n}!]!",
        f"{t.plural}Aggregate(where: {n}_bool_exp, order_by: [{n}_order_by!], limit: Int, "
        f"offset: Int): {n}_aggregate!",
        f"{by_pk_field(t)}(id: uuid!): {n}",
    ]
    inc = f", _inc: {n}_inc_input" if any(c.type in NUMERIC_TYPES for c in t.columns) else ""
    mutation = [
        f"insert{cap_p}(objects: [{n}_insert_input!]!, on_conflict: {n}_on_conflict)"
        f": {n}_mutation_response",
        f"insert{cap_s}(object: {n}_insert_input!, on_conflict: {n}_on_conflict): {n}",
        f"update{cap_p}(where: {n}_bool_exp!, _set: {n}_set_input{inc}): {n}_mutation_response",
        f"update{cap_s}(pk_columns: {n}_pk_columns_input!, _set: {n}_set_input{inc}): {n}",
        f"delete{cap_p}(where: {n}_bool_exp!): {n}_mutation_response",
        f"delete{cap_s}(id: uuid!): {n}",
    ]
    return query, mutation


def build_sdl() -> str:
    """The whole control-plane SDL as text."""
    parts = ["# Recording control plane (Hasura conventions, vendor root-field names).\n"
             "# Generated by runner/sandbox/sdl.py from runner/sandbox/tables.py; do not edit.\n",
             "schema {\n  query: query_root\n  mutation: mutation_root\n}\n"]
    parts += [f"scalar {s}\n" for s in ("uuid", "timestamp", "bigint")]
    parts += [_block("enum", name, list(values)) for name, values in ENUMS.items()]
    parts.append(_block("enum", "order_by", list(ORDER_BY_VALUES)))
    parts += [_comparison_exp(s) for s in COMPARISON_SCALARS]
    query: list[str] = []
    mutation: list[str] = []
    for t in TABLES.values():
        parts += _table_types(t)
        q, m = _root_fields(t)
        query += q
        mutation += m
    parts.append(_block("type", "query_root", query))
    parts.append(_block("type", "mutation_root", mutation))
    return "\n".join(parts)


if __name__ == "__main__":
    print(build_sdl(), end="")
