"""Saved plans: `plan --out FILE` writes JSON, `apply FILE` loads it.

A saved plan holds what apply needs to redo the diff (the desired objects, options, `now`)
plus a fingerprint of the actual state it was made against; `apply FILE` re-reads the
control plane and rejects the plan as stale when the fingerprint differs. It also holds the
planned fleet recording changes (`recordings`, every change with its before/after state), which
`apply FILE` makes as planned; their staleness is checked per recording when they are applied.
It never holds secrets: no admin secret, no fleet API key, and the endpoints only without
credentials or query string.

`format_version` is the plan document's schema, shared with `plan -o json`;
`saved_format_version` is the version of the saved-file envelope. Files without it were
written before saved plans carried the recording changes and are refused (applying them
would silently skip those changes).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from runner.compile import Desired, DesiredRecord, DesiredSession, DesiredStream
from runner.errors import PlanError
from runner.plan.model import Plan, PlanOptions
from runner.plan.render import FORMAT_VERSION, plan_to_json
from runner.recordings.model import RecordingPlan
from runner.states import SessionState
from runner.urls import redact_url

KIND = "campaign-plan"
# "2": the file carries the fleet recording changes. Files without the key (envelope 1)
# stored the control plane only.
SAVED_FORMAT_VERSION = "2"


def plan_file_data(plan: Plan, *, endpoint: str, fleet_endpoint: str | None = None
                   ) -> dict[str, Any]:
    """The JSON document of a saved plan (the rendered plan plus what apply needs)."""
    body = plan_to_json(plan, recordings=_recordings_to_json(plan.recordings))
    # `kind` right after `format_version`: `is_saved_plan` looks for it in the first 4 KiB,
    # and the changes and recordings before it could be megabytes.
    data: dict[str, Any] = {"format_version": body.pop("format_version"), "kind": KIND,
                            "saved_format_version": SAVED_FORMAT_VERSION, **body}
    data["endpoint"] = endpoint
    # Where the recording changes were planned (apply refuses another fleet); redacted so a
    # URL carrying credentials could never land in the file.
    data["fleet_endpoint"] = redact_url(fleet_endpoint) if fleet_endpoint else ""
    data["versions"] = [list(v) for v in plan.versions]
    data["desired"] = _desired_to_json(plan.desired)
    return data


def save_plan(plan: Plan, path: Path, *, endpoint: str, fleet_endpoint: str | None = None
              ) -> None:
    """Write the plan to `path` (atomically: a crash never leaves half a file)."""
    data = plan_file_data(plan, endpoint=endpoint, fleet_endpoint=fleet_endpoint)
    text = json.dumps(data, indent=1) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise PlanError(f"{path}: cannot write the plan: {exc.strerror}") from exc


def is_saved_plan(path: Path) -> bool:
    """True if `path` is a file that looks like a saved plan (JSON with our kind)."""
    if not path.is_file() or path.suffix.lower() not in (".json", ".plan", ""):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and KIND.encode() in head



class LoadedPlan:
    """A saved plan read back: what `apply FILE` re-diffs and checks."""

    def __init__(self, data: dict[str, Any], desired: Desired, options: PlanOptions,
                 now: dt.datetime, recordings: tuple[RecordingPlan, ...] = ()) -> None:
        self.data = data
        self.desired = desired
        self.options = options
        self.now = now
        self.recordings = recordings
        self.fingerprint: str = data["fingerprint"]
        self.endpoint: str = data.get("endpoint", "")
        self.fleet_endpoint: str = data.get("fleet_endpoint", "")

    @property
    def recording_changes(self) -> int:
        """How many fleet recording changes (updates and deletions) the plan makes."""
        return sum(len(plan.changes) for plan in self.recordings)


def load_plan(path: Path) -> LoadedPlan:
    """Read a saved plan, checking its kind and format_version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc.strerror}") from exc
    except ValueError as exc:
        raise PlanError(f"{path}: not a saved plan (invalid JSON: {exc})") from exc
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise PlanError(f"{path}: not a saved plan (write one with `campaign plan --out FILE`)")
    if data.get("format_version") != FORMAT_VERSION:
        raise PlanError(f"{path}: plan format_version {data.get('format_version')!r} is not "
                        f"{FORMAT_VERSION!r}; make the plan again with this version")
    envelope = data.get("saved_format_version")
    if envelope is None:
        raise PlanError(f"{path}: the saved plan was written by an older campaign that did not "
                        "save recording changes; make it again with `campaign plan --out`")
    if envelope != SAVED_FORMAT_VERSION:
        raise PlanError(f"{path}: saved_format_version {envelope!r} is not "
                        f"{SAVED_FORMAT_VERSION!r}; make the plan again with this version")
    try:
        options = PlanOptions(**{k: bool(v) for k, v in data["options"].items()})
        now = dt.datetime.fromisoformat(data["now"])
        desired = _desired_from_json(data["desired"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanError(f"{path}: the saved plan is damaged ({type(exc).__name__}: {exc}); "
                        "make it again with `campaign plan --out`") from exc
    recordings = _recordings_from_json(data.get("recordings", []), path)
    return LoadedPlan(data, desired, options, now, recordings)


def _recordings_to_json(plans: tuple[RecordingPlan, ...]) -> list[dict[str, Any]]:
    if not plans:
        return []
    # Imported here: the plan layer only touches the fleet layer when there is a section.
    from runner.recordings import recordings_to_json

    return list(recordings_to_json(plans))


def _recordings_from_json(section: Any, path: Path) -> tuple[RecordingPlan, ...]:
    if section == []:
        return ()
    from runner.recordings import recordings_from_json

    try:
        return tuple(recordings_from_json(section))
    except PlanError as exc:
        raise PlanError(f"{path}: {exc}") from None
    except AttributeError as exc:  # e.g. a change that is a list, not an object
        raise PlanError(f"{path}: saved plan: the recordings section is malformed ({exc}); "
                        "make the plan again") from None


def _desired_to_json(desired: Desired) -> dict[str, Any]:
    return {
        "campaigns": list(desired.campaigns),
        "cameras": [
            {"model": m, "serial": s, "location": desired.camera_locations.get((m, s), "")}
            for m, s in desired.cameras
        ],
        "sessions": [_session_to_json(s) for s in desired.sessions],
    }


def _session_to_json(session: DesiredSession) -> dict[str, Any]:
    return {
        "id": session.id, "name": session.name, "campaign": session.campaign,
        "key": session.key, "start": session.start.isoformat(), "end": session.end.isoformat(),
        "mode": session.mode, "state": session.state,
        "max_time_seconds": session.max_time_seconds,
        "max_size_megabytes": session.max_size_megabytes,
        "record_seconds": session.record_seconds,
        "records": [
            {"id": r.id, "model": r.model, "serial": r.serial, "device": r.device,
             "location": r.location,
             "streams": [{"id": t.id, **_stream_fields(t)} for t in r.streams]}
            for r in session.records
        ],
    }


def _stream_fields(stream: DesiredStream) -> dict[str, Any]:
    return {
        "type": stream.type, "align_to": stream.align_to, "encoder": stream.encoder,
        "width": stream.width, "height": stream.height, "near_cut": stream.near_cut,
        "far_cut": stream.far_cut, "bitrate": stream.bitrate, "frame_rate": stream.frame_rate,
    }


def _desired_from_json(data: dict[str, Any]) -> Desired:
    sessions = tuple(
        DesiredSession(
            id=s["id"], name=s["name"], campaign=s["campaign"], key=s["key"],
            start=dt.datetime.fromisoformat(s["start"]), end=dt.datetime.fromisoformat(s["end"]),
            mode=s["mode"], state=SessionState(s["state"]),
            max_time_seconds=int(s["max_time_seconds"]),
            max_size_megabytes=int(s["max_size_megabytes"]),
            record_seconds=s.get("record_seconds"),
            records=tuple(
                DesiredRecord(
                    id=r["id"], model=r["model"], serial=r["serial"], device=r["device"],
                    location=r["location"],
                    streams=tuple(DesiredStream(**t) for t in r["streams"]),
                )
                for r in s["records"]
            ),
        )
        for s in data["sessions"]
    )
    cameras = tuple((c["model"], c["serial"]) for c in data["cameras"])
    locations = {(c["model"], c["serial"]): c["location"] for c in data["cameras"]}
    return Desired(campaigns=tuple(data["campaigns"]), sessions=sessions, cameras=cameras,
                   camera_locations=locations)
