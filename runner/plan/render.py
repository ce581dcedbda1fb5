"""Render a Plan: Terraform-style text, JSON (`format_version` + `changes`), Markdown.

Pure functions returning strings; the commands decide where they go and whether colour is on
(a TTY and no NO_COLOR).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import click

from runner.plan.model import Change, Plan

FORMAT_VERSION = "1"
SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "no-op": " "}
COLOUR = {"create": "green", "update": "yellow", "delete": "red", "replace": "magenta",
          "no-op": None}
VERB = {"create": "created", "update": "updated in place", "delete": "destroyed",
        "replace": "replaced", "no-op": "left alone"}


def summary_line(plan: Plan) -> str:
    """`Plan: N to add, N to change, N to destroy.` or `No changes.`"""
    if plan.writes.empty():
        if plan.has_changes():  # only the fleet's recordings change
            return "No control-plane changes (recording changes are listed above)."
        return "No changes. The control plane matches the campaigns."
    add, change, destroy = plan.counts()
    blocked = sum(1 for c in plan.effective if c.blocked)
    refused = f" ({blocked} blocked change(s) not counted: see Blocked)" if blocked else ""
    return f"Plan: {add} to add, {change} to change, {destroy} to destroy.{refused}"


def render_text(plan: Plan, *, color: bool = False, recordings_text: str = "") -> str:
    """The Terraform-style plan a person reads at a terminal."""
    paint = _painter(color)
    lines: list[str] = []
    groups = _by_session(plan.effective)
    if groups:
        lines.append("campaign will perform the following actions:")
        lines.append("")
    for session, changes in groups.items():
        head, action = _session_head(changes)
        lines.append(paint(action, f"  # session {session} will be {VERB[action]}")
                     + (f" ({head.reason})" if head is not None and action != "update"
                        else ""))
        lines.extend(_group_lines(changes, paint))
        lines.append("")
    notes = [c for c in plan.changes if c.action == "no-op" and not c.reason.startswith("up to")]
    if notes:
        lines.append("Notes:")
        lines.extend(f"  session {c.address}: {c.reason}" for c in notes)
        lines.append("")
    for warning in plan.warnings:
        lines.append(paint("update", "Warning: ") + warning)
    for blocked in plan.blocked:
        lines.append(paint("delete", "Blocked: ") + blocked)
    if plan.warnings or plan.blocked:
        lines.append("")
    if recordings_text:
        lines.append(recordings_text.rstrip("\n"))
        lines.append("")
    lines.append(_bold(summary_line(plan), color))
    return "\n".join(lines) + "\n"


def _group_lines(changes: list[Change], paint: Callable[[str, str], str]) -> list[str]:
    """A session's change lines; a stream change under an unchanged record gets that record
    as a context line, so two cameras' `depth` streams are never ambiguous."""
    out: list[str] = []
    shown = {c.address for c in changes if c.kind == "record"}
    context = None
    for change in changes:
        if change.kind == "stream":
            record = change.address.rsplit("/", 1)[0]
            if record not in shown and record != context:
                out.append(f"        record {record.rsplit('/', 1)[-1]}")
            context = record
        out.extend(_change_lines(change, paint))
    return out


