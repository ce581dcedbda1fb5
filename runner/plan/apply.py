"""Apply a Plan to the control plane: one write (one transaction) per chunk, then verify.

The store (the control-plane adapter) runs each chunk as one transaction in this order:
compare-and-set of the campaigns' version tokens, stop sessions that need a restart,
deletes (streams, records, sessions), one upsert of every created or changed session tree
(client-side uuid5 ids: a retry after an ambiguous failure updates what the first attempt
wrote instead of duplicating it), then state transitions. A lost compare-and-set is a
`WriteConflict`: re-plan and try again until `lock_timeout`. Afterwards the campaigns it wrote
are re-read, a few at a time, and a new plan of them must be empty.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from tenacity import retry_if_exception_type

from runner.collector import paused_gc
from runner.compile import Desired, DesiredSession
from runner.errors import LockError, PlanError, WriteConflict
from runner.futures import abandon
from runner.plan.diff import plan_changes
from runner.plan.model import Actual, Plan, PlanOptions, SessionUpsert, Writes
from runner.retry import RetryPolicy

# One request carries at most this many rows (sessions + records + streams + ids). The
# 1,000 x 4 x 2 benchmark (13,000 rows, ~3 MB of JSON) fits in one; past the bound the
# plan is split into several transactions, each one still all-or-nothing, chained by the
# version rows; a crash between them leaves a state the next apply converges from.
MAX_ROWS_PER_REQUEST = 25_000
TOKEN_MAX = 2**31 - 1  # version tokens travel in a GraphQL Int (signed 32-bit)
# Between lost compare-and-sets: full jitter (it suits contention best), no attempt limit;
# the deadline is `lock_timeout`.
CONFLICT_BACKOFF = RetryPolicy(attempts=None, backoff_base=0.1, backoff_max=2.0)
# The verifying re-read takes the written campaigns a few at a time, about this many sessions
# per read: its answer and its plan are then a fraction of the whole, not a second copy of
# it held next to the plan just written (the peak RSS of a 10,000-session apply).
VERIFY_SESSIONS = 2_500

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class StateReader(Protocol):
    """What planning needs from the control plane."""

    async def read_state(
        self, campaigns: tuple[str, ...], cameras: tuple[tuple[str, str], ...]
    ) -> Actual:
        """Everything `campaigns` own plus the named cameras, in one read."""
        ...


class StateStore(StateReader, Protocol):
    """What apply needs from the control plane (`runner.adapters.controlplane` is one)."""

    async def write(
        self, writes: Writes, *, expected: Mapping[str, int], tokens: Mapping[str, int],
        now: dt.datetime, drop_versions: bool = False,
    ) -> None:
        """Run `writes` as ONE transaction, guarded by the campaigns' version tokens: the
        `expected` ones are replaced by `tokens`; raises WriteConflict if they changed."""
        ...


def new_token(rng: random.Random) -> int:
    """A fresh version token (never 0, so a zeroed row never matches)."""
    return rng.randint(1, TOKEN_MAX)


@dataclass(frozen=True)
class ApplyResult:
    """What apply did: the plan finally written (after any re-plans) and the request counts."""

    plan: Plan
    write_requests: int
    conflicts: int  # times another writer (or our own earlier commit) won the compare-and-set


async def read_actual(cp: StateReader, desired: Desired) -> Actual:
    """Read everything the desired campaigns own plus their cameras (one query)."""
    return await cp.read_state(desired.campaigns, desired.cameras)


async def make_plan(
    cp: StateReader, desired: Desired, now: dt.datetime, options: PlanOptions
) -> Plan:
    """Read the control plane and diff it against `desired`."""
    with paused_gc():
        return plan_changes(desired, await read_actual(cp, desired), now, options)


async def apply_plan(
    cp: StateStore,
    plan: Plan,
    *,
    lock_timeout: float = 60.0,
    replan: bool = True,
    rng: random.Random | None = None,
    sleep: Sleep = asyncio.sleep,
    monotonic: Monotonic = time.monotonic,
) -> ApplyResult:
    """Write `plan`, re-planning after lost compare-and-sets, then verify convergence.

    `replan=False` (a saved plan) turns a lost compare-and-set into a stale-plan error.
    """
    rng = rng or random.Random()
    writes = conflicts = 0
    current = plan

    async def attempt() -> ApplyResult | None:
        """One write; a result when done early, None when written, _LostRace to retry."""
        nonlocal writes, conflicts, current
        refuse_blocked(current)
        if current.writes.empty():
            return ApplyResult(current, writes, conflicts)
        sent: list[dict[str, int]] = []  # the version tokens of each chunk sent
        try:
            writes += await _write(cp, current, rng, sent)
            return None
        except WriteConflict as exc:
            conflicts += 1
            fresh = await make_plan(cp, current.desired, current.now, current.options)
            if fresh.writes.empty():
                if sent and dict(fresh.versions) == sent[-1]:
                    # Our own tokens won: the commit's answer was lost and the transport's
                    # retry lost the compare-and-set to it. We wrote `current`; nobody else.
                    return ApplyResult(current, writes + len(sent), conflicts - 1)
                # Another apply did the same work (or destroyed them, dropping the tokens).
                return ApplyResult(fresh, writes, conflicts)
            if fresh.versions == current.versions:
                raise  # nobody else wrote: a genuine constraint problem, not a race
            if not replan:
                raise PlanError("the saved plan is stale: another apply changed these campaigns "
                                "while it was being applied; run `campaign plan` again") from exc
            current = fresh
            raise _LostRace from exc

    retrying = replace(CONFLICT_BACKOFF, deadline=lock_timeout).retrying(
        retry_if_exception_type(_LostRace), sleep=sleep, rng=rng, monotonic=monotonic)
    try:
        done = await retrying(attempt)
    except _LostRace as lost:
        raise LockError(
            f"other applies kept changing {', '.join(current.desired.campaigns)} for "
            f"{lock_timeout:g}s (--lock-timeout); try again later"
        ) from lost.__cause__
    if done is not None:
        return done
    await verify(cp, current)
    return ApplyResult(current, writes, conflicts)


async def verify(cp: StateReader, plan: Plan) -> None:
    """Re-read the campaigns `plan` wrote (VERIFY_SESSIONS sessions' worth at a time) and
    raise PlanError unless a new plan of them is empty. The campaigns it did not write were
    read an instant before and only their version rows changed: re-reading them proves
    nothing about this apply. The next batch is read while this one is planned."""
    batches = verify_batches(plan.desired, written_campaigns(plan), VERIFY_SESSIONS)
    if not batches:
        return
    with paused_gc():
        pending = asyncio.ensure_future(read_actual(cp, batches[0]))
        try:
            for index, desired in enumerate(batches):
                actual = await pending
                if index + 1 < len(batches):  # (the done read's result goes with it)
                    pending = asyncio.ensure_future(read_actual(cp, batches[index + 1]))
                    await _sent(pending)
                after = plan_changes(desired, actual, plan.now, plan.options,
                                     fingerprint=False)
                del actual
                if not after.writes.empty():
                    left = ", ".join(f"{c.action} {c.kind} {c.address}: {c.reason}"
                                     for c in after.effective[:5])
                    raise PlanError(
                        f"apply did not converge: {len(after.effective)} change(s) remain "
                        f"after writing ({left}); the control plane may be rewriting them, run "
                        "`campaign plan` to see"
                    )
                del after  # the next batch's read need not sit next to this plan
        finally:  # a batch that did not converge: the next read is not waited for
            abandon(pending)


async def _sent(read: asyncio.Future[Actual], steps: int = 8) -> None:
    """Let the event loop run `read` up to its first wait on the server (its request is then
    out): the plan that follows runs without yielding."""
    for _ in range(steps):
        await asyncio.sleep(0)
        if read.done():
            return


def written_campaigns(plan: Plan) -> set[str]:
    """The campaigns whose sessions, records or streams `plan.writes` touches (every given
    campaign when a written id has no change to name its session)."""
    campaign_of = {c.id: c.session.partition("#")[0] for c in plan.changes}
    w = plan.writes
    ids = [*w.stop, *w.delete_sessions, *w.delete_records, *w.delete_streams,
           *(target for target, _state in w.transitions)]
    found = {u.session.campaign for u in w.upsert_sessions}
    for object_id in ids:
        campaign = campaign_of.get(object_id)
        if campaign is None:
            return set(plan.desired.campaigns)
        found.add(campaign)
    return found


def verify_batches(desired: Desired, campaigns: set[str], sessions: int) -> list[Desired]:
    """`desired` cut down to `campaigns`, in groups of whole campaigns of about `sessions`
    declared sessions each (a plan of a group is that of the whole, restricted to it)."""
    per_campaign: dict[str, list[DesiredSession]] = {c: [] for c in desired.campaigns}
    for session in desired.sessions:
        per_campaign[session.campaign].append(session)
    batches: list[Desired] = []
    names: list[str] = []
    taken: list[DesiredSession] = []
    for campaign in desired.campaigns:
        if campaign not in campaigns:
            continue
        if names and len(taken) + len(per_campaign[campaign]) > sessions:
            batches.append(replace(desired, campaigns=tuple(names), sessions=tuple(taken)))
            names, taken = [], []
        names.append(campaign)
        taken += per_campaign[campaign]
    if names:
        batches.append(replace(desired, campaigns=tuple(names), sessions=tuple(taken)))
    return batches


class _LostRace(Exception):
    """Another apply won the compare-and-set; re-planned, worth another try."""


def refuse_blocked(plan: Plan) -> None:
    """Raise PlanError naming the first blocked change (and how many more) if any."""
    if plan.blocked:
        more = f" (and {len(plan.blocked) - 1} more)" if len(plan.blocked) > 1 else ""
        raise PlanError(plan.blocked[0] + more)


async def _write(cp: StateStore, plan: Plan, rng: random.Random,
                 sent: list[dict[str, int]]) -> int:
    """Send the plan's writes; returns the number of requests (chunks) sent. Each chunk's
    new version tokens are appended to `sent` before it goes (so a conflict can tell
    whether the winner was us)."""
    chunks = split_writes(plan.writes, MAX_ROWS_PER_REQUEST)
    versions = dict(plan.versions)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        tokens = {c: new_token(rng) for c in plan.desired.campaigns}
        sent.append(tokens)
        with paused_gc():
            await cp.write(chunk, expected=versions, tokens=tokens, now=plan.now,
                           drop_versions=last and plan.options.destroy)
        versions = tokens
    return len(chunks)


def split_writes(writes: Writes, bound: int) -> list[Writes]:
    """Split writes into chunks of at most `bound` rows: stops and deletes first, then the
    session upserts, then the state transitions (each chunk is one transaction)."""
    if writes.object_count() <= bound:
        return [writes]
    chunks: list[Writes] = [Writes(
        stop=writes.stop, delete_sessions=writes.delete_sessions,
        delete_records=writes.delete_records, delete_streams=writes.delete_streams,
    )]
    batch: list[SessionUpsert] = []
    rows = 0
    for session in writes.upsert_sessions:
        size = Writes(upsert_sessions=(session,)).object_count()
        if batch and rows + size > bound:
            chunks.append(Writes(upsert_sessions=tuple(batch)))
            batch, rows = [], 0
        batch.append(session)
        rows += size
    if batch:
        chunks.append(Writes(upsert_sessions=tuple(batch)))
    chunks[-1] = replace(chunks[-1], transitions=writes.transitions)
    return [c for c in chunks if not c.empty()] or [writes]
