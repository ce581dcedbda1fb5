"""The control plane's GraphQL endpoint: Hasura semantics compiled to SQLite.

graphql-core parses and validates against the SDL and coerces variables and arguments;
execution is our own walk of the selection set, one SQL statement per table and level
(relations are fetched in batches by parent ids, never row by row).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.validation import NoUnusedVariablesRule, specified_rules

from runner.sandbox.coerce import FastCoercion
from runner.sandbox.sdl import build_sdl
from runner.sandbox.store import transaction
from runner.sandbox.tables import ENUMS, TABLES, Table, by_pk_field, capitalized

Row = dict[str, Any]
Clock = Callable[[], datetime]

# Hasura does not reject declared-but-unused variables.
_RULES = tuple(r for r in specified_rules if r is not NoUnusedVariablesRule)
_DOC_CACHE_SIZE = 1024
_SQL_CHUNK = 900  # stay well under SQLite's bound-parameter limit per IN (...)


class HasuraError(Exception):
    """An error answered as Hasura does: HTTP 200 and one entry in `errors`."""

    def __init__(self, message: str, code: str, path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path

    def body(self) -> dict[str, Any]:
        """The response body Hasura sends for this error."""
        return {"errors": [{"message": self.message,
                            "extensions": {"path": self.path, "code": self.code}}]}


# --- scalars -------------------------------------------------------------------------------

def parse_timestamp(value: Any) -> str:
    """Canonical stored form of a `timestamp` (without time zone, like Postgres: an offset
    in the input is dropped): fixed-width so that text order is time order."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(tzinfo=None).isoformat(timespec="microseconds")
    raise HasuraError(f'invalid input syntax for type timestamp: "{value}"', "data-exception")


def format_timestamp(stored: str | None) -> str | None:
    """Stored form -> what Postgres/Hasura print: no offset, fraction without trailing zeros."""
    if stored is None:
        return None
    base, _, frac = stored.partition(".")
    frac = frac.rstrip("0")
    return f"{base}.{frac}" if frac else base


def timestamp_of(moment: datetime) -> str:
    """Stored form of an aware datetime, as UTC wall time."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def parse_uuid(value: Any) -> str:
    """Canonical stored form of a `uuid`."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise HasuraError(f'invalid input syntax for type uuid: "{value}"',
                          "data-exception") from None


def _convert(col_type: str, value: Any) -> Any:
    if value is None:
        return None
    if col_type == "uuid":
        return parse_uuid(value)
    if col_type == "timestamp":
        return parse_timestamp(value)
    if col_type == "bigint":
        return int(value)
    return value


