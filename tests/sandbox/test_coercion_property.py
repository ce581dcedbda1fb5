"""Property: the fast variable coercion agrees with graphql-core whenever it answers."""

from __future__ import annotations

from typing import Any

import graphql
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql.execution.values import get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.sandbox.coerce import FastCoercion, numeric_strings_to_ints
from runner.sandbox.naming import Naming
from runner.sandbox.schema import TEXT_SCALARS, build_control_plane_schema
from runner.sandbox.tables import TABLES

SCHEMA = build_control_plane_schema()
FAST = FastCoercion(SCHEMA, text_scalars=TEXT_SCALARS)
LENIENT = FastCoercion(SCHEMA, numeric_strings=True, text_scalars=TEXT_SCALARS)
OPERATION = graphql.parse("""
mutation($objects: [RecordingSession_insert_input!]!, $oc: RecordingSession_on_conflict,
         $w: Camera_bool_exp, $n: Int, $big: bigint, $ts: timestamp!, $ids: [uuid!],
         $f: Boolean) {
  insertRecordingSessions(objects: $objects, on_conflict: $oc) { affected_rows }
  cameras(where: $w, limit: $n) @include(if: $f) { id }
  storages(where: {totalSize: {_gt: $big}, id: {_in: $ids}}) { id }
  recordingSessions(where: {startDate: {_lt: $ts}}) { id }
}""").definitions[0]
assert isinstance(OPERATION, graphql.OperationDefinitionNode)
DEFINITIONS = OPERATION.variable_definitions or ()

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40),
                 st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
                 st.just([]), st.just({}), st.just({"bogus": 1}))


