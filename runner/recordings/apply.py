"""Apply recording plans: PATCH only what changes, DELETE what rules retire, bounded concurrency.

Before writing, the recordings the plan changes are read again (pages per device, like the
plan): a recording whose status or tags changed since the plan is not overwritten (the API
replaces the whole tag list; that would drop someone else's tag) but reported, and one that
already has the planned state is left alone. Failures do not stop the other changes; they
are collected with their reasons. Because the plan holds the desired end state (not a
delta), a re-run after a partial failure converges.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Protocol

from runner.errors import FleetError, PlanError
from runner.recordings.model import (
    RecordingApplyResult,
    RecordingChange,
    RecordingFailure,
    RecordingPlan,
)
from runner.recordings.tasks import run_all

Progress = Callable[[int, int], None]  # (done, total), called after each change


class FleetWriter(Protocol):
    """What apply needs from the fleet API (`runner.adapters.fleet.FleetClient` is one)."""

    async def get_recording(self, uid: str) -> dict[str, Any]: ...

    async def update_recording(
        self, uid: str, body: dict[str, Any], *, verify: Callable[[], Awaitable[bool]] | None = None
    ) -> dict[str, Any] | None: ...

    async def delete_recording(self, uid: str) -> None: ...

    def recording_pages(
        self, *, device: str | None = None, status: str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]: ...


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
    check_drift: bool = True,
) -> RecordingApplyResult:
    """Make the fleet match `plans`; nothing is sent if deletions are present but not allowed.

    With `check_drift` (default) the planned recordings are re-read first: changed-since-plan
    ones fail with a reason instead of being overwritten, already-done ones are skipped.
    """
    plans = tuple(plans)
    check_deletions(plans, allow_delete=allow_delete)
    changes = [change for plan in plans for change in plan.changes]
    failures: list[RecordingFailure] = []
    already = 0
    if check_drift and changes:
        current = await _read_current(fleet, changes)
        fresh = []
        for change in changes:
            state = current.get(change.uid)
            if state is None and change.delete:
                already += 1  # deleted meanwhile: what the plan wanted
            elif state is None:
                failures.append(RecordingFailure(change.uid, "deleted on the fleet since the "
                                                 "plan; nothing left to update"))
            elif not change.delete and state == (change.after_status, change.after_tags):
                already += 1
            elif state != (change.before_status, change.before_tags):
                failures.append(RecordingFailure(change.uid, _drift_reason(change, state)))
            else:
                fresh.append(change)
        changes = fresh
    total = len(changes)
    pending = iter(changes)
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
        unchanged=sum(plan.unchanged for plan in plans) + already,
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


async def _read_current(
    fleet: FleetWriter, changes: list[RecordingChange], concurrency: int = 8
) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """Current (status, tags) of the planned recordings, read by pages per device."""
    wanted = {c.uid for c in changes}
    devices = sorted({c.device for c in changes if c.device is not None})
    found: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    gate = asyncio.Semaphore(concurrency)

    async def scan(device: str | None) -> None:
        async with gate:
            async for page in fleet.recording_pages(device=device):
                for item in page:
                    uid = str(item.get("uid"))
                    if uid in wanted:
                        found[uid] = (item.get("status"), tuple(item.get("tags") or ()))

    jobs: list[Any] = [scan(device) for device in devices]
    if any(c.device is None for c in changes):
        jobs.append(scan(None))  # recordings without a device: only an unfiltered read finds them
    await run_all(jobs)
    return found


def _drift_reason(change: RecordingChange, state: tuple[str | None, tuple[str, ...]]) -> str:
    status, tags = state
    what = []
    if status != change.before_status:
        what.append(f"status is now {status} (planned from {change.before_status})")
    if tags != change.before_tags:
        what.append(f"tags are now [{', '.join(tags)}]")
    return ("changed on the fleet since the plan: " + "; ".join(what)
            + "; not overwritten, run plan again")
