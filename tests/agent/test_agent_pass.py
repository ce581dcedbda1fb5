"""The agent's passes in-process against the served sandbox, with the sandbox clock advanced.

`Agent.run_pass(now)` is called with the sandbox's time, so N simulated days are N passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
from pathlib import Path
from typing import Any

from runner.compile import session_id
from runner.ops.agent import Agent, AgentConfig, AgentEvent, PassReport
from runner.run.driver import SystemClock
from runner.spec.loader import load_campaigns
from runner.spec.model import RecurringWindow
from runner.spec.windows import occurrences
from runner.wiring import resolve_backends
from tests.run.helpers import burst_campaign, fleet_recordings, graphql, session_state

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
DAILY = """\
apiVersion: campaign/v1
kind: Campaign
metadata:
  name: daily
  labels: {site: lab-1}
spec:
  cameras:
    - {model: REALSENSE_D435, serial: "844212070924", device: dev_vehicle_001,
       streams: [{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}]}
  session: {mode: Storage, maxSizeMegabytes: 0, maxTimeSeconds: 0}
  window:
    every: {days: daily, from: "06:00", to: "08:00"}
    timezone: Europe/Oslo
    start: 2026-11-01
  trigger: scheduled
  recordings:
    rules:
      - name: tag-campaign
        tags: {add: ["campaign:daily"]}
