"""The invalid-file corpus: every case reports its stable code at the right line, never a crash."""

from __future__ import annotations

import datetime as dt

import pytest

from runner.spec import load_sources
from tests.spec.corpus import CASES, Case

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)


def test_corpus_is_big_enough_and_covers_every_family() -> None:
    assert len(CASES) >= 40
    families = {case.code[:4] for case in CASES}
    assert {"CMP1", "CMP2", "CMP3", "CMP4", "CMP5"} <= families
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_file_reports_code_at_line(case: Case) -> None:
    result = load_sources({"case.yaml": case.text}, now=NOW)
    found = [
        (d.code, d.location.line if d.location else None, d.severity) for d in result.diagnostics
    ]
    assert (case.code, case.line, case.severity) in found, found
    assert all(d.code != "CMP199" for d in result.diagnostics), found
    # Every diagnostic says where and what to do.
    for d in result.diagnostics:
        assert d.location is not None and d.location.file == "case.yaml"
        assert d.message and "\n" not in d.message
        assert d.hint
    if case.severity == "error":
        assert not result.ok
        # The broken document is never loaded (other, clean documents of a file still are).
        if case.id not in {"duplicate-name", "too-many-documents"}:
            assert not result.campaigns
    else:
        assert result.ok, found  # a warning alone never fails validation
        assert len(result.campaigns) == 1


def test_duplicate_name_keeps_the_first_campaign_only() -> None:
    case = next(c for c in CASES if c.id == "duplicate-name")
    result = load_sources({"case.yaml": case.text}, now=NOW)
    assert [c.name for c in result.campaigns] == ["demo"]
    assert result.campaigns[0].location.line == 1


def test_duplicate_names_across_files_point_at_the_first() -> None:
    base = next(c for c in CASES if c.id == "duplicate-name").text
    first = str(base).split("---\n")[0]
    result = load_sources({"a.yaml": first, "b.yaml": first}, now=NOW)
    [dup] = [d for d in result.diagnostics if d.code == "CMP118"]
    assert dup.location is not None and dup.location.file == "b.yaml"
    assert "a.yaml:4:9" in dup.message


def test_secret_values_are_never_echoed() -> None:
    for case in CASES:
        if case.code != "CMP501":
            continue
        result = load_sources({"case.yaml": case.text}, now=NOW)
        for d in result.diagnostics:
            for secret in ("hunter2", "abc", ": x"):
                assert secret not in d.message and secret not in (d.hint or "")


def test_one_run_reports_problems_from_every_section() -> None:
    text = """\
apiVersion: campaign/v1
kind: Campaign
metadata:
  name: Bad_Name
spec:
  cameras:
    - {model: REALSENSE_D435, serial: 0844, device: dev_lab_001, streams: [colr]}
  window: {start: 2026-12-01T08:00:00, end: 2026-12-01T07:00:00, timezone: UTC}
  trigerr: standby
"""
    result = load_sources({"f.yaml": text}, now=NOW)
    codes = {(d.code, d.location.line) for d in result.diagnostics if d.location}
    assert {("CMP119", 4), ("CMP308", 7), ("CMP301", 7), ("CMP204", 8), ("CMP110", 9)} <= codes
