"""`load_campaigns`: files, directories and stdin -> validated Campaign models plus diagnostics."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from runner.collector import paused_gc
from runner.spec.build import build_campaign
from runner.spec.capabilities import Capabilities, default_capabilities
from runner.spec.checks.usage import CampaignUse, campaign_use
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign, Location
from runner.spec.yamlsafe import MAX_FILE_BYTES, Document, load_documents

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

STDIN = "-"  # the path that means standard input
STDIN_NAME = "<stdin>"  # its name in positions: <stdin>:line:col
# From this many files on, `jobs` > 1 checks them in worker processes; below, starting the
# workers costs more than it saves.
PARALLEL_MIN_FILES = 200
_CHUNKS_PER_JOB = 8  # a few chunks per worker even out files that take longer
_T = TypeVar("_T")


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
    jobs: int = 1,
) -> LoadResult:
    """Load, validate and build every campaign in `paths` (files, directories, `-` for stdin).

    Never raises for bad input: problems are diagnostics, positions `file:line:col` (standard
    input reads as `<stdin>`; `stdin` replaces sys.stdin's bytes). `now` (aware) enables the
    "window in the past" warnings. `require_campaigns`: inputs holding no campaign document
    at all (an empty file alone, a directory without YAML, a mistyped path) are an error,
    CMP120 "no campaigns found in ...". `jobs` > 1: check the files in that many worker
    processes when there are at least PARALLEL_MIN_FILES of them (same result, same order).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    inputs = [os.fspath(p) for p in paths]
    filenames = expand_paths(inputs)
    result = None
    with paused_gc():  # thousands of files' nodes and values are kept: no cycles to find
        if jobs > 1 and len(filenames) >= PARALLEL_MIN_FILES and STDIN not in filenames:
            result = _load_in_processes(filenames, now, capabilities, jobs)
        if result is None:
            sources = (
                (STDIN_NAME, _read_stdin(stdin)) if f == STDIN else (f, _read(f))
                for f in filenames
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
        # Plain system calls, sized to the file: a buffered file object, or read(limit)'s
        # buffer of 2 MB, costs more than reading a campaign file.
        fd = os.open(filename, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            limit = _max_read()
            size = os.fstat(fd).st_size
            data = os.read(fd, min(size + 1, limit))
            # Fewer bytes than its size + 1: a regular file's end. Else (not a regular file,
            # or it grew since) up to the end.
            while size < len(data) < limit:
                more = os.read(fd, min(limit - len(data), 1 << 16))
                if not more:
                    break
                data += more
            return data
        finally:
            os.close(fd)
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


@dataclass(frozen=True)
class Validation:
    """What `campaign validate` reports on its paths: every file's diagnostics (sorted, and
    CMP120 when there was no campaign at all), then the cross-campaign ones (CMP610,
    CMP612); the files read, the documents read, and the names of the campaigns that
    passed every check of their own file, in order."""

    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    documents: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class _CheckedDocument:
    """One document's diagnostics, its campaign name (and where), and its Campaign if clean
    (or, from `validate_campaigns`' workers, only the campaign's `CampaignUse`)."""

    diagnostics: tuple[Diagnostic, ...]
    name: str | None
    name_location: Location
    campaign: Campaign | None
    use: CampaignUse | None = None


@dataclass(frozen=True)
class _CheckedFile:
    """What checking one file found; the cross-file rule (unique names) is applied after."""

    filename: str
    diagnostics: tuple[Diagnostic, ...]
    documents: tuple[_CheckedDocument, ...]
    digest: bytes = b""  # of the bytes read, from `validate_campaigns`' workers


def _check_file(
    filename: str, data: bytes | Diagnostic, now: dt.datetime | None, caps: Capabilities
) -> _CheckedFile:
    if isinstance(data, Diagnostic):
        return _CheckedFile(filename, (data,), ())
    docs, file_diags = load_documents(data, filename)
    if not docs and not file_diags:
        file_diags.append(
            Diagnostic(
                Location(filename, 1, 1),
                "warning",
                "CMP117",
                "file contains no campaign",
                "add a `kind: Campaign` document",
            )
        )
    checked = []
    for doc in docs:
        campaign, doc_diags = build_campaign(doc, caps, now)
        checked.append(
            _CheckedDocument(
                tuple(doc_diags), _name(doc), doc.where(("metadata", "name")), campaign
            )
        )
    return _CheckedFile(filename, tuple(file_diags), tuple(checked))


def _check_files(
    filenames: Sequence[str], now: dt.datetime | None, caps: Capabilities
) -> list[_CheckedFile]:
    """Read and check `filenames` (the work one worker process does for one chunk)."""
    with paused_gc():  # thousands of files' nodes and values are kept: no cycles to find
        return [_check_file(f, _read(f), now, caps) for f in filenames]


def _load(
    sources: Iterable[tuple[str, bytes | Diagnostic]],
    now: dt.datetime | None,
    capabilities: Capabilities | None,
) -> LoadResult:
    caps = capabilities if capabilities is not None else default_capabilities()
    return _merge(_check_file(name, data, now, caps) for name, data in sources)


def _merge(checked: Iterable[_CheckedFile]) -> LoadResult:
    """The files' findings in order, with CMP118 for campaign names used before."""
    return _merge_kept(checked)[0]


# A clean campaign's document: its file (name, digest), its index there, what was found.
_Kept = tuple[_CheckedFile, int, _CheckedDocument]


def _merge_kept(checked: Iterable[_CheckedFile]) -> tuple[LoadResult, list[_Kept]]:
    """`_merge`, and the documents whose campaign made it into the result (or would have,
    for documents that carry only a `CampaignUse`), in order."""
    campaigns: list[Campaign] = []
    kept: list[_Kept] = []
    diags: list[Diagnostic] = []
    names: dict[str, Location] = {}
    documents = 0
    files: list[str] = []
    for file in checked:
        files.append(file.filename)
        diags.extend(file.diagnostics)
        documents += len(file.documents)
        for index, doc in enumerate(file.documents):
            diags.extend(doc.diagnostics)
            name = doc.name
            if name is not None:
                if name in names:
                    first = names[name]
                    diags.append(
                        Diagnostic(
                            doc.name_location,
                            "error",
                            "CMP118",
                            f"campaign name {name!r} is already used at {first}",
                            "campaign names must be unique across all files",
                        )
                    )
                    continue
                names[name] = doc.name_location
            if doc.campaign is not None:
                campaigns.append(doc.campaign)
            if doc.campaign is not None or doc.use is not None:
                kept.append((file, index, doc))
    diags.sort(key=_order)
    # Only campaigns whose own document is clean are here; others in the same file still load.
    return LoadResult(tuple(campaigns), tuple(diags), tuple(files), documents), kept


def _load_in_processes(
    filenames: Sequence[str], now: dt.datetime | None, capabilities: Capabilities | None,
    jobs: int,
) -> LoadResult | None:
    """Check `filenames` in `jobs` worker processes, in contiguous chunks, and merge the
    results in file order: the same LoadResult as the serial path. None when worker
    processes cannot be started here (the caller then checks in this process)."""
    from concurrent.futures.process import BrokenProcessPool

    caps = capabilities if capabilities is not None else default_capabilities()
    chunks = _chunks(filenames, jobs)
    try:
        with _worker_pool(jobs, len(chunks)) as pool:
            results = pool.map(_check_files, chunks, [now] * len(chunks), [caps] * len(chunks))
            return _merge(file for chunk in results for file in chunk)
    except (OSError, BrokenProcessPool):  # no semaphores or fork in this sandbox, a killed worker
        return None


def validate_campaigns(
    paths: Sequence[str | os.PathLike[str]],
    *,
    now: dt.datetime | None = None,
    capabilities: Capabilities | None = None,
    jobs: int = 1,
) -> Validation:
    """What `campaign validate PATHS` reports: `load_campaigns(paths, require_campaigns=True)`
    and the cross-campaign checks (`check_campaign_set`) over the campaigns it loaded.

    With `jobs` > 1 and at least PARALLEL_MIN_FILES files, worker processes check the files
    and send back their diagnostics and, per clean campaign, only its `CampaignUse`; the
    whole campaigns the cross-campaign checks expand are built again by the workers, on
    demand. The same Validation as with jobs=1.
    """
    caps = capabilities if capabilities is not None else default_capabilities()
    inputs = [os.fspath(p) for p in paths]
    with paused_gc():  # thousands of files' findings are kept: no cycles to find
        filenames = expand_paths(inputs) if jobs > 1 else []
        if len(filenames) >= PARALLEL_MIN_FILES and STDIN not in filenames:
            checked = _validate_in_processes(filenames, inputs, now, caps, jobs)
            if checked is not None:
                return checked
        result = load_campaigns(inputs, now=now, capabilities=caps, require_campaigns=True)
        diagnostics = list(result.diagnostics)
        if result.campaigns:
            from runner.spec.checks.conflicts import check_campaign_set

            # Across every file given; only campaigns that loaded cleanly take part.
            diagnostics.extend(check_campaign_set(result.campaigns, now, caps))
        return Validation(
            tuple(diagnostics), result.files, result.documents,
            tuple(c.name for c in result.campaigns),
        )


class _FileChanged(Exception):
    """A file read again for its campaigns no longer holds what was checked."""


def _validate_in_processes(
    filenames: Sequence[str], inputs: Sequence[str], now: dt.datetime | None,
    caps: Capabilities, jobs: int,
) -> Validation | None:
    """`validate_campaigns` in worker processes; None when they cannot be started here, or
    when a file changed between the two reads (the caller then checks in this process)."""
    from concurrent.futures.process import BrokenProcessPool

    chunks = _chunks(filenames, jobs)
    try:
        with _worker_pool(jobs, len(chunks)) as pool:
            results = pool.map(_check_files_for_use, chunks, [now] * len(chunks),
                               [caps] * len(chunks))
            from runner.spec.checks.conflicts import check_campaign_uses  # while they work

            result, kept = _merge_kept(file for chunk in results for file in chunk)
            result = _require_campaigns(result, inputs)
            diagnostics = list(result.diagnostics)
            if kept:

                def campaigns(chosen: Sequence[int]) -> list[Campaign]:
                    return _campaigns_again([kept[i] for i in chosen], now, caps, jobs, pool)

                uses = [doc.use for _, _, doc in kept if doc.use is not None]
                diagnostics.extend(check_campaign_uses(uses, campaigns, now, caps))
            names = tuple(doc.name for _, _, doc in kept if doc.name is not None)
            return Validation(tuple(diagnostics), result.files, result.documents, names)
    except (OSError, BrokenProcessPool, _FileChanged):
        return None


def _check_files_for_use(
    filenames: Sequence[str], now: dt.datetime | None, caps: Capabilities
) -> list[_CheckedFile]:
    """`_check_files`, each clean campaign replaced by its `CampaignUse` (a whole campaign
    takes about ten times longer to send), each file with the digest of what was read."""
    with paused_gc():
        out = []
        for filename in filenames:
            data = _read(filename)
            file = _check_file(filename, data, now, caps)
            docs = tuple(
                doc if doc.campaign is None
                else _CheckedDocument(doc.diagnostics, doc.name, doc.name_location, None,
                                      campaign_use(doc.campaign))
                for doc in file.documents
            )
            digest = _digest(data) if isinstance(data, bytes) else b""
            out.append(_CheckedFile(filename, file.diagnostics, docs, digest))
        return out


def _campaigns_again(
    kept: Sequence[_Kept], now: dt.datetime | None, caps: Capabilities, jobs: int,
    pool: ProcessPoolExecutor,
) -> list[Campaign]:
    """The whole campaigns of `kept` documents, built again in the worker processes."""
    wanted: dict[str, tuple[bytes, list[int]]] = {}
    for file, index, _ in kept:
        wanted.setdefault(file.filename, (file.digest, []))[1].append(index)
    requests = [(name, digest, tuple(indexes)) for name, (digest, indexes) in wanted.items()]
    chunks = _chunks(requests, jobs)
    by_file: dict[str, list[Campaign]] = {}
    for chunk in pool.map(_campaigns_in, chunks, [now] * len(chunks), [caps] * len(chunks)):
        for (name, _, _), campaigns in zip(chunk[0], chunk[1], strict=True):
            if campaigns is None:
                raise _FileChanged(name)
            by_file[name] = campaigns
    out = []
    taken: dict[str, int] = {}
    for file, _, doc in kept:
        position = taken.get(file.filename, 0)
        taken[file.filename] = position + 1
        campaign = by_file[file.filename][position]
        if campaign.name != doc.name:
            raise _FileChanged(file.filename)
        out.append(campaign)
    return out


_Request = tuple[str, bytes, tuple[int, ...]]  # file name, digest, document indexes


def _campaigns_in(
    requests: Sequence[_Request], now: dt.datetime | None, caps: Capabilities
) -> tuple[Sequence[_Request], list[list[Campaign] | None]]:
    """Each requested file's campaigns at those document indexes (without `locations`:
    `campaign validate` never looks them up), or None when the file is not what was read."""
    found: list[list[Campaign] | None] = []
    with paused_gc():
        for filename, digest, indexes in requests:
            data = _read(filename)
            if not isinstance(data, bytes) or _digest(data) != digest:
                found.append(None)
                continue
            docs = _check_file(filename, data, now, caps).documents
            campaigns = [docs[i].campaign if i < len(docs) else None for i in indexes]
            found.append(
                None if any(c is None for c in campaigns)
                else [replace(c, locations={}) for c in campaigns if c is not None]
            )
    return requests, found


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _chunks(items: Sequence[_T], jobs: int) -> list[Sequence[_T]]:
    """`items` in contiguous chunks, a few per worker: they even out items that take longer."""
    size = max(1, -(-len(items) // (jobs * _CHUNKS_PER_JOB)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _worker_pool(jobs: int, chunks: int) -> ProcessPoolExecutor:
    """A process pool of min(jobs, chunks) workers, started with fork where there is fork:
    workers start in milliseconds with every module (and the compiled schema) loaded."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    _warm_up()
    for stream in (sys.stdout, sys.stderr):  # a forked worker flushes its copy on exit
        stream.flush()
    return ProcessPoolExecutor(
        max_workers=min(jobs, chunks),
        mp_context=context,
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )


def _worker_start(parent: int) -> None:
    """Ctrl-C is the parent's to report (once); SIGTERM ends a worker silently; a worker
    whose parent is gone (killed, or ended by SIGTERM with os._exit) ends too, instead of
    waiting forever for work that will not come."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _warm_up() -> None:
    """Build the cached validators once in the parent, so forked workers inherit them."""
    from runner.spec.schema import _fast_is_valid

    _fast_is_valid()


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
