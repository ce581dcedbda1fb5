"""Findings of `campaign doctor`: one checked fact about a backend each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    """`backend` (control plane, fleet API), what was checked, the outcome and one line."""

    backend: str
    check: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        """The JSON form of `doctor -o json`."""
        return {"backend": self.backend, "check": self.check, "status": self.status,
                "detail": self.detail}


@dataclass(frozen=True)
class Diagnosis:
    """What the backends told `doctor`: findings, and the enum values the control plane
    offers (in the campaign files' spelling)."""

    findings: tuple[Finding, ...]
    enums: dict[str, tuple[str, ...]]
