"""The executable schema: the SDL of one naming convention, with the custom scalars' input
parsers and the served spellings mapped back to the engine's (hasura-default) ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphql
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    ValueNode,
    value_from_ast_untyped,
)

from runner.sandbox.naming import Naming
from runner.sandbox.scalars import parse_bigint, string_scalar
from runner.sandbox.sdl import ORDER_BY_VALUES, build_sdl
from runner.sandbox.tables import ENUMS

# Scalars Hasura sends to Postgres as text: any JSON string is taken as it is (Postgres
# parses it when the statement runs).
TEXT_SCALARS = ("uuid", "timestamp")


def build_control_plane_schema(naming: Naming | None = None) -> GraphQLSchema:
    """The executable schema for a naming convention (default: vendor)."""
    naming = naming or Naming("vendor")
    schema = graphql.build_schema(build_sdl(naming.convention))
    parsers: dict[str, Callable[[Any], Any]] = {
        **{name: string_scalar(name) for name in TEXT_SCALARS}, "bigint": parse_bigint}
    for name, parse in parsers.items():
        scalar = schema.type_map[name]
        assert isinstance(scalar, GraphQLScalarType)
        # graphql-core 3.3 calls coerce_input_value; older versions parse_value.
        scalar.coerce_input_value = parse
        scalar.parse_value = parse  # type: ignore[method-assign,assignment]
        scalar.parse_literal = _literal_parser(parse)  # type: ignore[method-assign]
    _map_to_canonical(schema, naming)
    return schema


def _literal_parser(parse: Callable[[Any], Any]) -> Callable[..., Any]:
    """A literal's parser whose refusal carries the literal's node (so the error's path
    points into the argument, as Hasura's does)."""
    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        try:
            return parse(value_from_ast_untyped(node, variables))
        except GraphQLError as err:
            raise GraphQLError(err.message, node) from None
    return parse_literal


def _map_to_canonical(schema: GraphQLSchema, naming: Naming) -> None:
    """graphql-default serves `pkColumns`, `ASC`, `STANDBY`...: coerced values carry the
    hasura-default names and the stored enum values, so the engine sees one spelling."""
    fields = naming.canonical_fields()
    stored = {naming.enum_value(v): v for values in (*ENUMS.values(), ORDER_BY_VALUES)
              for v in values}
    for gtype in schema.type_map.values():
        if gtype.name.startswith("__"):
            continue
        if isinstance(gtype, GraphQLInputObjectType):
            for name, field in gtype.fields.items():
                if name in fields:
                    field.out_name = fields[name]
        elif isinstance(gtype, GraphQLObjectType):
            for field_def in gtype.fields.values():
                for name, arg in field_def.args.items():
                    if name in fields:
                        arg.out_name = fields[name]
        elif isinstance(gtype, GraphQLEnumType) and naming.graphql_case:
            for name, value in gtype.values.items():
                if name in stored and not name.startswith("_"):
                    value.value = stored[name]


def enum_spellings(schema: GraphQLSchema) -> dict[str, tuple[str, ...]]:
    """Enum type name -> its values as served (for Hasura's "expected one of" message)."""
    return {name: tuple(t.values) for name, t in schema.type_map.items()
            if isinstance(t, GraphQLEnumType) and not name.startswith("__")}
