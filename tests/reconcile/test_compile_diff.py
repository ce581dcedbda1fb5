"""Compile and diff without a backend: ids, ownership, runtime-owned state, rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid

import pytest

from runner.adapters.controlplane.wire import Wire
from runner.compile import (
    compile_campaigns,
    owner_of,
    record_id,
    session_id,
    session_name,
    storage_id,
    stream_id,
    version_id,
)
from runner.errors import PlanError
from runner.plan import PlanOptions, plan_changes
from runner.plan.model import Actual, ActualCamera, ActualRecord, ActualSession, ActualStream
from runner.plan.render import render_json, render_markdown, render_text
from runner.spec.model import Trigger
from runner.states import SessionState
from tests.reconcile.helpers import sdl_dialect

from .helpers import CAMERAS, D435_A, D435_B, NOW, camera, campaign

CAMS = {(m, s): ActualCamera(id=f"00000000-0000-0000-0000-00000000000{i}", model=m, serial=s,
                             device_id=d) for i, (m, s, d) in enumerate(CAMERAS)}


def actual_from(desired_sessions, state: str | None = None) -> Actual:
    """The actual state a correct apply of `desired_sessions` leaves behind."""
    sessions = []
    for s in desired_sessions:
        records = tuple(
            ActualRecord(id=r.id, camera_id=CAMS[(r.model, r.serial)].id, model=r.model,
                         serial=r.serial,
                         streams=tuple(ActualStream(id=t.id, columns=t.columns())
                                       for t in r.streams))
            for r in s.records
        )
        sessions.append(ActualSession(
            id=s.id, name=s.name, campaign=s.campaign, key=s.key, start=s.start, end=s.end,
            mode=s.mode, state=state or s.state, max_time_seconds=s.max_time_seconds,
            max_size_megabytes=s.max_size_megabytes, records=records))
    return Actual(sessions=tuple(sessions), cameras=dict(CAMS))


def test_ids_are_deterministic_and_ownership_needs_name_and_id() -> None:
    assert session_id("lab", "") == session_id("lab", "")
    assert session_id("lab", "") != session_id("lab-2", "")
    assert owner_of("lab", session_id("lab", "")) == ("lab", "")
    assert owner_of("lab#2026-12-01", session_id("lab", "2026-12-01")) == ("lab", "2026-12-01")
    # A prefix-sharing neighbour, a hand-made session with our name, a bare '#'.
    assert owner_of("lab-2", session_id("lab-2", "")) == ("lab-2", "")
    assert owner_of("lab", session_id("lab-2", "")) is None
    assert owner_of("lab#x", "7d3c6a2e-0000-4000-8000-000000000000") is None
    assert owner_of("lab#", session_id("lab", "")) is None
    assert owner_of("lab#version", version_id("lab")) == ("lab", "version")
    assert session_name("lab", "") == "lab" and session_name("lab", "d") == "lab#d"


@pytest.mark.parametrize("campaign_name", ["lab", "ünï ☃", "a/b#c", ""])
def test_ids_are_uuid5_of_the_documented_names(campaign_name: str) -> None:
    # The ids are derived without uuid.UUID objects: they must stay uuid5's exactly (changing
    # one would orphan everything the tool ever created).
    namespace = uuid.UUID("6f1c7c1e-4b0e-5b8a-9d3e-2a64c0a7f5b1")
    sid = session_id(campaign_name, "2026-12-01")
    assert sid == str(uuid.uuid5(namespace, f"{campaign_name}/session/2026-12-01"))
    assert version_id(campaign_name) == str(uuid.uuid5(namespace, f"{campaign_name}/version"))
    rid = record_id(sid, "REALSENSE", "ü1")
    assert rid == str(uuid.uuid5(uuid.UUID(sid), "record/REALSENSE/ü1"))
    assert stream_id(rid, "depth") == str(uuid.uuid5(uuid.UUID(rid), "stream/depth"))
    assert storage_id(sid) == str(uuid.uuid5(uuid.UUID(sid), "storage"))
    # Ids in another spelling uuid.UUID accepts derive the same; what it refuses, refused.
    for spelling in (sid.upper(), "{" + sid + "}", "urn:uuid:" + sid, sid.replace("-", "")):
        assert storage_id(spelling) == storage_id(sid)
    for bad in ("", "x" * 36, sid[:8] + "-" + " " * 27, sid[:-1] + "g", sid + "0"):
        with pytest.raises(ValueError):
            storage_id(bad)


def test_create_then_no_changes() -> None:
    desired = compile_campaigns([campaign()], NOW)
    plan = plan_changes(desired, Actual(sessions=(), cameras=dict(CAMS)), NOW)
    assert plan.counts() == (1 + 1 + 2, 0, 0)
    assert len(plan.writes.upsert_sessions) == 1
    upsert = Wire(sdl_dialect()).insert_object(plan.writes.upsert_sessions[0])
    assert upsert["state"] == "Scheduled" and upsert["startDate"] == "2026-12-01T08:00:00"
    assert upsert["records"]["data"][0]["cameraId"] == CAMS[("REALSENSE_D435", "844212070924")].id
    again = plan_changes(desired, actual_from(desired.sessions), NOW)
    assert again.writes.empty() and again.counts() == (0, 0, 0)
    assert "No changes." in render_text(again)


def test_started_session_is_runtime_not_drift_and_restart_is_blocked() -> None:
    desired = compile_campaigns([campaign()], NOW)
    started = actual_from(desired.sessions, state="Started")
    assert plan_changes(desired, started, NOW).writes.empty()
    # Adding a camera to a Started session needs a restart: shown and blocked.
    bigger = compile_campaigns([campaign(cameras=(camera(), camera(D435_B, line=12)))], NOW)
    plan = plan_changes(bigger, started, NOW)
    assert plan.blocked and "--allow-restart" in plan.blocked[0]
    # A blocked restart is shown, but not counted as a change: apply would refuse it.
    assert plan.effective and all(c.blocked for c in plan.effective)
    assert plan.counts() == (0, 0, 0)
    assert ("Plan: 0 to add, 0 to change, 0 to destroy. (4 blocked change(s) not counted: "
            "see Blocked)") in render_text(plan)
    assert json.loads(render_json(plan))["summary"]["blocked"] == 4
    allowed = plan_changes(bigger, started, NOW, PlanOptions(allow_restart=True))
    assert not allowed.blocked and allowed.counts() == (3, 1, 0)
    assert allowed.writes.stop == (desired.sessions[0].id,)
    assert allowed.writes.transitions == ((desired.sessions[0].id, "Scheduled"),)
    # Moving only the end of a Started session is fine in place.
    longer = compile_campaigns([campaign(hours=12)], NOW)
    plan = plan_changes(longer, started, NOW)
    assert not plan.blocked and not plan.writes.stop and plan.counts() == (0, 1, 0)


def test_finished_session_is_not_re_armed() -> None:
    desired = compile_campaigns([campaign()], NOW)
    later = dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc)
    done = actual_from(desired.sessions, state="Stopped")
    assert plan_changes(desired, done, later).writes.empty()
    # Before the window ended, a Stopped session is drift: re-armed to Scheduled.
    plan = plan_changes(desired, done, NOW)
    assert plan.writes.transitions == ((desired.sessions[0].id, "Scheduled"),)


def test_stream_change_is_update_in_place_and_removed_stream_deleted() -> None:
    desired = compile_campaigns([campaign()], NOW)
    changed = compile_campaigns(
        [campaign(cameras=(camera(streams=(dataclasses.replace(
            camera().streams[0], bitrate=2_000_000),)),))], NOW)
    plan = plan_changes(changed, actual_from(desired.sessions), NOW)
    actions = sorted((c.action, c.kind) for c in plan.effective)
    assert actions == [("delete", "stream"), ("update", "stream")]
    assert len(plan.writes.delete_streams) == 1
    text = render_text(plan)
    assert "bitrate: 1000000 -> 2000000" in text
    assert "Plan: 0 to add, 1 to change, 1 to destroy." in text


def test_missing_camera_names_the_file_line() -> None:
    desired = compile_campaigns([campaign(cameras=(camera(("REALSENSE", "nope", "d"), line=42),))],
                                NOW)
    with pytest.raises(PlanError, match=r"test\.yaml:42:1: camera REALSENSE nope"):
        plan_changes(desired, Actual(sessions=(), cameras=dict(CAMS)), NOW)


def test_camera_on_another_device_is_a_warning_once() -> None:
    # Every camera is registered, but the control plane puts D435_A on another device than
    # the campaign says: one warning at its first use (not one per session), nothing else.
    elsewhere = (D435_A[0], D435_A[1], "dev_elsewhere")
    desired = compile_campaigns(
        [campaign(cameras=(camera(elsewhere, line=12), camera(D435_B, line=14)),
                  recurring_days=frozenset(range(1, 8)))], NOW)
    assert len(desired.sessions) > 1
    plan = plan_changes(desired, Actual(sessions=(), cameras=dict(CAMS)), NOW)
    assert plan.warnings == (
        "test.yaml:12:1: camera REALSENSE_D435 844212070924 belongs to device dev_vehicle_001 "
        "in the control plane, not dev_elsewhere",)
    # The cameras on their own devices: no warning.
    same = compile_campaigns([campaign(cameras=(camera(), camera(D435_B, line=14)))], NOW)
    assert plan_changes(same, Actual(sessions=(), cameras=dict(CAMS)), NOW).warnings == ()


def test_prune_and_destroy_rules() -> None:
    old = compile_campaigns([campaign()], NOW)
    moved = compile_campaigns([campaign(start=dt.datetime(2026, 12, 5, 8, tzinfo=dt.timezone.utc))],
                              NOW)
    assert old.sessions[0].id == moved.sessions[0].id  # same key: an update, not a new session
    actual = actual_from(old.sessions, state="Started")
    destroy = plan_changes(old, actual, NOW, PlanOptions(destroy=True))
    assert destroy.blocked and "--force" in destroy.blocked[0]
    assert destroy.counts() == (0, 0, 0)  # refused without --force: not counted
    forced = plan_changes(old, actual, NOW, PlanOptions(destroy=True, force=True))
    assert forced.writes.delete_sessions == (old.sessions[0].id,)
    assert forced.counts() == (0, 0, 4)


def test_triggers_map_to_states_and_estimate() -> None:
    standby = compile_campaigns([campaign(trigger=Trigger.STANDBY, max_size=1)], NOW)
    manual = compile_campaigns([campaign(trigger=Trigger.MANUAL)], NOW)
    assert standby.sessions[0].state == "Standby" and manual.sessions[0].state == "Stopped"
    # 3 bursts x 10 s x (1 + 1) Mbit/s = 60 Mbit = 7.5 MB > 1 MB limit
    assert standby.sessions[0].estimated_megabytes() == pytest.approx(7.5)
    plan = plan_changes(standby, Actual(sessions=(), cameras=dict(CAMS)), NOW)
    assert any("exceeds maxSizeMegabytes" in w for w in plan.warnings)
    text = render_text(plan)
    assert "estimated storage: 8 MB of max 1 MB  ! over the limit" in text


def test_recurring_window_expands_over_horizon() -> None:
    c = campaign(start=dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone.utc), hours=2,
                 recurring_days=frozenset({1, 3, 5}))
    desired = compile_campaigns([c], NOW, dt.timedelta(days=14))
    keys = [s.key for s in desired.sessions]
    assert keys and all(len(k) == 10 for k in keys)
    assert len(keys) == 6  # Mon/Wed/Fri over two weeks
    assert all(s.name == f"lab#{s.key}" for s in desired.sessions)


def test_json_and_markdown() -> None:
    desired = compile_campaigns([campaign()], NOW)
    plan = plan_changes(desired, Actual(sessions=(), cameras=dict(CAMS)), NOW)
    data = json.loads(render_json(plan))
    assert data["format_version"] == "1"
    assert {c["action"] for c in data["changes"]} == {"create"}
    first = data["changes"][0]
    assert set(first) >= {"action", "object", "before", "after", "reason"}
    md = render_markdown(plan)
    assert "| `+` | `lab` |" in md and "```diff" in md
    coloured = render_text(plan, color=True)
    assert "\x1b[32m" in coloured and "\x1b[" not in render_text(plan)


def test_config_change_and_state_drift_are_one_session_update() -> None:
    desired = compile_campaigns([campaign()], NOW)
    stopped = actual_from(desired.sessions, state="Stopped")  # before its window: drift
    streaming = compile_campaigns([campaign(mode="Streaming")], NOW)
    plan = plan_changes(streaming, stopped, NOW)
    assert plan.counts() == (0, 1, 0)
    (change,) = plan.effective
    assert change.before == {"mode": "Storage", "state": "Stopped"}
    assert change.after == {"mode": "Streaming", "state": "Scheduled"}
    assert plan.writes.transitions == ((desired.sessions[0].id, "Scheduled"),)


def _whole_text_fingerprint(actual: Actual) -> str:
    """The fingerprint as it was first defined (saved plans carry it): one json.dumps."""
    body = [
        [s.id, s.columns(), s.state, [
            [r.id, r.camera_id, [[t.id, sorted(t.columns.items())] for t in r.streams]]
            for r in s.records
        ]]
        for s in sorted(actual.sessions, key=lambda s: s.id)
    ]
    cams = sorted([k[0], k[1], c.id] for k, c in actual.cameras.items())
    text = json.dumps([body, cams, list(actual.versions)], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("sessions", [0, 1, 5])
def test_fingerprint_is_the_whole_texts(sessions: int) -> None:
    desired = compile_campaigns([campaign("lab", recurring_days=frozenset(range(1, 8)))], NOW)
    actual = dataclasses.replace(actual_from(desired.sessions[:sessions]),
                                 versions=(("lab", 7), ("lab-2", 2**31 - 1)))
    assert actual.fingerprint() == _whole_text_fingerprint(actual)
    empty = Actual(sessions=(), cameras={})
    assert empty.fingerprint() == _whole_text_fingerprint(empty)


def test_fingerprint_of_odd_values_is_the_whole_texts() -> None:
    # The text is written by hand for plain str and int values: everything else (and every
    # string json escapes) must come out as json.dumps(..., sort_keys=True, default=str) has it.
    desired = compile_campaigns([campaign("lab", recurring_days=frozenset(range(1, 8)))], NOW)
    base = actual_from(desired.sessions[:3])
    first, second, third = base.sessions
    shared = {"type": "cölor", "bitrate": 2**70, "width": 12.5, "height": None,
              "encoder": {"z": 1, "a": [True, False]}, "alignTo": dt.date(2026, 1, 2)}
    odd_record = dataclasses.replace(
        first.records[0], id='quote " and \\ backslash \x01',
        streams=tuple(ActualStream(id=f"s{i}", columns=shared) for i in range(2)))
    sessions = (
        dataclasses.replace(first, name="lab#ünïcode ☃ \u2028", mode=None, records=(odd_record,)),
        dataclasses.replace(second, state=SessionState.STARTED, max_time_seconds=True,
                            max_size_megabytes=1.0, records=()),
        dataclasses.replace(third, start=dt.datetime(2026, 12, 1, 8, 0, 0, 999_999,
                                                     tzinfo=dt.timezone(dt.timedelta(hours=5))),
                            id="zz-last", max_time_seconds=-(2**63)),
    )
    cameras = {("REALSENSE", "☃"): ActualCamera(id="ç", model="REALSENSE", serial="☃",
                                                device_id="d")}
    actual = Actual(sessions=sessions, cameras=cameras, versions=(("lab", 1), ("läb", 2)))
    assert actual.fingerprint() == _whole_text_fingerprint(actual)


def test_fingerprint_digest_is_pinned() -> None:
    # Saved plans carry the fingerprint of the state they were made against: the same state
    # must keep giving the same digest from one version of the tool to the next.
    desired = compile_campaigns([campaign("lab", recurring_days=frozenset(range(1, 8)))], NOW)
    actual = dataclasses.replace(actual_from(desired.sessions[:2]), versions=(("lab", 7),))
    assert actual.fingerprint() == (
        "sha256:4b52f55a9dd27118e588415f7fda1a2759d09134eaa2b59277358d4b9b408cd7")


def test_plan_fingerprint_is_its_states_digest_taken_when_asked() -> None:
    desired = compile_campaigns([campaign("lab", recurring_days=frozenset(range(1, 8)))], NOW)
    actual = dataclasses.replace(actual_from(desired.sessions[:2]), versions=(("lab", 7),))
    plan = plan_changes(desired, actual, NOW)
    assert "fingerprint" not in vars(plan)  # not digested until someone asks
    assert plan.fingerprint == actual.fingerprint()
    assert json.loads(render_json(plan))["fingerprint"] == actual.fingerprint()
    # A replaced plan (recordings added) digests the same state.
    assert dataclasses.replace(plan, recordings=()).fingerprint == actual.fingerprint()
    verifying = plan_changes(desired, actual, NOW, fingerprint=False)
    assert verifying.fingerprint == "" and verifying.state is None
