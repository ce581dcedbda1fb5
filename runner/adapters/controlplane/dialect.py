"""What this control plane calls things: found by introspection, by Hasura signature.

Hasura generates the same family of root fields for every tracked table, but their names
depend on the naming convention (`hasura-default`: `insert_RecordingSession`,
`RecordingSession_by_pk`; `graphql-default`: `insertRecordingSession`,
`recordingSessionByPk`, camelCase arguments and operators, upper-case enum values) and on
custom root fields (the vendor's `insertRecordingSession`, `updateRecordingSession`). So
nothing here matches a name: each table is recognised by its columns, each operation by its
arguments and return type, each argument by its type —

    select        Query     -> [T!]!        args: where (T's bool_exp), order_by, limit, offset
    select_by_pk  Query     -> T            args: the primary key (id: uuid!)
    insert        Mutation  -> T_mutation_response   args: objects [T_insert_input!]!, on_conflict
    insert_one    Mutation  -> T            args: object T_insert_input!, on_conflict
    update        Mutation  -> T_mutation_response   args: where (non-null bool_exp), _set
    update_by_pk  Mutation  -> T            args: pk_columns (T_pk_columns_input!), _set
    delete        Mutation  -> T_mutation_response   args: where (non-null bool_exp) only
    delete_by_pk  Mutation  -> T            args: the primary key only

— and enum values are mapped to the campaign's spelling case- and underscore-insensitively.
`Dialect.missing` lists what the product needs and the schema lacks (`campaign doctor`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    build_client_schema,
    get_named_type,
)

from runner.errors import ControlPlaneError

# Each table by the columns only it has (names as the vendor's docs spell them).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "session": ("startDate", "endDate", "state", "maxSizeMegabytes"),
    "record": ("cameraId", "recordingId"),
    "stream": ("encoder", "frameRate", "alignTo"),
    "camera": ("model", "serial"),
    "storage": ("totalSize", "estimatedSize"),
}
# Enum-typed columns the product sends values of: (table, column) -> enum kind.
ENUM_COLUMNS: dict[tuple[str, str], str] = {
    ("camera", "model"): "camera_model",
    ("session", "mode"): "session_mode",
    ("session", "state"): "session_state",
    ("stream", "type"): "stream_type",
    ("stream", "encoder"): "stream_encoder",
}
OPERATIONS = ("select", "select_by_pk", "insert", "insert_one", "update", "update_by_pk",
              "delete", "delete_by_pk")
# What the product cannot work without: (table, operation). Delete of sessions by filter is
# the compare-and-set of every apply (delete the version row only if its token is the one
# read). Other bulk writes are optional: the adapter falls back to aliased single-object
# fields in the same request.
REQUIRED: tuple[tuple[str, str], ...] = (
    ("session", "select"), ("camera", "select"), ("session", "update_by_pk"),
    ("session", "delete"),
)
ONE_OF: tuple[tuple[str, tuple[str, str]], ...] = (
    ("session", ("insert", "insert_one")), ("session", ("update", "update_by_pk")),
    ("record", ("delete", "delete_by_pk")),
    ("stream", ("delete", "delete_by_pk")),
)


class MissingCapability(ControlPlaneError):
    """The control plane's schema has no field for an operation the product needs."""


def norm(name: str) -> str:
    """A name without case or underscores: `_is_null`, `_isNull` and `ISNULL` are one."""
    return name.replace("_", "").lower()


@dataclass(frozen=True)
class TableDialect:
    """One table's names: its type, its root fields and their argument names."""

    type: str
    fields: Mapping[str, str] = field(default_factory=dict)  # operation -> root field
    args: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # op -> role -> arg
    bool_exp: str | None = None
    insert_input: str | None = None
    on_conflict: str | None = None
    pk_columns: str | None = None
    pkey: str | None = None  # the primary-key constraint's enum value
    update_columns: Mapping[str, str] = field(default_factory=dict)  # column -> enum value
    affected_rows: str = "affected_rows"

    def has(self, operation: str) -> bool:
        """True when the schema offers the operation."""
        return operation in self.fields


