"""Rendering shared by plan / apply / destroy: the plan in each format, outcome lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager

import click

from runner.commands._options import use_color
from runner.commands._progress import progress_bar
from runner.ops.apply import Progress
from runner.plan.findings import finding_to_json, findings_markdown, findings_text
from runner.plan.model import Plan
from runner.plan.render import plan_to_json, render_markdown, render_text
from runner.recordings import (
    RecordingApplyResult,
    recordings_to_json,
    render_apply_summary,
    render_recordings_markdown,
    render_recordings_text,
)
from runner.spec.diagnostics import Diagnostic


def emit(plan: Plan, output: str, findings: Sequence[Diagnostic] = ()) -> None:
    """Print the plan in the chosen format to stdout (with `plan`'s findings, if any)."""
    recordings = plan.recordings
    if output == "json":
        payload = plan_to_json(plan, recordings=list(recordings_to_json(recordings)))
        if findings:
            payload["findings"] = [finding_to_json(d) for d in findings]
        click.echo(json.dumps(payload, indent=2))
    elif output == "markdown":
        text = render_recordings_markdown(recordings) if recordings else ""
        click.echo(render_markdown(plan, recordings_markdown=text), nl=False)
        click.echo(findings_markdown(findings), nl=False)
    else:
        color = use_color()
        text = render_recordings_text(recordings, color=color) if recordings else ""
        click.echo(render_text(plan, color=color, recordings_text=text), nl=False)
        click.echo(findings_text(findings), nl=False)


def outcome(message: str, output: str) -> None:
    """A final line: on stdout for text; on stderr when stdout holds a JSON/Markdown document."""
    to_stderr = output != "text"
    colour = use_color(sys.stderr if to_stderr else sys.stdout)
    click.echo(click.style(message, fg="green") if colour else message, err=to_stderr)


def recordings_summary(result: RecordingApplyResult, output: str) -> None:
    """The fleet part's summary, where `outcome` puts lines."""
    to_stderr = output != "text"
    color = use_color(sys.stderr if to_stderr else sys.stdout)
    click.echo(render_apply_summary(result, color=color), err=to_stderr)


def note(text: str) -> None:
    """A note for the user, on stderr."""
    click.echo(text, err=True)


def progress(total: int) -> AbstractContextManager[Progress | None]:
    """The fleet progress bar on a terminal (stderr)."""
    return progress_bar(total, enabled=sys.stderr.isatty())