def _change_lines(change: Change, paint: Callable[[str, str], str]) -> list[str]:
    indent = {"session": "    ", "record": "      ", "stream": "        "}[change.kind]
    symbol = SYMBOL[change.action]
    label = change.address.rsplit("/", 1)[-1] if change.kind != "session" else change.address
    out = [paint(change.action, f"{indent}{symbol} {change.kind} {label}")
           + (f"  # {change.reason}" if _worth_saying(change) else "")]
    detail = indent + "    "
    if change.action == "create" and change.kind == "session" and change.after:
        after = change.after
        out.append(f"{detail}window: {after['startDate']} -> {after['endDate']} UTC")
        out.append(f"{detail}mode: {after['mode']}, state: {after['state']}, "
                   f"maxTimeSeconds: {after['maxTimeSeconds']}")
    elif change.action == "create" and change.kind == "stream" and change.after:
        a = change.after
        out.append(f"{detail}{a['encoder']} {a['width']}x{a['height']}@{a['frameRate']} "
                   f"{_rate(a['bitrate'])} align {a['alignTo']} cut {a['nearCut']}-{a['farCut']}")
    elif change.action == "update" and change.before is not None and change.after is not None:
        for key, value in change.after.items():
            out.append(f"{detail}{key}: {_show(change.before.get(key))} -> {_show(value)}")
    if change.estimated_megabytes is not None and change.action != "delete":
        limit = change.max_size_megabytes or 0
        cap = f"of max {limit:,} MB" if limit > 0 else "(no size limit)"
        over = "  ! over the limit" if limit > 0 and change.estimated_megabytes > limit else ""
        out.append(f"{detail}estimated storage: {change.estimated_megabytes:,.0f} MB {cap}{over}")
    return out


def _worth_saying(change: Change) -> bool:
    if change.kind == "session":
        return change.action == "update"
    return change.reason not in ("new session", "with its session", "with its record")


