"""Fast variable coercion for the common case; graphql-core stays the authority.

graphql-core's variable coercion is correct but slow on big inputs (a 13,000-row nested
insert spends most of its time there). `coerce_variables` handles the plain cases itself
(variables without operation defaults, no oneOf input types) and returns None for
anything else, so the caller falls back to graphql-core, which also words the errors.
With `numeric_strings` a string of digits is accepted for `Int` (the sandbox's default,
as Hasura v1 did); `numeric_strings_to_ints` applies the same rule before graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    VariableDefinitionNode,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource
from graphql.utilities.coerce_input_value import coerce_default_value
from graphql.utilities.type_from_ast import type_from_ast

from runner.sandbox.scalars import NUMERIC_STRING

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class _Fail(Exception):
    """The fast path cannot (or will not) decide: use graphql-core."""


Coercer = Callable[[Any], Any]


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Fail
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    else:
        raise _Fail
    if not _INT_MIN <= result <= _INT_MAX:
        raise _Fail
    return result


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Fail
    return float(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Fail
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Fail
    return value


def _id(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Fail


def _lenient_int(value: Any) -> int:
    if isinstance(value, str) and NUMERIC_STRING.fullmatch(value):
        return _int(int(value))
    return _int(value)


_BUILTIN: dict[str, Coercer] = {"Int": _int, "Float": _float, "String": _string,
                                "Boolean": _boolean, "ID": _id}


def numeric_strings_to_ints(schema: GraphQLSchema,
                            definitions: Collection[VariableDefinitionNode],
                            inputs: dict[str, Any]) -> dict[str, Any]:
    """Variables with every string of digits where an `Int` is expected turned into a
    number (the lenient mode's rule, applied before graphql-core coerces)."""
    def walk(type_: Any, value: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return walk(type_.of_type, value)
        if isinstance(type_, GraphQLList):
            if isinstance(value, list):
                return [walk(type_.of_type, v) for v in value]
            return walk(type_.of_type, value)
        if isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
            fields = type_.fields
            return {k: walk(fields[k].type, v) if k in fields else v for k, v in value.items()}
        if (isinstance(type_, GraphQLScalarType) and type_.name == "Int"
                and isinstance(value, str) and NUMERIC_STRING.fullmatch(value)):
            return int(value)
        return value

    out = dict(inputs)
    for definition in definitions:
        name = definition.variable.name.value
        if name in out:
            type_ = type_from_ast(schema, definition.type)
            if type_ is not None:
                out[name] = walk(type_, out[name])
    return out


class FastCoercion:
    """Compiles one coercer per input type of a schema, lazily."""

    def __init__(self, schema: GraphQLSchema, numeric_strings: bool = False) -> None:
        self.schema = schema
        self._builtin = {**_BUILTIN, "Int": _lenient_int} if numeric_strings else _BUILTIN
        self._compiled: dict[str, Coercer] = {}

    def coerce_variables(self, definitions: Collection[VariableDefinitionNode],
                         inputs: dict[str, Any]) -> VariableValues | None:
        """Coerced variables, or None when graphql-core should do it (errors included)."""
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        try:
            for definition in definitions:
                signature = get_variable_signature(self.schema, definition)
                name = definition.variable.name.value
                if isinstance(signature, GraphQLError):
                    return None
                if name not in inputs:
                    if definition.default_value is not None or isinstance(
                            signature.type, GraphQLNonNull):
                        return None  # defaults and "missing non-null" are graphql-core's
                    sources[name] = VariableValueSource(signature)  # omitted, as graphql-core
                    continue
                value = inputs[name]
                coerced[name] = self._coercer(signature.type)(value)
                sources[name] = VariableValueSource(signature, value)
        except (_Fail, RecursionError):
            return None
        return VariableValues(sources, coerced)

    def _coercer(self, type_: GraphQLInputType) -> Coercer:
        key = str(type_)
        found = self._compiled.get(key)
        if found is None:
            found = self._build(type_)
            self._compiled[key] = found
        return found

    def _build(self, type_: GraphQLInputType) -> Coercer:
        if isinstance(type_, GraphQLNonNull):
            inner_nn = self._coercer(type_.of_type)

            def non_null(value: Any) -> Any:
                if value is None:
                    raise _Fail
                return inner_nn(value)
            return non_null
        nullable = self._build_nullable(type_)

        def maybe_null(value: Any) -> Any:
            return None if value is None else nullable(value)
        return maybe_null

    def _build_nullable(self, type_: GraphQLInputType) -> Coercer:
        if isinstance(type_, GraphQLList):
            item = self._coercer(type_.of_type)

            def as_list(value: Any) -> list[Any]:
                if isinstance(value, list):
                    return [item(v) for v in value]
                return [item(value)]  # a single value where a list is expected
            return as_list
        if isinstance(type_, GraphQLInputObjectType):
            return self._input_object(type_)
        if isinstance(type_, GraphQLEnumType):
            values = {name: v.value for name, v in type_.values.items()}

            def enum(value: Any) -> Any:
                if not isinstance(value, str) or value not in values:
                    raise _Fail
                return values[value]
            return enum
        if isinstance(type_, GraphQLScalarType):
            builtin = self._builtin.get(type_.name)
            if builtin is not None:
                return builtin
            parse = type_.coerce_input_value

            def custom(value: Any) -> Any:
                try:
                    result = parse(value)
                except Exception:  # the scalar's own refusal: let graphql-core word it
                    raise _Fail from None
                if result is Undefined:
                    raise _Fail
                return result
            return custom
        raise _Fail

    def _input_object(self, type_: GraphQLInputObjectType) -> Coercer:
        fields = type_.fields
        if type_.is_one_of:
            return _refuse  # oneOf rules: graphql-core's business
        defaults = {name: coerce_default_value(f) for name, f in fields.items()}
        required = frozenset(name for name, f in fields.items()
                             if isinstance(f.type, GraphQLNonNull)
                             and defaults[name] is Undefined)
        names = tuple(fields)
        out_names = {name: f.out_name or name for name, f in fields.items()}
        coercers: dict[str, Coercer] = {}

        def field_coercer(name: str) -> Coercer:
            found = coercers.get(name)
            if found is None:
                found = coercers[name] = self._coercer(fields[name].type)
            return found

        field_names = frozenset(fields)
        # Fields with a default the input may omit (Hasura's inputs have none, in practice).
        defaulted = tuple((name, out_names[name], defaults[name]) for name in names
                          if defaults[name] is not Undefined)

        def input_object(value: Any) -> dict[str, Any]:
            # Over the given keys only (a 15-field insert input usually gets 8 of them).
            if not isinstance(value, dict) or not value.keys() <= field_names:
                raise _Fail
            if required and not required <= value.keys():
                raise _Fail
            out = {out_names[name]: (coercers.get(name) or field_coercer(name))(item)
                   for name, item in value.items()}
            for name, out_name, default in defaulted:
                if name not in value:
                    out[out_name] = default
            return out
        return input_object


def _refuse(value: Any) -> Any:
    raise _Fail