def _describe(value: Any) -> str:
    """How Hasura names a JSON value's kind in type-mismatch messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def _parse_bigint(value: Any) -> int:
    # Hasura accepts bigint as a JSON number or a string of digits.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise GraphQLError('expected a 32-bit integer, or a 64-bit integer represented as a '
                       f'string for type "bigint", but found {_describe(value)}')


def _string_scalar(name: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise GraphQLError(f'expected a string for type "{name}", but found '
                               f"{_describe(value)}")
        return value
    return parse


def build_control_plane_schema() -> GraphQLSchema:
    """The executable schema: the SDL plus input coercion for the custom scalars."""
    schema = graphql.build_schema(build_sdl())
    parsers: dict[str, Callable[[Any], Any]] = {
        "uuid": _string_scalar("uuid"), "timestamp": _string_scalar("timestamp"),
        "bigint": _parse_bigint}
    for name, parse in parsers.items():
        scalar = schema.type_map[name]
        assert isinstance(scalar, graphql.GraphQLScalarType)
        # graphql-core 3.3 calls coerce_input_value; older versions parse_value.
        scalar.coerce_input_value = parse
        scalar.parse_value = parse  # type: ignore[method-assign,assignment]
    return schema


# --- error translation (graphql-core wording -> Hasura wording) -----------------------------

def _hasura_message(message: str) -> str:
    m = re.search(r"(?:Cannot query field|Field) '(\w+)' (?:on type|is not defined by type) "
                  r"'(\w+)'", message)
    if m:
        return f"field '{m[1]}' not found in type: '{m[2]}'"
    m = re.search(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'", message)
    if m:
        return f"'{m[2]}' has no argument named '{m[1]}'"
    m = re.search(r"Expected value of type '(\w+)!?' not to include unknown field '(\w+)'", message)
    if m:
        return f"field '{m[2]}' not found in type: '{m[1]}'"
    m = re.search(r"Value '?\"?([^'\"]*)'?\"? does not exist in '(\w+)' enum", message)
    if m:
        values = ", ".join(f"'{v}'" for v in ENUMS.get(m[2], ()))
        return f"expected one of the values [{values}] for type '{m[2]}', but found '{m[1]}'"
    m = re.search(r"Enum '(\w+)' cannot represent non-enum value: (.*)", message)
    if m:
        return f'expected an enum value for type "{m[1]}", but found {m[2].rstrip(".")}'
    m = re.search(r"Int cannot represent non-integer value: (.)", message)
    if m:
        kind = "a string" if m[1] in "'\"" else "a float" if m[1][0].isdigit() else "a value"
        return f'expected a 32-bit integer for type "Int", but found {kind}'
    m = re.search(r"String cannot represent a non string value", message)
    if m:
        return 'expected a string for type "String"'
    m = re.search(r"Field '(\w+)' of required type '(.+)' was not provided", message)
    if m:
        return f'missing required field "{m[1]}"'
    return message


def _validation_error(err: GraphQLError, document: DocumentNode | None) -> HasuraError:
    message = err.message
    m = re.match(r"Variable '\$(\w+)' has invalid value: (.*)", message, re.S)
    if m:
        if "Expected a value of non-null type" in m[2]:
            return HasuraError(f'expecting a value for non-nullable variable: "{m[1]}"',
                               "validation-failed", "$")
        return HasuraError(_hasura_message(m[2]), "validation-failed",
                           f"$.variableValues.{m[1]}")
    m = re.match(r"Variable '\$(\w+)' of required type '.+' was not provided", message)
    if m:
        return HasuraError(f'expecting a value for non-nullable variable: "{m[1]}"',
                           "validation-failed", "$")
    path = _path_of(err, document)
    return HasuraError(_hasura_message(message), "validation-failed", path)


def _path_of(err: GraphQLError, document: DocumentNode | None) -> str:
    """Hasura-style `$.selectionSet.a.selectionSet.b` for the field holding the error."""
    if not err.nodes or document is None:
        return "$"
    target = err.nodes[0]
    start = target.loc.start if target.loc else -1
    best: list[str] = []

    def walk(sel: SelectionSetNode | None, trail: list[str]) -> None:
        nonlocal best
        if sel is None:
            return
        for node in sel.selections:
            if node.loc is None or not (node.loc.start <= start < node.loc.end):
                continue
            if isinstance(node, FieldNode):
                here = [*trail, f"selectionSet.{node.name.value}"]
                best = here
                for arg in node.arguments or ():
                    if arg.loc is not None and arg.loc.start <= start < arg.loc.end:
                        best = [*here, f"args.{arg.name.value}", *_value_path(arg.value, start)]
                walk(node.selection_set, here)
            elif isinstance(node, InlineFragmentNode):
                walk(node.selection_set, trail)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            walk(definition.selection_set, [])
    return ".".join(["$", *best]).replace(".[", "[")


def _value_path(value: Any, start: int) -> list[str]:
    """Path inside an argument value down to the node starting at `start`:
    `objects[0].uuid` style, as Hasura prints it."""
    if isinstance(value, graphql.ObjectValueNode):
        for f in value.fields:
            if f.loc is not None and f.loc.start <= start < f.loc.end:
                return [f.name.value, *_value_path(f.value, start)]
    if isinstance(value, graphql.ListValueNode):
        for i, item in enumerate(value.values):
            if item.loc is not None and item.loc.start <= start < item.loc.end:
                rest = _value_path(item, start)
                return [f"[{i}]", *rest]
    return []


# --- the executor ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One request's result plus what the stats need."""

    body: dict[str, Any]
    is_mutation: bool
    root_fields: tuple[str, ...]
    wrote: bool


@dataclass
class _Request:
    variables: VariableValues
    fragments: dict[str, FragmentDefinitionNode]
    now: str


