"""The control plane's GraphQL endpoint: one request in, one Hasura-shaped body out.

graphql-core parses and validates against the schema of the served naming convention and
coerces variables and arguments; execution is our own walk of the selection set. A select
is compiled, as Hasura compiles it, into ONE SQL statement that returns the answer's JSON
(json_object / json_group_array, a correlated subquery per relation); aggregates, distinct_on
and mutations' `returning` take one statement per table and level (relations fetched in
batches by parent ids, never row by row). SQL text comes from `sql.py`, mutations from
`writes.py`, wording from `errors.py`.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    InlineFragmentNode,
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

from runner.sandbox.coerce import FastCoercion, numeric_strings_to_ints
from runner.sandbox.documents import pick_operation, used_variables
from runner.sandbox.errors import HasuraError, Translator, code_of
from runner.sandbox.naming import Naming
from runner.sandbox.scalars import format_timestamp, parse_uuid, timestamp_of
from runner.sandbox.schema import TEXT_SCALARS, build_control_plane_schema, enum_spellings
from runner.sandbox.sql import SqlBuilder, quote
from runner.sandbox.store import transaction
from runner.sandbox.tables import ENUMS, TABLES, Table
from runner.sandbox.writes import SQL_CHUNK, Writer

Row = dict[str, Any]
Clock = Callable[[], datetime]

# Hasura does not reject declared-but-unused variables.
_RULES = tuple(r for r in specified_rules if r is not NoUnusedVariablesRule)
_DOC_CACHE_SIZE = 1024
_QUERY_OPS = ("select", "aggregate", "by_pk")
# SQLite's json_object takes at most 127 arguments (SQLITE_MAX_FUNCTION_ARG).
_JSON_OBJECT_FIELDS = 63


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector off for the block (re-entrant). A 25,000-row insert builds a
    million short-lived objects, freed by reference counting when the request ends: the
    collector's passes over them (its full ones walk the whole heap) collect nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True)
class SqlJson:
    """A root field's value SQLite already serialized (UTF-8 JSON): sent as it is."""

    encoded: bytes


@dataclass(frozen=True)
class Outcome:
    """One request's result plus what the stats need."""

    body: dict[str, Any]
    is_mutation: bool
    root_fields: tuple[str, ...]
    wrote: bool

    def encoded(self) -> bytes:
        """The body as UTF-8 JSON (root fields SQLite serialized spliced in as they are: a
        big read's megabytes are copied once)."""
        data = self.body.get("data")
        if not (isinstance(data, dict) and any(isinstance(v, SqlJson) for v in data.values())):
            return json.dumps(self.body, separators=(",", ":")).encode()
        parts = [b'{"data":{']
        for i, (k, v) in enumerate(data.items()):
            parts.append((b"," if i else b"") + json.dumps(k).encode() + b":")
            parts.append(v.encoded if isinstance(v, SqlJson)
                         else json.dumps(v, separators=(",", ":")).encode())
        parts.append(b"}}")
        return b"".join(parts)


class _NotCompiled(Exception):
    """The selection needs the row-by-row renderer (aggregates, distinct_on, ...)."""


@dataclass
class _Request:
    variables: VariableValues
    fragments: dict[str, FragmentDefinitionNode]
    now: str


