"""Apply recording plans: PATCH only what changes, DELETE what rules retire, bounded concurrency.

Failures do not stop the other changes; they are collected with their reasons. Because the
plan holds the desired end state (not a delta), a re-run after a partial failure converges.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from runner.errors import FleetError, PlanError
from runner.recordings.model import (
    RecordingApplyResult,
    RecordingChange,
    RecordingFailure,
    RecordingPlan,
)

Progress = Callable[[int, int], None]  # (done, total), called after each change


class FleetWriter(Protocol):
    """What apply needs from the fleet API (`runner.backends.fleet.FleetClient` is one)."""

    async def get_recording(self, uid: str) -> dict[str, Any]: ...

    async def update_recording(
        self, uid: str, body: dict[str, Any], *, verify: Callable[[], Awaitable[bool]] | None = None
    ) -> dict[str, Any] | None: ...

    async def delete_recording(self, uid: str) -> None: ...


def check_deletions(plans: Iterable[RecordingPlan], *, allow_delete: bool) -> None:
    """Raise `PlanError` if plans delete recordings and deletion was not allowed."""
    if allow_delete:
        return
    counts = {p.campaign: len(p.deletions) for p in plans if p.deletions}
    if counts:
        where = ", ".join(f"{n} in campaign {name}" for name, n in counts.items())
        raise PlanError(
            f"the plan deletes {sum(counts.values())} recording(s) ({where}); "
            "review them and re-run with --allow-delete to delete them"
        )


async def apply_recordings(
    plans: Iterable[RecordingPlan],
    fleet: FleetWriter,
    *,
    allow_delete: bool,
    concurrency: int = 16,
    progress: Progress | None = None,
) -> RecordingApplyResult:
    """Make the fleet match `plans`; nothing is sent if deletions are present but not allowed."""
    plans = tuple(plans)
    check_deletions(plans, allow_delete=allow_delete)
    changes = [change for plan in plans for change in plan.changes]
    total = len(changes)
    pending = iter(changes)
    failures: list[RecordingFailure] = []
    counts = {"changed": 0, "deleted": 0, "done": 0}

    async def worker() -> None:
        # Workers pull from one iterator: at most `concurrency` requests in flight, and no
        # task object per change (10,000s of changes stay cheap).
        for change in pending:
            try:
                await _apply_one(fleet, change)
            except FleetError as exc:
                failures.append(RecordingFailure(change.uid, str(exc)))
            else:
                counts["deleted" if change.delete else "changed"] += 1
            counts["done"] += 1
            if progress is not None:
                progress(counts["done"], total)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, total)))))
    return RecordingApplyResult(
        changed=counts["changed"],
        deleted=counts["deleted"],
        unchanged=sum(plan.unchanged for plan in plans),
        failed=tuple(sorted(failures, key=lambda f: f.uid)),
    )


async def _apply_one(fleet: FleetWriter, change: RecordingChange) -> None:
    if change.delete:
        await fleet.delete_recording(change.uid)
        return
    body = change.patch_body()
    if not body:
        return

    async def already_done() -> bool:
        # Asked only after an ambiguous failure: did the earlier attempt land after all?
        current = await fleet.get_recording(change.uid)
        tags = current.get("tags") or []
        return current.get("status") == change.after_status and tuple(tags) == change.after_tags

    await fleet.update_recording(change.uid, body, verify=already_done)
