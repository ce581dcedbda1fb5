"""The one model of a campaign, used by every layer (compile, plan, run, rules).

Values are small frozen dataclasses. Every object keeps the `Location` it came from so
any later layer (a camera missing in the control plane, a rule that cannot apply) can
point at the file line. Times are timezone-aware; durations are `timedelta`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Location:
    """A position in a campaign file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Trigger(str, enum.Enum):
    """How a campaign's sessions are started (maps to the session state apply sets)."""

    SCHEDULED = "scheduled"  # session `Scheduled`: the platform starts/stops it at the window
    STANDBY = "standby"  # session `Standby`: `campaign run` flips it to `Started` per burst
    MANUAL = "manual"  # session `Stopped` until `campaign trigger start`


@dataclass(frozen=True)
class Stream:
    """One stream a camera records; every field the control plane's `Stream` takes."""

    type: str  # stream_type_enum: color | depth | infra
    align_to: str  # stream_type_enum of a stream of the same camera
    encoder: str  # stream_encoder_enum
    width: int
    height: int
    frame_rate: int
    bitrate: int  # bits per second
    near_cut: int  # millimetres
    far_cut: int  # millimetres
    location: Location
    profile: str | None = None  # name of the profile it came from, if any


@dataclass(frozen=True)
class Camera:
    """A camera the campaign records with, named by control-plane model and serial."""

    model: str  # camera_model_enum: REALSENSE_D435 | REALSENSE (the D405) | V4L2CAMERA
    serial: str
    device: str  # fleet device id the camera belongs to, e.g. dev_vehicle_001
    streams: tuple[Stream, ...]
    location: Location


@dataclass(frozen=True)
class SessionSettings:
    """Settings copied onto every recording session of the campaign."""

    mode: str = "Storage"  # RecordingSessionMode_enum
    max_size_megabytes: int = 0  # 0 = unlimited
    max_time_seconds: int = 0  # 0 = unlimited


@dataclass(frozen=True)
class AbsoluteWindow:
    """One time window; `start`/`end` are aware datetimes (resolved in `timezone`)."""

    start: dt.datetime
    end: dt.datetime
    timezone: str | None
    location: Location


@dataclass(frozen=True)
class RecurringWindow:
    """Windows that repeat on given weekdays between two wall-clock times in `timezone`.

    Occurrences begin on `start` (a date) and end before or on `until` (None = open).
    `days` uses ISO weekday numbers: 1 = Monday ... 7 = Sunday. If `end_time` <= `start_time`
    the occurrence ends on the next day (overnight windows).
    """

    days: frozenset[int]
    start_time: dt.time
    end_time: dt.time
    timezone: str
    start: dt.date
    until: dt.date | None
    location: Location


Window = AbsoluteWindow | RecurringWindow


class Locations(Mapping[str, Location]):
    """Where each value of one campaign document was written, by dotted path
    ("spec.cameras[0].serial" -> file:line:col).

    `rows` gives (path, line, column) and is called on first use: a campaign has some
    seventy values and most runs look none of them up. It pickles as three flat tuples.
    """

    __slots__ = ("_file", "_rows", "_table")

    def __init__(self, file: str, rows: Callable[[], Iterable[tuple[str, int, int]]]) -> None:
        self._file = file
        self._rows: Callable[[], Iterable[tuple[str, int, int]]] | None = rows
        self._table: dict[str, Location] | None = None

    def _made(self) -> dict[str, Location]:
        if self._table is None:
            assert self._rows is not None
            file = self._file
            self._table = {key: Location(file, line, column) for key, line, column in self._rows()}
            self._rows = None
        return self._table

    def __getitem__(self, key: str) -> Location:
        return self._made()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())

    def __repr__(self) -> str:
        return f"Locations({self._file!r}, {len(self)} values)"

    def __reduce__(self) -> tuple[Any, ...]:
        if self._table is not None:
            rows = [(key, loc.line, loc.column) for key, loc in self._table.items()]
        else:
            assert self._rows is not None
            rows = list(self._rows())
        keys, lines, columns = zip(*rows, strict=True) if rows else ((), (), ())
        return (_unpickle_locations, (self._file, keys, lines, columns))


def _unpickle_locations(
    file: str, keys: tuple[str, ...], lines: tuple[int, ...], columns: tuple[int, ...]
) -> Locations:
    return Locations(file, lambda: zip(keys, lines, columns, strict=True))


@dataclass(frozen=True)
class Occurrence:
    """One concrete window instance; `key` is stable and names the session (`<campaign>#<key>`)."""

    key: str
    start: dt.datetime  # aware
    end: dt.datetime  # aware


@dataclass(frozen=True)
class BurstPattern:
    """Record `record`, pause `pause`, `count` times, starting `offset` after the window opens."""

    count: int
    record: dt.timedelta
    pause: dt.timedelta
    offset: dt.timedelta
    location: Location


@dataclass(frozen=True)
class RangeBound:
    """Inclusive numeric bounds (None = unbounded)."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class RuleCondition:
    """When a post-recording rule applies; all given parts must match (empty = always)."""

    status: tuple[str, ...] = ()  # any of these statuses
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    older_than: dt.timedelta | None = None  # measured from ended_at, else created_at
    newer_than: dt.timedelta | None = None
    duration_seconds: RangeBound | None = None
    size_bytes: RangeBound | None = None
    topic: str | None = None  # a topic with this name is present


@dataclass(frozen=True)
class RecordingRule:
    """An ordered rule: when `when` matches, apply the actions in order tags -> status -> delete."""

    name: str
    when: RuleCondition
    add_tags: tuple[str, ...]
    remove_tags: tuple[str, ...]
    set_status: str | None
    delete: bool
    location: Location


@dataclass(frozen=True)
class RecordingSelector:
    """Which fleet recordings belong to the campaign.

    Defaults (all None): the fleet devices of the campaign's cameras and recordings whose
    `started_at` lies inside the campaign's windows.
    """

    devices: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    within_windows: bool = True


@dataclass(frozen=True)
class RecordingPolicy:
    """Post-recording rules for the campaign's fleet recordings."""

    selector: RecordingSelector
    rules: tuple[RecordingRule, ...]
    location: Location


@dataclass(frozen=True)
class Campaign:
    """One `kind: Campaign` document, validated."""

    name: str  # DNS-label style: [a-z0-9-], unique across everything given
    labels: tuple[tuple[str, str], ...]
    description: str | None
    cameras: tuple[Camera, ...]
    session: SessionSettings
    window: Window
    trigger: Trigger
    bursts: BurstPattern | None
    recordings: RecordingPolicy | None
    location: Location  # the document's start
    # Dotted paths ("spec.cameras[0].serial") to where the value was written.
    locations: Mapping[str, Location] = field(default_factory=dict, compare=False, hash=False)
