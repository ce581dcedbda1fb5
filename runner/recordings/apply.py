"""Apply recording plans: PATCH only what changes, DELETE what rules retire, many in flight.

Just before writing, each page of the plan is read again (the list page the plan read the
recordings from, one GET for all its changes; a page with one change, or a recording no
longer on its page, is read by uid instead): a recording whose status or tags changed since
the plan is not overwritten (the API replaces the whole tag list; that would drop someone
else's tag) but reported, and one that already has the planned state is left alone. Pages
are re-read only as writing reaches them (a few times the write concurrency in changes wait
between their re-read and their write), so the check is a fraction of a second old, not
minutes. Failures do not stop the other changes;
they are collected with their reasons. Because the plan holds the desired end state (not a
delta), a re-run after a partial failure converges.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Protocol

from runner.errors import FleetError, PlanError
from runner.recordings.model import (
    PageRef,
    RecordingApplyResult,
    RecordingChange,
    RecordingFailure,
    RecordingPlan,
)
from runner.recordings.tasks import run_all

Progress = Callable[[int, int], None]  # (done, total), called after each change
State = tuple[str | None, tuple[str, ...]]  # a recording's (status, tags) as read
DEFAULT_CONCURRENCY = 64  # writes in flight at most (the fleet client's window may allow fewer)


class Done(Protocol):
    """Called once per change of a page when it is finished (written, refused or failed)."""

    def __call__(self, failure: RecordingFailure | None = None) -> None: ...


class FleetWriter(Protocol):
    """What apply needs from the fleet API (`runner.adapters.fleet.FleetClient` is one)."""

    async def find_recording(self, uid: str) -> dict[str, Any] | None: ...

    async def update_recording(
        self, uid: str, body: dict[str, Any], *, verify: Callable[[], Awaitable[bool]] | None = None
    ) -> dict[str, Any] | None: ...

    async def delete_recording(self, uid: str) -> None: ...

    async def recording_page(self, *, device: str | None, status: str | None,
                             cursor: str | None) -> list[dict[str, Any]]: ...


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
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
    check_drift: bool = True,
) -> RecordingApplyResult:
    """Make the fleet match `plans`; nothing is sent if deletions are present but not allowed.

    With `check_drift` (default) each page of changes is re-read just before it is written:
    changed-since-plan recordings fail with a reason instead of being overwritten, already-done
    ones are skipped. `progress` is called after every change, written or not.
    """
    plans = tuple(plans)
    check_deletions(plans, allow_delete=allow_delete)
    changes = [change for plan in plans for change in plan.changes]
    run = _Run(fleet, len(changes), max(1, concurrency), progress, check_drift)
    groups = iter(_by_page(changes))
    await run_all(run.worker(groups) for _ in range(run.budget.size))
    return RecordingApplyResult(
        changed=run.changed,
        deleted=run.deleted,
        unchanged=sum(plan.unchanged for plan in plans) + run.already,
        failed=tuple(sorted(run.failures, key=lambda f: f.uid)),
    )


def _by_page(changes: list[RecordingChange]) -> list[list[RecordingChange]]:
    """The changes grouped by the page they were planned from (plan order kept); changes
    without a page (plans saved before pages were kept) one by one."""
    pages: dict[PageRef, list[RecordingChange]] = {}
    loose: list[list[RecordingChange]] = []
    for change in changes:
        if change.page is None:
            loose.append([change])
        else:
            pages.setdefault(change.page, []).append(change)
    return [*pages.values(), *loose]


class _Budget:
    """A counting semaphore whose holders take several units at once and give them back one
    by one (FIFO, so a large request is not starved by small ones)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    async def take(self, units: int) -> None:
        if not self._waiters and self._free >= units:
            self._free -= units
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((units, waiter))
        await waiter  # `give` has deducted the units

    def give(self, units: int) -> None:
        self._free += units
        while self._waiters and self._free >= self._waiters[0][0]:
            wanted, waiter = self._waiters.popleft()
            if not waiter.done():
                self._free -= wanted
                waiter.set_result(None)


