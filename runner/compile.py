"""Compile campaigns into the desired control-plane objects: sessions -> records -> streams.

Ids are deterministic (uuid5 of the campaign name and the object's path), so every insert
can carry its id and be retried safely. The ownership rule lives here too: a session
belongs to campaign C iff its name is C or starts with "C#" AND its id is the uuid5 derived
from that name (docs/reconciler.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from runner.spec.model import (
    AbsoluteWindow,
    Campaign,
    Occurrence,
    RecurringWindow,
    Trigger,
)
from runner.states import SessionState

# Fixed forever: changing it would orphan every object ever created by the tool.
NAMESPACE = uuid.UUID("6f1c7c1e-4b0e-5b8a-9d3e-2a64c0a7f5b1")
NAMESPACE_BYTES = NAMESPACE.bytes
DEFAULT_HORIZON = dt.timedelta(days=14)
VERSION_KEY = "version"  # reserved key: `<campaign>#version` is the campaign's version row

STATE_FOR_TRIGGER = {
    Trigger.SCHEDULED: SessionState.SCHEDULED,
    Trigger.STANDBY: SessionState.STANDBY,
    Trigger.MANUAL: SessionState.STOPPED,
}


def session_name(campaign: str, key: str) -> str:
    """`<campaign>` for an absolute window (key ""), `<campaign>#<key>` otherwise."""
    return campaign if key == "" else f"{campaign}#{key}"


def session_id(campaign: str, key: str) -> str:
    """The id of the session of `campaign` for occurrence `key`."""
    return _uuid5(NAMESPACE_BYTES, f"{campaign}/session/{key}")


def record_id(session: str, model: str, serial: str) -> str:
    """The id of a record of camera (model, serial) in the session with id `session`."""
    return _uuid5(_uuid_bytes(session), f"record/{model}/{serial}")


def stream_id(record: str, stream_type: str) -> str:
    """The id of the `stream_type` stream of the record with id `record`."""
    return _uuid5(_uuid_bytes(record), f"stream/{stream_type}")


def storage_id(session: str) -> str:
    """The id of the storage row of the session with id `session`."""
    return _uuid5(_uuid_bytes(session), "storage")


def version_id(campaign: str) -> str:
    """The id of the campaign's version row (a Stopped session `<campaign>#version`)."""
    return _uuid5(NAMESPACE_BYTES, f"{campaign}/version")


def _uuid5(namespace: bytes, name: str) -> str:
    """`str(uuid.uuid5(UUID(bytes=namespace), name))` without the UUID objects (a third of
    the time: a plan of 10,000 sessions derives 130,000 ids)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _uuid_bytes(text: str) -> bytes:
    """`uuid.UUID(text).bytes`, quicker for the canonical form our ids have."""
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-":
        with contextlib.suppress(ValueError):
            raw = bytes.fromhex(text.replace("-", ""))
            if len(raw) == 16:  # 32 hex digits (fromhex would skip whitespace)
                return raw
    return uuid.UUID(text).bytes


def owner_of(name: str, id_: str) -> tuple[str, str] | None:
    """(campaign, key) if a session with this name and id was made by the tool, else None."""
    campaign, _, key = name.partition("#")
    if not campaign or ("#" in name and key == ""):
        return None
    if key == VERSION_KEY:
        return (campaign, key) if id_ == version_id(campaign) else None
    return (campaign, key) if id_ == session_id(campaign, key) else None


def utc_text(moment: dt.datetime) -> str:
    """A moment as plans show and compare it: UTC wall time to the second, no offset."""
    utc = moment.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    return utc.isoformat()


def from_utc_text(text: str) -> dt.datetime:
    """The aware moment of a plan's `utc_text` value."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class DesiredStream:
    """A stream as the control plane stores it (camelCase columns in `columns()`)."""

    id: str
    type: str
    align_to: str
    encoder: str
    width: int
    height: int
    near_cut: int
    far_cut: int
    bitrate: int
    frame_rate: int

    def columns(self) -> dict[str, object]:
        """The writable columns, named as the control plane names them."""
        return {
            "type": self.type, "alignTo": self.align_to, "encoder": self.encoder,
            "width": self.width, "height": self.height, "nearCut": self.near_cut,
            "farCut": self.far_cut, "bitrate": self.bitrate, "frameRate": self.frame_rate,
        }


@dataclass(frozen=True, slots=True)
class DesiredRecord:
    """One camera in one session."""

    id: str
    model: str
    serial: str
    device: str
    location: str  # "file:line:col" of the camera in the campaign file
    streams: tuple[DesiredStream, ...]


