"""Render recording plans: text (terminal), JSON (every change) and Markdown (PR comments)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from runner.recordings.model import (
    PageRef,
    RecordingApplyResult,
    RecordingChange,
    RecordingPlan,
    RuleSummary,
)

_STYLES: dict[str, dict[str, Any]] = {
    "add": {"fg": "green"}, "change": {"fg": "yellow"}, "delete": {"fg": "red"},
    "warn": {"fg": "yellow"}, "bold": {"bold": True}, "dim": {"dim": True},
}


def _paint(text: str, style: str, color: bool) -> str:
    return click.style(text, **_STYLES[style]) if color else text


def _tags(tags: tuple[str, ...]) -> str:
    return "[" + ", ".join(tags) + "]"


def recordings_to_json(plans: Iterable[RecordingPlan]) -> list[dict[str, Any]]:
    """Plans as JSON-ready dicts; every change is listed."""
    return [
        {
            "campaign": plan.campaign,
            "devices": list(plan.devices),
            "scanned": plan.scanned,
            "unchanged": plan.unchanged,
            "skipped_recording": plan.skipped_active,
            "to_update": len(plan.updates),
            "to_delete": len(plan.deletions),
            "rules": [
                {"name": r.rule, "changed": r.changed, "deleted": r.deleted,
                 "examples": list(r.examples)}
                for r in plan.rules
            ],
            "warnings": list(plan.warnings),
            "changes": [change.to_json() for change in plan.changes],
        }
        for plan in plans
    ]


def _headline(plan: RecordingPlan) -> str:
    return (f"{len(plan.updates)} to update, {len(plan.deletions)} to delete, "
            f"{plan.unchanged} unchanged of {plan.scanned} scanned")


def render_recordings_text(plans: Iterable[RecordingPlan], *, color: bool) -> str:
    """The "Recordings" section of `campaign plan`: per-rule counts, examples, each deletion."""
    lines: list[str] = []
    for plan in plans:
        lines.append(_paint(f"Recordings of campaign {plan.campaign}: ", "bold", color)
                     + _headline(plan))
        if plan.skipped_active:
            lines.append(f"  ({plan.skipped_active} still recording: left alone)")
        if not plan.scanned:
            where = ", ".join(plan.devices) if plan.devices else "no devices"
            lines.append(f"  (no recordings of the campaign found on {where}; see "
                         "spec.recordings.select to widen the selection)")
        for rule in plan.rules:
            if not rule.changed and not rule.deleted:
                continue
            counts = []
            if rule.changed:
                counts.append(_paint(f"~ {rule.changed} to update", "change", color))
            if rule.deleted:
                counts.append(_paint(f"- {rule.deleted} to delete", "delete", color))
            more = rule.changed + rule.deleted - len(rule.examples)
            examples = ", ".join(rule.examples) + (f", and {more} more" if more > 0 else "")
            lines.append(f"  rule {rule.rule}: {', '.join(counts)} (e.g. {examples})")
        for change in plan.deletions:
            lines.append("  " + _paint(f"- delete {change.uid}", "delete", color)
                         + f" on {change.device} ({change.before_status}, tags "
                         f"{_tags(change.before_tags)}) by rule {', '.join(change.rules)}")
        for warning in plan.warnings:
            lines.append("  " + _paint("warning: ", "warn", color) + warning)
    return "\n".join(lines) + ("\n" if lines else "")


def render_recordings_markdown(plans: Iterable[RecordingPlan]) -> str:
    """A Markdown "Recordings" section for pull-request comments."""
    plans = tuple(plans)
    if not plans:
        return ""
    out = ["### Recordings", ""]
    for plan in plans:
        out.append(f"**{plan.campaign}**: {_headline(plan)}"
                   + (f"; {plan.skipped_active} still recording (left alone)"
                      if plan.skipped_active else ""))
        out.append("")
        active = [r for r in plan.rules if r.changed or r.deleted]
        if active:
            out += ["| rule | update | delete | examples |", "|---|---:|---:|---|"]
            for r in active:
                examples = ", ".join(f"`{uid}`" for uid in r.examples)
                out.append(f"| `{r.rule}` | {r.changed} | {r.deleted} | {examples} |")
            out.append("")
        if plan.deletions:
            out.append("Deletions:")
            out.append("")
            for c in plan.deletions:
                out.append(f"- `{c.uid}` on `{c.device}` ({c.before_status}) by "
                           f"{', '.join(f'`{r}`' for r in c.rules)}")
            out.append("")
        for warning in plan.warnings:
            out.append(f"> warning: {warning}")
        if plan.warnings:
            out.append("")
    return "\n".join(out)


def render_apply_summary(result: RecordingApplyResult, *, color: bool) -> str:
    """The line(s) `campaign apply` prints after the recording changes (no final newline)."""
    head = (f"Recordings: {result.changed} updated, {result.deleted} deleted, "
            f"{result.unchanged} unchanged, {len(result.failed)} failed")
    lines = [_paint(head, "delete" if result.failed else "bold", color)]
    for failure in result.failed[:20]:
        lines.append(f"  failed {failure.uid}: {failure.reason}")
    if len(result.failed) > 20:
        lines.append(f"  ... and {len(result.failed) - 20} more failures; re-run apply to retry")
    return "\n".join(lines)


def _page_ref(data: Any) -> PageRef | None:
    # Optional (plans saved before it existed have none: apply then reads by uid).
    if not isinstance(data, dict):
        return None
    values = [data.get(key) for key in ("device", "status", "cursor")]
    if not all(v is None or isinstance(v, str) for v in values):
        return None
    return PageRef(*values)


def recordings_from_json(data: Any) -> tuple[RecordingPlan, ...]:
    """Plans back from `recordings_to_json` output (a saved plan file); PlanError if malformed."""
    from runner.errors import PlanError

    def strings(value: Any, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PlanError(f"saved plan: {what} must be a list of strings; make the plan again")
        return tuple(value)

    try:
        plans = []
        for section in data:
            changes = tuple(
                RecordingChange(
                    uid=str(c["uid"]), device=c.get("device"),
                    rules=strings(c.get("rules", []), f"recording {c['uid']} rules"),
                    before_status=c["before"]["status"], after_status=c["after"]["status"],
                    before_tags=strings(c["before"]["tags"], f"recording {c['uid']} tags"),
                    after_tags=strings(c["after"]["tags"], f"recording {c['uid']} tags"),
                    delete=c.get("action") == "delete",
                    page=_page_ref(c.get("page")),
                )
                for c in section["changes"]
            )
            plans.append(RecordingPlan(
                campaign=str(section["campaign"]), changes=changes,
                unchanged=int(section["unchanged"]), scanned=int(section["scanned"]),
                warnings=strings(section.get("warnings", []), "warnings"),
                rules=tuple(RuleSummary(str(r["name"]), int(r["changed"]), int(r["deleted"]),
                                        strings(r.get("examples", []), "rule examples"))
                            for r in section.get("rules", [])),
                skipped_active=int(section.get("skipped_recording", 0)),
                devices=strings(section.get("devices", []), "devices"),
            ))
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"saved plan: the recordings section is malformed ({exc!r}); make the "
                        "plan again") from None
    return tuple(plans)
