"""Plan recording changes: stream the campaigns' recordings page by page and keep only changes.

Pages of different devices (and statuses) are fetched concurrently; each page is evaluated as
it arrives and dropped, so memory grows with the number of changes, not of recordings. Each
change remembers the page it came from (filters + cursor): apply re-reads that page just
before writing, one GET for all the page's changes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from runner.errors import FleetError, PlanError
from runner.recordings.model import (
    ACTIVE_STATUS,
    KNOWN_STATUSES,
    PageRef,
    Recording,
    RecordingChange,
    RecordingPlan,
    RuleSummary,
)
from runner.recordings.rules import change_from, evaluate
from runner.recordings.select import Membership, membership_for
from runner.recordings.tasks import run_all
from runner.spec.model import Campaign, RecordingRule

EXAMPLES_PER_RULE = 3


class FleetReader(Protocol):
    """What planning needs from the fleet API (`runner.adapters.fleet.FleetClient` is one)."""

    def recording_pages(
        self, *, device: str | None = None, status: str | None = None
    ) -> AsyncIterator[tuple[str | None, list[dict[str, Any]]]]: ...

    async def list_devices(self) -> list[dict[str, Any]]: ...


@dataclass
class _Tally:
    """Mutable per-campaign accumulator while pages stream in (one event loop: no locks)."""

    changes: dict[str, RecordingChange] = field(default_factory=dict)
    scanned: int = 0
    skipped_active: int = 0
    unknown_statuses: Counter[str] = field(default_factory=Counter)
    unsettled: list[str] = field(default_factory=list)  # uids whose rules never settle


async def plan_recordings(
    campaigns: Iterable[Campaign],
    fleet: FleetReader,
    *,
    now: dt.datetime,
    concurrency: int = 8,
) -> tuple[RecordingPlan, ...]:
    """One `RecordingPlan` per campaign that declares `spec.recordings`, in the given order.

    `now` is the clock age rules are measured against (naive = UTC). Raises `PlanError` when
    two campaigns would change the same recording (their writes would fight).
    """
    now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)
    selected = [c for c in campaigns if c.recordings is not None]
    tallies = {c.name: _Tally() for c in selected}
    memberships = {c.name: membership_for(c, now) for c in selected}
    gate = asyncio.Semaphore(max(1, concurrency))
    jobs: list[Coroutine[Any, Any, None]] = []
    for campaign in selected:
        assert campaign.recordings is not None
        membership = memberships[campaign.name]
        for device in membership.devices:
            for status in membership.statuses:
                jobs.append(_scan(fleet, gate, device, status, membership,
                                  campaign.recordings.rules, now, tallies[campaign.name]))
    known = asyncio.ensure_future(_known_devices(fleet)) if jobs else None
    try:
        await run_all(jobs)
        devices = await known if known is not None else None
    finally:
        if known is not None and not known.done():
            known.cancel()
            await asyncio.gather(known, return_exceptions=True)
    plans = tuple(_finish(c, tallies[c.name], memberships[c.name].devices, devices)
                  for c in selected)
    _refuse_overlaps(plans)
    return plans


async def _scan(
    fleet: FleetReader,
    gate: asyncio.Semaphore,
    device: str,
    status: str | None,
    membership: Membership,
    rules: tuple[RecordingRule, ...],
    now: dt.datetime,
    tally: _Tally,
) -> None:
    async with gate:
        async for cursor, page in fleet.recording_pages(device=device, status=status):
            ref = PageRef(device, status, cursor)
            for item in page:
                try:
                    recording = Recording.from_api(item)
                except (KeyError, TypeError, AttributeError):
                    raise FleetError(f"fleet API: a recording of device {device} has no usable "
                                     "`uid` in GET /fleet/recordings/; is AVALA_BASE_URL the "
                                     "fleet API?") from None
                if not membership.contains(recording):
                    continue
                tally.scanned += 1
                if recording.status == ACTIVE_STATUS:
                    tally.skipped_active += 1
                    continue
                if recording.status is not None and recording.status not in KNOWN_STATUSES:
                    tally.unknown_statuses[recording.status] += 1
                outcome = evaluate(recording, rules, now)
                if not outcome.settled:
                    tally.unsettled.append(recording.uid)
                change = change_from(recording, outcome, ref)
                if change is not None:
                    tally.changes[change.uid] = change


async def _known_devices(fleet: FleetReader) -> frozenset[str] | None:
    """Device uids the fleet knows, or None if the list cannot be read (the check is a hint)."""
    try:
        return frozenset(str(d.get("uid")) for d in await fleet.list_devices())
    except FleetError:
        return None


def _finish(
    campaign: Campaign,
    tally: _Tally,
    devices: tuple[str, ...],
    known: frozenset[str] | None,
) -> RecordingPlan:
    assert campaign.recordings is not None
    changes = tuple(sorted(tally.changes.values(), key=lambda c: (c.device or "", c.uid)))
    warnings: list[str] = []
    if known is not None:
        for device in devices:
            if device not in known:
                warnings.append(f"campaign {campaign.name}: fleet device {device!r} is not known "
                                "to the fleet API; check the camera's `device` or "
                                "spec.recordings.select.devices")
    for status, count in sorted(tally.unknown_statuses.items()):
        warnings.append(
            f"campaign {campaign.name}: {count} recording(s) have status {status!r}, not one of "
            f"{', '.join(sorted(KNOWN_STATUSES))}; rules still apply to them"
        )
    if tally.unsettled:
        examples = ", ".join(sorted(tally.unsettled)[:EXAMPLES_PER_RULE])
        warnings.append(
            f"campaign {campaign.name}: the rules never settle for {len(tally.unsettled)} "
            f"recording(s) (e.g. {examples}): they undo each other, so every apply will change "
            "them again; check spec.recordings.rules for conditions that later actions flip"
        )
    for rule in campaign.recordings.rules:
        if rule.set_status is not None and rule.set_status not in KNOWN_STATUSES:
            warnings.append(
                f"{rule.location}: rule {rule.name!r} sets status {rule.set_status!r}, not one of "
                f"{', '.join(sorted(KNOWN_STATUSES))}; the fleet API may refuse it"
            )
    summaries = []
    for rule in campaign.recordings.rules:
        hits = [c for c in changes if rule.name in c.rules]
        summaries.append(RuleSummary(
            rule=rule.name,
            changed=sum(1 for c in hits if not c.delete),
            deleted=sum(1 for c in hits if c.delete),
            examples=tuple(c.uid for c in hits[:EXAMPLES_PER_RULE]),
        ))
    return RecordingPlan(
        campaign=campaign.name,
        changes=changes,
        unchanged=tally.scanned - len(changes),
        scanned=tally.scanned,
        warnings=tuple(warnings),
        rules=tuple(summaries),
        skipped_active=tally.skipped_active,
        devices=devices,
    )


def _refuse_overlaps(plans: tuple[RecordingPlan, ...]) -> None:
    owner: dict[str, str] = {}
    for plan in plans:
        for change in plan.changes:
            other = owner.setdefault(change.uid, plan.campaign)
            if other != plan.campaign:
                raise PlanError(
                    f"recording {change.uid} is changed by the rules of both campaign {other} "
                    f"and campaign {plan.campaign}; narrow spec.recordings.select of one of "
                    "them so each recording has one owner"
                )