def plan_to_json(plan: Plan, *, recordings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The machine-readable plan (`plan -o json`); stable keys, `format_version` first."""
    add, change, destroy = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "campaigns": list(plan.desired.campaigns),
        "now": plan.now.isoformat(),
        "fingerprint": plan.fingerprint,
        "options": {"prune": plan.options.prune, "destroy": plan.options.destroy,
                    "allow_restart": plan.options.allow_restart, "force": plan.options.force},
        "summary": {"add": add, "change": change, "destroy": destroy,
                    "blocked": sum(1 for c in plan.effective if c.blocked),
                    "changes_present": plan.has_changes()},
        "changes": [c.to_json() for c in plan.effective],
        "notes": [c.to_json() for c in plan.changes
                  if c.action == "no-op" and not c.reason.startswith("up to")],
        "warnings": list(plan.warnings),
        "blocked": list(plan.blocked),
        "recordings": recordings or [],
    }


def render_json(plan: Plan, *, recordings: list[dict[str, Any]] | None = None) -> str:
    """`plan_to_json` as indented text."""
    return json.dumps(plan_to_json(plan, recordings=recordings), indent=2) + "\n"


def render_markdown(plan: Plan, *, recordings_markdown: str = "") -> str:
    """A pull-request comment: summary, a table per session, the detail in a diff block."""
    lines = [f"### campaign plan: {', '.join(plan.desired.campaigns) or '(no campaigns)'}", ""]
    lines.append(f"**{summary_line(plan)}**")
    lines.append("")
    groups = _by_session(plan.effective)
    if groups:
        lines.append("| | Session | Changes | Estimated storage |")
        lines.append("|---|---|---|---|")
        for session, changes in groups.items():
            _, action = _session_head(changes)
            counts = _count_kinds(changes)
            storage = ""
            est = next((c for c in changes if c.estimated_megabytes is not None), None)
            if est is not None and est.estimated_megabytes is not None:
                limit = est.max_size_megabytes or 0
                storage = f"{est.estimated_megabytes:,.0f} MB" + (
                    f" / {limit:,} MB" if limit else "")
            lines.append(f"| `{SYMBOL[action]}` | `{_md(session)}` | {counts} | {storage} |")
        lines.append("")
        gantt = plan_gantt(plan)
        if gantt:
            lines.extend(["```mermaid", gantt.rstrip("\n"), "```", ""])
        lines.append("<details><summary>Details</summary>")
        lines.append("")
        lines.append("```diff")
        for session, changes in groups.items():
            # Every session gets its header, as in the text plan: a session whose own row is
            # unchanged would otherwise have its records' and streams' lines follow unnamed.
            _, action = _session_head(changes)
            lines.append(f"# session {session} will be {VERB[action]}")
            for text in _group_lines(changes, _painter(False)):
                sign = {"+": "+", "-": "-", "~": "!"}.get(text.lstrip()[:1], " ")
                lines.append(f"{sign} {text[2:]}")
        lines.append("```")
        lines.append("")
        lines.append("</details>")
        lines.append("")
    for warning in plan.warnings:
        lines.append(f"> **Warning:** {_md(warning)}")
    for blocked in plan.blocked:
        lines.append(f"> **Blocked:** {_md(blocked)}")
    if recordings_markdown:
        lines.append("")
        lines.append(recordings_markdown.rstrip("\n"))
    return "\n".join(lines).rstrip("\n") + "\n"


# Gantt tags per action: new sessions stand out, deleted ones are greyed.
GANTT_TAGS = {"create": ("active",), "replace": ("active",), "update": (), "delete": ("done",)}


def plan_gantt(plan: Plan) -> str:
    """A Mermaid gantt (UTC) of the sessions the plan changes, '' when none has a window.

    A moved window shows its old interval too ("was"); a session booking a camera that another
    declared session books at the same time is `crit` (red)."""
    from runner.compile import from_utc_text
    from runner.timeline.build import Booking, find_conflicts
    from runner.timeline.mermaid import GanttTask, render_gantt
    from runner.timeline.model import SessionRef

    desired = {s.name: s for s in plan.desired.sessions}
    conflicts = find_conflicts(
        Booking(r.model, r.serial, SessionRef(s.name, s.id, s.campaign, "declared", ""),
                s.start, s.end)
        for s in plan.desired.sessions for r in s.records)
    in_conflict = {ref.name for c in conflicts for ref in (c.first, c.second)}
    tasks: list[GanttTask] = []
    for session, changes in _by_session(plan.effective).items():
        head, action = _session_head(changes)
        campaign, _, key = session.partition("#")
        label = f"{key or campaign} {VERB[action].split()[0]}"
        want = desired.get(session)
        tags = ("crit",) if session in in_conflict else GANTT_TAGS.get(action, ())
        if want is not None and action != "delete":
            tasks.append(GanttTask(campaign, label, want.start, want.end, tags))
        before = head.before if head is not None else None
        if before and ("startDate" in before or "endDate" in before):
            old = {**(want.columns() if want is not None else {}), **before}
            start, end = old.get("startDate"), old.get("endDate")
            if isinstance(start, str) and isinstance(end, str):
                was = label if action == "delete" else f"{key or campaign} was"
                tasks.append(GanttTask(campaign, was, from_utc_text(start), from_utc_text(end),
                                       ("done",)))
    if not tasks:
        return ""
    return render_gantt(tasks, title="Sessions this plan changes (UTC)", tz="UTC")


def _session_head(changes: list[Change]) -> tuple[Change | None, str]:
    """A session group's own change (None when only its children change) and its action."""
    head = next((c for c in changes if c.kind == "session"), None)
    return head, head.action if head is not None else "update"


def _by_session(changes: Iterable[Change]) -> dict[str, list[Change]]:
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.session, []).append(change)
    return groups


def _count_kinds(changes: list[Change]) -> str:
    parts = []
    for action in ("create", "update", "replace", "delete"):
        n = sum(1 for c in changes if c.action == action)
        if n:
            parts.append(f"{n} {VERB[action].split()[0]}")
    return ", ".join(parts)


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(action: str, text: str) -> str:
        return click.style(text, fg=COLOUR[action]) if color else text

    return paint


def _bold(text: str, color: bool) -> str:
    return click.style(text, bold=True) if color else text


def _rate(bits: object) -> str:
    value = float(bits) if isinstance(bits, (int, float)) else 0.0
    return f"{value / 1e6:g} Mbit/s" if value >= 1e6 else f"{value / 1e3:g} kbit/s"


def _show(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _md(text: str) -> str:
    return text.replace("|", "\\|")