@dataclass(frozen=True)
class Dialect:
    """Everything the documents need to be spelled the way this control plane spells them."""

    tables: Mapping[str, TableDialect]
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> server values
    operators: Mapping[str, str] = field(default_factory=dict)  # _eq, _in, ... -> server
    order_asc: str = "asc"
    rel_data: str = "data"  # the `data` field of nested inserts
    conflict_constraint: str = "constraint"
    conflict_update_columns: str = "update_columns"
    schema: GraphQLSchema | None = field(default=None, compare=False, repr=False)

    def table(self, name: str) -> TableDialect:
        """The table's names (MissingCapability when the schema has no such table)."""
        found = self.tables.get(name)
        if found is None:
            raise MissingCapability(f"the control plane has no {name} table (a type with "
                                    f"{', '.join(TABLE_COLUMNS[name])}); run `campaign doctor`")
        return found

    def root(self, table: str, operation: str) -> str:
        """The root field of `operation` on `table`, or MissingCapability naming it."""
        found = self.table(table).fields.get(operation)
        if found is None:
            raise MissingCapability(
                f"the control plane offers no {operation.replace('_', ' ')} for {table}s (no "
                f"root field with Hasura's {operation} signature on "
                f"{self.table(table).type}); run `campaign doctor`")
        return found

    def arg(self, table: str, operation: str, role: str) -> str:
        """The name of an argument of `operation` (role: where, order_by, objects, object,
        on_conflict, pk_columns, set, pk)."""
        self.root(table, operation)
        found = self.table(table).args.get(operation, {}).get(role)
        if found is None:
            raise MissingCapability(f"{self.root(table, operation)} takes no {role} argument; "
                                    "run `campaign doctor`")
        return found

    def op(self, operator: str) -> str:
        """A comparison or boolean operator as the server spells it (`_is_null` -> `_isNull`)."""
        return self.operators.get(operator, operator)

    def enum_out(self, kind: str, value: str) -> str:
        """A campaign-side enum value (`Started`) as the server spells it."""
        values = self.enums.get(kind)
        if not values:
            return value
        if value in values:
            return value
        for candidate in values:
            if norm(candidate) == norm(value):
                return candidate
        return value  # not offered: the plan-time enum check reports it first

    def enum_in(self, kind: str, value: str, known: Iterable[str]) -> str:
        """A server enum value as the campaign spells it (one of `known`), else as sent."""
        for candidate in known:
            if norm(candidate) == norm(value):
                return candidate
        return value

    @property
    def missing(self) -> tuple[str, ...]:
        """What the product needs and this schema lacks, one line each."""
        out = [f"{name} table (a type with {', '.join(cols)})"
               for name, cols in TABLE_COLUMNS.items()
               if name != "storage" and name not in self.tables]
        for table, operation in REQUIRED:
            if table in self.tables and not self.tables[table].has(operation):
                out.append(f"{operation.replace('_', ' ')} of {table}s")
        for table, (bulk, single) in ONE_OF:
            known = self.tables.get(table)
            if known is not None and not (known.has(bulk) or known.has(single)):
                out.append(f"{bulk.replace('_', ' ')} (or {single.replace('_', ' ')}) of "
                           f"{table}s")
        return tuple(out)


# -- building a Dialect from an introspection result ----------------------------------------


def dialect_from_introspection(result: Mapping[str, Any]) -> Dialect:
    """The Dialect of the schema in a `__schema` introspection answer (its `data`)."""
    try:
        schema = build_client_schema(result)  # type: ignore[arg-type]
    except (TypeError, KeyError, ValueError) as exc:
        raise ControlPlaneError(f"the control plane's introspection answer is not a GraphQL "
                                f"schema ({type(exc).__name__}: {exc})") from None
    return dialect_from_schema(schema)


