"""`load_campaigns`: files, directories and stdin -> validated Campaign models plus diagnostics."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from runner.spec.build import build_campaign
from runner.spec.capabilities import Capabilities, default_capabilities
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign, Location
from runner.spec.yamlsafe import MAX_FILE_BYTES, Document, load_documents

STDIN = "-"  # the path that means standard input
STDIN_NAME = "<stdin>"  # its name in positions: <stdin>:line:col


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
    """Files as given, directories as their *.yaml/*.yml files (recursive, sorted), `-` as is.

    A path that does not exist is kept: reading it reports CMP109 (never an exception).
    """
    files: list[str] = []
    for raw in paths:
        path = os.fspath(raw)
        if path != STDIN and os.path.isdir(path):
            found: list[str] = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]  # skip .git, .campaign
                found.extend(
                    os.path.join(root, n)
                    for n in names
                    if n.endswith((".yaml", ".yml")) and not n.startswith(".")
                )
            files.extend(sorted(found))
        else:
            files.append(path)
    return list(dict.fromkeys(files))  # a file named twice is read once


def load_campaigns(
    paths: Sequence[str | os.PathLike[str]] | str,
    *,
    now: dt.datetime | None = None,
    capabilities: Capabilities | None = None,
    require_campaigns: bool = False,
    stdin: BinaryIO | None = None,
) -> LoadResult:
    """Load, validate and build every campaign in `paths` (files, directories, `-` for stdin).

    Never raises for bad input: problems are diagnostics, positions `file:line:col` (standard
    input reads as `<stdin>`; `stdin` replaces sys.stdin's bytes). `now` (aware) enables the
    "window in the past" warnings. `require_campaigns`: inputs holding no campaign document
    at all (an empty file alone, a directory without YAML, a mistyped path) are an error,
    CMP120 "no campaigns found in ...".
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    inputs = [os.fspath(p) for p in paths]
    sources = (
        (STDIN_NAME, _read_stdin(stdin)) if f == STDIN else (f, _read(f))
        for f in expand_paths(inputs)
    )
    result = _load(sources, now, capabilities)
    return _require_campaigns(result, inputs) if require_campaigns else result


def load_sources(
    sources: Mapping[str, str | bytes],
    *,
    now: dt.datetime | None = None,
    capabilities: Capabilities | None = None,
    require_campaigns: bool = False,
) -> LoadResult:
    """Like `load_campaigns`, for in-memory files: {file name: content}, in the given order."""
    items = (
        (name, text.encode("utf-8") if isinstance(text, str) else text)
        for name, text in sources.items()
    )
    result = _load(items, now, capabilities)
    return _require_campaigns(result, list(sources)) if require_campaigns else result


def _no_campaigns_found(result: LoadResult, inputs: Sequence[str]) -> Diagnostic | None:
    """CMP120 when `inputs` held no campaign document and nothing else explains why.

    A file that failed to parse explains itself; an empty file among others stays a warning.
    """
    if result.documents or any(
        d.severity == "error" and d.code != "CMP109" for d in result.diagnostics
    ):
        return None
    where = ", ".join(STDIN_NAME if i == STDIN else i for i in inputs) or "no paths"
    return Diagnostic(
        None,
        "error",
        "CMP120",
        f"no campaigns found in {where}",
        "give files or directories with `kind: Campaign` YAML documents (*.yaml, *.yml), "
        "or - for standard input",
    )


def _require_campaigns(result: LoadResult, inputs: Sequence[str]) -> LoadResult:
    missing = _no_campaigns_found(result, inputs)
    if missing is None:
        return result
    return replace(result, diagnostics=(*result.diagnostics, missing))


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


def _read_stdin(stream: BinaryIO | None) -> bytes | Diagnostic:
    source = stream if stream is not None else getattr(sys.stdin, "buffer", None)
    try:
        if source is None:
            raise OSError("standard input is closed")
        return source.read(_max_read())
    except (OSError, ValueError) as exc:  # ValueError: read from a closed file
        return Diagnostic(
            Location(STDIN_NAME, 1, 1),
            "error",
            "CMP109",
            f"cannot read standard input: {getattr(exc, 'strerror', None) or exc}",
            "pipe the campaign documents in, e.g. `cat *.yaml | campaign validate -`",
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