class _Run:
    """One apply: its counters, the write gate and the read-ahead budget (one event loop)."""

    def __init__(self, fleet: FleetWriter, total: int, concurrency: int,
                 progress: Progress | None, check_drift: bool) -> None:
        self.fleet = fleet
        self.total = total
        self.progress = progress
        self.check_drift = check_drift
        self.concurrency = concurrency
        self.writes = asyncio.Semaphore(concurrency)
        # A page holds a unit per change re-read and not yet done (up to 2x concurrency per
        # page): the next pages are read while this one is written, so writes never wait
        # for a read, yet at most some 4x concurrency changes wait between read and write.
        self.budget = _Budget(4 * concurrency)
        self.failures: list[RecordingFailure] = []
        self.changed = self.deleted = self.already = self.done = 0

    async def worker(self, groups: Iterator[list[RecordingChange]]) -> None:
        # Workers pull from one iterator: no task object per change (10,000s stay cheap).
        for group in groups:
            held = min(len(group), max(1, self.budget.size // 2))
            left = len(group)
            await self.budget.take(held)

            def done(failure: RecordingFailure | None = None) -> None:
                nonlocal held, left
                self._finish(failure)
                left -= 1
                if left < held:  # give back what the rest of the page no longer needs
                    self.budget.give(held - left)
                    held = left

            try:
                fresh = await self._reread(group, done) if self.check_drift else group
                await self._write_all(fresh, done)
            finally:
                self.budget.give(held)

    def _finish(self, failure: RecordingFailure | None = None) -> None:
        if failure is not None:
            self.failures.append(failure)
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    async def _reread(self, group: list[RecordingChange], done: Done) -> list[RecordingChange]:
        """The changes of `group` still safe to write; the others are finished here."""
        current: dict[str, State | None] = {}
        page = group[0].page
        if page is not None and len(group) > 1:
            wanted = {change.uid for change in group}
            try:
                items = await self.fleet.recording_page(device=page.device, status=page.status,
                                                        cursor=page.cursor)
            except FleetError as exc:
                for change in group:
                    done(RecordingFailure(change.uid, _unread(exc)))
                return []
            for item in items:
                uid = item.get("uid")
                if uid in wanted:
                    current[uid] = _state(item)
        # Not on the page any more (a status filter it left, newer recordings pushing it to
        # the next page, deleted) or a page of one: read by uid.
        missing = [change for change in group if change.uid not in current]
        problems: dict[str, FleetError] = {}

        async def read(uid: str) -> None:
            try:
                item = await self.fleet.find_recording(uid)
            except FleetError as exc:
                problems[uid] = exc
            else:
                current[uid] = None if item is None else _state(item)

        await run_all(read(change.uid) for change in missing)
        fresh = []
        for change in group:
            if change.uid in problems:
                done(RecordingFailure(change.uid, _unread(problems[change.uid])))
                continue
            state = current[change.uid]
            if state is None and change.delete:
                self.already += 1  # deleted meanwhile: what the plan wanted
                done()
            elif state is None:
                done(RecordingFailure(change.uid, "deleted on the fleet since the plan; "
                                      "nothing left to update"))
            elif not change.delete and state == (change.after_status, change.after_tags):
                self.already += 1
                done()
            elif state != (change.before_status, change.before_tags):
                done(RecordingFailure(change.uid, _drift_reason(change, state)))
            else:
                fresh.append(change)
        return fresh

    async def _write_all(self, changes: list[RecordingChange], done: Done) -> None:
        pending = iter(changes)

        async def writer() -> None:
            for change in pending:
                async with self.writes:
                    try:
                        await _apply_one(self.fleet, change)
                    except FleetError as exc:
                        done(RecordingFailure(change.uid, str(exc)))
                        continue
                if change.delete:
                    self.deleted += 1
                else:
                    self.changed += 1
                done()

        await run_all(writer() for _ in range(min(len(changes), self.concurrency)))


def _state(item: dict[str, Any]) -> State:
    return item.get("status"), tuple(item.get("tags") or ())


def _unread(exc: FleetError) -> str:
    return f"not written: could not read it again before writing ({exc})"


async def _apply_one(fleet: FleetWriter, change: RecordingChange) -> None:
    if change.delete:
        await fleet.delete_recording(change.uid)
        return
    body = change.patch_body()
    if not body:
        return

    async def already_done() -> bool:
        # Asked only after an ambiguous failure: did the earlier attempt land after all?
        current = await fleet.find_recording(change.uid)
        if current is None:
            return False
        tags = current.get("tags") or []
        return current.get("status") == change.after_status and tuple(tags) == change.after_tags

    await fleet.update_recording(change.uid, body, verify=already_done)


def _drift_reason(change: RecordingChange, state: State) -> str:
    status, tags = state
    what = []
    if status != change.before_status:
        what.append(f"status is now {status} (planned from {change.before_status})")
    if tags != change.before_tags:
        what.append(f"tags are now [{', '.join(tags)}]")
    return ("changed on the fleet since the plan: " + "; ".join(what)
            + "; not overwritten, run plan again")