"""


def make_agent(sandbox: Any, tmp_path: Path, paths: list[Path], events: list[AgentEvent],
               **config: Any) -> Agent:
    backends = resolve_backends(env=dict(sandbox.env), workdir=tmp_path)
    settings = AgentConfig(paths=tuple(str(p) for p in paths), **config)
    return Agent(backends, settings, clock=SystemClock(), log=events.append)


def run_pass(agent: Agent, now: dt.datetime) -> PassReport:
    return asyncio.run(agent.run_pass(now))


def sessions(sandbox: Any) -> dict[str, dict[str, Any]]:
    """The sessions of campaign `daily` (the demo seed has sessions of its own)."""
    rows = graphql(sandbox, "{recordingSessions {id name state maxTimeSeconds}}")
    return {r["id"]: r for r in rows["recordingSessions"]
            if r["name"].startswith("daily#") and r["name"] != "daily#version"}


def test_thirty_days_one_pass_a_day_no_occurrence_lapses(sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY)
    events: list[AgentEvent] = []
    # A 3-day horizon: without a pass extending it every day, sessions would run out.
    agent = make_agent(sandbox, tmp_path, [path], events, horizon=dt.timedelta(days=3))
    (campaign,) = load_campaigns([str(path)]).campaigns
    assert isinstance(campaign.window, RecurringWindow)
    now = T0
    sandbox.set_clock(now)
    for _day in range(30):
        report = run_pass(agent, now)
        assert report.ok, report.error
        have = sessions(sandbox)
        upcoming = [o for o in occurrences(campaign.window, now, now + dt.timedelta(days=2))
                    if o.end > now]
        assert upcoming
        for occurrence in upcoming:
            assert session_id("daily", occurrence.key) in have, (now, occurrence)
        now += dt.timedelta(days=1)
        sandbox.advance(86400)
    every_day = occurrences(campaign.window, T0, T0 + dt.timedelta(days=30))
    have = sessions(sandbox)
    assert all(session_id("daily", o.key) in have for o in every_day if o.end > T0)
    # Only the window before the agent's first pass (12-01 03:00) is reported missed.
    assert [e.fields["session"] for e in events if e.kind == "missed"] == ["daily#2026-11-30"]


def test_deleted_or_edited_session_restored_in_one_pass(sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY)
    events: list[AgentEvent] = []
    agent = make_agent(sandbox, tmp_path, [path], events)
    sandbox.set_clock(T0)
    first = run_pass(agent, T0)
    assert first.ok and first.changes.get("create") and first.drift_corrected == 0
    assert run_pass(agent, T0).changes == {}  # idle: nothing to do
    ids = sorted(sessions(sandbox))
    edited, deleted = ids[0], ids[1]
    graphql(sandbox, "mutation($id: uuid!) {updateRecordingSession(pk_columns: {id: $id}, "
                     "_set: {maxTimeSeconds: 99}) {id}}", {"id": edited})
    graphql(sandbox, "mutation($id: uuid!) {deleteRecordingSessions(where: {id: {_eq: $id}}) "
                     "{affected_rows}}", {"id": deleted})
    assert deleted not in sessions(sandbox)
    report = run_pass(agent, T0)
    assert report.ok, report.error
    have = sessions(sandbox)
    assert have[edited]["maxTimeSeconds"] == 0
    assert deleted in have
    assert report.drift_corrected >= 2
    assert report.sessions.get("Scheduled", 0) >= 2


def test_bad_edit_keeps_last_good_set_and_reports_once(sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY)
    events: list[AgentEvent] = []
    agent = make_agent(sandbox, tmp_path, [path], events)
    sandbox.set_clock(T0)
    first = run_pass(agent, T0)
    assert first.ok and first.campaigns == ("daily",)
    path.write_text(DAILY.replace("trigger: scheduled", "trigger: sometimes")
                    .replace('maxTimeSeconds: 0', 'maxTimeSeconds: 77'))
    second = run_pass(agent, T0)
    third = run_pass(agent, T0)
    assert second.ok and third.ok and second.campaigns == third.campaigns == ("daily",)
    assert not second.reloaded and not third.reloaded
    assert all(s["maxTimeSeconds"] == 0 for s in sessions(sandbox).values())  # not half-applied
    errors = [e for e in events if e.kind == "reload" and e.level == "error"]
    assert errors and "daily.yaml" in errors[1].message
    assert len([e for e in errors if "keeping the last good set" in e.message]) == 1
    path.write_text(DAILY.replace("maxTimeSeconds: 0", "maxTimeSeconds: 77"))
    fixed = run_pass(agent, T0)
    assert fixed.reloaded and fixed.changes.get("update")
    assert all(s["maxTimeSeconds"] == 77 for s in sessions(sandbox).values())


def test_selector_picks_campaigns(sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY)
    events: list[AgentEvent] = []
    from runner.spec.selectors import parse_selector

    agent = make_agent(sandbox, tmp_path, [path], events, selector=parse_selector("site=lab-2"))
    sandbox.set_clock(T0)
    report = run_pass(agent, T0)
    assert report.ok and report.campaigns == () and not sessions(sandbox)


def test_new_recordings_tagged_within_one_pass(sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY)
    events: list[AgentEvent] = []
    agent = make_agent(sandbox, tmp_path, [path], events)
    sandbox.set_clock(T0)
    assert run_pass(agent, T0).ok
    # The platform starts and stops the Scheduled session on its clock: a new recording.
    sandbox.advance(6 * 3600)
    sandbox.advance(1)
    now = sandbox.now()
    report = run_pass(agent, now)
    assert report.ok, report.error
    tagged = [r for r in fleet_recordings(sandbox) if "campaign:daily" in r["tags"]]
    assert tagged and report.recordings_changed >= len(tagged) - 0


def test_missed_window_reported_not_recreated(sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY)
    events: list[AgentEvent] = []
    agent = make_agent(sandbox, tmp_path, [path], events)
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # the 12-02 window ended at 07:00 UTC
    sandbox.set_clock(now)
    report = run_pass(agent, now)
    assert report.ok and report.missed == ("daily#2026-12-02",)
    assert session_id("daily", "2026-12-02") not in sessions(sandbox)
    assert run_pass(agent, now).missed == ()  # reported once


def test_standby_window_gets_a_driver_that_puts_sessions_back(
        sandbox: Any, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    sandbox.set_clock(now)
    path = burst_campaign(tmp_path / "bursts.yaml", "agent-bursts", count=2, record="300ms",
                          pause="300ms", now=now)
    events: list[AgentEvent] = []
    agent = make_agent(sandbox, tmp_path, [path], events)
    before = {r["uid"] for r in fleet_recordings(sandbox)}

    async def scenario() -> tuple[PassReport, PassReport]:
        first = await agent.run_pass()
        await agent.wait_drivers()
        second = await agent.run_pass()
        await agent.wait_drivers()
        return first, second

    first, second = asyncio.run(scenario())
    assert first.ok and first.drivers_started == ("agent-bursts",)
    assert second.drivers_started == ()  # an occurrence is driven once
    assert session_state(sandbox, session_id("agent-bursts", "")) == "Standby"
    recordings = [r for r in fleet_recordings(sandbox) if r["uid"] not in before]
    assert len(recordings) == 2
    (result,) = agent.results
    assert result.ok and result.sessions[0].started == (0, 1)


def test_a_campaign_another_driver_holds_is_left_to_it_and_taken_once_free(
        sandbox: Any, tmp_path: Path) -> None:
    from runner.ops.leases import hold_leases
    from runner.run.lease import Holder

    now = dt.datetime.now(UTC)
    sandbox.set_clock(now)
    path = burst_campaign(tmp_path / "bursts.yaml", "agent-lease", count=2, record="300ms",
                          pause="300ms", now=now)
    events: list[AgentEvent] = []
    backends = resolve_backends(env=dict(sandbox.env), workdir=tmp_path)
    sid = session_id("agent-lease", "")
    agent = Agent(backends, AgentConfig(paths=(str(path),)), clock=SystemClock(),
                  log=events.append)
    other = Holder("other-agent.example", 4242, "t0ken")

    async def scenario() -> tuple[PassReport, PassReport]:
        async with hold_leases(backends, ["agent-lease"], other, SystemClock()):
            first = await agent.run_pass()
            await agent.wait_drivers()
        second = await agent.run_pass()  # the other driver released it
        await agent.wait_drivers()
        return first, second

    first, second = asyncio.run(scenario())
    assert first.drivers_started == ("agent-lease",)
    held = [e for e in events if e.kind == "lease"]
    assert held and "other-agent.example:4242" in held[0].message
    assert second.drivers_started == ("agent-lease",)  # retried, now driven
    (result,) = agent.results
    assert result.ok and result.sessions[0].started == (0, 1)
    assert session_state(sandbox, sid) == "Standby" and sid in agent._driven


def test_a_pass_that_writes_one_campaign_still_counts_every_campaigns_sessions(
        sandbox: Any, tmp_path: Path) -> None:
    # Apply's verify re-reads only the written campaigns; the pass's figures (and its missed
    # windows) come from the read of all of them.
    daily, other = tmp_path / "daily.yaml", tmp_path / "other.yaml"
    daily.write_text(DAILY)
    other.write_text(DAILY.replace("name: daily", "name: other")
                     .replace("from: \"06:00\", to: \"08:00\"", "from: \"09:00\", to: \"10:00\""))
    events: list[AgentEvent] = []
    agent = make_agent(sandbox, tmp_path, [daily, other], events)
    sandbox.set_clock(T0)
    first = run_pass(agent, T0)
    assert first.ok, first.error
    assert run_pass(agent, T0).changes == {}
    idle = run_pass(agent, T0).sessions
    other.write_text(other.read_text().replace("maxTimeSeconds: 0", "maxTimeSeconds: 60"))
    edited = run_pass(agent, T0)
    assert edited.ok and edited.changes.get("update")
    assert edited.sessions == idle  # both campaigns' sessions, not only the written one's


def test_a_pass_abandoned_mid_way_leaves_no_unretrieved_error(
        sandbox: Any, tmp_path: Path) -> None:
    """Stopping the agent during a pass kills its pass process; the receiver's error on the
    closed pipe is expected and must not reach asyncio's "never retrieved" log."""
    (tmp_path / "daily.yaml").write_text(DAILY, encoding="utf-8")
    agent = make_agent(sandbox, tmp_path, [tmp_path / "daily.yaml"], [])
    reported: list[dict[str, Any]] = []

    async def abandon() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        sandbox.faults(latency_ms=2000)  # the pass is surely mid-way when cancelled
        task = asyncio.create_task(agent.run_pass(T0))
        await asyncio.sleep(1.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.5)  # the receiver thread ends on the closed pipe
        gc.collect()  # an unretrieved future's error is logged when it is collected
        await asyncio.sleep(0)

    try:
        asyncio.run(abandon())
    finally:
        sandbox.faults(latency_ms=0)
        agent.close()
    assert task_errors(reported) == []


def task_errors(contexts: list[dict[str, Any]]) -> list[str]:
    return [str(c.get("message")) + ": " + repr(c.get("exception")) for c in contexts]
