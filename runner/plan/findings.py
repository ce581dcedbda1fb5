"""What `plan` says beside the plan: camera conflicts (among the campaigns and with the control
plane's other sessions), USB bandwidth, orphans and strangers. Values in, diagnostics out.

Codes (docs/campaign-files.md): CMP610/CMP611 errors, CMP612/CMP613/CMP614 warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

from runner.compile import VERSION_KEY, Desired, owner_of, utc_text
from runner.plan.conflicts import (
    Booking,
    ControlPlaneSession,
    Neighbours,
    SessionRef,
    declared_bookings,
    find_conflicts,
    first_per_pair,
)
from runner.plan.model import Plan
from runner.spec.checks.conflicts import bandwidth_diagnostics, conflict_diagnostic
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign

LEASE_PREFIX = "lease"  # `<campaign>#lease...`: the burst driver's lease rows, not sessions
SHOWN = 3  # sessions named per orphaned campaign


def plan_findings(
    campaigns: Sequence[Campaign], plan: Plan, neighbours: Neighbours
) -> tuple[Diagnostic, ...]:
    """Conflicts, bandwidth, orphans and strangers of `plan` (errors first)."""
    desired = plan.desired
    findings = [*conflict_findings(desired, plan, neighbours.booked)]
    findings += bandwidth_diagnostics(campaigns, desired.sessions)
    findings += orphan_findings(desired, neighbours.named)
    findings += stranger_findings(desired, neighbours.named)
    findings.sort(key=lambda d: d.severity != "error")
    return tuple(findings)


def conflict_findings(
    desired: Desired, plan: Plan, booked: Sequence[ControlPlaneSession]
) -> list[Diagnostic]:
    """CMP610 between declared sessions, CMP611 with sessions the control plane holds that
    no given campaign owns (the plan's own deletes do not count: they are going away)."""
    ours = set(desired.campaigns)
    going = set(plan.writes.delete_sessions)
    bookings = declared_bookings(desired.sessions)
    for s in booked:
        owner = owner_of(s.name, s.id)
        if s.id in going or (owner is not None and owner[0] in ours):
            continue
        ref = SessionRef(s.name, s.id, owner[0] if owner else None, "live", "control plane")
        bookings += [Booking(m, serial, ref, s.start, s.end) for m, serial in s.cameras]
    return [conflict_diagnostic(c, n) for c, n in first_per_pair(find_conflicts(bookings))]


def _reserved(key: str) -> bool:
    return key == VERSION_KEY or key.startswith(LEASE_PREFIX)


def orphan_findings(desired: Desired, named: Sequence[ControlPlaneSession]) -> list[Diagnostic]:
    """CMP613 per campaign the tool made sessions for that is not in the given set (renamed
    or deleted), with the command that removes them."""
    ours = set(desired.campaigns)
    by_campaign: dict[str, list[ControlPlaneSession]] = {}
    for s in named:
        owner = owner_of(s.name, s.id)
        if owner is None or owner[0] in ours or _reserved(owner[1]):
            continue
        by_campaign.setdefault(owner[0], []).append(s)
    out = []
    for campaign, sessions in sorted(by_campaign.items()):
        sessions.sort(key=lambda s: (s.start, s.name))
        listed = ", ".join(f"{s.name} ({s.state}, {utc_text(s.start)}–{utc_text(s.end)} UTC, "
                           f"id {s.id})" for s in sessions[:SHOWN])
        more = f" and {len(sessions) - SHOWN} more" if len(sessions) > SHOWN else ""
        count = f"{len(sessions)} session{'s' if len(sessions) != 1 else ''}"
        out.append(Diagnostic(
            None, "warning", "CMP613",
            f"orphaned: {count} of campaign {campaign!r}, which no given file declares "
            f"(renamed or deleted?): {listed}{more}",
            f"remove them with `campaign destroy --campaign {campaign}`, or add its file to "
            "the paths",
        ))
    return out


def stranger_findings(desired: Desired, named: Sequence[ControlPlaneSession]
                      ) -> list[Diagnostic]:
    """CMP614 per session named like a given campaign's (`<c>` or `<c>#...`) that the tool
    did not make (its id is not the campaign's): never touched, but easily confused."""
    ours = set(desired.campaigns)
    where = {s.name: s.records[0].location for s in desired.sessions if s.records}
    out = []
    for s in sorted(named, key=lambda s: s.name):
        campaign, _, key = s.name.partition("#")
        if campaign not in ours or _reserved(key) or owner_of(s.name, s.id) is not None:
            continue
        declared = f"; the campaign declares a session of that name ({where[s.name]})" if (
            s.name in where) else ""
        out.append(Diagnostic(
            None, "warning", "CMP614",
            f"session {s.name!r} (id {s.id}, {s.state}) is named like campaign {campaign!r}'s "
            f"sessions but was not made by it{declared}; plan and apply leave it alone",
            "rename or delete the hand-made session so the two cannot be confused",
        ))
    return out


def finding_to_json(d: Diagnostic) -> dict[str, object]:
    """One finding as `campaign validate -o json` prints a diagnostic."""
    loc = d.location
    return {"file": loc.file if loc else None, "line": loc.line if loc else None,
            "column": loc.column if loc else None, "severity": d.severity, "code": d.code,
            "message": d.message, "hint": d.hint}


def findings_text(findings: Sequence[Diagnostic]) -> str:
    """The findings as `campaign validate` prints them, after a heading ("" when none)."""
    if not findings:
        return ""
    lines = ["", f"Findings ({len(findings)}):"]
    for d in findings:
        where = f"{d.location}: " if d.location else ""
        lines.append(f"  {where}{d.severity} {d.code}: {d.message}")
        if d.hint:
            lines.append(f"      hint: {d.hint}")
    return "\n".join(lines) + "\n"


def findings_markdown(findings: Sequence[Diagnostic]) -> str:
    """A Markdown section for the pull-request comment ("" when none)."""
    if not findings:
        return ""
    lines = ["", "### Findings", ""]
    for d in findings:
        where = f" `{d.location}`" if d.location else ""
        icon = ":x:" if d.severity == "error" else ":warning:"
        hint = f" *{d.hint}*" if d.hint else ""
        lines.append(f"- {icon} **{d.code}**{where}: {d.message}.{hint}")
    return "\n".join(lines) + "\n"
