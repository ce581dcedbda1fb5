"""Doctor: can this tool work against the configured backends? (as `flux check`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from runner.findings import Finding, Status
from runner.ops.backends import Backends
from runner.spec.capabilities import CAMERA_MODELS, STREAM_ENCODERS, STREAM_TYPES
from runner.states import STATES

BACKEND = "control plane"
# What campaign files may say, per enum (the offline capability table and schema).
CAMPAIGN_VALUES: dict[str, tuple[str, ...]] = {
    "camera_model": CAMERA_MODELS,
    "stream_type": STREAM_TYPES,
    "stream_encoder": STREAM_ENCODERS,
    "session_mode": ("Storage", "Streaming"),
    "session_state": STATES,
}
# Values the tool itself sends: without them nothing works.
REQUIRED_VALUES = {"session_state": STATES, "session_mode": ("Storage",)}


@dataclass(frozen=True)
class DoctorReport:
    """Every finding, and whether the tool can work (no `fail`)."""

    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing needed is missing."""
        return all(f.status != "fail" for f in self.findings)


async def doctor(backends: Backends, now: dt.datetime) -> DoctorReport:
    """Check every configured backend; the enums against the capability table."""
    diagnosis = await backends.diagnose(now)
    findings = list(diagnosis.findings)
    if diagnosis.enums or any(f.check == "introspection" and f.status == "ok"
                              for f in findings):
        findings += enum_findings(diagnosis.enums)
    order = list(dict.fromkeys(f.backend for f in findings))
    return DoctorReport(tuple(sorted(findings, key=lambda f: order.index(f.backend))))


def enum_findings(offered: dict[str, tuple[str, ...]]) -> list[Finding]:
    """Each enum the campaigns use against what the server offers."""
    out: list[Finding] = []
    for kind, ours in CAMPAIGN_VALUES.items():
        theirs = offered.get(kind)
        name = f"enum {kind}"
        if theirs is None:
            out.append(Finding(BACKEND, name, "fail" if kind in REQUIRED_VALUES else "warn",
                               "the column is not an enum (or is missing)"))
            continue
        missing = [v for v in ours if v not in theirs]
        extra = [v for v in theirs if v not in ours]
        status: Status = "ok"
        parts = [", ".join(theirs)]
        if missing:
            needed = [v for v in missing if v in REQUIRED_VALUES.get(kind, ())]
            status = "fail" if needed else "warn"
            parts.append(f"not offered: {', '.join(missing)} (campaigns using them are "
                         "refused at plan time)")
        if extra:
            status = "warn" if status == "ok" else status
            parts.append(f"not in the capability table: {', '.join(extra)} (validate refuses "
                         "them)")
        out.append(Finding(BACKEND, name, status, "; ".join(parts)))
    return out