@dataclass(frozen=True, slots=True)
class DesiredSession:
    """One recording session the campaigns declare."""

    id: str
    name: str
    campaign: str
    key: str  # occurrence key: "" (absolute window) or the local date "YYYY-MM-DD"
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    mode: str
    state: SessionState  # the state the trigger asks for
    max_time_seconds: int
    max_size_megabytes: int
    records: tuple[DesiredRecord, ...]
    record_seconds: int | None = None  # bursts: seconds actually recorded per occurrence

    def columns(self) -> dict[str, object]:
        """The configuration columns apply owns (state is handled separately)."""
        return {
            "name": self.name, "startDate": utc_text(self.start), "endDate": utc_text(self.end),
            "mode": self.mode, "maxTimeSeconds": self.max_time_seconds,
            "maxSizeMegabytes": self.max_size_megabytes,
        }

    def estimated_megabytes(self) -> float:
        """Estimated storage: sum of stream bitrates x recorded seconds (capped by maxTime)."""
        seconds = (self.end - self.start).total_seconds()
        if self.record_seconds is not None:
            seconds = min(seconds, self.record_seconds)
        if self.max_time_seconds > 0:
            seconds = min(seconds, self.max_time_seconds)
        bits_per_second = sum([s.bitrate for r in self.records for s in r.streams])
        return bits_per_second * seconds / 8 / 1_000_000


@dataclass(frozen=True)
class Desired:
    """Everything the given campaigns declare, plus what the read needs to scope itself."""

    campaigns: tuple[str, ...]
    sessions: tuple[DesiredSession, ...]
    cameras: tuple[tuple[str, str], ...]  # distinct (model, serial) the campaigns name
    camera_locations: dict[tuple[str, str], str]


def compile_campaigns(
    campaigns: Iterable[Campaign], now: dt.datetime, horizon: dt.timedelta = DEFAULT_HORIZON
) -> Desired:
    """Expand campaigns into desired sessions; recurring windows over [now, now + horizon]."""
    sessions: list[DesiredSession] = []
    names: list[str] = []
    cameras: dict[tuple[str, str], str] = {}
    for campaign in campaigns:
        names.append(campaign.name)
        for camera in campaign.cameras:
            cameras.setdefault((camera.model, camera.serial), str(camera.location))
        for occurrence in _occurrences(campaign, now, horizon):
            sessions.append(_session(campaign, occurrence))
    sessions.sort(key=lambda s: (s.campaign, s.start, s.name))
    return Desired(
        campaigns=tuple(names),
        sessions=tuple(sessions),
        cameras=tuple(sorted(cameras)),
        camera_locations=cameras,
    )


def _occurrences(campaign: Campaign, now: dt.datetime, horizon: dt.timedelta) -> list[Occurrence]:
    window = campaign.window
    if isinstance(window, AbsoluteWindow):
        return [Occurrence(key="", start=window.start, end=window.end)]
    assert isinstance(window, RecurringWindow)
    from runner.spec.windows import occurrences  # the spec layer owns DST-correct expansion

    # Occurrences still running at `now` count too (they are live sessions); ended ones are
    # history: never created after the fact, kept (not pruned) when they exist.
    return [o for o in occurrences(window, now, now + horizon) if o.end > now]


def _session(campaign: Campaign, occurrence: Occurrence) -> DesiredSession:
    sid = session_id(campaign.name, occurrence.key)
    records = []
    for camera in campaign.cameras:
        rid = record_id(sid, camera.model, camera.serial)
        streams = tuple(
            DesiredStream(
                id=stream_id(rid, s.type), type=s.type, align_to=s.align_to, encoder=s.encoder,
                width=s.width, height=s.height, near_cut=s.near_cut, far_cut=s.far_cut,
                bitrate=s.bitrate, frame_rate=s.frame_rate,
            )
            for s in sorted(camera.streams, key=lambda s: s.type)
        )
        records.append(DesiredRecord(
            id=rid, model=camera.model, serial=camera.serial, device=camera.device,
            location=str(camera.location), streams=streams,
        ))
    record_seconds = None
    if campaign.bursts is not None:
        record_seconds = int(campaign.bursts.count * campaign.bursts.record.total_seconds())
    return DesiredSession(
        id=sid,
        name=session_name(campaign.name, occurrence.key),
        campaign=campaign.name,
        key=occurrence.key,
        start=occurrence.start.astimezone(dt.timezone.utc),
        end=occurrence.end.astimezone(dt.timezone.utc),
        mode=campaign.session.mode,
        state=STATE_FOR_TRIGGER[campaign.trigger],
        max_time_seconds=campaign.session.max_time_seconds,
        max_size_megabytes=campaign.session.max_size_megabytes,
        records=tuple(sorted(records, key=lambda r: (r.model, r.serial))),
        record_seconds=record_seconds,
    )

