"""The JSON Schema (schemas/campaign.schema.json) and turning its errors into diagnostics."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from runner.resources import schema_file
from runner.spec.diagnostics import Diagnostic
from runner.spec.yamlsafe import Document, Path

SCHEMA_PATH = schema_file("campaign.schema.json")

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


@lru_cache(maxsize=1)
def schema_text() -> str:
    """The schema file's text (what `campaign schema` prints)."""
    return SCHEMA_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The parsed schema."""
    value: dict[str, Any] = json.loads(schema_text())
    return value


@lru_cache(maxsize=1)
def _validator() -> Any:
    # Building a validator resolves $refs; do it once per process. Refs are inlined first
    # (the schema has no recursion): ref lookups were half of jsonschema's time.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_inline_refs(schema(), schema()["$defs"]))


@lru_cache(maxsize=1)
def _fast_is_valid() -> Any:
    """jsonschema-rs's compiled validator (about 100x faster) for the common all-valid case.

    Errors are still produced by python-jsonschema, whose error objects carry the schema
    keyword and path we turn into diagnostics. jsonschema-rs is a required dependency.
    """
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema()).is_valid


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline_refs(defs[ref[len("#/$defs/") :]], defs)
            return {**target, **{k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}}
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@lru_cache(maxsize=65536)
def dotted(path: Path) -> str:
    """("spec", "cameras", 0, "serial") -> "spec.cameras[0].serial"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "the document"


