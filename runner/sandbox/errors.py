"""Hasura's error shape, and graphql-core's wording translated into Hasura's.

Hasura answers HTTP 200 with `{"errors": [{"message", "extensions": {"path", "code"}}]}`;
messages follow its parser (`server/lib/schema-parsers` in hasura/graphql-engine): names and
types in single quotes, values described as "a string", "a number", ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


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


def _scientific(value: int | float) -> str:
    """A number as Haskell's `show` prints a Scientific (Hasura quotes numbers so)."""
    number = Decimal(str(value)).normalize()
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent  # digits before the decimal point
    if 0 <= point <= 7 and exponent >= -7 - len(text):
        if point == 0:
            out = "0." + text
        elif exponent >= 0:
            out = text + "0" * exponent + ".0"
        else:
            out = text[:point] + "." + text[point:]
    else:
        out = f"{text[0]}.{text[1:] or '0'}e{point - 1}"
    return ("-" if sign else "") + out


def bounds_message(value: int | float) -> str:
    """Hasura's words for a number that does not fit its integer type (parse-failed)."""
    return (f"The value {_scientific(value)} lies outside the bounds or is not an integer. "
            "Maybe it is a float, or is there integer overflow?")


def code_of(message: str) -> str:
    """The Hasura code for a (translated) input error message."""
    if "lies outside the bounds" in message:
        return "parse-failed"
    if message.startswith(("invalid input syntax", "invalid byte sequence", "value \"",
                           "date/time field value", "timestamp out of range")):
        return "data-exception"
    return "validation-failed"


class Translator:
    """Rewrites graphql-core messages in Hasura's words; `enums` maps an enum type's
    name to its values as the schema spells them."""

    def __init__(self, enums: Mapping[str, Sequence[str]]) -> None:
        self.enums = enums

    def message(self, message: str) -> str:
        """Hasura's wording for one graphql-core message (unknown ones pass unchanged)."""
        m = re.search(r"(?:Cannot query field|Field) '(\w+)' (?:on type|is not defined by "
                      r"type) '(\w+)'", message)
        if m:
            return f"field '{m[1]}' not found in type: '{m[2]}'"
        m = re.search(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'", message)
        if m:
            return f"'{m[2]}' has no argument named '{m[1]}'"
        m = re.search(r"Expected value of type '(\w+)!?' not to include unknown field '(\w+)'",
                      message)
        if m:
            return f"field '{m[2]}' not found in type: '{m[1]}'"
        m = re.search(r"Value '?\"?([^'\"]*)'?\"? does not exist in '(\w+)' enum", message)
        if m:
            values = ", ".join(f"'{v}'" for v in self.enums.get(m[2], ()))
            return (f"expected one of the values [{values}] for type '{m[2]}', but found "
                    f"'{m[1]}'")
        m = re.search(r"Enum '(\w+)' cannot represent non-enum value: (.*)", message)
        if m:
            return f"expected an enum value for type '{m[1]}', but found {_kind(m[2])}"
        m = re.search(r"Int cannot represent non 32-bit signed integer value: (-?\d+)", message)
        if m:
            return bounds_message(int(m[1]))
        m = re.search(r"Int cannot represent non-integer value: (.*)", message)
        if m:
            return f"expected a 32-bit integer for type 'Int', but found {_kind(m[1])}"
        m = re.search(r"(String|Boolean|Float) cannot represent a non \w+ value: (.*)", message)
        if m:
            article = {"String": "a string", "Boolean": "a boolean", "Float": "a float"}[m[1]]
            return f"expected {article} for type '{m[1]}', but found {_kind(m[2])}"
        m = re.search(r"Field '(\w+)' of required type '(.+)' was not provided", message)
        if m:
            return f'missing required field "{m[1]}"'
        m = re.search(r"Expected value of type '(.+)', found (.*?)(?:;|$)", message)
        if m and m[2].strip().rstrip(".") == "null":
            return f"unexpected null value for type '{m[1].rstrip('!')}'"
        m = re.search(r"Expected type '[^']+'\. (.*)", message, re.S)
        if m:  # a custom scalar's own refusal, already in Hasura's words
            return m[1]
        m = re.search(r"Variable '\$(\w+)' of type '(.+)' used in position expecting type "
                      r"'(.+)'\.", message)
        if m:
            return (f"variable '{m[1]}' is declared as '{m[2]}', but used where '{m[3]}' "
                    "is expected")
        return message

    def validation_error(self, err: GraphQLError, document: DocumentNode | None) -> HasuraError:
        """One graphql-core validation or coercion error as Hasura reports it."""
        message = err.message
        m = re.match(r"Variable '\$(\w+)' (?:has|got) invalid value(?: [^;]*)?[;:] (.*)",
                     message, re.S)
        if m:
            if "Expected a value of non-null type" in m[2] or "must not be null" in m[2]:
                return HasuraError(f'expecting a value for non-nullable variable: "{m[1]}"',
                                   "validation-failed", "$")
            text = self.message(m[2])
            return HasuraError(text, code_of(text), f"$.variableValues.{m[1]}")
        m = re.match(r"Variable '\$(\w+)' of (?:required|non-null) type '.+' was not provided",
                     message)
        if m:
            return HasuraError(f'expecting a value for non-nullable variable: "{m[1]}"',
                               "validation-failed", "$")
        text = self.message(message)
        # A variable used in the wrong place is reported where it is used.
        node = err.nodes[-1] if err.nodes and "used in position" in message else None
        return HasuraError(text, code_of(text), path_of(err, document, node))


def _kind(rendered: str) -> str:
    """graphql-core's printed value -> Hasura's description of it."""
    text = rendered.strip().rstrip(".")
    if text.startswith(("'", '"')):
        return "a string"
    if text in ("true", "false", "True", "False"):
        return "a boolean"
    if text in ("null", "None"):
        return "null"
    if text.startswith("["):
        return "a list"
    if text.startswith("{"):
        return "an object"
    if re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text):
        return "a number"
    return "an enum value"


def path_of(err: GraphQLError, document: DocumentNode | None, target: Any = None) -> str:
    """Hasura-style `$.selectionSet.a.selectionSet.b` for the field holding the error."""
    if target is None:
        if not err.nodes or document is None:
            return "$"
        target = err.nodes[0]
    if document is None:
        return "$"
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