class ControlPlane:
    """Executes GraphQL requests against the sandbox database.

    `naming` picks the served convention; `strict` refuses numeric strings for `Int`
    (Hasura v2), which are accepted otherwise (Hasura v1, and the vendor's scripts).
    """

    def __init__(self, conn: sqlite3.Connection, clock: Clock,
                 after_write: Callable[[sqlite3.Connection], None] | None = None,
                 naming: Naming | None = None, strict: bool = False) -> None:
        self.conn = conn
        self.clock = clock
        self.naming = naming or Naming("vendor")
        self.strict = strict
        self.row_by_row = False  # True: selects rendered in Python (the tests' reference)
        self.schema = build_control_plane_schema(self.naming)
        self._after_write = after_write
        self._docs: OrderedDict[str, DocumentNode | HasuraError] = OrderedDict()
        self._used: dict[tuple[str, str | None], frozenset[str]] = {}
        self._fast = FastCoercion(self.schema, numeric_strings=not strict,
                                  text_scalars=TEXT_SCALARS)
        self._errors = Translator(enum_spellings(self.schema))
        self._sql = SqlBuilder()
        self._writer = Writer(conn, self._sql)
        self._root: dict[str, tuple[Table, str]] = {
            name: (table, op) for table in TABLES.values()
            for op, name in self.naming.root_fields(table).items()}
        n = self.naming
        self._types = {t.name: {s: n.type(t.name, s) for s in (
            "", "mutation_response", "aggregate", "aggregate_fields")} for t in TABLES.values()}
        self._affected_rows = n.field("affected_rows")
        self._rel_aggregates = {(t.name, n.rel_aggregate(r.name)): r for t in TABLES.values()
                                for r in t.relations if r.kind == "array"}
        self._enum_columns = frozenset((t.name, c.name) for t in TABLES.values()
                                       for c in t.columns if c.type in ENUMS)
        # A nested relation's JSON inside json_object: as it is where a scalar subquery
        # keeps the JSON subtype, else re-parsed by json().
        self._nested = "{}" if subqueries_keep_json(conn) else "json({})"

    # -- request entry ----------------------------------------------------------------------

    def execute(self, payload: Any) -> Outcome:
        """Run one GraphQL request body (already JSON-decoded); never raises HasuraError.
        The app calls it with the collector paused (`paused_gc`), from the decoding on."""
        try:
            return self._execute(payload)
        except HasuraError as err:
            return Outcome(err.body(), False, (), False)
        except (sqlite3.Error, GraphQLError, ValueError, KeyError, TypeError,
                OverflowError) as err:
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
                cached = self._errors.validation_error(errors[0], doc) if errors else doc
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
        operation = pick_operation(document, op_name)
        used = self._used.get((query, op_name))
        if used is None:
            used = self._used[(query, op_name)] = used_variables(document, operation)
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
            if not self.strict:
                variables = numeric_strings_to_ints(self.schema, definitions, variables)
            coerced = get_variable_values(self.schema, definitions, variables)
        if isinstance(coerced, list):
            raise self._errors.validation_error(coerced[0], document)
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        moment = self.clock()
        self._sql.now = moment
        req = _Request(coerced, fragments, timestamp_of(moment))
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
                body = self._errors.validation_error(result.errors[0], document).body()
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
        table, op = self._root[name]
        root_type = self.schema.query_type if op in _QUERY_OPS else self.schema.mutation_type
        assert root_type is not None
        field_def = root_type.fields[name]
        path = f"$.selectionSet.{key}"
        try:
            args = get_argument_values(field_def, nodes[0], req.variables)
        except GraphQLError as err:
            text = self._errors.message(err.message)
            raise HasuraError(text, code_of(text), path) from None
        try:
            _check_page_args(args)
            if op in ("update_many", "update_one"):
                _check_update(args)
            return self._run(req, table, op, args, nodes)
        except sqlite3.IntegrityError as err:
            raise HasuraError(self._writer.constraint_message(table, op, err),
                              "constraint-violation",
                              path + (".args.objects" if op == "insert_many" else
                                      ".args.object" if op == "insert_one" else "")) from None
        except HasuraError as err:
            if err.path == "$":
                err.path = path
            raise

    def _run(self, req: _Request, table: Table, op: str, args: dict[str, Any],
             nodes: list[FieldNode]) -> Any:
        if op == "select":
            compiled = self._json_select(req, table, args, nodes)
            if compiled is not None:
                sql, params = compiled  # as bytes: no decoding, nor encoding again
                return SqlJson(self.conn.execute(f"SELECT CAST(({sql}) AS BLOB)",
                                                 params).fetchone()[0])
            return self._render(req, table, self._select(table, args), nodes)
        if op == "by_pk":
            rows = self._rows_by_ids(table, [parse_uuid(args["id"])])
            return self._render(req, table, rows, nodes)[0] if rows else None
        if op == "aggregate":
            return self._aggregate(req, table, self._select(table, args), nodes)
        if op in ("insert_many", "insert_one"):
            objects = args["objects"] if op == "insert_many" else [args["object"]]
            ids, affected = self._writer.insert(table, objects, args.get("on_conflict"),
                                                req.now)
            return self._mutation_result(req, table, ids, affected, nodes, op == "insert_one")
        if op == "update_batch":  # Hasura runs the updates in order, each on its own rows
            for update in args["updates"]:
                _check_update(update)
            return [self._run(req, table, "update_many", update, nodes)
                    for update in args["updates"]]
        if op in ("update_many", "update_one"):
            if op == "update_one":
                where: dict[str, Any] = {"id": {"_eq": args["pk_columns"]["id"]}}
            else:
                where = args["where"]
            ids = self._writer.update(table, where, args.get("_set") or {},
                                      args.get("_inc") or {}, req.now)
            return self._mutation_result(req, table, ids, len(ids), nodes, op == "update_one")
        where = {"id": {"_eq": args["id"]}} if op == "delete_one" else args["where"]
        ids = self._writer.matching_ids(table, where)
        # Render what the client asked for before the rows are gone.
        result = self._mutation_result(req, table, ids, len(ids), nodes, op == "delete_one")
        self._writer.delete(table, ids)
        return result

    def _mutation_result(self, req: _Request, table: Table, ids: list[str], affected: int,
                         nodes: list[FieldNode], single: bool) -> Any:
        if single:
            rows = self._rows_by_ids(table, ids)
            return self._render(req, table, rows, nodes)[0] if rows else None
        out: dict[str, Any] = {}
        type_name = self._types[table.name]["mutation_response"]
        for key, sub in self._collect(req, _sets(nodes), type_name).items():
            name = sub[0].name.value
            if name == self._affected_rows:
                out[key] = affected
            elif name == "returning":
                out[key] = self._render(req, table, self._rows_by_ids(table, ids), sub)
            else:
                out[key] = type_name
        return out

    # -- field collection -------------------------------------------------------------------

    def _collect(self, req: _Request, selection_sets: Iterable[SelectionSetNode | None],
                 type_name: str) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        for s in selection_sets:
            self._visit(req, s, type_name, fields)
        return fields

    def _visit(self, req: _Request, sel: SelectionSetNode | None, type_name: str,
               fields: dict[str, list[FieldNode]]) -> None:
        # A method, not a recursive closure: a closure would hold the request (and its
        # variables, a million objects for a big insert) in a reference cycle, freed only
        # by the next full collection instead of when the request ends.
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
                    self._visit(req, node.selection_set, type_name, fields)
            elif isinstance(node, FragmentSpreadNode):
                frag = req.fragments.get(node.name.value)
                if frag is not None and frag.type_condition.name.value == type_name:
                    self._visit(req, frag.selection_set, type_name, fields)

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

    def _select(self, table: Table, args: dict[str, Any], extra_where: str = "",
                extra_params: Sequence[Any] = ()) -> list[Row]:
        sql, params = self._sql.select(table, args, extra_where, extra_params)
        return self._fetch(sql, params)

    def _json_select(self, req: _Request, table: Table, args: dict[str, Any],
                     nodes: list[FieldNode], link: str = ""
                     ) -> tuple[str, list[Any]] | None:
        """ONE statement whose value is the JSON array the selection asks for, relations
        included (correlated subqueries, as Hasura compiles a nested select into one SQL
        statement); None when the selection needs `_render` (aggregates, distinct_on)."""
        if self.row_by_row or args.get("distinct_on"):
            return None
        try:
            sql, params = self._json_rows(req, table, args, nodes, link)
        except _NotCompiled:
            return None
        return sql, params

    def _json_rows(self, req: _Request, table: Table, args: dict[str, Any],
                   nodes: list[FieldNode], link: str) -> tuple[str, list[Any]]:
        if args.get("distinct_on"):
            raise _NotCompiled
        alias = self._sql.alias()
        params: list[Any] = []
        obj = self._json_object(req, table, alias, nodes, params)
        sql, select_params = self._sql.select(table, args, link, (), alias=alias)
        # The rows reach the aggregate in the subquery's order (SQLite does not flatten an
        # ordered subquery into an aggregate); json_object is computed here, not in the
        # subquery, since a subquery's columns lose the JSON subtype (json() re-parses).
        return f"SELECT json_group_array({obj}) FROM ({sql}) {alias}", params + select_params

    def _json_object(self, req: _Request, table: Table, alias: str, nodes: list[FieldNode],
                     params: list[Any]) -> str:
        """`json_object(...)` of one row of `table` as `alias`, shaped as `_render` shapes
        it; parameters are appended in the order they appear in the text."""
        type_name = self._types[table.name][""]
        fields = self._collect(req, _sets(nodes), type_name)
        if len(fields) > _JSON_OBJECT_FIELDS:
            raise _NotCompiled
        parts: list[str] = []
        for key, fnodes in fields.items():
            name = fnodes[0].name.value
            col = table.column(name)
            if col is not None:
                expr = f'{alias}."{name}"'
                if col.type == "timestamp":  # format_timestamp: no trailing zeros, no '.'
                    expr = (f"CASE WHEN instr({expr}, '.') THEN rtrim(rtrim({expr}, '0'), '.') "
                            f"ELSE {expr} END")
                elif self.naming.graphql_case and (table.name, name) in self._enum_columns:
                    expr = f"upper({expr})"  # Naming.enum_value
            elif name == "__typename":
                expr = f"'{type_name}'"
            elif (table.name, name) in self._rel_aggregates:
                raise _NotCompiled
            else:
                rel = table.relation(name)
                assert rel is not None, name  # validation guarantees it
                remote = TABLES[rel.remote]
                if rel.kind == "object":
                    inner = self._sql.alias()
                    obj = self._json_object(req, remote, inner, fnodes, params)
                    link = f'{inner}.id = {alias}."{rel.column}"'
                    expr = self._nested.format(
                        f"(SELECT {obj} FROM {quote(remote.name)} {inner} WHERE {link})")
                else:
                    args = get_argument_values(self._field_def(type_name, name), fnodes[0],
                                               req.variables)
                    _check_page_args(args)
                    sql, sub = self._json_rows(req, remote, args, fnodes,
                                               f'{{a}}."{rel.column}" = {alias}.id')
                    params += sub
                    expr = self._nested.format(f"({sql})")
            parts.append(f"'{key}', {expr}")
        return "json_object(" + ", ".join(parts) + ")"

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Row]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _rows_by_ids(self, table: Table, ids: Sequence[str]) -> list[Row]:
        """Rows with these ids, in the order of `ids` (duplicates kept)."""
        found: dict[str, Row] = {}
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), SQL_CHUNK):
            chunk = unique[i:i + SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(f"SELECT * FROM {quote(table.name)} WHERE id IN ({marks})",
                                   chunk):
                found[row["id"]] = row
        return [found[i] for i in ids if i in found]

    def _children(self, remote: Table, column: str, parent_ids: list[str],
                  args: dict[str, Any]) -> list[Row]:
        """Rows of `remote` whose `column` is one of `parent_ids`, filtered and ordered as
        `args` say (limit/offset are per parent: the caller applies them)."""
        base = {k: v for k, v in args.items() if k not in ("limit", "offset")}
        if base.get("distinct_on"):  # distinct per parent: the parent leads the ordering
            distinct = _as_list(base["distinct_on"])
            order = _as_list(base.get("order_by")) or [{c: "asc"} for c in distinct]
            base["order_by"] = [{column: "asc"}, *order]
            base["distinct_on"] = [column, *distinct]
        children: list[Row] = []
        unique_ids = list(dict.fromkeys(parent_ids))
        for i in range(0, len(unique_ids), SQL_CHUNK):
            chunk = unique_ids[i:i + SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            children += self._select(remote, base, f'{{a}}."{column}" IN ({marks})', chunk)
        return children

    def _aggregate(self, req: _Request, table: Table, rows: list[Row],
                   nodes: list[FieldNode]) -> dict[str, Any]:
        types = self._types[table.name]
        out: dict[str, Any] = {}
        for key, sub in self._collect(req, _sets(nodes), types["aggregate"]).items():
            name = sub[0].name.value
            if name == "__typename":
                out[key] = types["aggregate"]
            elif name == "nodes":
                out[key] = self._render(req, table, rows, sub)
            elif name == "aggregate":
                agg: dict[str, Any] = {}
                for akey, anodes in self._collect(req, _sets(sub),
                                                  types["aggregate_fields"]).items():
                    if anodes[0].name.value == "__typename":
                        agg[akey] = types["aggregate_fields"]
                        continue
                    field_def = self._field_def(types["aggregate_fields"], "count")
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
        type_name = self._types[table.name][""]
        fields = self._collect(req, _sets(nodes), type_name)
        out: list[dict[str, Any]] = [{} for _ in rows]
        for key, fnodes in fields.items():
            name = fnodes[0].name.value
            col = table.column(name)
            if col is not None:
                if col.type == "timestamp":
                    for o, r in zip(out, rows, strict=True):
                        o[key] = format_timestamp(r[name])
                elif self.naming.graphql_case and (table.name, name) in self._enum_columns:
                    for o, r in zip(out, rows, strict=True):
                        o[key] = None if r[name] is None else self.naming.enum_value(r[name])
                else:
                    for o, r in zip(out, rows, strict=True):
                        o[key] = r[name]
                continue
            if name == "__typename":
                for o in out:
                    o[key] = type_name
                continue
            aggregate_of = self._rel_aggregates.get((table.name, name))
            rel = aggregate_of or table.relation(name)
            assert rel is not None, name  # validation guarantees it
            remote = TABLES[rel.remote]
            if rel.kind == "object":
                fks = [r[rel.column] for r in rows]
                related = self._rows_by_ids(remote, [f for f in fks if f is not None])
                rendered = self._render(req, remote, related, fnodes)
                by_id = {r["id"]: x for r, x in zip(related, rendered, strict=True)}
                for o, fk in zip(out, fks, strict=True):
                    o[key] = by_id.get(fk) if fk is not None else None
                continue
            args = get_argument_values(self._field_def(type_name, name), fnodes[0],
                                       req.variables)
            _check_page_args(args)
            parent_ids = [r["id"] for r in rows]
            children = self._children(remote, rel.column, parent_ids, args) if rows else []
            groups: dict[str, list[Row]] = {pid: [] for pid in parent_ids}
            for child in children:
                groups[child[rel.column]].append(child)
            offset = args.get("offset") or 0
            limit = args.get("limit")
            for pid, items in groups.items():
                items = items[offset:]
                groups[pid] = items if limit is None else items[:max(limit, 0)]
            if aggregate_of is not None:
                for o, pid in zip(out, parent_ids, strict=True):
                    o[key] = self._aggregate(req, remote, groups[pid], fnodes)
                continue
            kept = [child for pid in dict.fromkeys(parent_ids) for child in groups[pid]]
            shaped = self._render(req, remote, kept, fnodes)
            by_child = {id(c): s for c, s in zip(kept, shaped, strict=True)}
            for o, pid in zip(out, parent_ids, strict=True):
                o[key] = [by_child[id(c)] for c in groups[pid]]
        return out


def subqueries_keep_json(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite passes a scalar subquery's JSON into json_object as JSON (3.40
    does; if one day it does not, the compiled select wraps nested JSON in json())."""
    row = conn.execute("SELECT json_object('k', (SELECT json_group_array(json_object('a', x)) "
                       "FROM (SELECT 1 AS x)))").fetchone()
    return bool(row[0] == '{"k":[{"a":1}]}')


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_update(args: dict[str, Any]) -> None:
    """An update must change something (Hasura's refusal otherwise)."""
    if not (args.get("_set") or any(v is not None for v in (args.get("_inc") or {}).values())):
        raise HasuraError("at least any one of _set, _inc is expected", "validation-failed")


def _check_page_args(args: dict[str, Any]) -> None:
    """Hasura parses limit/offset as non-negative integers."""
    for name in ("limit", "offset"):
        value = args.get(name)
        if value is not None and value < 0:
            raise HasuraError("expected a non-negative 32-bit integer for type 'Int', but "
                              "found a number", "validation-failed")


def _sets(nodes: list[FieldNode]) -> list[SelectionSetNode | None]:
    return [n.selection_set for n in nodes]


def _count(rows: list[Row], columns: list[str] | None, distinct: bool) -> int:
    if not columns:
        return len({tuple(r.items()) for r in rows}) if distinct else len(rows)
    values = [tuple(r[c] for c in columns) for r in rows
              if all(r[c] is not None for c in columns)]
    return len(set(values)) if distinct else len(values)
