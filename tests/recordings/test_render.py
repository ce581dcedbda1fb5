"""Renderers of recording plans: per-rule summaries, deletions one by one, JSON, Markdown."""

from __future__ import annotations

import json

from runner.commands._progress import progress_bar
from runner.recordings import (
    RecordingApplyResult,
    RecordingChange,
    RecordingFailure,
    RecordingPlan,
    RuleSummary,
    recordings_to_json,
    render_apply_summary,
    render_recordings_markdown,
    render_recordings_text,
)


def change(uid: str, *, delete: bool = False) -> RecordingChange:
    return RecordingChange(uid=uid, device="dev_lab_001", rules=("r",), before_status="completed",
                           after_status="completed" if delete else "archived",
                           before_tags=("a",), after_tags=("a",) if delete else ("a", "b"),
                           delete=delete)


PLAN = RecordingPlan(
    campaign="c1",
    changes=(change("u1"), change("u2"), change("u3"), change("u4"), change("gone", delete=True)),
    unchanged=10, scanned=15, warnings=("campaign c1: 1 recording(s) have status 'odd'",),
    rules=(RuleSummary("archive", 4, 0, ("u1", "u2", "u3")), RuleSummary("purge", 0, 1, ("gone",)),
           RuleSummary("idle", 0, 0, ())),
    skipped_active=2, devices=("dev_lab_001",),
)


def test_text_summarises_rules_with_examples_and_lists_each_deletion() -> None:
    text = render_recordings_text([PLAN], color=False)
    assert "Recordings of campaign c1: 4 to update, 1 to delete, 10 unchanged of 15 scanned" in text
    assert "rule archive: ~ 4 to update (e.g. u1, u2, u3, and 1 more)" in text
    assert "rule purge: - 1 to delete (e.g. gone)" in text
    assert "idle" not in text  # rules that change nothing are not listed
    assert "- delete gone on dev_lab_001 (completed, tags [a]) by rule r" in text
    assert "2 still recording" in text and "warning: campaign c1" in text
    assert "\x1b[" not in text and "\x1b[" in render_recordings_text([PLAN], color=True)


def test_text_says_where_it_looked_when_nothing_was_found() -> None:
    empty = RecordingPlan("c2", (), 0, 0, devices=("dev_a", "dev_b"))
    assert "no recordings of the campaign found on dev_a, dev_b" in render_recordings_text(
        [empty], color=False)


def test_json_lists_every_change_and_round_trips() -> None:
    data = json.loads(json.dumps(recordings_to_json([PLAN])))
    assert [c["uid"] for c in data[0]["changes"]] == ["u1", "u2", "u3", "u4", "gone"]
    assert data[0]["changes"][0]["after"] == {"status": "archived", "tags": ["a", "b"]}
    assert data[0]["changes"][-1]["action"] == "delete"
    assert (data[0]["to_update"], data[0]["to_delete"], data[0]["skipped_recording"]) == (4, 1, 2)


def test_markdown_has_a_rule_table_and_deletions() -> None:
    md = render_recordings_markdown([PLAN])
    assert "| `archive` | 4 | 0 | `u1`, `u2`, `u3` |" in md
    assert "- `gone` on `dev_lab_001` (completed) by `r`" in md
    assert render_recordings_markdown([]) == ""


def test_apply_summary_lists_failures() -> None:
    result = RecordingApplyResult(3, 1, 10, (RecordingFailure("u9", "fleet API: boom"),))
    text = render_apply_summary(result, color=False)
    assert text.startswith("Recordings: 3 updated, 1 deleted, 10 unchanged, 1 failed")
    assert "failed u9: fleet API: boom" in text


def test_progress_bar_only_on_a_terminal_and_past_the_threshold() -> None:
    with progress_bar(500, enabled=False) as progress:
        assert progress is None
    with progress_bar(100, enabled=True) as progress:
        assert progress is None
    with progress_bar(101, enabled=True) as progress:
        assert progress is not None
        progress(50, 101)


def test_json_reads_back_into_the_same_plan() -> None:
    import pytest

    from runner.errors import PlanError
    from runner.recordings import recordings_from_json

    (back,) = recordings_from_json(json.loads(json.dumps(recordings_to_json([PLAN]))))
    assert back.changes == PLAN.changes and back.rules == PLAN.rules
    assert back == PLAN
    with pytest.raises(PlanError, match="malformed"):
        recordings_from_json([{"campaign": "c1", "changes": [{"uid": "x"}]}])
