"""The positions-keeping safe YAML loader: positions, YAML 1.1 surprises, tags, limits."""

from __future__ import annotations

import pickle
import tracemalloc

import pytest

from runner.spec.model import Location
from runner.spec.yamlsafe import MAX_DEPTH, MAX_NODE_VISITS, load_documents


def load(text: str) -> tuple[list, list]:  # type: ignore[type-arg]
    return load_documents(text.encode(), "f.yaml")


def test_every_value_and_key_keeps_line_and_column() -> None:
    [doc], diags = load("a:\n  b: [1, 'x']\n  c:\n    - {d: true}\n")
    assert diags == []
    assert doc.value == {"a": {"b": [1, "x"], "c": [{"d": True}]}}
    assert doc.where(("a", "b", 1)) == Location("f.yaml", 2, 10)
    assert doc.where(("a", "c", 0, "d")) == Location("f.yaml", 4, 11)
    assert doc.key_where(("a", "c")) == Location("f.yaml", 3, 3)
    # Unknown paths fall back to the nearest recorded parent.
    assert doc.where(("a", "b", 7)) == Location("f.yaml", 2, 6)


def test_yaml_11_timestamps_and_sexagesimal_stay_text() -> None:
    [doc], diags = load(
        "t: 2026-12-01T08:00:00+01:00\nd: 2026-12-01\nhm: 18:00\noct: 0755\nhex: 0x1F\n"
    )
    assert diags == []
    assert doc.value == {
        "t": "2026-12-01T08:00:00+01:00",
        "d": "2026-12-01",
        "hm": "18:00",
        "oct": "0755",
        "hex": "0x1F",
    }


def test_only_true_and_false_are_booleans() -> None:
    [doc], diags = load("a: true\nb: False\nc: yes\nd: Off\ne: 'yes'\n")
    assert doc.value["a"] is True and doc.value["b"] is False and doc.value["e"] == "yes"
    assert [(d.code, d.location.line) for d in diags] == [("CMP105", 3), ("CMP105", 4)]


def test_keys_are_their_source_text() -> None:
    [doc], diags = load("on: 1\n2026-01-01: x\n1: y\n")
    assert diags == []
    assert list(doc.value) == ["on", "2026-01-01", "1"]


def test_python_tags_are_refused_and_never_constructed() -> None:
    [doc], diags = load(
        "a: !!python/object/apply:os.system ['touch /tmp/pwned-campaign']\n"
        "b: !!python/name:os.system\n"
    )
    assert doc.value == {"a": None, "b": None}
    assert [d.code for d in diags] == ["CMP106", "CMP106"]
    assert "python/object/apply" in diags[0].message


def test_duplicate_keys_name_the_first_occurrence() -> None:
    _, diags = load("a: 1\nb: 2\na: 3\n")
    [dup] = diags
    assert (dup.code, dup.location.line) == ("CMP104", 3)
    assert "line 1" in dup.message


def test_merge_keys_copy_unwritten_keys() -> None:
    [doc], diags = load("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n")
    assert diags == []
    assert doc.value["use"] == {"x": 1, "y": 3}


def test_alias_bomb_is_rejected_quickly_with_bounded_memory() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):  # 10**12 values if expanded
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    tracemalloc.start()
    docs, diags = load("\n".join(lines) + "\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert docs == []
    assert [d.code for d in diags] == ["CMP103"]
    assert str(MAX_NODE_VISITS) in diags[0].message
    # Memory stays bounded (an expansion of 10**12 values could never fit); the time it
    # takes is measured by bench/bench_validate.py, not asserted here.
    assert peak < 200 * 1024 * 1024


def test_recursive_alias_is_rejected() -> None:
    docs, diags = load("a: &a [*a]\n")
    assert docs == [] and [d.code for d in diags] == ["CMP103"]


def test_syntax_errors_point_at_the_problem() -> None:
    _, diags = load("a: 1\nb: [1, 2\nc: 3\n")
    [d] = diags
    assert d.code == "CMP100" and d.location.line >= 2


def test_empty_documents_are_skipped() -> None:
    docs, diags = load("---\n---\na: 1\n---\n")
    assert diags == [] and [d.value for d in docs] == [{"a": 1}]


def test_utf8_bom_is_accepted_and_other_encodings_are_refused() -> None:
    docs, diags = load_documents("\ufeffa: ø\n".encode(), "f.yaml")
    assert diags == [] and docs[0].value == {"a": "ø"}
    _, diags = load_documents("a: ø\n".encode("latin-1"), "f.yaml")
    assert [d.code for d in diags] == ["CMP109"]


# Mapping values that are strings are built without a call to the general path (most values
# are strings): positions, plain-scalar records and budgets must be those of any other value.
def _outcome(text: str) -> tuple[object, ...]:
    docs, diags = load(text)
    diagnostics = [(d.code, d.message, d.location) for d in diags]
    where = [(doc.where(path), doc.key_where(path)) for doc in docs for path in doc.values]
    return diagnostics, where, [set(doc.plain) for doc in docs], len(docs)


@pytest.mark.parametrize(
    "leaf", ["text", '"text"', "'text'", "|\n    text\n", "!!str text", "! text", "12", "[x]"]
)
def test_string_values_record_what_other_values_do(leaf: str) -> None:
    text = f"top:\n  first: {leaf}\n  second: 1\n"
    docs, diags = load(text)
    [doc] = docs
    assert diags == []
    assert doc.where(("top", "first")) == Location("f.yaml", 2, 10)
    assert doc.key_where(("top", "first")) == Location("f.yaml", 2, 3)
    second = text[: text.index("second")].count("\n") + 1
    assert doc.where(("top", "second")) == Location("f.yaml", second, 11)
    plain = leaf in ("text", "!!str text", "! text", "12")  # unquoted scalars
    assert (("top", "first") in doc.plain) is plain
    if plain and leaf != "12":
        assert doc.plain[("top", "first")] == ("tag:yaml.org,2002:str", "text")


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_string_leaves_have_the_depth_budget_of_other_leaves(depth: int) -> None:
    def nested(leaf: str) -> str:
        return "{k: " * depth + leaf + "}" * depth + "\n"

    string, number = _outcome(nested("text")), _outcome(nested("1"))
    assert string == number
    assert bool(string[0]) is (depth > MAX_DEPTH)


@pytest.mark.parametrize("keys", [MAX_NODE_VISITS - 1, MAX_NODE_VISITS])
def test_string_values_have_the_visit_budget_of_other_values(keys: int) -> None:
    # The mapping itself is one visit, each value one more.
    def mapping(value: str) -> str:
        return "".join(f"k{i}: {value}\n" for i in range(keys))

    string, number = _outcome(mapping("text")), _outcome(mapping("1"))
    assert string[0] == number[0] and string[3] == number[3]
    assert [code for code, _, _ in string[0]] == (["CMP103"] if keys == MAX_NODE_VISITS else [])


def test_campaign_locations_are_made_on_use_and_survive_pickling() -> None:
    from runner.spec import load_sources
    from tests.spec.corpus import BASE

    [campaign] = load_sources({"f.yaml": BASE}).campaigns
    copy = pickle.loads(pickle.dumps(campaign))
    assert copy.locations == campaign.locations == dict(campaign.locations)
    assert campaign.locations["spec.cameras[0].serial"] == Location("f.yaml", 8, 15)
    assert len(copy.locations) == len(campaign.locations) > 10
    again = pickle.loads(pickle.dumps(copy))  # once made, it pickles the same
    assert again.locations == campaign.locations
