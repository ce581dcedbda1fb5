"""Property: `where` filters select exactly the rows a reference evaluator of Hasura's
bool_exp semantics selects (random expressions over the demo cameras)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.sandbox.app import create_app
from runner.sandbox.seed import DEMO_CAMERAS

ROWS = [{"model": m, "serial": s, "deviceId": d} for m, s, d in DEMO_CAMERAS]
STRINGS = sorted({r["serial"] for r in ROWS} | {r["deviceId"] for r in ROWS}
                 | {"", "8", "dev_lab", "zzz", "V4L2"})
MODELS = ["REALSENSE_D435", "REALSENSE", "V4L2CAMERA"]
PATTERNS = ["%", "8442%", "%0%", "dev\\_lab%", "_1%", "%01", "V4L2%", "v4l2%", "%a%", "dev%",
            "936322070512%", "z%"]


def _like(value: str, pattern: str, insensitive: bool) -> bool:
    regex = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.fullmatch(regex, value, re.S | (re.I if insensitive else 0)) is not None


def _compare(value: Any, ops: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "_eq": lambda a: value == a, "_neq": lambda a: value != a,
        "_gt": lambda a: value > a, "_gte": lambda a: value >= a,
        "_lt": lambda a: value < a, "_lte": lambda a: value <= a,
        "_in": lambda a: value in a, "_nin": lambda a: value not in a,
        "_like": lambda a: _like(value, a, False), "_nlike": lambda a: not _like(value, a, False),
        "_ilike": lambda a: _like(value, a, True), "_nilike": lambda a: not _like(value, a, True),
    }
    return all(checks[op](arg) for op, arg in ops.items())


def evaluate(row: dict[str, Any], exp: dict[str, Any]) -> bool:
    """Reference semantics: keys AND-ed, empty _and true, empty _or false."""
    for key, value in exp.items():
        if key == "_and" and not all(evaluate(row, e) for e in value):
            return False
        if key == "_or" and not any(evaluate(row, e) for e in value):
            return False
        if key == "_not" and evaluate(row, value):
            return False
        if not key.startswith("_") and not _compare(row[key], value):
            return False
    return True


def _string_ops() -> st.SearchStrategy[dict[str, Any]]:
    scalar = st.sampled_from(["_eq", "_neq", "_gt", "_gte", "_lt", "_lte"])
    return st.one_of(
        st.dictionaries(scalar, st.sampled_from(STRINGS), min_size=1, max_size=2),
        st.builds(lambda op, vals: {op: vals}, st.sampled_from(["_in", "_nin"]),
                  st.lists(st.sampled_from(STRINGS), max_size=3)),
        st.builds(lambda op, pat: {op: pat},
                  st.sampled_from(["_like", "_nlike", "_ilike", "_nilike"]),
                  st.sampled_from(PATTERNS)),
    )


def _model_ops() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda op, v: {op: v}, st.sampled_from(["_eq", "_neq"]),
                  st.sampled_from(MODELS)),
        st.builds(lambda op, vs: {op: vs}, st.sampled_from(["_in", "_nin"]),
                  st.lists(st.sampled_from(MODELS), max_size=3)),
    )


LEAF = st.one_of(
    st.builds(lambda ops: {"serial": ops}, _string_ops()),
    st.builds(lambda ops: {"deviceId": ops}, _string_ops()),
    st.builds(lambda ops: {"model": ops}, _model_ops()),
    st.just({}),
)
BOOL_EXP = st.recursive(LEAF, lambda inner: st.one_of(
    st.builds(lambda xs: {"_and": xs}, st.lists(inner, max_size=3)),
    st.builds(lambda xs: {"_or": xs}, st.lists(inner, max_size=3)),
    st.builds(lambda x: {"_not": x}, inner),
    st.builds(lambda a, b: {**a, **b}, inner, inner),
), max_leaves=6)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=BOOL_EXP)
def test_where_matches_the_reference_evaluator(tmp_path_factory: Any, where: dict[str, Any]
                                               ) -> None:
    engine = _engine(tmp_path_factory.getbasetemp())
    query = "query($w: Camera_bool_exp!) { cameras(where: $w) { serial } }"
    body = json.loads(engine.execute({"query": query, "variables": {"w": where}}).encoded())
    assert "errors" not in body, (where, body)
    got = sorted(c["serial"] for c in body["data"]["cameras"])
    expected = sorted(r["serial"] for r in ROWS if evaluate(r, where))
    assert got == expected, where


_ENGINES: dict[Path, Any] = {}


def _engine(base: Path) -> Any:
    # One seeded database for all examples (read-only queries).
    if base not in _ENGINES:
        _ENGINES[base] = create_app(base / "property.db", None, None,
                                    seed="demo").state.sandbox.control_plane
    return _ENGINES[base]
