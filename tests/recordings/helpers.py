"""Builders for campaign model values used by the recordings tests."""

from __future__ import annotations

import datetime as dt

from runner.spec.model import (
    AbsoluteWindow,
    Camera,
    Campaign,
    Location,
    RecordingPolicy,
    RecordingRule,
    RecordingSelector,
    RuleCondition,
    SessionSettings,
    Trigger,
    Window,
)

HERE = Location("test.yaml", 1, 1)
UTC = dt.timezone.utc


def rule(
    name: str,
    *,
    when: RuleCondition | None = None,
    add: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    status: str | None = None,
    delete: bool = False,
) -> RecordingRule:
    return RecordingRule(name=name, when=when or RuleCondition(), add_tags=add,
                         remove_tags=remove, set_status=status, delete=delete, location=HERE)


def campaign(
    name: str,
    rules: tuple[RecordingRule, ...],
    *,
    devices: tuple[str, ...] = ("dev_vehicle_001",),
    selector: RecordingSelector | None = None,
    window: Window | None = None,
) -> Campaign:
    cameras = tuple(
        Camera(model="REALSENSE_D435", serial=f"serial-{i}", device=device, streams=(),
               location=HERE)
        for i, device in enumerate(devices)
    )
    window = window or AbsoluteWindow(
        start=dt.datetime(2026, 1, 1, tzinfo=UTC), end=dt.datetime(2027, 1, 1, tzinfo=UTC),
        timezone=None, location=HERE,
    )
    return Campaign(
        name=name, labels=(), description=None, cameras=cameras, session=SessionSettings(),
        window=window, trigger=Trigger.SCHEDULED, bursts=None,
        recordings=RecordingPolicy(selector=selector or RecordingSelector(), rules=rules,
                                   location=HERE),
        location=HERE,
    )