def suggest(word: str, choices: Any) -> str | None:
    """The closest known word, for did-you-mean hints."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def schema_diagnostics(
    doc: Document, skip_keys: set[Path], broken: set[Path] | None = None
) -> list[Diagnostic]:
    """Validate one document against the schema; one diagnostic per problem, sorted by position.

    Paths of invalid values are added to `broken` so later checks can skip those parts.
    """
    if _fast_is_valid()(doc.value):  # fast path: most documents are valid
        return []
    validator = _validator()
    out: list[Diagnostic] = []
    for error in _leaves(validator.iter_errors(doc.value)):
        path: Path = tuple(error.absolute_path)
        if broken is not None:
            broken.update(_broken_paths(error, path))
        if path in doc.reported:
            continue
        out.extend(_convert(error, path, doc, skip_keys))
    out.sort(
        key=lambda d: (d.location.line, d.location.column, d.code) if d.location else (0, 0, d.code)
    )
    # The same problem can surface through several subschemas; report it once.
    unique: dict[tuple[Any, ...], Diagnostic] = {}
    for d in out:
        unique.setdefault((d.location, d.code, d.message), d)
    return list(unique.values())


def _broken_paths(error: Any, path: Path) -> list[Path]:
    # A missing or unknown key breaks only that key, not its siblings.
    if error.validator == "required" and isinstance(error.instance, dict):
        return [(*path, k) for k in error.validator_value if k not in error.instance]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return [(*path, k) for k in error.instance if k not in known]
    return [path]


def _leaves(errors: Iterator[Any]) -> Iterator[Any]:
    """Replace anyOf/oneOf errors by their most relevant sub-error when that is clearer."""
    from jsonschema.exceptions import best_match

    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
            if deeper:
                # Every problem of the most plausible alternative, not just the first one.
                branch = best_match(deeper).relative_schema_path[0]
                yield from (e for e in deeper if e.relative_schema_path[0] == branch)
                continue
        yield error


def _convert(error: Any, path: Path, doc: Document, skip_keys: set[Path]) -> list[Diagnostic]:
    kind = error.validator
    where = doc.where(path)
    field = dotted(path)
    instance = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        diags = []
        for key in instance:
            if key in known or (*path, key) in skip_keys:
                continue
            guess = suggest(key, known)
            hint = (
                f"did you mean {guess!r}?" if guess else f"known keys: {', '.join(sorted(known))}"
            )
            diags.append(
                Diagnostic(
                    doc.key_where((*path, key)),
                    "error",
                    "CMP110",
                    f"unknown key {key!r} in {field}",
                    hint,
                )
            )
        return diags
    if kind == "required":
        missing = [
            k for k in error.validator_value if isinstance(instance, dict) and k not in instance
        ]
        return [
            Diagnostic(
                where,
                "error",
                "CMP111",
                f"{field} is missing required key {k!r}",
                f"add `{k}:` to {field}",
            )
            for k in missing
        ]
    if kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        plain = doc.plain.get(path)
        if plain and isinstance(instance, str) and plain[0].endswith((":int", ":float")):
            return [
                Diagnostic(
                    where,
                    "error",
                    "CMP108",
                    f"{field}: {instance!r} is an octal/hex/sexagesimal number in YAML 1.1",
                    f'write a plain decimal number, or quote it ("{instance}") for text',
                )
            ]
        if "string" in names and plain is not None and not isinstance(instance, str):
            return [
                Diagnostic(
                    where,
                    "error",
                    "CMP112",
                    f"{field} must be {want}, got {plain[1]!r} (read as {_yaml_type(plain[0])})",
                    f'quote it: "{plain[1]}"',
                )
            ]
        hint = error.schema.get("description") or f"write {want} here"
        return [
            Diagnostic(
                where, "error", "CMP112", f"{field} must be {want}, got {_type_of(instance)}", hint
            )
        ]
    if kind == "const":
        code = {"apiVersion": "CMP114", "kind": "CMP115"}.get(field, "CMP113")
        return [
            Diagnostic(
                where,
                "error",
                code,
                f"{field} must be {error.validator_value!r}, got {_show(instance)}",
                f"write `{field}: {error.validator_value}`",
            )
        ]
    if kind == "enum":
        allowed = list(error.validator_value)
        guess = suggest(instance, allowed) if isinstance(instance, str) else None
        hint = (
            f"did you mean {guess!r}?" if guess else "use one of: " + ", ".join(map(str, allowed))
        )
        return [
            Diagnostic(
                where,
                "error",
                "CMP113",
                f"{field}: {_show(instance)} is not one of {', '.join(map(str, allowed))}",
                hint,
            )
        ]
    if kind == "pattern":
        return [_pattern(path, field, instance, where)]
    if kind in ("anyOf", "oneOf"):
        return [
            Diagnostic(
                where,
                "error",
                "CMP112",
                f"{field}: {_show(instance)} has the wrong form",
                _describe(error.schema),
            )
        ]
    if kind == "propertyNames":
        return [
            Diagnostic(
                where,
                "error",
                "CMP113",
                f"{field}: invalid key {_show(instance)}",
                "keys are letters, digits, '.', '_', '-' (start with a letter or digit)",
            )
        ]
    # minimum/maximum/minItems/maxItems/uniqueItems/minLength/maxLength/minProperties
    message = error.message if len(error.message) <= 120 else error.message[:117] + "..."
    return [Diagnostic(where, "error", "CMP113", f"{field}: {message}", _describe(error.schema))]


def _pattern(path: Path, field: str, instance: Any, where: Any) -> Diagnostic:
    if path == ("metadata", "name"):
        hint = (
            "use lowercase letters, digits and '-', start and end with a letter or digit, "
            "at most 63 characters ('#' is reserved for session names)"
        )
        return Diagnostic(
            where, "error", "CMP119", f"invalid campaign name {_show(instance)}", hint
        )
    if path and path[-1] in ("from", "to"):
        return Diagnostic(
            where,
            "error",
            "CMP210",
            f"{field}: {_show(instance)} is not a time of day",
            'write a quoted 24-hour time such as "08:00"',
        )
    return Diagnostic(
        where,
        "error",
        "CMP113",
        f"{field}: {_show(instance)} has an invalid format",
        "see `campaign schema` for the allowed form",
    )


def _describe(schema: dict[str, Any]) -> str:
    text = schema.get("description")
    if isinstance(text, str) and text:
        return text
    return "see `campaign schema` for the allowed form"


def _type_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"the string {_show(value)}"


def _yaml_type(tag: str) -> str:
    return {
        "int": "a number",
        "float": "a number",
        "bool": "a boolean",
        "null": "null",
        "timestamp": "a timestamp",
    }.get(tag.rsplit(":", 1)[-1], tag)
