"""From campaigns to session runs: which session each standby campaign drives, and from where.

Pure functions of campaigns, `now`, the backend's session rows and the saved run state; the
command layer does the I/O around them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runner.compile import session_id, session_name
from runner.errors import CampaignError
from runner.run.driver import SessionRow, SessionRun
from runner.run.schedule import BurstSchedule, build_schedule, choose_anchor, resume_plan
from runner.run.state import SavedSession, resumable
from runner.spec.model import BurstPattern, Campaign, Occurrence, Trigger
from runner.spec.windows import occurrences
from runner.states import SessionState

LOOKAHEAD = dt.timedelta(days=366)  # how far ahead `campaign run` looks for the next window


@dataclass(frozen=True)
class BurstTarget:
    """The session a standby campaign's run drives: its window occurrence and ownership ids."""

    campaign: Campaign
    pattern: BurstPattern
    occurrence: Occurrence
    session_name: str
    session_id: str


def burst_targets(campaigns: Iterable[Campaign], now: dt.datetime) -> list[BurstTarget]:
    """For each standby campaign with bursts, the occurrence that is open now or comes next.

    Raises CampaignError if none of the campaigns is a standby campaign with bursts, or one
    has no window left in the next LOOKAHEAD.
    """
    targets: list[BurstTarget] = []
    ignored: list[str] = []
    for campaign in campaigns:
        if campaign.trigger is not Trigger.STANDBY or campaign.bursts is None:
            ignored.append(campaign.name)
            continue
        upcoming = [o for o in occurrences(campaign.window, now, now + LOOKAHEAD) if o.end > now]
        if not upcoming:
            raise CampaignError(
                f"{campaign.location}: campaign {campaign.name!r} has no window open now or in "
                f"the next year; nothing to run (check spec.window)")
        occurrence = upcoming[0]
        targets.append(BurstTarget(
            campaign=campaign,
            pattern=campaign.bursts,
            occurrence=occurrence,
            session_name=session_name(campaign.name, occurrence.key),
            session_id=session_id(campaign.name, occurrence.key),
        ))
    if not targets:
        names = ", ".join(ignored) or "none"
        raise CampaignError(
            f"no campaign with `trigger: standby` and `bursts` among the given files ({names}); "
            "`campaign run` only drives burst campaigns (use `campaign trigger` for manual ones)")
    return targets


def fresh_schedule(target: BurstTarget, now: dt.datetime) -> BurstSchedule:
    """The schedule a run starting at `now` follows (no earlier run of this occurrence)."""
    anchor = choose_anchor(target.pattern, target.occurrence, now)
    return build_schedule(target.session_name, target.pattern, target.occurrence, anchor)


def resumed_schedule(
    target: BurstTarget, previous: SavedSession | None, now: dt.datetime
) -> tuple[BurstSchedule, frozenset[int]]:
    """The schedule to follow and the bursts already started: an earlier run's, if it drove
    this very occurrence and pattern, else a fresh schedule from `now` with none started."""
    if previous is not None and resumable(previous, target.pattern, target.occurrence):
        schedule = build_schedule(target.session_name, target.pattern, target.occurrence,
                                  previous.anchor)
        return schedule, previous.started
    return fresh_schedule(target, now), frozenset()


def session_runs(
    targets: Iterable[BurstTarget],
    now: dt.datetime,
    rows: Mapping[str, SessionRow],
    saved: Mapping[str, SavedSession],
    max_lateness: dt.timedelta,
    lead: dt.timedelta = dt.timedelta(seconds=0.25),
) -> list[SessionRun]:
    """Resume-aware runs: an earlier run's anchor and started bursts plus the backend's state
    decide what is left; a fresh run in an open window starts `lead` after `now` (time to
    warm the connection). Raises CampaignError for a missing session or one not in Standby."""
    runs: list[SessionRun] = []
    for target in targets:
        row = rows.get(target.session_id)
        if row is None:
            raise CampaignError(
                f"session {target.session_name!r} of campaign {target.campaign.name!r} does not "
                "exist on the control plane; run `campaign apply` for this campaign first")
        if row.state not in (SessionState.STANDBY, SessionState.STARTED):
            raise CampaignError(
                f"session {target.session_name!r} is {row.state}, not Standby; run `campaign "
                "apply` (it puts standby campaigns' sessions in Standby) and retry")
        schedule, started = resumed_schedule(target, saved.get(target.session_id), now + lead)
        plan = resume_plan(schedule, now, session_started=row.state == SessionState.STARTED,
                           started_bursts=started, max_lateness=max_lateness)
        runs.append(SessionRun(schedule, target.session_id, plan, target.campaign.name))
    return runs
