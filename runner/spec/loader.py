"""`load_campaigns`: files and directories -> validated Campaign models plus diagnostics."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runner.errors import UsageError
from runner.spec.build import build_campaign
from runner.spec.capabilities import Capabilities, default_capabilities
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign, Location
from runner.spec.yamlsafe import MAX_FILE_BYTES, Document, load_documents


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
            campaign, doc_diags = build_campaign(doc, caps, now)
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
