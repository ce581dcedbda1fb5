"""Fast variable coercion for the common case; graphql-core stays the authority.

graphql-core's variable coercion is correct but slow on big inputs (a 13,000-row nested
insert spends most of its time there). `coerce_variables` handles the plain cases itself
(variables without operation defaults, no oneOf input types) and returns None for
anything else, so the caller falls back to graphql-core, which also words the errors.
With `numeric_strings` a string of digits is accepted for `Int` (the sandbox's default,
as Hasura v1 did); `numeric_strings_to_ints` applies the same rule before graphql-core.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Container
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


class _NoFastPath:
    """The fast-path type of fields that always take their coercer (no value is one)."""


class FastCoercion:
    """Compiles one coercer per input type of a schema, lazily.

    `text_scalars` names custom scalars whose parser takes any JSON string as it is (the
    sandbox's uuid and timestamp): a string for one needs no call to the parser.
    """

    def __init__(self, schema: GraphQLSchema, numeric_strings: bool = False,
                 text_scalars: Collection[str] = ()) -> None:
        self.schema = schema
        self._builtin = {**_BUILTIN, "Int": _lenient_int} if numeric_strings else _BUILTIN
        self._text_scalars = frozenset(text_scalars)
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
        """A coercer for `type_`, null included (input objects and lists check it
        themselves: one call per value fewer)."""
        non_null = isinstance(type_, GraphQLNonNull)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLInputObjectType):
            return self._input_object(inner, non_null)
        if isinstance(inner, GraphQLList):
            return self._list(inner, non_null)
        nullable = self._build_nullable(inner)
        if non_null:
            def non_null_value(value: Any) -> Any:
                if value is None:
                    raise _Fail
                return nullable(value)
            return non_null_value

        def maybe_null(value: Any) -> Any:
            return None if value is None else nullable(value)
        return maybe_null

    def _list(self, type_: GraphQLList[Any], non_null: bool) -> Coercer:
        item = self._coercer(type_.of_type)
        fast_type, fast_values = self._fast_path(type_.of_type)

        def as_list(value: Any) -> list[Any] | None:
            if value is None:
                if non_null:
                    raise _Fail
                return None
            if not isinstance(value, list):
                return [item(value)]  # a single value where a list is expected
            if fast_type is not _NoFastPath:  # e.g. an on_conflict's update_columns
                coerced = [v if type(v) is fast_type and (fast_values is None or v in fast_values)
                           else item(v) for v in value]
            else:
                coerced = [item(v) for v in value]
            # The list itself if every item is (so the object holding it need not be copied).
            return value if all(map(operator.is_, coerced, value)) else coerced
        return as_list

    def _build_nullable(self, type_: GraphQLInputType) -> Coercer:
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

    def _fast_path(self, type_: GraphQLInputType) -> tuple[type, Container[Any] | None]:
        """(T, values) such that a field value of exactly type T (and in `values`, if given)
        is its own coercion: the input object keeps it without a call."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type  # null is never of the fast type: it takes the coercer
        if isinstance(type_, GraphQLEnumType):
            if all(v.value == name for name, v in type_.values.items()):
                return str, frozenset(type_.values)
        elif isinstance(type_, GraphQLScalarType):
            if type_.name in self._text_scalars:
                return str, None
            if type_.name in _BUILTIN:  # Int: 32 bits; a float or (lenient) a string is not
                return _FAST_BUILTIN[type_.name]
        return _NoFastPath, None

    def _input_object(self, type_: GraphQLInputObjectType, non_null: bool) -> Coercer:
        fields = type_.fields
        if type_.is_one_of:
            return _refuse  # oneOf rules: graphql-core's business
        defaults = {name: coerce_default_value(f) for name, f in fields.items()}
        required = frozenset(name for name, f in fields.items()
                             if isinstance(f.type, GraphQLNonNull)
                             and defaults[name] is Undefined)
        # Per field given: (out name, fast-path type and values, coercer); built on first
        # use, since input types refer to themselves (`_and: [T_bool_exp!]`).
        specs: dict[str, tuple[str, type, Container[Any] | None, Coercer]] = {}

        def spec(name: str) -> tuple[str, type, Container[Any] | None, Coercer]:
            field = fields.get(name)
            if field is None:
                raise _Fail  # not a field of the type
            fast_type, fast_values = self._fast_path(field.type)
            found = specs[name] = (field.out_name or name, fast_type, fast_values,
                                   self._coercer(field.type))
            return found

        # Fields with a default the input may omit (Hasura's inputs have none, in practice).
        defaulted = tuple((name, fields[name].out_name or name, defaults[name])
                          for name in fields if defaults[name] is not Undefined)

        renamed = any(f.out_name not in (None, name) for name, f in fields.items())

        def input_object(value: Any) -> dict[str, Any] | None:
            if value is None:
                if non_null:
                    raise _Fail
                return None
            if not isinstance(value, dict) or (required and not required <= value.keys()):
                raise _Fail
            if renamed:
                return renaming(value)
            # The value itself while every field is its own coercion (what clients send),
            # else a copy: the same keys in the same order, coerced values in place.
            out: dict[str, Any] | None = None
            # Over the given keys only (a 15-field insert input usually gets 8 of them).
            for name, item in value.items():
                _, fast_type, fast_values, coerce = specs.get(name) or spec(name)
                if type(item) is fast_type and (fast_values is None or item in fast_values):
                    continue
                coerced = coerce(item)
                if coerced is not item:
                    if out is None:
                        out = dict(value)
                    out[name] = coerced
            for name, _, default in defaulted:
                if name not in value:
                    if out is None:
                        out = dict(value)
                    out[name] = default
            return value if out is None else out

        def renaming(value: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, item in value.items():
                out_name, fast_type, fast_values, coerce = specs.get(name) or spec(name)
                if type(item) is fast_type and (fast_values is None or item in fast_values):
                    out[out_name] = item
                else:
                    out[out_name] = coerce(item)
            for name, out_name, default in defaulted:
                if name not in value:
                    out[out_name] = default
            return out
        return input_object


_FAST_BUILTIN: dict[str, tuple[type, Container[Any] | None]] = {
    "Int": (int, range(_INT_MIN, _INT_MAX + 1)), "Float": (float, None), "String": (str, None),
    "Boolean": (bool, None), "ID": (str, None)}


def _refuse(value: Any) -> Any:
    raise _Fail
