"""Property: no mutation of a valid campaign file makes the loader raise or fail internally."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.spec import load_sources

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "campaigns").glob("*.yaml"))
TEXTS = [p.read_text() for p in EXAMPLES]
NOW = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

# Characters and fragments that change YAML structure or meaning.
FRAGMENTS = [
    ":",
    "-",
    " ",
    "\n",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!python/tuple ",
    "!x ",
    "'",
    '"',
    "#",
    "|",
    ">",
    "? ",
    "<<: ",
    "yes",
    "0x1F",
    "0755",
    "18:00",
    "~",
    "2026-13-45",
    "P1M",
    "-1",
    "1e9",
    "99999999999999999999",
    "\x00",
    "é",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "password: x\n",
    "{}",
    "[]",
    "null",
    "true",
    ".inf",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["insert", "delete", "replace", "drop-line", "dup-line", "swap"]))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        if op == "insert":
            text = text[:pos] + draw(st.sampled_from(FRAGMENTS)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif op == "replace":
            text = text[:pos] + draw(st.text(max_size=8)) + text[pos + 1 :]
        else:
            i = draw(st.integers(0, len(lines) - 1))
            if op == "drop-line":
                del lines[i]
            elif op == "dup-line":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_raise(text: str) -> None:
    result = load_sources({"m.yaml": text}, now=NOW)
    for d in result.diagnostics:
        assert d.code != "CMP199", d.message  # an internal error is a bug in a check
        assert d.location is not None and d.location.line >= 1 and d.location.column >= 1
        assert d.severity in ("error", "warning") and d.message and "\n" not in d.message
    # A file either loads campaigns or says why not.
    assert result.campaigns or result.diagnostics or text.strip() == "" or result.documents == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    result = load_sources({"b.yaml": data}, now=NOW)
    assert all(d.code != "CMP199" for d in result.diagnostics)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=True)
        | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "apiVersion",
                        "kind",
                        "metadata",
                        "spec",
                        "name",
                        "cameras",
                        "window",
                        "streams",
                        "every",
                        "start",
                        "end",
                        "rules",
                        "bursts",
                        "serial",
                        "model",
                        "when",
                        "x",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=30,
    )
)
def test_arbitrary_structures_never_raise(value: object) -> None:
    import json

    # JSON is YAML: any JSON structure is a well-formed document with odd shapes.
    result = load_sources({"s.yaml": json.dumps(value, default=str)}, now=NOW)
    assert all(d.code != "CMP199" for d in result.diagnostics)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fast_and_reference_schema_validators_agree(text: str) -> None:
    # The fast path (jsonschema-rs) decides "valid" alone, so it must never disagree with
    # python-jsonschema, which produces the diagnostics.
    import jsonschema_rs

    from runner.spec.schema import _validator, schema
    from runner.spec.yamlsafe import load_documents

    fast = jsonschema_rs.validator_for(schema())
    docs, _ = load_documents(text.encode(), "m.yaml")
    for doc in docs:
        assert fast.is_valid(doc.value) == _validator().is_valid(doc.value)
