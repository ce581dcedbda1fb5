"""Status: the campaigns' sessions, states, windows, next transitions and bursts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runner.compile import Desired
from runner.ops.backends import Backends
from runner.plan.apply import read_actual
from runner.plan.horizon import horizon_note, sessionless
from runner.plan.model import Actual, ActualSession
from runner.run import burst_status
from runner.spec.model import Campaign
from runner.states import SessionState


async def campaign_status(
    backends: Backends, campaigns: Sequence[Campaign], desired: Desired, now: dt.datetime
) -> list[dict[str, Any]]:
    """One entry per campaign with its sessions (declared and existing), as JSON values."""
    async with backends.control_plane() as cp:
        actual = await read_actual(cp, desired)
    return status_rows(campaigns, desired, actual, now, backends.state_dir)


def next_transition(session: ActualSession, now: dt.datetime) -> str:
    """What happens to the session next, as far as the control plane's state tells."""
    if session.state == SessionState.SCHEDULED:
        if now < session.start:
            return f"starts {session.start.isoformat()}"
        if now < session.end:
            return "starting now (window open)"
        return "window over"
    if session.state == SessionState.STARTED:
        return f"stops by {session.end.isoformat()}" if now < session.end else "overdue stop"
    if session.state == SessionState.STANDBY:
        return "bursts driven by `campaign run`" if now < session.end else "window over"
    return "finished" if session.end <= now else "stopped (manual trigger: `campaign trigger`)"


def status_rows(campaigns: Sequence[Campaign], desired: Desired, actual: Actual,
                now: dt.datetime, state_dir: Path) -> list[dict[str, Any]]:
    """One entry per campaign with its sessions (declared and existing)."""
    declared = {s.id for s in desired.sessions}
    out: list[dict[str, Any]] = []
    for campaign in campaigns:
        sessions = [s for s in actual.sessions if s.campaign == campaign.name]
        existing = {s.id for s in sessions}
        missing = [s.name for s in desired.sessions
                   if s.campaign == campaign.name and s.id not in existing]
        entry: dict[str, Any] = {
            "campaign": campaign.name,
            "trigger": campaign.trigger.value,
            "sessions": [
                {
                    "name": s.name, "id": s.id, "state": s.state,
                    "start": s.start.isoformat(), "end": s.end.isoformat(),
                    "next": next_transition(s, now),
                    "declared": s.id in declared,
                    "storage_bytes": s.storage_total,
                }
                for s in sorted(sessions, key=lambda s: (s.start, s.name))
            ],
            "not_applied": missing,
        }
        open_now, missed = sessionless([campaign], existing, now)
        entry["open_without_session"] = open_now
        entry["missed"] = missed
        note = horizon_note([campaign], ((s.campaign or "", s.end) for s in sessions),
                            applied=True)
        if note:
            entry["horizon_note"] = note
        bursts = burst_status(campaign, now, state_dir)
        if bursts is not None:
            entry["bursts"] = {"summary": bursts.summary(), **bursts.as_dict()}
        out.append(entry)
    return out
