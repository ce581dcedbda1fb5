"""`campaign doctor`: check the configured backends the way the tool will use them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import click

from runner.commands._exit import EXIT_ERROR, EXIT_OK
from runner.commands._options import backend_options, backends_from, use_color
from runner.ops.doctor import DoctorReport, doctor

MARK = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


@click.command("doctor")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@backend_options
def doctor_command(output: str, sandbox: bool, insecure: bool, config_file: Path | None,
                   timeout: float | None) -> int:
    """Check the control plane and the fleet API the tool is configured for.

    For each backend: reachability, auth, server version (if exposed), every operation the
    tool needs (found as which field, or missing), enum values against the capability table,
    the fleet API's auth and paging, and clock skew. Secrets are never shown.

    Exit codes: 0 everything needed is there (warnings allowed); 1 something is missing.
    """
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    report = asyncio.run(doctor(backends, dt.datetime.now(dt.timezone.utc)))
    if output == "json":
        click.echo(json.dumps({"ok": report.ok, "control_plane": backends.label,
                               "findings": [f.to_json() for f in report.findings]}, indent=2))
    else:
        click.echo(render(report, backends.label, color=use_color()), nl=False)
    return EXIT_OK if report.ok else EXIT_ERROR


def render(report: DoctorReport, label: str, *, color: bool) -> str:
    """One line per finding, grouped by backend, and a verdict."""
    lines: list[str] = []
    backend = None
    for finding in report.findings:
        if finding.backend != backend:
            backend = finding.backend
            where = f" ({label})" if backend == "control plane" else ""
            lines.append(f"{backend}{where}")
        word, colour = MARK[finding.status]
        mark = click.style(f"{word:>4}", fg=colour) if color else f"{word:>4}"
        lines.append(f"  {mark}  {finding.check}: {finding.detail}")
    fails = sum(1 for f in report.findings if f.status == "fail")
    warns = sum(1 for f in report.findings if f.status == "warn")
    verdict = ("Ready: everything the tool needs is there" if report.ok
               else f"Not usable: {fails} problem(s) above marked FAIL")
    lines += ["", f"{verdict} ({warns} warning(s))."]
    return "\n".join(lines) + "\n"
