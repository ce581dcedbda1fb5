"""The rule engine: ordered `when -> actions` rules over one recording, no I/O.

Rules run in order over a working copy of the recording's status and tags, so a later rule
sees what earlier rules did (a rule that archives makes `status: archived` true for the next
one). An earlier rule can also become true through a later one (rule 1 tags archived
recordings, rule 2 archives): the ordered pass is therefore repeated until it changes nothing
more, so the next plan finds nothing left to do. The desired end state is computed once;
apply then sends at most one request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from runner.recordings.model import ACTIVE_STATUS, PageRef, Recording, RecordingChange
from runner.spec.model import RangeBound, RecordingRule, RuleCondition

MAX_PASSES = 10  # ordered passes over the rules before giving up on them settling


@dataclass(frozen=True)
class Outcome:
    """The desired state of one recording after all rules; `rules` changed something.

    `settled` is False when the rules kept changing the recording (they undo each other in a
    cycle): a re-run would change it again.
    """

    status: str | None
    tags: tuple[str, ...]
    delete: bool
    rules: tuple[str, ...]
    settled: bool = True


def merge_tags(
    tags: tuple[str, ...], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> tuple[str, ...]:
    """Tags after adding and removing: existing order kept, missing adds appended in order.

    The fleet API replaces the whole list on PATCH, so the merge is done here. Removal wins
    over an add of the same tag in the same rule (the rule asked for both; absence is safer).
    Duplicates collapse to their first place, as the fleet API stores them.
    """
    removed = set(remove)
    merged = [t for t in dict.fromkeys(tags) if t not in removed]
    present = set(merged)
    for tag in add:
        if tag not in present and tag not in removed:
            merged.append(tag)
            present.add(tag)
    return tuple(merged)


def _in_range(value: float | None, bound: RangeBound | None) -> bool:
    if bound is None:
        return True
    if value is None:
        return False  # unknown duration/size never satisfies a bound
    if bound.min is not None and value < bound.min:
        return False
    return not (bound.max is not None and value > bound.max)


def age_of(recording: Recording, now: dt.datetime) -> dt.timedelta | None:
    """How old a recording is at `now` (from `ended_at`, else `created_at`); None if unknown."""
    reference = recording.age_reference
    return None if reference is None else now - reference


def condition_matches(
    when: RuleCondition,
    recording: Recording,
    status: str | None,
    tags: tuple[str, ...],
    now: dt.datetime,
) -> bool:
    """Whether `when` holds for the recording in its current working state (`status`, `tags`).

    `older_than: d` matches an age of at least `d`; `newer_than: d` an age below `d`, so the
    two split every recording with a known age exactly once. Unknown ages match neither.
    """
    if when.status and status not in when.status:
        return False
    present = set(tags)
    if when.tags_all and not present.issuperset(when.tags_all):
        return False
    if when.tags_any and present.isdisjoint(when.tags_any):
        return False
    if when.tags_none and not present.isdisjoint(when.tags_none):
        return False
    if when.older_than is not None or when.newer_than is not None:
        age = age_of(recording, now)
        if age is None:
            return False
        if when.older_than is not None and age < when.older_than:
            return False
        if when.newer_than is not None and age >= when.newer_than:
            return False
    if not _in_range(recording.duration_seconds, when.duration_seconds):
        return False
    if not _in_range(recording.size_bytes, when.size_bytes):
        return False
    return when.topic is None or when.topic in recording.topics


def evaluate(recording: Recording, rules: Iterable[RecordingRule], now: dt.datetime) -> Outcome:
    """Run `rules` in order over the recording, repeating until stable; its desired state.

    A recording still `recording` is returned untouched. Within a rule the actions apply in
    the order tags -> status -> delete; once a rule deletes, later rules are moot.
    """
    rules = tuple(rules)
    status, tags = recording.status, recording.tags
    if status == ACTIVE_STATUS:
        return Outcome(status, tags, False, ())
    fired: dict[str, None] = {}  # ordered set of rule names that changed something
    seen = {(status, tags)}
    for _ in range(MAX_PASSES):
        pass_fired: list[str] = []
        start = (status, tags)
        for rule in rules:
            if not condition_matches(rule.when, recording, status, tags, now):
                continue
            new_tags = merge_tags(tags, rule.add_tags, rule.remove_tags)
            new_status = rule.set_status if rule.set_status is not None else status
            if new_tags != tags or new_status != status or rule.delete:
                pass_fired.append(rule.name)
            tags, status = new_tags, new_status
            if rule.delete:
                # Tag and status changes before a deletion are moot: the deleting rule is the
                # one that explains the change, and nothing but the DELETE is sent.
                return Outcome(recording.status, recording.tags, True, (rule.name,))
        if (status, tags) == start:  # a full pass changed nothing: settled
            return Outcome(status, tags, False, tuple(fired))
        fired.update(dict.fromkeys(pass_fired))
        if (status, tags) in seen:  # back to an earlier state: the rules cycle
            break
        seen.add((status, tags))
    return Outcome(status, tags, False, tuple(fired), settled=False)


def change_for(
    recording: Recording, rules: Iterable[RecordingRule], now: dt.datetime
) -> RecordingChange | None:
    """The change apply must make to the recording, or None if the rules leave it as it is."""
    return change_from(recording, evaluate(recording, rules, now))


def change_from(recording: Recording, outcome: Outcome,
                page: PageRef | None = None) -> RecordingChange | None:
    """The change from the recording's current state to `outcome` (None if there is none);
    `page` is where the recording was read."""
    if not outcome.delete and outcome.status == recording.status and outcome.tags == recording.tags:
        return None
    return RecordingChange(
        uid=recording.uid,
        device=recording.device,
        rules=outcome.rules,
        before_status=recording.status,
        after_status=outcome.status,
        before_tags=recording.tags,
        after_tags=outcome.tags,
        delete=outcome.delete,
        page=page,
    )