# Root field name -> (table, operation)
_ROOT: dict[str, tuple[Table, str]] = {}
for _t in TABLES.values():
    _ROOT[_t.plural] = (_t, "select")
    _ROOT[f"{_t.plural}Aggregate"] = (_t, "aggregate")
    _ROOT[by_pk_field(_t)] = (_t, "by_pk")
    _ROOT[f"insert{capitalized(_t.plural)}"] = (_t, "insert_many")
    _ROOT[f"insert{capitalized(_t.singular)}"] = (_t, "insert_one")
    _ROOT[f"update{capitalized(_t.plural)}"] = (_t, "update_many")
    _ROOT[f"update{capitalized(_t.singular)}"] = (_t, "update_one")
    _ROOT[f"delete{capitalized(_t.plural)}"] = (_t, "delete_many")
    _ROOT[f"delete{capitalized(_t.singular)}"] = (_t, "delete_one")


def _q(name: str) -> str:
    return f'"{name}"'


class ControlPlane:
    """Executes GraphQL requests against the sandbox database."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock,
                 after_write: Callable[[sqlite3.Connection], None] | None = None) -> None:
        self.conn = conn
        self.clock = clock
        self.schema = build_control_plane_schema()
        self._after_write = after_write
        self._docs: OrderedDict[str, DocumentNode | HasuraError] = OrderedDict()
        self._used: dict[tuple[str, str | None], frozenset[str]] = {}
        self._fast = FastCoercion(self.schema)
        self._alias_seq = 0

    # -- request entry ----------------------------------------------------------------------

    def execute(self, payload: Any) -> Outcome:
        """Run one GraphQL request body (already JSON-decoded); never raises HasuraError."""
        try:
            return self._execute(payload)
        except HasuraError as err:
            return Outcome(err.body(), False, (), False)
        except (sqlite3.Error, GraphQLError, ValueError, KeyError, TypeError) as err:
            # A bug or an input we did not foresee: answer as Hasura does, never a 500.
            err_body = HasuraError(f"unexpected: {type(err).__name__}: {err}", "unexpected")
            return Outcome(err_body.body(), False, (), False)

    def _document(self, query: str) -> DocumentNode:
        cached = self._docs.get(query)
        if cached is None:
            try:
                doc = graphql.parse(query)
            except GraphQLError:
                cached = HasuraError("not a valid graphql query", "validation-failed", "$.query")
            else:
                errors = graphql.validate(self.schema, doc, _RULES)
                cached = _validation_error(errors[0], doc) if errors else doc
            self._docs[query] = cached
            if len(self._docs) > _DOC_CACHE_SIZE:
                self._docs.popitem(last=False)
        if isinstance(cached, HasuraError):
            raise cached
        return cached

    def _execute(self, payload: Any) -> Outcome:
        if not isinstance(payload, dict):
            raise HasuraError("Error in $: expected Object", "parse-failed")
        query = payload.get("query")
        if not isinstance(query, str):
            raise HasuraError('Error in $: key "query" not found', "parse-failed")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            raise HasuraError("Error in $.variables: expected HashMap ~Text Value",
                              "parse-failed")
        op_name = payload.get("operationName")
        document = self._document(query)
        operation = _pick_operation(document, op_name)
        used = self._used.get((query, op_name))
        if used is None:
            used = self._used[(query, op_name)] = _used_variables(document, operation)
            if len(self._used) > _DOC_CACHE_SIZE:
                self._used.clear()
        unexpected = sorted(set(variables) - used)
        if unexpected:
            # Hasura refuses variables the operation does not use.
            raise HasuraError("unexpected variables in variableValues: " + ", ".join(unexpected),
                              "validation-failed")
        definitions = operation.variable_definitions or ()
        coerced: VariableValues | list[GraphQLError] | None = (
            self._fast.coerce_variables(definitions, variables))
        if coerced is None:  # not the plain case: graphql-core decides (and words errors)
            coerced = get_variable_values(self.schema, definitions, variables)
        if isinstance(coerced, list):
            raise _validation_error(coerced[0], document)
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        req = _Request(coerced, fragments, timestamp_of(self.clock()))
        is_mutation = operation.operation == OperationType.MUTATION
        if operation.operation == OperationType.SUBSCRIPTION:
            raise HasuraError("subscriptions are not supported by the sandbox", "not-supported")
        root_type = self.schema.mutation_type if is_mutation else self.schema.query_type
        assert root_type is not None
        fields = self._collect(req, [operation.selection_set], root_type.name)
        names = tuple(nodes[0].name.value for nodes in fields.values())
        if any(n.startswith("__") and n != "__typename" for n in names):
            result = graphql.execute_sync(self.schema, document, operation_name=op_name,
                                          variable_values=variables)
            body: dict[str, Any] = {"data": result.data}
            if result.errors:
                body = _validation_error(result.errors[0], document).body()
            return Outcome(body, False, names, False)
        data: dict[str, Any] = {}
        if is_mutation:
            with transaction(self.conn):
                for key, nodes in fields.items():
                    data[key] = self._root_field(req, root_type.name, key, nodes)
                if self._after_write is not None:
                    self._after_write(self.conn)
        else:
            for key, nodes in fields.items():
                data[key] = self._root_field(req, root_type.name, key, nodes)
        return Outcome({"data": data}, is_mutation, names, is_mutation)

    def _root_field(self, req: _Request, root_name: str, key: str,
                    nodes: list[FieldNode]) -> Any:
        name = nodes[0].name.value
        if name == "__typename":
            return root_name
        table, op = _ROOT[name]
        root_type = self.schema.mutation_type if op not in (
            "select", "aggregate", "by_pk") else self.schema.query_type
        assert root_type is not None
        field_def = root_type.fields[name]
        path = f"$.selectionSet.{key}"
        try:
            args = get_argument_values(field_def, nodes[0], req.variables)
        except GraphQLError as err:
            raise HasuraError(_hasura_message(err.message), "validation-failed", path) from None
        try:
            _check_page_args(args)
            if op in ("update_many", "update_one") and not (
                    args.get("_set") or any(v is not None for v in (args.get("_inc") or {})
                                            .values())):
                raise HasuraError("at least any one of _set, _inc is expected",
                                  "validation-failed")
            return self._run(req, table, op, args, nodes, path)
        except sqlite3.IntegrityError as err:
            raise HasuraError(self._constraint_message(table, op, err), "constraint-violation",
                              path + (".args.objects" if op == "insert_many" else
                                      ".args.object" if op == "insert_one" else "")) from None
        except HasuraError as err:
            if err.path == "$":
                err.path = path
            raise

    def _run(self, req: _Request, table: Table, op: str, args: dict[str, Any],
             nodes: list[FieldNode], path: str) -> Any:
        if op == "select":
            rows = self._select(table, args)
            return self._render(req, table, rows, nodes)
        if op == "by_pk":
            rows = self._rows_by_ids(table, [parse_uuid(args["id"])])
            return self._render(req, table, rows, nodes)[0] if rows else None
        if op == "aggregate":
            return self._aggregate(req, table, args, nodes)
        if op in ("insert_many", "insert_one"):
            objects = args["objects"] if op == "insert_many" else [args["object"]]
            ids, affected = self._insert(req, table, objects, args.get("on_conflict"))
            return self._mutation_result(req, table, ids, affected, nodes, op == "insert_one")
        if op in ("update_many", "update_one"):
            if op == "update_one":
                where: dict[str, Any] = {"id": {"_eq": args["pk_columns"]["id"]}}
            else:
                where = args["where"]
            ids = self._update(req, table, where, args.get("_set") or {},
                               args.get("_inc") or {})
            return self._mutation_result(req, table, ids, len(ids), nodes, op == "update_one")
        where = {"id": {"_eq": args["id"]}} if op == "delete_one" else args["where"]
        return self._delete(req, table, where, nodes, op == "delete_one")

    def _mutation_result(self, req: _Request, table: Table, ids: list[str], affected: int,
                         nodes: list[FieldNode], single: bool) -> Any:
        if single:
            rows = self._rows_by_ids(table, ids)
            return self._render(req, table, rows, nodes)[0] if rows else None
        out: dict[str, Any] = {}
        for key, sub in self._collect(req, _sets(nodes), f"{table.name}_mutation_response").items():
            name = sub[0].name.value
            if name == "affected_rows":
                out[key] = affected
            elif name == "returning":
                out[key] = self._render(req, table, self._rows_by_ids(table, ids), sub)
            else:
                out[key] = f"{table.name}_mutation_response"
        return out

    # -- field collection -------------------------------------------------------------------

    def _collect(self, req: _Request, selection_sets: Iterable[SelectionSetNode | None],
                 type_name: str) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}

        def visit(sel: SelectionSetNode | None) -> None:
            if sel is None:
                return
            for node in sel.selections:
                if not self._included(req, node):
                    continue
                if isinstance(node, FieldNode):
                    key = node.alias.value if node.alias else node.name.value
                    fields.setdefault(key, []).append(node)
                elif isinstance(node, InlineFragmentNode):
                    cond = node.type_condition
                    if cond is None or cond.name.value == type_name:
                        visit(node.selection_set)
                elif isinstance(node, FragmentSpreadNode):
                    frag = req.fragments.get(node.name.value)
                    if frag is not None and frag.type_condition.name.value == type_name:
                        visit(frag.selection_set)

        for s in selection_sets:
            visit(s)
        return fields

    @staticmethod
    def _included(req: _Request, node: Any) -> bool:
        if not node.directives:
            return True
        skip = get_directive_values(graphql.GraphQLSkipDirective, node, req.variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(graphql.GraphQLIncludeDirective, node, req.variables)
        return not (include is not None and not include.get("if"))

    # -- reading ----------------------------------------------------------------------------

    def _alias(self) -> str:
        self._alias_seq += 1
        return f"t{self._alias_seq}"

    def _select(self, table: Table, args: dict[str, Any], extra_where: str = "",
                extra_params: Sequence[Any] = ()) -> list[Row]:
        alias = self._alias()
        params: list[Any] = list(extra_params)
        clauses = [extra_where.format(a=alias)] if extra_where else []
        if args.get("where"):
            clauses.append(self._where(table, args["where"], alias, params))
        sql = f"SELECT {alias}.* FROM {_q(table.name)} {alias}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += self._order_by(table, args.get("order_by"), alias)
        if args.get("limit") is not None or args.get("offset") is not None:
            sql += " LIMIT ? OFFSET ?"
            limit = args.get("limit")
            params += [-1 if limit is None else limit, args.get("offset") or 0]
        return self._fetch(sql, params)

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Row]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _rows_by_ids(self, table: Table, ids: Sequence[str]) -> list[Row]:
        """Rows with these ids, in the order of `ids` (duplicates kept)."""
        found: dict[str, Row] = {}
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), _SQL_CHUNK):
            chunk = unique[i:i + _SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(f"SELECT * FROM {_q(table.name)} WHERE id IN ({marks})",
                                   chunk):
                found[row["id"]] = row
        return [found[i] for i in ids if i in found]

    def _aggregate(self, req: _Request, table: Table, args: dict[str, Any],
                   nodes: list[FieldNode]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        rows: list[Row] | None = None
        for key, sub in self._collect(req, _sets(nodes), f"{table.name}_aggregate").items():
            name = sub[0].name.value
            if name == "__typename":
                out[key] = f"{table.name}_aggregate"
            elif name == "nodes":
                rows = self._select(table, args) if rows is None else rows
                out[key] = self._render(req, table, rows, sub)
            elif name == "aggregate":
                rows = self._select(table, args) if rows is None else rows
                agg: dict[str, Any] = {}
                for akey, anodes in self._collect(req, _sets(sub),
                                                  f"{table.name}_aggregate_fields").items():
                    if anodes[0].name.value == "__typename":
                        agg[akey] = f"{table.name}_aggregate_fields"
                        continue
                    field_def = self._field_def(f"{table.name}_aggregate_fields", "count")
                    cargs = get_argument_values(field_def, anodes[0], req.variables)
                    agg[akey] = _count(rows, cargs.get("columns"), bool(cargs.get("distinct")))
                out[key] = agg
        return out

    def _field_def(self, type_name: str, field: str) -> GraphQLField:
        gtype = self.schema.type_map[type_name]
        assert isinstance(gtype, graphql.GraphQLObjectType)
        field_def: GraphQLField = gtype.fields[field]
        return field_def

    def _render(self, req: _Request, table: Table, rows: list[Row],
                nodes: list[FieldNode]) -> list[dict[str, Any]]:
        """Shape rows as the selection set asks, fetching relations in batches."""
        fields = self._collect(req, _sets(nodes), table.name)
        out: list[dict[str, Any]] = [{} for _ in rows]
        for key, fnodes in fields.items():
            name = fnodes[0].name.value
            col = table.column(name)
            if col is not None:
                if col.type == "timestamp":
                    for o, r in zip(out, rows, strict=True):
                        o[key] = format_timestamp(r[name])
                else:
                    for o, r in zip(out, rows, strict=True):
                        o[key] = r[name]
                continue
            if name == "__typename":
                for o in out:
                    o[key] = table.name
                continue
            rel = table.relation(name)
            assert rel is not None, name  # validation guarantees it
            remote = TABLES[rel.remote]
            if rel.kind == "object":
                fks = [r[rel.column] for r in rows]
                related = self._rows_by_ids(remote, [f for f in fks if f is not None])
                rendered = self._render(req, remote, related, fnodes)
                by_id = {r["id"]: x for r, x in zip(related, rendered, strict=True)}
                for o, fk in zip(out, fks, strict=True):
                    o[key] = by_id.get(fk) if fk is not None else None
            else:
                args = get_argument_values(self._field_def(table.name, name), fnodes[0],
                                           req.variables)
                parent_ids = [r["id"] for r in rows]
                children: list[Row] = []
                base = {k: v for k, v in args.items() if k not in ("limit", "offset")}
                unique_ids = list(dict.fromkeys(parent_ids))
                for i in range(0, max(len(unique_ids), 1), _SQL_CHUNK):
                    chunk = unique_ids[i:i + _SQL_CHUNK]
                    if not chunk:
                        break
                    marks = ",".join("?" * len(chunk))
                    children += self._select(remote, base, f'{{a}}."{rel.column}" IN ({marks})',
                                             chunk)
                rendered = self._render(req, remote, children, fnodes)
                groups: dict[str, list[dict[str, Any]]] = {pid: [] for pid in parent_ids}
                for child, shaped in zip(children, rendered, strict=True):
                    groups[child[rel.column]].append(shaped)
                _check_page_args(args)
                offset = args.get("offset") or 0
                limit = args.get("limit")
                for o, pid in zip(out, parent_ids, strict=True):
                    items = groups[pid][offset:]
                    o[key] = items if limit is None else items[:max(limit, 0)]
        return out

    # -- bool_exp / order_by -> SQL ---------------------------------------------------------

    def _where(self, table: Table, exp: dict[str, Any], alias: str, params: list[Any]) -> str:
        parts: list[str] = []
        for key, value in exp.items():
            if key == "_and":
                parts.append("(" + " AND ".join(
                    [self._where(table, e, alias, params) for e in value] or ["1"]) + ")")
            elif key == "_or":
                parts.append("(" + " OR ".join(
                    [self._where(table, e, alias, params) for e in value] or ["0"]) + ")")
            elif key == "_not":
                parts.append(f"NOT ({self._where(table, value, alias, params)})")
            elif (col := table.column(key)) is not None:
                parts.append(self._compare(f'{alias}."{key}"', col.type, value, params))
            else:
                rel = table.relation(key)
                assert rel is not None, key
                inner = self._alias()
                remote = TABLES[rel.remote]
                if rel.kind == "object":
                    link = f'{inner}.id = {alias}."{rel.column}"'
                else:
                    link = f'{inner}."{rel.column}" = {alias}.id'
                cond = self._where(remote, value, inner, params)
                parts.append(f"EXISTS (SELECT 1 FROM {_q(remote.name)} {inner} "
                             f"WHERE {link} AND {cond})")
        return "(" + " AND ".join(parts) + ")" if parts else "1"

    @staticmethod
    def _compare(column: str, col_type: str, ops: dict[str, Any], params: list[Any]) -> str:
        parts: list[str] = []
        sql_ops = {"_eq": "=", "_neq": "<>", "_gt": ">", "_gte": ">=", "_lt": "<", "_lte": "<="}
        for op, value in ops.items():
            if op == "_is_null":
                if value is not None:
                    parts.append(f"{column} IS {'' if value else 'NOT '}NULL")
                continue
            if value is None:
                raise HasuraError(f'unexpected null value for type "{col_type}"',
                                  "validation-failed")
            if op in sql_ops:
                parts.append(f"{column} {sql_ops[op]} ?")
                params.append(_convert(col_type, value))
            elif op in ("_in", "_nin"):
                if not value:
                    parts.append("0" if op == "_in" else "1")
                    continue
                marks = ",".join("?" * len(value))
                parts.append(f"{column} {'NOT ' if op == '_nin' else ''}IN ({marks})")
                params.extend(_convert(col_type, v) for v in value)
            elif op in ("_like", "_nlike"):
                # Postgres LIKE escapes with a backslash by default; SQLite only if told.
                parts.append(f"{column} {'NOT ' if op == '_nlike' else ''}LIKE ? ESCAPE '\\'")
                params.append(value)
            elif op in ("_ilike", "_nilike"):
                parts.append(f"lower({column}) {'NOT ' if op == '_nilike' else ''}LIKE lower(?) "
                             "ESCAPE '\\'")
                params.append(value)
        return "(" + " AND ".join(parts) + ")" if parts else "1"

    def _order_by(self, table: Table, order: Any, alias: str) -> str:
        if not order:
            return f" ORDER BY {alias}.rowid"
        items = order if isinstance(order, list) else [order]
        terms: list[str] = []
        for item in items:
            for key, direction in item.items():
                terms += [f"{e} {d}" for e, d in self._order_terms(table, key, direction, alias)]
        terms.append(f"{alias}.rowid")
        return " ORDER BY " + ", ".join(terms)

    def _order_terms(self, table: Table, key: str, direction: Any,
                     alias: str) -> list[tuple[str, str]]:
        """(SQL expression, direction words) pairs; object relations become subqueries."""
        if direction is None:
            return []
        if table.column(key) is not None:
            return [(f'{alias}."{key}"', _order_sql(direction))]
        rel = table.relation(key)
        assert rel is not None and rel.kind == "object"
        remote = TABLES[rel.remote]
        terms: list[tuple[str, str]] = []
        for rkey, rdir in direction.items():
            inner = self._alias()
            for expr, words in self._order_terms(remote, rkey, rdir, inner):
                terms.append((f"(SELECT {expr} FROM {_q(remote.name)} {inner} "
                              f'WHERE {inner}.id = {alias}."{rel.column}")', words))
        return terms

    # -- writing ----------------------------------------------------------------------------

    def _insert(self, req: _Request, table: Table, objects: list[dict[str, Any]],
                on_conflict: dict[str, Any] | None) -> tuple[list[str], int]:
        """Insert objects (with nested relations); returns the ids of rows inserted or
        updated at this level and the number of rows affected at all levels."""
        ids: list[str] = []
        affected = 0
        conflict_sql, conflict_params = self._conflict_clause(table, on_conflict)
        statements: dict[tuple[str, ...], str] = {}
        for obj in objects:
            values: dict[str, Any] = {}
            nested_arrays = []
            for key, value in obj.items():
                col = table.column(key)
                if col is not None:
                    values[key] = _convert(col.type, value)
                    continue
                rel = table.relation(key)
                assert rel is not None
                if rel.kind == "object":
                    sub_ids, n = self._insert(req, TABLES[rel.remote], [value["data"]],
                                              value.get("on_conflict"))
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
                    values[c.name] = req.now
            cols = tuple(values)
            sql = statements.get(cols)
            if sql is None:
                sql = (f"INSERT INTO {_q(table.name)} ("
                       + ", ".join(f'"{c}"' for c in cols) + ") VALUES ("
                       + ",".join("?" * len(cols)) + ")" + conflict_sql + " RETURNING id")
                statements[cols] = sql
            try:
                row = self.conn.execute(sql, [*values.values(), *conflict_params]).fetchone()
            except sqlite3.IntegrityError as err:
                raise sqlite3.IntegrityError(self._constraint_message(
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
                _, n = self._insert(req, TABLES[rel.remote], children, value.get("on_conflict"))
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
            where = " WHERE " + self._where(table, on_conflict["where"], _q(table.name), params)
        return f" ON CONFLICT ({cols}) DO UPDATE SET {sets}{where}", params

    def _update(self, req: _Request, table: Table, where: dict[str, Any], set_: dict[str, Any],
                inc: dict[str, Any]) -> list[str]:
        alias = _q(table.name)
        params: list[Any] = []
        assignments: list[str] = []
        for key, value in set_.items():
            col = table.column(key)
            assert col is not None
            assignments.append(f'"{key}" = ?')
            params.append(_convert(col.type, value))
        for key, value in inc.items():
            if value is not None:
                assignments.append(f'"{key}" = "{key}" + ?')
                params.append(value)
        if table.column("updatedAt") is not None and "updatedAt" not in set_:
            assignments.append('"updatedAt" = ?')
            params.append(req.now)
        where_params: list[Any] = []
        cond = self._where(table, where, alias, where_params)
        sql = (f"UPDATE {_q(table.name)} SET {', '.join(assignments)} WHERE {cond} "
               "RETURNING id")
        try:
            return [r[0] for r in self.conn.execute(sql, params + where_params).fetchall()]
        except sqlite3.IntegrityError as err:
            raise sqlite3.IntegrityError(self._constraint_message(
                table, "update", err, set_)) from None

    def _delete(self, req: _Request, table: Table, where: dict[str, Any],
                nodes: list[FieldNode], single: bool) -> Any:
        alias = self._alias()
        params: list[Any] = []
        cond = self._where(table, where, alias, params)
        ids = [r["id"] for r in self._fetch(
            f"SELECT {alias}.id FROM {_q(table.name)} {alias} WHERE {cond}", params)]
        # Render what the client asked for before the rows are gone.
        result = self._mutation_result(req, table, ids, len(ids), nodes, single)
        for i in range(0, len(ids), _SQL_CHUNK):
            chunk = ids[i:i + _SQL_CHUNK]
            try:
                self.conn.execute(f"DELETE FROM {_q(table.name)} WHERE id IN "
                                  f"({','.join('?' * len(chunk))})", chunk)
            except sqlite3.IntegrityError as err:
                raise sqlite3.IntegrityError(self._constraint_message(
                    table, "delete", err)) from None
        return result

    def _constraint_message(self, table: Table, op: str, err: sqlite3.IntegrityError,
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
                        f"SELECT 1 FROM {_q(fk.remote)} WHERE id = ?", (value,)).fetchone() is None:
                    return (f'Foreign key violation. insert or update on table "{table.name}" '
                            f'violates foreign key constraint "{fk.name}"')
            return f'Foreign key violation. on table "{table.name}"'
        return text


def _used_variables(document: DocumentNode, operation: OperationDefinitionNode) -> frozenset[str]:
    """Names of the variables an operation references (fragments included)."""
    names: set[str] = set()
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    pending: list[Any] = [operation.selection_set]
    seen: set[str] = set()

    class _Collect(graphql.Visitor):
        def enter_variable(self, node: graphql.VariableNode, *_: Any) -> None:
            names.add(node.name.value)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            if node.name.value not in seen and node.name.value in fragments:
                seen.add(node.name.value)
                pending.append(fragments[node.name.value])

    while pending:
        graphql.visit(pending.pop(), _Collect())
    return frozenset(names)


def _check_page_args(args: dict[str, Any]) -> None:
    """Hasura parses limit/offset as non-negative integers."""
    for name in ("limit", "offset"):
        value = args.get(name)
        if value is not None and value < 0:
            raise HasuraError('expected a non-negative 32-bit integer for type "Int", but '
                              "found a number", "validation-failed")


def _pick_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in ops:
            if op.name and op.name.value == name:
                return op
        raise HasuraError(f"no such operation found in the document: {name}",
                          "validation-failed")
    if len(ops) != 1:
        raise HasuraError("exactly one operation has to be present in the document when "
                          "operationName is not specified", "validation-failed")
    return ops[0]


def _sets(nodes: list[FieldNode]) -> list[SelectionSetNode | None]:
    return [n.selection_set for n in nodes]


def _order_sql(direction: str) -> str:
    # Postgres defaults: ASC NULLS LAST, DESC NULLS FIRST.
    word = "DESC" if direction.startswith("desc") else "ASC"
    if direction.endswith("nulls_first"):
        nulls = "NULLS FIRST"
    elif direction.endswith("nulls_last"):
        nulls = "NULLS LAST"
    else:
        nulls = "NULLS FIRST" if word == "DESC" else "NULLS LAST"
    return f"{word} {nulls}"


def _count(rows: list[Row], columns: list[str] | None, distinct: bool) -> int:
    if not columns:
        return len({tuple(r.items()) for r in rows}) if distinct else len(rows)
    values = [tuple(r[c] for c in columns) for r in rows
              if all(r[c] is not None for c in columns)]
    return len(set(values)) if distinct else len(values)
