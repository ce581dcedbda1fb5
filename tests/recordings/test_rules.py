"""The rule engine on its own: ordering, tag merge, age boundaries, recordings still recording."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from runner.recordings.model import Recording
from runner.recordings.rules import change_for, evaluate, merge_tags
from runner.spec.model import RangeBound, RuleCondition

from .helpers import UTC, rule

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def recording(**fields: Any) -> Recording:
    data: dict[str, Any] = {
        "uid": "rec_1", "device": "dev_vehicle_001", "status": "completed", "tags": [],
        "duration_seconds": 60.0, "size_bytes": 1000, "topics": [{"name": "/color"}],
        "started_at": "2026-11-01T10:00:00Z", "ended_at": "2026-11-01T10:01:00Z",
        "created_at": "2026-11-01T10:00:00Z",
    }
    data.update(fields)
    return Recording.from_api(data)


def test_merge_keeps_existing_order_and_appends_missing_adds() -> None:
    assert merge_tags(("b", "a"), add=("a", "c", "d", "c")) == ("b", "a", "c", "d")


def test_merge_removes_wherever_the_tag_is() -> None:
    assert merge_tags(("x", "y", "z"), remove=("y", "nope")) == ("x", "z")


@given(st.lists(st.text(max_size=3), max_size=6), st.lists(st.text(max_size=3), max_size=4),
       st.lists(st.text(max_size=3), max_size=4))
def test_merge_properties(tags: list[str], add: list[str], remove: list[str]) -> None:
    merged = merge_tags(tuple(tags), add, remove)
    kept = [t for t in dict.fromkeys(tags) if t not in remove]
    assert list(merged[: len(kept)]) == kept  # existing order preserved
    assert not set(merged) & set(remove)
    assert set(add) - set(remove) <= set(merged)
    assert merge_tags(merged, add, remove) == merged  # idempotent


def test_later_rules_see_earlier_effects() -> None:
    rules = (
        rule("archive", when=RuleCondition(status=("completed",)), status="archived"),
        rule("tag-archived", when=RuleCondition(status=("archived",)), add=("cold",)),
    )
    outcome = evaluate(recording(), rules, NOW)
    assert (outcome.status, outcome.tags, outcome.rules) == ("archived", ("cold",),
                                                             ("archive", "tag-archived"))
    # Reversed, the tag rule sees `completed` on the first pass; the second pass tags it, so
    # the end state does not depend on the order and a re-run finds nothing left to do.
    outcome = evaluate(recording(), tuple(reversed(rules)), NOW)
    assert (outcome.status, outcome.tags, outcome.rules) == ("archived", ("cold",),
                                                             ("archive", "tag-archived"))
    assert outcome.settled


def test_rules_that_undo_each_other_are_flagged() -> None:
    rules = (rule("x-to-y", when=RuleCondition(tags_all=("x",)), remove=("x",), add=("y",)),
             rule("y-to-x", when=RuleCondition(tags_all=("y",)), remove=("y",), add=("x",)))
    # Within one pass x -> y -> x: no net change, settled.
    assert evaluate(recording(tags=["x"]), rules, NOW) == evaluate(recording(tags=["x"]), (),
                                                                    NOW)
    # Across passes: {} -> {b, a} -> {a} -> {b, a} ... never settles.
    flip = (rule("r0", when=RuleCondition(tags_none=("b",)), add=("b",), remove=("a",)),
            rule("r1", when=RuleCondition(tags_all=("a",)), remove=("b",)),
            rule("r2", when=RuleCondition(tags_all=("b",)), add=("a",)))
    outcome = evaluate(recording(tags=[]), flip, NOW)
    assert not outcome.settled and outcome.rules == ("r0", "r2", "r1")


def test_tag_conditions_see_tags_added_earlier() -> None:
    rules = (
        rule("mark", add=("review",)),
        rule("needs-all", when=RuleCondition(tags_all=("review", "night")), add=("both",)),
        rule("needs-any", when=RuleCondition(tags_any=("review", "x")), add=("any",)),
        rule("needs-none", when=RuleCondition(tags_none=("review",)), add=("never",)),
    )
    assert evaluate(recording(tags=["night"]), rules, NOW).tags == ("night", "review", "both",
                                                                    "any")


def test_rule_that_changes_nothing_is_not_named() -> None:
    rules = (rule("already", add=("a",)), rule("new", add=("b",)))
    change = change_for(recording(tags=["a"]), rules, NOW)
    assert change is not None and change.rules == ("new",)
    assert change.patch_body() == {"tags": ["a", "b"]}  # status unchanged: not sent


def test_no_change_when_rules_cancel_out() -> None:
    rules = (rule("add", add=("tmp",)), rule("drop", remove=("tmp",)))
    assert change_for(recording(), rules, NOW) is None


def test_recording_status_is_never_touched() -> None:
    rules = (rule("all", add=("x",), status="archived"), rule("purge", delete=True))
    assert change_for(recording(status="recording", ended_at=None), rules, NOW) is None


def test_age_boundary_from_ended_at() -> None:
    ended = NOW - dt.timedelta(days=90)
    old = (rule("old", when=RuleCondition(older_than=dt.timedelta(days=90)), add=("old",)),)
    new = (rule("new", when=RuleCondition(newer_than=dt.timedelta(days=90)), add=("new",)),)
    exactly = recording(ended_at=ended.isoformat())
    younger = recording(ended_at=(ended + dt.timedelta(seconds=1)).isoformat())
    # At exactly 90 days: older_than matches, newer_than does not; one second younger: reverse.
    assert evaluate(exactly, old, NOW).tags == ("old",)
    assert evaluate(exactly, new, NOW).tags == ()
    assert evaluate(younger, old, NOW).tags == ()
    assert evaluate(younger, new, NOW).tags == ("new",)


def test_age_falls_back_to_created_at_and_unknown_age_never_matches() -> None:
    old = (rule("old", when=RuleCondition(older_than=dt.timedelta(days=1)), add=("old",)),)
    created_long_ago = recording(ended_at=None, created_at="2020-01-01T00:00:00")
    assert evaluate(created_long_ago, old, NOW).tags == ("old",)
    # ended_at wins over created_at when both are present.
    fresh_end = recording(ended_at=NOW.isoformat(), created_at="2020-01-01T00:00:00Z")
    assert evaluate(fresh_end, old, NOW).tags == ()
    assert evaluate(recording(ended_at=None, created_at=None), old, NOW).tags == ()


def test_duration_size_and_topic_bounds() -> None:
    short = (rule("short", when=RuleCondition(duration_seconds=RangeBound(max=10)), delete=True),)
    assert evaluate(recording(duration_seconds=10), short, NOW).delete
    assert not evaluate(recording(duration_seconds=10.5), short, NOW).delete
    assert not evaluate(recording(duration_seconds=None), short, NOW).delete
    big = (rule("big", when=RuleCondition(size_bytes=RangeBound(min=1000, max=2000)),
                add=("big",)),)
    assert evaluate(recording(size_bytes=1000), big, NOW).tags == ("big",)
    assert evaluate(recording(size_bytes=2001), big, NOW).tags == ()
    depth = (rule("depth", when=RuleCondition(topic="/depth"), add=("depth",)),)
    assert evaluate(recording(), depth, NOW).tags == ()
    assert evaluate(recording(topics=[{"name": "/depth"}]), depth, NOW).tags == ("depth",)


def test_delete_stops_later_rules_and_keeps_rule_names() -> None:
    rules = (rule("tag", add=("t",)), rule("purge", delete=True), rule("after", add=("late",)))
    change = change_for(recording(), rules, NOW)
    assert change is not None and change.delete
    assert change.rules == ("purge",)  # the tag added before the deletion is moot
    assert (change.after_status, change.after_tags) == (change.before_status, change.before_tags)


def test_timestamps_without_offset_are_utc() -> None:
    assert recording(ended_at="2026-11-01T10:01:00").ended_at == dt.datetime(
        2026, 11, 1, 10, 1, tzinfo=UTC)


TAGS = st.sampled_from(["a", "b", "c"])
STATUSES = st.sampled_from(["completed", "processing", "archived", "odd"])


@st.composite
def rules_strategy(draw: st.DrawFn) -> tuple[Any, ...]:
    rules = []
    for i in range(draw(st.integers(0, 4))):
        when = RuleCondition(
            status=tuple(draw(st.lists(STATUSES, max_size=2))),
            tags_all=tuple(draw(st.lists(TAGS, max_size=2))),
            tags_any=tuple(draw(st.lists(TAGS, max_size=2))),
            tags_none=tuple(draw(st.lists(TAGS, max_size=1))),
        )
        rules.append(rule(f"r{i}", when=when, add=tuple(draw(st.lists(TAGS, max_size=2))),
                          remove=tuple(draw(st.lists(TAGS, max_size=2))),
                          status=draw(st.none() | STATUSES)))
    return tuple(rules)


@given(rules_strategy(), st.lists(TAGS, max_size=3, unique=True), STATUSES)
def test_a_settled_outcome_is_left_alone_by_the_next_run(
    rules: tuple[Any, ...], tags: list[str], status: str
) -> None:
    first = evaluate(recording(tags=tags, status=status), rules, NOW)
    if not first.settled:
        return  # flagged in the plan as a warning instead
    after = recording(tags=list(first.tags), status=first.status)
    assert change_for(after, rules, NOW) is None  # apply, then plan: nothing left to do