def dialect_from_schema(schema: GraphQLSchema) -> Dialect:
    """Recognise the tables and their operations in `schema`."""
    objects = [t for t in schema.type_map.values()
               if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")]
    tables: dict[str, TableDialect] = {}
    for name, columns in TABLE_COLUMNS.items():
        candidates = [t for t in objects if _has_columns(t, columns)
                      and not t.name.endswith(("_aggregate", "Aggregate"))]
        if candidates:
            tables[name] = _table(schema, min(candidates, key=lambda t: len(t.name)))
    enums: dict[str, tuple[str, ...]] = {}
    for (table, column), kind in ENUM_COLUMNS.items():
        object_type = schema.type_map.get(tables[table].type) if table in tables else None
        if isinstance(object_type, GraphQLObjectType):
            column_field = _field(object_type, column)
            if column_field is not None:
                named = get_named_type(column_field.type)
                if isinstance(named, GraphQLEnumType):
                    enums[kind] = tuple(named.values)
    return Dialect(
        tables=tables, enums=enums, operators=_operators(schema), order_asc=_asc(schema),
        rel_data=_rel_field(schema, "data"),
        conflict_constraint=_conflict_field(schema, "constraint"),
        conflict_update_columns=_conflict_field(schema, "update_columns"),
        schema=schema,
    )


def _field(type_: GraphQLObjectType | GraphQLInputObjectType, name: str) -> Any:
    for key, value in type_.fields.items():
        if norm(key) == norm(name):
            return value
    return None


def _has_columns(type_: GraphQLObjectType, columns: Iterable[str]) -> bool:
    names = {norm(n) for n in type_.fields}
    return all(norm(c) in names for c in columns)


def _list_of(type_: GraphQLType, named: str) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not isinstance(inner, GraphQLList):
        return False
    return get_named_type(inner).name == named


def _is_bool_exp(type_: GraphQLType) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLInputObjectType) and {"_and", "_or", "_not"} <= set(
        named.fields)


def _is_mutation_response(type_: GraphQLType, table: str) -> bool:
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType) or isinstance(type_, GraphQLList):
        return False
    return any(_list_of(f.type, table) for f in named.fields.values()) and any(
        norm(n) == "affectedrows" for n in named.fields)


def _table(schema: GraphQLSchema, type_: GraphQLObjectType) -> TableDialect:
    name = type_.name
    fields: dict[str, str] = {}
    args: dict[str, dict[str, str]] = {}
    found: dict[str, Any] = {}
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        is_query = root is schema.query_type
        for field_name, root_field in root.fields.items():
            operation, roles, extra = _classify(root_field, name, is_query)
            if operation is None or operation in fields:
                continue
            fields[operation] = field_name
            args[operation] = roles
            found.update(extra)
    affected = "affected_rows"
    if "insert" in fields or "delete" in fields or "update" in fields:
        assert schema.mutation_type is not None
        some = fields.get("insert") or fields.get("delete") or fields.get("update")
        response = get_named_type(schema.mutation_type.fields[str(some)].type)
        if isinstance(response, GraphQLObjectType):
            affected = next((n for n in response.fields if norm(n) == "affectedrows"), affected)
    on_conflict = found.get("on_conflict")
    pkey, update_columns = _conflict_enums(on_conflict)
    return TableDialect(
        type=name, fields=fields, args=args, bool_exp=found.get("bool_exp"),
        insert_input=found.get("insert_input"),
        on_conflict=on_conflict.name if on_conflict is not None else None,
        pk_columns=found.get("pk_columns"), pkey=pkey, update_columns=update_columns,
        affected_rows=affected,
    )


