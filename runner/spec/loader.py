"""`load_campaigns`: files and directories -> validated Campaign models plus diagnostics."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runner.errors import UsageError
from runner.spec.capabilities import Capabilities, default_capabilities
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign, Location
from runner.spec.schema import schema_diagnostics
from runner.spec.yamlsafe import MAX_FILE_BYTES, Document, Path, load_documents

_NUMERIC_SERIAL = re.compile(r"[-+]?[0-9][0-9_.:eE+-]*|0[xXoObB][0-9a-fA-F_]+")


@dataclass(frozen=True)
class LoadResult:
    """Campaigns that passed every check, all diagnostics (sorted), and the files read."""

    campaigns: tuple[Campaign, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    documents: int = 0  # YAML documents that were read (valid or not)

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error (warnings are fine)."""
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the error diagnostics."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """Only the warning diagnostics."""
        return tuple(d for d in self.diagnostics if d.severity == "warning")


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files as given, directories as their *.yaml/*.yml files (recursive, sorted).

    Raises UsageError for a path that does not exist.
    """
    files: list[str] = []
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            found: list[str] = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]  # skip .git, .campaign
                found.extend(
                    os.path.join(root, n)
                    for n in names
                    if n.endswith((".yaml", ".yml")) and not n.startswith(".")
                )
            files.extend(sorted(found))
        elif os.path.exists(path):
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return list(dict.fromkeys(files))  # a file named twice is read once


def load_campaigns(
    paths: Sequence[str | os.PathLike[str]] | str,
    *,
    now: dt.datetime | None = None,
    capabilities: Capabilities | None = None,
) -> LoadResult:
    """Load, validate and build every campaign in `paths` (files or directories).

    Never raises for bad input: problems are diagnostics. `now` (aware) enables the
    "window in the past" warning. Raises UsageError only for a path that does not exist.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = expand_paths(paths)
    return _load(((f, _read(f)) for f in files), now, capabilities)


def load_sources(
    sources: Mapping[str, str | bytes],
    *,
    now: dt.datetime | None = None,
    capabilities: Capabilities | None = None,
) -> LoadResult:
    """Like `load_campaigns`, for in-memory files: {file name: content}, in the given order."""
    items = (
        (name, text.encode("utf-8") if isinstance(text, str) else text)
        for name, text in sources.items()
    )
    return _load(items, now, capabilities)


def _read(filename: str) -> bytes | Diagnostic:
    try:
        with open(filename, "rb") as fh:
            return fh.read(_max_read())
    except OSError as exc:
        return Diagnostic(
            Location(filename, 1, 1),
            "error",
            "CMP109",
            f"cannot read file: {exc.strerror or exc}",
            "check the path and its permissions",
        )


def _load(
    sources: Iterable[tuple[str, bytes | Diagnostic]],
    now: dt.datetime | None,
    capabilities: Capabilities | None,
) -> LoadResult:
    caps = capabilities if capabilities is not None else default_capabilities()
    campaigns: list[Campaign] = []
    diags: list[Diagnostic] = []
    names: dict[str, Location] = {}
    documents = 0
    files: list[str] = []
    for filename, data in sources:
        files.append(filename)
        if isinstance(data, Diagnostic):
            diags.append(data)
            continue
        docs, file_diags = load_documents(data, filename)
        diags.extend(file_diags)
        if not docs and not file_diags:
            diags.append(
                Diagnostic(
                    Location(filename, 1, 1),
                    "warning",
                    "CMP117",
                    "file contains no campaign",
                    "add a `kind: Campaign` document",
                )
            )
        documents += len(docs)
        for doc in docs:
            campaign, doc_diags = load_document(doc, caps, now)
            diags.extend(doc_diags)
            name = _name(doc)
            if name is not None:
                if name in names:
                    first = names[name]
                    diags.append(
                        Diagnostic(
                            doc.where(("metadata", "name")),
                            "error",
                            "CMP118",
                            f"campaign name {name!r} is already used at {first}",
                            "campaign names must be unique across all files",
                        )
                    )
                    continue
                names[name] = doc.where(("metadata", "name"))
            if campaign is not None:
                campaigns.append(campaign)
    diags.sort(key=_order)
    # Only campaigns whose own document is clean are here; others in the same file still load.
    return LoadResult(tuple(campaigns), tuple(diags), tuple(files), documents)


def _max_read() -> int:
    return MAX_FILE_BYTES + 1  # one byte more so "too large" is detected without reading it all


def _order(d: Diagnostic) -> tuple[Any, ...]:
    loc = d.location
    return (loc.file, loc.line, loc.column, d.code) if loc else ("", 0, 0, d.code)


def _name(doc: Document) -> str | None:
    value = doc.value
    if isinstance(value, dict) and isinstance(value.get("metadata"), dict):
        name = value["metadata"].get("name")
        return name if isinstance(name, str) else None
    return None


def load_document(
    doc: Document, capabilities: Capabilities, now: dt.datetime | None
) -> tuple[Campaign | None, list[Diagnostic]]:
    """Check one YAML document (secrets, YAML surprises, schema, semantics) and build it."""
    from runner.spec.build import build_campaign

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
    diags: list[Diagnostic] = []
    secret_keys = _secret_keys(doc, diags)
    _serials(doc, diags)
    broken: set[Path] = set()
    diags.extend(schema_diagnostics(doc, secret_keys, broken))
    broken |= doc.reported - secret_keys  # a secret key does not make its section unusable
    try:
        campaign, semantic = build_campaign(doc, capabilities, now, broken)
    except Exception as exc:  # a bug in a check must not hide the other diagnostics
        where = doc.start
        return None, [
            *diags,
            Diagnostic(
                where,
                "error",
                "CMP199",
                f"internal error while checking: {exc!r}",
                "please report this with the file",
            ),
        ]
    if any(d.severity == "error" for d in diags):
        campaign = None
    return campaign, diags + semantic


def _secret_keys(doc: Document, diags: list[Diagnostic]) -> set[Path]:
    found: set[Path] = set()
    for path in doc.secret_keys:
        if any(path[:n] in found for n in range(1, len(path))):
            continue  # inside a key already reported
        key = path[-1]
        # Never echo the value: it may be a real credential.
        diags.append(
            Diagnostic(
                doc.key_where(path),
                "error",
                "CMP501",
                f"key {key!r} looks like a secret; campaign files must not contain credentials",
                "remove it; pass secrets through the environment "
                "(HASURA_GRAPHQL_ADMIN_SECRET, AVALA_API_KEY)",
            )
        )
        found.add(path)
        doc.reported.add(path)
    return found


def _serials(doc: Document, diags: list[Diagnostic]) -> None:
    spec = doc.value.get("spec")
    cameras = spec.get("cameras") if isinstance(spec, dict) else None
    if not isinstance(cameras, list):
        return
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
            # Carry on with the text as written so the other checks still run.
            cameras[i]["serial"] = text
