"""Campaign model objects built directly (no YAML) for reconciler tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graphql import GraphQLSchema, build_schema, introspection_from_schema

from runner.adapters.controlplane.dialect import Dialect, dialect_from_schema
from runner.resources import schema_file
from runner.spec.model import (
    AbsoluteWindow,
    BurstPattern,
    Camera,
    Campaign,
    Location,
    RecurringWindow,
    SessionSettings,
    Stream,
    Trigger,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Demo seed cameras (see the sandbox seed).
D435_A = ("REALSENSE_D435", "844212070924", "dev_vehicle_001")
D435_B = ("REALSENSE_D435", "844212071131", "dev_vehicle_002")
D435_LAB = ("REALSENSE_D435", "936322070512", "dev_lab_001")
D405_A = ("REALSENSE", "218622272031", "dev_vehicle_001")
CAMERAS = (D435_A, D435_B, D435_LAB, D405_A)


def loc(line: int = 1) -> Location:
    return Location("test.yaml", line, 1)


def stream(kind: str = "color", bitrate: int = 1_000_000, width: int = 1280,
           far_cut: int = 1000) -> Stream:
    return Stream(type=kind, align_to="color", encoder="HEVC" if kind == "color" else "Classic",
                  width=width, height=720, frame_rate=15, bitrate=bitrate, near_cut=300,
                  far_cut=far_cut, location=loc(5))


def camera(spec: tuple[str, str, str] = D435_A, streams: tuple[Stream, ...] | None = None,
           line: int = 10) -> Camera:
    return Camera(model=spec[0], serial=spec[1], device=spec[2],
                  streams=streams if streams is not None else (stream("color"), stream("depth")),
                  location=loc(line))


def campaign(
    name: str = "lab",
    cameras: tuple[Camera, ...] | None = None,
    start: dt.datetime = dt.datetime(2026, 12, 1, 8, tzinfo=UTC),
    hours: float = 10,
    trigger: Trigger = Trigger.SCHEDULED,
    max_size: int = 0,
    mode: str = "Storage",
    recurring_days: frozenset[int] | None = None,
) -> Campaign:
    window: AbsoluteWindow | RecurringWindow
    if recurring_days is not None:
        end_time = (dt.datetime.combine(start.date(), start.time())
                    + dt.timedelta(hours=hours)).time()
        window = RecurringWindow(days=recurring_days, start_time=start.time().replace(tzinfo=None),
                                 end_time=end_time, timezone="Europe/Oslo", start=start.date(),
                                 until=None, location=loc(20))
    else:
        window = AbsoluteWindow(start=start, end=start + dt.timedelta(hours=hours),
                                timezone=None, location=loc(20))
    bursts = None
    if trigger is Trigger.STANDBY:
        bursts = BurstPattern(count=3, record=dt.timedelta(seconds=10),
                              pause=dt.timedelta(seconds=5), offset=dt.timedelta(0),
                              location=loc(30))
    return Campaign(
        name=name, labels=(), description=None,
        cameras=cameras if cameras is not None else (camera(),),
        session=SessionSettings(mode=mode, max_size_megabytes=max_size, max_time_seconds=0),
        window=window, trigger=trigger, bursts=bursts, recordings=None, location=loc(1),
    )


def sdl_schema() -> GraphQLSchema:
    """The sandbox's SDL (the vendor's naming) as a schema, without a server."""
    return build_schema(schema_file("controlplane.graphql").read_text())


def sdl_dialect() -> Dialect:
    """The dialect of the sandbox's SDL."""
    return dialect_from_schema(sdl_schema())


def sdl_introspection() -> dict[str, Any]:
    """What introspecting a server with the sandbox's SDL answers (`data`)."""
    return dict(introspection_from_schema(sdl_schema()))