def _classify(root_field: GraphQLField, table: str, is_query: bool
              ) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    """(operation, argument roles, type names) if the field is one of Hasura's on `table`."""
    result = root_field.type
    named = get_named_type(result)
    roles: dict[str, str] = {}
    extra: dict[str, Any] = {}
    bool_exp_nonnull = False
    pk_only = bool(root_field.args)
    for arg_name, arg in root_field.args.items():
        arg_type = arg.type
        arg_named = get_named_type(arg_type)
        if _is_bool_exp(arg_type):
            roles["where"] = arg_name
            extra["bool_exp"] = arg_named.name
            bool_exp_nonnull = isinstance(arg_type, GraphQLNonNull)
            pk_only = False
        elif isinstance(arg_named, GraphQLInputObjectType):
            pk_only = False
            fields = {norm(n) for n in arg_named.fields}
            if {"constraint"} <= fields and any(f.startswith("updatecolumns") for f in fields):
                roles["on_conflict"] = arg_name
                extra["on_conflict"] = arg_named
            elif isinstance(arg_type, GraphQLNonNull) and _list_of(arg_type.of_type,
                                                                   arg_named.name):
                roles["objects"] = arg_name
                extra["insert_input"] = arg_named.name
            elif isinstance(arg_type, GraphQLList):
                roles["order_by"] = arg_name
            elif isinstance(arg_type, GraphQLNonNull) and norm(arg_name) in ("object",):
                roles["object"] = arg_name
                extra["insert_input"] = arg_named.name
            elif isinstance(arg_type, GraphQLNonNull) and all(
                    isinstance(f.type, GraphQLNonNull) for f in arg_named.fields.values()):
                roles["pk_columns"] = arg_name
                extra["pk_columns"] = arg_named.name
            elif isinstance(arg_type, GraphQLNonNull):
                roles["object"] = arg_name
                extra["insert_input"] = arg_named.name
            elif norm(arg_name) == "set":
                roles["set"] = arg_name
        elif isinstance(arg_type, GraphQLNonNull):
            roles["pk"] = arg_name
        else:
            pk_only = False
    returns_table = isinstance(named, GraphQLObjectType) and named.name == table
    if is_query:
        if returns_table and _list_of(result, table) and isinstance(result, GraphQLNonNull):
            return ("select" if "where" in roles else None), roles, extra
        if returns_table and not isinstance(result, (GraphQLNonNull, GraphQLList)) and pk_only:
            return "select_by_pk", roles, extra
        return None, roles, extra
    if _is_mutation_response(result, table):
        if "objects" in roles:
            return "insert", roles, extra
        if "where" in roles and bool_exp_nonnull and "set" in roles:
            return "update", roles, extra
        if "where" in roles and bool_exp_nonnull and len(root_field.args) == 1:
            return "delete", roles, extra
        return None, roles, extra
    if returns_table and not isinstance(result, GraphQLList):
        if "object" in roles:
            return "insert_one", roles, extra
        if "pk_columns" in roles and "set" in roles:
            return "update_by_pk", roles, extra
        if pk_only and "pk" in roles:
            return "delete_by_pk", roles, extra
    return None, roles, extra


def _conflict_enums(on_conflict: Any) -> tuple[str | None, dict[str, str]]:
    if not isinstance(on_conflict, GraphQLInputObjectType):
        return None, {}
    pkey = None
    update_columns: dict[str, str] = {}
    for name, input_field in on_conflict.fields.items():
        named = get_named_type(input_field.type)
        if not isinstance(named, GraphQLEnumType):
            continue
        if norm(name) == "constraint":
            values = list(named.values)
            pkey = next((v for v in values if norm(v).endswith("pkey")),
                        values[0] if len(values) == 1 else None)
        elif norm(name) == "updatecolumns":
            update_columns = {norm(v): v for v in named.values}
    return pkey, update_columns


def _operators(schema: GraphQLSchema) -> dict[str, str]:
    wanted = ("_eq", "_neq", "_in", "_nin", "_like", "_is_null", "_gt", "_lt", "_gte", "_lte")
    out: dict[str, str] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLInputObjectType):
            continue
        by_norm = {norm(n): n for n in type_.fields}
        for operator in wanted:
            if operator not in out and norm(operator) in by_norm and (
                    by_norm[norm(operator)].startswith("_")):
                out[operator] = by_norm[norm(operator)]
    return out


def _asc(schema: GraphQLSchema) -> str:
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLEnumType) and norm(type_.name) in ("orderby",):
            return next((v for v in type_.values if norm(v) == "asc"), "asc")
    return "asc"


def _rel_field(schema: GraphQLSchema, name: str) -> str:
    for type_name, type_ in schema.type_map.items():
        if isinstance(type_, GraphQLInputObjectType) and re.search(
                r"(arr|Arr|obj|Obj)_?[Rr]el_?[Ii]nsert_?[Ii]nput$", type_name):
            found: str | None = next((n for n in type_.fields if norm(n) == norm(name)), None)
            if found:
                return found
    return name


def _conflict_field(schema: GraphQLSchema, name: str) -> str:
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLInputObjectType):
            fields: dict[str, str] = {norm(n): n for n in type_.fields}
            if "constraint" in fields and "updatecolumns" in fields:
                return fields[norm(name)]
    return name