def values_for(type_: GraphQLInputType, junk: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for `type_`: well-typed ones, plus (with junk=True) anything at any level."""
    valid = _valid(type_, junk, depth)
    return st.one_of(valid, JUNK) if junk else valid


def _valid(type_: GraphQLInputType, junk: bool, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLNonNull):
        return _valid(type_.of_type, junk, depth)
    if isinstance(type_, GraphQLList):
        item = values_for(type_.of_type, junk, depth + 1)
        return st.one_of(st.lists(item, max_size=3), item)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(list(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return {
            "Int": st.one_of(st.integers(-1000, 10**6), st.integers(-(2**31) - 2, 2**31 + 1),
                             st.integers(-(2**31) - 2, 2**31 + 1).map(str)),
            "Float": st.floats(allow_nan=False, allow_infinity=False),
            "String": st.text(max_size=8), "Boolean": st.booleans(),
            "uuid": st.uuids().map(str), "timestamp": st.just("2026-12-01T08:00:00"),
            "bigint": st.one_of(st.integers(-(2**62), 2**62), st.just("12345")),
        }[type_.name]
    assert isinstance(type_, GraphQLInputObjectType)
    if depth > 3:
        return st.just({})
    required = {name for name, f in type_.fields.items()
                if isinstance(f.type, GraphQLNonNull) and f.default is None}
    fields = {name: values_for(f.type, junk, depth + 1) for name, f in type_.fields.items()}
    return st.fixed_dictionaries({k: v for k, v in fields.items() if k in required},
                                 optional={k: v for k, v in fields.items()
                                           if k not in required})


def inputs(junk: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Variables for OPERATION; $objects and $ts always present."""
    variables = {d.variable.name.value: values_for(
        graphql.type_from_ast(SCHEMA, d.type), junk)  # type: ignore[arg-type]
        for d in DEFINITIONS}
    required = ("objects", "ts")
    return st.fixed_dictionaries({k: variables[k] for k in required},
                                 optional={k: v for k, v in variables.items()
                                           if k not in required})


@settings(max_examples=300, deadline=None)
@given(variables=inputs(junk=True))
def test_fast_coercion_agrees_with_graphql_core(variables: dict[str, Any]) -> None:
    reference = get_variable_values(SCHEMA, DEFINITIONS, variables)
    fast = FAST.coerce_variables(DEFINITIONS, variables)
    if fast is None:
        return  # graphql-core decides (and words the errors)
    assert not isinstance(reference, list), (variables, [e.message for e in reference])
    assert fast.coerced == reference.coerced


@settings(max_examples=300, deadline=None)
@given(variables=inputs(junk=False))
def test_fast_coercion_answers_well_typed_input(variables: dict[str, Any]) -> None:
    reference = get_variable_values(SCHEMA, DEFINITIONS, variables)
    fast = FAST.coerce_variables(DEFINITIONS, variables)
    if isinstance(reference, list):
        assert fast is None  # e.g. an Int out of 32-bit range
        return
    assert fast is not None, variables
    assert fast.coerced == reference.coerced


def test_fast_coercion_answers_the_plain_big_insert() -> None:
    row = {"name": "s", "startDate": "2026-12-01T08:00:00", "endDate": "2026-12-01T09:00:00",
           "mode": "Storage", "state": "Stopped", "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
           "records": {"data": [{"cameraId": "00000000-0000-4000-8000-000000000001"}]}}
    inputs = {"objects": [row] * 50, "ts": "2026-12-01T08:00:00"}
    fast = FAST.coerce_variables(DEFINITIONS, inputs)
    assert fast is not None  # the fast path is really used for the common shape
    reference = get_variable_values(SCHEMA, DEFINITIONS, inputs)
    assert not isinstance(reference, list) and fast.coerced == reference.coerced


@settings(max_examples=300, deadline=None)
@given(variables=inputs(junk=True))
def test_lenient_fast_coercion_agrees_with_lenient_graphql_core(
        variables: dict[str, Any]) -> None:
    # The default (non-strict) sandbox: numeric strings for Int on both paths.
    reference = get_variable_values(SCHEMA, DEFINITIONS,
                                    numeric_strings_to_ints(SCHEMA, DEFINITIONS, variables))
    fast = LENIENT.coerce_variables(DEFINITIONS, variables)
    if fast is None:
        return
    assert not isinstance(reference, list), (variables, [e.message for e in reference])
    assert fast.coerced == reference.coerced


def _graphql_default_operation() -> tuple[Any, Any]:
    """The schema of the graphql-default naming (renamed fields, enum values spelled apart
    from the stored ones) and an insert operation on it."""
    names = Naming("graphql-default")
    schema = build_control_plane_schema(names)
    insert = names.root_fields(TABLES["RecordingSession"])["insert_many"]
    operation = graphql.parse(f"""
    mutation($objects: [{names.type("RecordingSession", "insert_input")}!]!,
             $oc: {names.type("RecordingSession", "on_conflict")}) {{
      {insert}(objects: $objects, {names.field("on_conflict")}: $oc) {{
        {names.field("affected_rows")} }}
    }}""").definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    return schema, operation.variable_definitions or ()


CAMEL_SCHEMA, CAMEL_DEFINITIONS = _graphql_default_operation()
CAMEL = FastCoercion(CAMEL_SCHEMA, text_scalars=TEXT_SCALARS)


@settings(max_examples=300, deadline=None)
@given(variables=st.fixed_dictionaries(
    {"objects": values_for(graphql.type_from_ast(CAMEL_SCHEMA, CAMEL_DEFINITIONS[0].type),
                           junk=False)},
    optional={"oc": values_for(graphql.type_from_ast(CAMEL_SCHEMA, CAMEL_DEFINITIONS[1].type),
                               junk=True)}))
def test_fast_coercion_renames_as_graphql_core(variables: dict[str, Any]) -> None:
    # graphql-default: fields renamed to the engine's spelling, enum values to stored ones.
    reference = get_variable_values(CAMEL_SCHEMA, CAMEL_DEFINITIONS, variables)
    fast = CAMEL.coerce_variables(CAMEL_DEFINITIONS, variables)
    if fast is None:
        return
    assert not isinstance(reference, list), (variables, [e.message for e in reference])
    assert fast.coerced == reference.coerced
