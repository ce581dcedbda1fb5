"""The JSON Schema itself: a valid 2020-12 schema whose examples validate against their own part."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "campaign.schema.json").read_text()
)


def subschemas(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from subschemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from subschemas(value, f"{path}/{i}")


def test_schema_is_valid_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_every_example_is_valid_for_its_subschema() -> None:
    checked = 0
    for path, node in subschemas(SCHEMA):
        examples = node.get("examples")
        if not isinstance(examples, list) or "properties" in path.rsplit("/", 1)[-1:]:
            continue
        # Validate against the subschema with the root's $defs in scope for its $refs.
        sub = {**node, "$defs": SCHEMA["$defs"]}
        validator = Draft202012Validator(sub)
        for example in examples:
            assert validator.is_valid(example), (path, example)
            checked += 1
    assert checked >= 20


def test_every_property_has_a_description_or_reference() -> None:
    missing = []
    for path, node in subschemas(SCHEMA):
        for name, prop in (
            node.get("properties", {}).items() if isinstance(node.get("properties"), dict) else []
        ):
            if isinstance(prop, dict) and not ({"description", "$ref"} & set(prop)):
                missing.append(f"{path}/properties/{name}")
    # Nested helper objects (tags {all, any, none}, ranges {min, max}) are self-explanatory.
    assert all(
        p.rsplit("/", 1)[-1] in {"all", "any", "none", "min", "max", "add", "remove"}
        for p in missing
    ), missing


def test_enums_have_one_definition_that_schema_and_capability_table_follow() -> None:
    from runner.spec.capabilities import (
        CAMERA_MODELS,
        STREAM_ENCODERS,
        STREAM_TYPES,
        default_capabilities,
    )

    defs = SCHEMA["$defs"]
    assert tuple(defs["camera"]["properties"]["model"]["enum"]) == CAMERA_MODELS
    assert tuple(defs["stream_type"]["enum"]) == STREAM_TYPES
    assert tuple(defs["stream_alignTo"]["enum"]) == STREAM_TYPES
    assert tuple(defs["stream_encoder"]["enum"]) == STREAM_ENCODERS
    table = default_capabilities()
    assert tuple(table) == CAMERA_MODELS
    assert all(set(caps.streams) <= set(STREAM_TYPES) for caps in table.values())
