"""`campaign validate PATH...` and `campaign schema`: check campaign files, print the schema."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from runner.collector import paused_gc
from runner.commands._now import parse_now
from runner.errors import CameraError, UsageError
from runner.spec.diagnostics import Diagnostic

_COLORS = {"error": "red", "warning": "yellow"}
_MAX_JOBS = 256


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for GitHub Actions annotations.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print only errors (no warnings, hints or summary); the exit code tells.",
)
@click.option(
    "--now",
    "now_text",
    metavar="TIMESTAMP",
    help="Check 'window in the past' against this ISO 8601 time with offset "
    "(default: the real clock), for reproducible runs.",
)
@click.option(
    "--probe", is_flag=True, help="Also check connected cameras against what they really support."
)
@click.option(
    "-j",
    "--jobs",
    "jobs_text",
    metavar="N",
    help="Check files in N processes (default: one per CPU core available); used from "
    "200 files on, the output is the same as with --jobs 1.",
)
def validate(
    paths: tuple[str, ...],
    output: str,
    quiet: bool,
    now_text: str | None,
    probe: bool,
    jobs_text: str | None,
) -> None:
    """Check campaign files (and directories of *.yaml/*.yml; - reads standard input) for
    every problem in one run.

    Exit code 0 when valid (warnings allowed), 1 when any error is found (also when the paths
    hold no campaign at all), 2 on usage errors.
    """
    # It keeps what it loads until it ends: with the cyclic collector on, each full
    # collection would rescan every campaign loaded so far (seconds at 10,000 files) for
    # cycles that are not there.
    with paused_gc():
        code = _validate(paths, output, quiet, now_text, probe, jobs_text)
    sys.exit(code)


def _validate(
    paths: tuple[str, ...],
    output: str,
    quiet: bool,
    now_text: str | None,
    probe: bool,
    jobs_text: str | None,
) -> int:
    now = parse_now(now_text)
    jobs = parse_jobs(jobs_text)
    if probe:
        diagnostics, files, documents, names = _validate_and_probe(paths, now, jobs)
    else:
        from runner.spec import validate_campaigns

        result = validate_campaigns(list(paths), now=now, jobs=jobs)
        diagnostics = list(result.diagnostics)
        files, documents, names = result.files, result.documents, result.names
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    if quiet:
        diagnostics = [d for d in diagnostics if d.severity == "error"]
    summary = _summary(len(files), documents, errors, warnings)
    if output == "json":
        click.echo(_render_json(diagnostics, files, names, documents, summary, errors, warnings))
    elif output == "github":
        for line in _render_github(diagnostics):
            click.echo(line)
        if not quiet:
            click.echo(summary, err=True)
    else:
        color = _use_color()
        for line in _render_text(diagnostics, color=color, hints=not quiet):
            click.echo(line, color=color)
        if not quiet:
            click.echo(summary)
    return 1 if errors else 0


def _validate_and_probe(
    paths: tuple[str, ...], now: Any, jobs: int
) -> tuple[list[Diagnostic], Sequence[str], int, Sequence[str]]:
    """--probe needs the campaigns themselves: load them all here, check across them, then
    probe the connected cameras."""
    from runner.spec import load_campaigns
    from runner.spec.checks.conflicts import check_campaign_set

    result = load_campaigns(list(paths), now=now, require_campaigns=True, jobs=jobs)
    diagnostics = list(result.diagnostics)
    if result.campaigns:
        # Across every file given; only campaigns that loaded cleanly take part.
        diagnostics.extend(check_campaign_set(result.campaigns, now))
        diagnostics.extend(_probe(result.campaigns))
    return diagnostics, result.files, result.documents, [c.name for c in result.campaigns]


@click.command("schema")
def schema() -> None:
    """Print the campaign file JSON Schema (2020-12) for editors and other tools."""
    from runner.spec.schema import schema_text

    click.echo(schema_text(), nl=False)


def parse_jobs(text: str | None) -> int:
    """--jobs as a process count (default: the CPU cores this process may use); UsageError
    (one line) for anything but a whole number from 1 to 256."""
    if text is None:
        return _cpu_count()
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= _MAX_JOBS:
        raise UsageError(
            f"--jobs {text!r} is not a number of processes from 1 to {_MAX_JOBS}; "
            "write e.g. --jobs 2 (or --jobs 1 for no worker processes)"
        )
    return int(value)


def _cpu_count() -> int:
    sched = getattr(os, "sched_getaffinity", None)  # the cores a container may really use
    return len(sched(0)) if sched is not None else os.cpu_count() or 1


def diagnostics_json(result: Any) -> str:
    """A load result's diagnostics as `validate -o json` prints them (for other commands'
    `-o json` on invalid files: tools always get a document)."""
    diagnostics = list(result.diagnostics)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    summary = _summary(len(result.files), result.documents, errors, warnings)
    names = [c.name for c in result.campaigns]
    return _render_json(
        diagnostics, result.files, names, result.documents, summary, errors, warnings
    )


def _probe(campaigns: Sequence[Any]) -> list[Diagnostic]:
    try:
        from runner.cameras.probe import probe_diagnostics
    except ImportError as exc:
        raise CameraError(
            f"--probe is not available in this installation ({exc}); run without --probe"
        ) from None
    return list(probe_diagnostics(campaigns))


def _use_color() -> bool:
    # https://no-color.org: any non-empty NO_COLOR disables colour.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _summary(files: int, documents: int, errors: int, warnings: int) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return (
        f"{n(files, 'file')}, {n(documents, 'campaign')}: "
        f"{n(errors, 'error')}, {n(warnings, 'warning')}"
    )


def _where(d: Diagnostic) -> str:
    # A diagnostic about the inputs as a whole (CMP120) has no position to show.
    return f"{d.location}: " if d.location else ""


def _render_text(diagnostics: Sequence[Diagnostic], *, color: bool, hints: bool) -> list[str]:
    lines = []
    for d in diagnostics:
        label = click.style(d.severity, fg=_COLORS[d.severity], bold=True) if color else d.severity
        lines.append(f"{_where(d)}{label} {d.code}: {d.message}")
        if hints and d.hint:
            lines.append(f"    hint: {d.hint}")
    return lines


def _render_json(
    diagnostics: Sequence[Diagnostic], files: Sequence[str], names: Sequence[str],
    documents: int, summary: str, errors: int, warnings: int,
) -> str:
    payload = {
        "valid": errors == 0,
        "diagnostics": [
            {
                "file": d.location.file if d.location else None,
                "line": d.location.line if d.location else None,
                "column": d.location.column if d.location else None,
                "severity": d.severity,
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
            }
            for d in diagnostics
        ],
        "files": list(files),
        "campaigns": list(names),
        "summary": {
            "files": len(files),
            "campaigns": documents,
            "errors": errors,
            "warnings": warnings,
            "text": summary,
        },
    }
    return json.dumps(payload, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _render_github(diagnostics: Sequence[Diagnostic]) -> list[str]:
    # https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    lines = []
    for d in diagnostics:
        props = []
        if d.location:
            props += [
                f"file={_escape_property(d.location.file)}",
                f"line={d.location.line}",
                f"col={d.location.column}",
            ]
        props.append(f"title={_escape_property(d.code)}")
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        lines.append(f"::{d.severity} {','.join(props)}::{_escape_data(message)}")
    return lines
