"""Diagnostics: what `campaign validate` reports, one per problem, each pointing at a source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runner.spec.model import Location

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem in campaign files; `code` is stable (e.g. "CMP104"), `hint` says what to do."""

    location: Location | None
    severity: Severity
    code: str
    message: str
    hint: str | None = None
