"""What every section check shares: the document, the capability table, the clock, the paths
already reported invalid, and the diagnostics collected so far."""

from __future__ import annotations

import datetime as dt
from typing import Any

from runner.spec.capabilities import Capabilities
from runner.spec.diagnostics import Diagnostic, Severity
from runner.spec.durations import parse_duration
from runner.spec.model import Location
from runner.spec.yamlsafe import Document, Path


class Context:
    """Collects diagnostics for one document while its sections are checked and built.

    `broken` holds paths the schema (or the YAML loader) already reported. Checks go down to
    single fields: a check reads a value only when `sound` says nothing at, above or below it
    is broken (and descends into a mapping or list that is `intact`), so it never trips over
    a value of the wrong type, never repeats a reported problem, and a bad field never hides
    the problems of its siblings.
    """

    def __init__(
        self,
        doc: Document,
        capabilities: Capabilities,
        now: dt.datetime | None,
        broken: set[Path] | None = None,
    ) -> None:
        self.doc = doc
        self.caps = capabilities
        self.now = now
        self.broken = broken or set()
        self.diags: list[Diagnostic] = []
        self.errors = 0

    def at(self, path: Path) -> Location:
        """Where the value at `path` was written."""
        return self.doc.where(path)

    def report(
        self, path: Path, code: str, message: str, hint: str, severity: Severity = "error"
    ) -> None:
        """Add one diagnostic at `path`'s value."""
        if severity == "error":
            self.errors += 1
        self.diags.append(Diagnostic(self.at(path), severity, code, message, hint))

    def sound(self, *paths: Path) -> bool:
        """True when nothing at, above or below any of `paths` was reported broken."""
        if not self.broken:  # a valid document: nothing to compare
            return True
        return not any(b[: len(p)] == p or p[: len(b)] == b for b in self.broken for p in paths)

    def intact(self, path: Path) -> bool:
        """True when nothing at or above `path` is broken: the value there has its schema
        type (a mapping is a mapping), though parts below it may be broken."""
        if not self.broken:
            return True
        return not any(path[: len(b)] == b for b in self.broken)

    def duration(self, value: Any, path: Path, *, positive: bool = False) -> dt.timedelta | None:
        """A duration value (CMP206 and None when it does not parse)."""
        try:
            result = parse_duration(value)
        except ValueError as exc:
            self.report(path, "CMP206", str(exc), "write e.g. 10s, 5m, 1h30m, 90d or PT10S")
            return None
        if positive and result <= dt.timedelta(0):
            self.report(
                path, "CMP206", f"duration {value!r} must be greater than zero", "write e.g. 10s"
            )
            return None
        return result
