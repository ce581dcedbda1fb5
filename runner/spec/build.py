"""One YAML document -> its Campaign: secret keys, YAML surprises, schema, section checks, model.

Codes: CMP1xx files and structure, CMP2xx time, CMP3xx cameras/streams, CMP4xx recording
rules, CMP5xx secrets (see docs/campaign-files.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial
from typing import Any

from runner.spec.capabilities import Capabilities
from runner.spec.checks import (
    Context,
    check_bursts,
    check_cameras,
    check_recordings,
    check_window,
    secret_key_diagnostics,
    unquoted_serials,
)
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Camera, Campaign, Locations, SessionSettings, Trigger, Window
from runner.spec.schema import dotted, schema_diagnostics
from runner.spec.yamlsafe import Document, Path


def build_campaign(
    doc: Document, capabilities: Capabilities, now: dt.datetime | None
) -> tuple[Campaign | None, list[Diagnostic]]:
    """Check one document and build its Campaign (None when any check found an error).

    Never raises for bad input; `now` (aware) enables the "window in the past" warnings.
    """
    if not isinstance(doc.value, dict):
        return None, [
            Diagnostic(
                doc.start,
                "error",
                "CMP116",
                "a campaign document must be a mapping (apiVersion, kind, ...)",
                "start the document with `apiVersion: campaign/v1`",
            )
        ]
    diags, secret_keys = secret_key_diagnostics(doc)
    diags.extend(unquoted_serials(doc))
    broken: set[Path] = set()
    diags.extend(schema_diagnostics(doc, secret_keys, broken))
    broken |= doc.reported - secret_keys  # a secret key does not make its section unusable
    ctx = Context(doc, capabilities, now, broken)
    try:
        campaign = _check_sections(ctx)
    except Exception as exc:  # a bug in a check must not hide the other diagnostics
        return None, [
            *diags,
            Diagnostic(
                doc.start,
                "error",
                "CMP199",
                f"internal error while checking: {exc!r}",
                "please report this with the file",
            ),
        ]
    if any(d.severity == "error" for d in diags):
        campaign = None
    return campaign, diags + ctx.diags


def _check_sections(ctx: Context) -> Campaign | None:
    """Run every section check on whatever the schema found sound, so one run reports every
    problem; build the Campaign only when nothing is wrong."""
    value = ctx.doc.value
    raw_spec = value.get("spec")
    spec: dict[str, Any] = raw_spec if ctx.intact(("spec",)) and isinstance(raw_spec, dict) else {}
    cameras: tuple[Camera, ...] = ()
    window: Window | None = None
    bursts = recordings = None
    if "cameras" in spec and ctx.intact(("spec", "cameras")):
        cameras = check_cameras(ctx, spec)
    if "window" in spec and ctx.intact(("spec", "window")):
        window = check_window(ctx, spec["window"])
    trigger = Trigger(spec.get("trigger", "scheduled")) if ctx.sound(("spec", "trigger")) else None
    if "bursts" in spec and ctx.intact(("spec", "bursts")):
        bursts = check_bursts(ctx, spec, trigger, window)
    if "recordings" in spec and ctx.intact(("spec", "recordings")):
        recordings = check_recordings(ctx, spec)
    if ctx.broken or ctx.errors or window is None or trigger is None:
        return None
    meta = value["metadata"]
    session_raw = spec.get("session") or {}
    session = SessionSettings(
        mode=session_raw.get("mode", "Storage"),
        max_size_megabytes=int(session_raw.get("maxSizeMegabytes", 0)),
        max_time_seconds=int(session_raw.get("maxTimeSeconds", 0)),
    )
    return Campaign(
        name=meta["name"],
        labels=tuple(sorted((meta.get("labels") or {}).items())),
        description=meta.get("description"),
        cameras=cameras,
        session=session,
        window=window,
        trigger=trigger,
        bursts=bursts,
        recordings=recordings,
        location=ctx.doc.start,
        locations=Locations(ctx.doc.start.file, partial(_location_rows, ctx.doc.values)),
    )


def _location_rows(marks: dict[Path, Any]) -> Iterator[tuple[str, int, int]]:
    """(dotted path, line, column) of every value below the document's root."""
    for path, mark in marks.items():
        if path:
            yield dotted(path), mark.line + 1, mark.column + 1
