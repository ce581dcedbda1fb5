"""Values of the recordings layer: a fleet recording, a planned change, a plan, an apply result.

All are small frozen dataclasses; a `RecordingPlan` can be rendered, serialised and applied
later. Times are timezone-aware (UTC when the API sends no offset).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The documented fleet lifecycle; other values are passed through with a warning.
KNOWN_STATUSES: frozenset[str] = frozenset({"recording", "completed", "processing", "archived"})
# Recordings in this state are still being written by a device: never touched.
ACTIVE_STATUS = "recording"


def parse_time(value: object) -> dt.datetime | None:
    """Parse an ISO 8601 timestamp from the API; naive values are taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _topic_names(topics: object) -> tuple[str, ...]:
    # The API sends topics as objects ({"name": ..., ...}); tolerate plain strings too.
    if not isinstance(topics, list):
        return ()
    names: list[str] = []
    for topic in topics:
        if isinstance(topic, str):
            names.append(topic)
        elif isinstance(topic, Mapping):
            name = topic.get("name", topic.get("topic"))
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class Recording:
    """The fields of a fleet recording the rules look at (topics reduced to their names)."""

    uid: str
    device: str | None
    status: str | None
    duration_seconds: float | None
    size_bytes: float | None
    tags: tuple[str, ...]
    topics: tuple[str, ...]
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    created_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Recording:
        """Build from one item of the fleet API's `results` (unknown fields are ignored)."""
        tags = data.get("tags") or []
        return cls(
            uid=str(data["uid"]),
            device=data.get("device"),
            status=data.get("status"),
            duration_seconds=_number(data.get("duration_seconds")),
            size_bytes=_number(data.get("size_bytes")),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            topics=_topic_names(data.get("topics")),
            started_at=parse_time(data.get("started_at")),
            ended_at=parse_time(data.get("ended_at")),
            created_at=parse_time(data.get("created_at")),
        )

    @property
    def age_reference(self) -> dt.datetime | None:
        """The instant ages are measured from: `ended_at`, else `created_at`."""
        return self.ended_at or self.created_at


@dataclass(frozen=True, slots=True)
class PageRef:
    """The list page a recording was planned from (its filters and the cursor that fetched
    it; None: the first page), so apply can read that page again just before writing."""

    device: str | None
    status: str | None
    cursor: str | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"device": self.device, "status": self.status, "cursor": self.cursor}


@dataclass(frozen=True, slots=True)
class RecordingChange:
    """What apply will do to one recording; `rules` names the rules that changed something.

    `page` (not part of equality) says where the plan read it, for apply's re-read.
    """

    uid: str
    device: str | None
    rules: tuple[str, ...]
    before_status: str | None
    after_status: str | None
    before_tags: tuple[str, ...]
    after_tags: tuple[str, ...]
    delete: bool = False
    page: PageRef | None = field(default=None, compare=False)

    @property
    def tags_changed(self) -> bool:
        return self.before_tags != self.after_tags

    @property
    def status_changed(self) -> bool:
        return self.before_status != self.after_status

    def patch_body(self) -> dict[str, Any]:
        """The PATCH payload: only the fields that change (tags replace the whole list)."""
        body: dict[str, Any] = {}
        if self.status_changed and self.after_status is not None:
            body["status"] = self.after_status
        if self.tags_changed:
            body["tags"] = list(self.after_tags)
        return body

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (stable keys, lists for tuples)."""
        data: dict[str, Any] = {
            "uid": self.uid,
            "device": self.device,
            "rules": list(self.rules),
            "action": "delete" if self.delete else "update",
            "before": {"status": self.before_status, "tags": list(self.before_tags)},
            "after": {"status": self.after_status, "tags": list(self.after_tags)},
        }
        if self.page is not None:
            data["page"] = self.page.to_json()
        return data


@dataclass(frozen=True)
class RuleSummary:
    """How many recordings one rule changed, and a few example uids."""

    rule: str
    changed: int
    deleted: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class RecordingPlan:
    """The recording changes of one campaign.

    `scanned` counts recordings read that belong to the campaign; `unchanged` those the rules
    leave as they are (recordings still `recording` included); `skipped_active` how many of
    those were left alone because they are still recording.
    """

    campaign: str
    changes: tuple[RecordingChange, ...]
    unchanged: int
    scanned: int
    warnings: tuple[str, ...] = ()
    rules: tuple[RuleSummary, ...] = ()
    skipped_active: int = 0
    devices: tuple[str, ...] = ()  # the fleet devices read (for "nothing found" hints)

    @property
    def deletions(self) -> tuple[RecordingChange, ...]:
        return tuple(c for c in self.changes if c.delete)

    @property
    def updates(self) -> tuple[RecordingChange, ...]:
        return tuple(c for c in self.changes if not c.delete)

    @property
    def empty(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class RecordingFailure:
    """A change apply could not make, with a one-line reason."""

    uid: str
    reason: str


@dataclass(frozen=True)
class RecordingApplyResult:
    """The outcome of applying recording plans: what changed, what was already so, what failed."""

    changed: int
    deleted: int
    unchanged: int
    failed: tuple[RecordingFailure, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failed
