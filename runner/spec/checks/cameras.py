"""Cameras and their streams: profiles, alignment, cuts, capabilities, unquoted serials.

Codes CMP301-CMP311 (see docs/campaign-files.md).
"""

from __future__ import annotations

import re
from typing import Any

from runner.spec.checks._context import Context
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Camera, Stream
from runner.spec.schema import dotted, suggest
from runner.spec.yamlsafe import Document, Path

_STREAM_DEFAULTS = {"nearCut": 0, "farCut": 65535}
_NUMERIC_SERIAL = re.compile(r"[-+]?[0-9][0-9_.:eE+-]*|0[xXoObB][0-9a-fA-F_]+")


def unquoted_serials(doc: Document) -> list[Diagnostic]:
    """CMP308 for serials YAML may read as numbers; runs before the schema (it needs the text).

    The serial is replaced by its text as written so the other checks still run.
    """
    spec = doc.value.get("spec")
    cameras = spec.get("cameras") if isinstance(spec, dict) else None
    if not isinstance(cameras, list):
        return []
    diags: list[Diagnostic] = []
    for i in range(len(cameras)):
        path: Path = ("spec", "cameras", i, "serial")
        plain = doc.plain.get(path)
        if plain is None or path in doc.reported:
            continue
        tag, text = plain
        if not tag.endswith(":str") or _NUMERIC_SERIAL.fullmatch(text):
            diags.append(
                Diagnostic(
                    doc.where(path),
                    "error",
                    "CMP308",
                    f"serial {text} is unquoted; YAML may read it as a number "
                    "(dropping leading zeros or changing its base)",
                    f'quote it: serial: "{text}"',
                )
            )
            cameras[i]["serial"] = text
    return diags


def check_cameras(ctx: Context, spec: dict[str, Any]) -> tuple[Camera, ...]:
    """spec.cameras (with spec.profiles): every camera and stream, built."""
    raw_profiles = spec.get("profiles") or {}
    profiles: dict[str, dict[str, Any]] | None = (
        raw_profiles
        if ctx.intact(("spec", "profiles")) and isinstance(raw_profiles, dict)
        else None
    )
    used: set[str] = set()
    complete = profiles is not None  # every stream's profile name was read (for CMP311)
    cameras: list[Camera] = []
    seen: dict[tuple[str, str], int] = {}
    for i, cam in enumerate(spec["cameras"]):
        path: Path = ("spec", "cameras", i)
        if not ctx.intact(path):
            complete = False
            continue
        if ctx.sound((*path, "model"), (*path, "serial")):
            ident = (cam["model"], cam["serial"])
            if ident in seen:
                ctx.report(
                    (*path, "serial"),
                    "CMP309",
                    f"camera {cam['model']} {cam['serial']} is listed twice "
                    f"(also spec.cameras[{seen[ident]}])",
                    "list each camera once and give it all its streams",
                )
            seen.setdefault(ident, i)
        if not ctx.intact((*path, "streams")):
            complete = False
            continue
        streams, named = _streams(ctx, cam, path, profiles, used)
        complete = complete and named
        if ctx.sound(path):
            cameras.append(
                Camera(cam["model"], cam["serial"], cam["device"], streams, ctx.at(path))
            )
    for name in profiles if complete and profiles is not None else ():
        if name not in used:
            ctx.report(
                ("spec", "profiles", name),
                "CMP311",
                f"profile {name!r} is not used",
                "remove it or list it in a camera's streams",
                "warning",
            )
    return tuple(cameras)


def _streams(
    ctx: Context,
    cam: dict[str, Any],
    path: Path,
    profiles: dict[str, dict[str, Any]] | None,
    used: set[str],
) -> tuple[tuple[Stream, ...], bool]:
    """The camera's streams, and whether every entry's profile name could be read."""
    # int() below: JSON Schema counts 1280.0 as an integer, the control plane's Int does not.
    resolved: list[tuple[Path, dict[str, Any], str | None]] = []
    named = usable = True  # usable: every stream resolved, so cross-stream checks can run
    for j, entry in enumerate(cam["streams"]):
        spath: Path = (*path, "streams", j)
        if not ctx.intact(spath):
            named = usable = False
            continue
        name = entry if isinstance(entry, str) else entry.get("profile")
        fields: dict[str, Any] = {}
        if name is not None:
            npath = spath if isinstance(entry, str) else (*spath, "profile")
            if not ctx.sound(npath) or profiles is None:
                named = usable = False
                continue
            if name not in profiles:
                guess = suggest(name, profiles)
                hint = (
                    f"did you mean {guess!r}?"
                    if guess
                    else "define it under spec.profiles or write the stream inline"
                )
                ctx.report(npath, "CMP301", f"unknown stream profile {name!r}", hint)
                continue
            used.add(name)
            if not ctx.sound(("spec", "profiles", name)):
                usable = False
                continue
            fields.update(profiles[name])
        if isinstance(entry, dict):
            if not ctx.sound(spath):
                usable = False
                continue
            fields.update({k: v for k, v in entry.items() if k != "profile"})
        resolved.append((spath, {**_STREAM_DEFAULTS, **fields}, name))

    caps = ctx.caps.get(cam["model"]) if ctx.sound((*path, "model")) else None
    types = [f["type"] for _, f, _ in resolved]
    streams: list[Stream] = []
    by_type: dict[str, Path] = {}
    for spath, f, name in resolved:
        t = f["type"]
        if usable and t in by_type:
            ctx.report(
                spath,
                "CMP306",
                f"camera has two {t} streams (also {dotted(by_type[t])})",
                "a camera records each stream type at most once",
            )
        by_type.setdefault(t, spath)
        align = f.get("alignTo", t)
        if usable and align not in types:
            ctx.report(
                spath,
                "CMP302",
                f"alignTo {align!r} names no stream of this camera (it has {', '.join(types)})",
                f"align to one of: {', '.join(sorted(set(types)))}",
            )
        if f["nearCut"] >= f["farCut"]:
            ctx.report(
                spath,
                "CMP303",
                f"nearCut {f['nearCut']} must be less than farCut {f['farCut']}",
                "nearCut and farCut are millimetres; make farCut larger",
            )
        if caps is not None:
            reason = caps.check(t, f["width"], f["height"], f["frameRate"])
            if reason:
                code = "CMP304" if t not in caps.streams else "CMP305"
                ctx.report(spath, code, reason, "pick a mode from schemas/capabilities.yaml")
        streams.append(
            Stream(
                t,
                align,
                f["encoder"],
                int(f["width"]),
                int(f["height"]),
                int(f["frameRate"]),
                int(f["bitrate"]),
                int(f["nearCut"]),
                int(f["farCut"]),
                ctx.at(spath),
                name,
            )
        )
    if usable and caps is not None and caps.shared_sensor:
        shared = [
            (s.width, s.height, s.frame_rate) for s in streams if s.type in caps.shared_sensor
        ]
        if len(set(shared)) > 1:
            modes = ", ".join(f"{s.type} {s.width}x{s.height}@{s.frame_rate}" for s in streams)
            ctx.report(
                (*path, "streams"),
                "CMP307",
                f"{caps.name} streams share one sensor and need one resolution and "
                f"frame rate ({modes})",
                "give all streams of this camera the same width, height and frameRate",
            )
    return tuple(streams), named
