"""Run state file and `burst_status` (what `campaign status` shows), with made-up times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from runner.compile import session_id
from runner.errors import CampaignError
from runner.run.driver import RunEvent, RunResult, SessionResult, SessionRow
from runner.run.prepare import burst_targets, session_runs
from runner.run.state import (
    RunJournal,
    burst_status,
    load_run_state,
    run_state_path,
    saved_sessions,
)
from runner.run.stats import TransitionRecord, session_lateness
from runner.spec.loader import load_campaigns
from runner.spec.model import Campaign
from tests.run.helpers import UTC, burst_campaign

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
S = dt.timedelta(seconds=1)


def campaign(tmp_path: Path, *, offset: str = "0s", now: dt.datetime = NOW) -> Campaign:
    path = burst_campaign(tmp_path / "c.yaml", "st", count=3, record="10s", pause="5s",
                          now=now, offset=offset)
    loaded = load_campaigns([str(path)])
    assert loaded.ok, loaded.diagnostics
    return loaded.campaigns[0]


def journal_of_a_run(tmp_path: Path, c: Campaign, now: dt.datetime) -> RunJournal:
    target = burst_targets([c], now)[0]
    rows = {target.session_id: SessionRow(target.session_id, target.session_name, "Standby")}
    runs = session_runs([target], now, rows, {}, dt.timedelta(seconds=1))
    return RunJournal(run_state_path(tmp_path, c.name), c.name, runs,
                      {target.session_name: target.pattern}, now)


def test_window_ahead_never_run_shows_the_planned_first_burst(tmp_path: Path) -> None:
    c = campaign(tmp_path, offset="5m", now=NOW + dt.timedelta(hours=3))  # opens in 2 h
    status = burst_status(c, NOW, tmp_path)
    assert status is not None
    assert status.next_burst == c.window.start + dt.timedelta(minutes=5)
    assert status.last_run is None and "never run" in status.summary()


def test_open_window_never_run_says_bursts_start_with_the_runner(tmp_path: Path) -> None:
    status = burst_status(campaign(tmp_path), NOW, tmp_path)
    assert status is not None and status.window_open and status.next_burst is None
    assert "as soon as `campaign run` runs" in status.summary()


def test_a_run_in_progress_gives_the_next_burst_of_its_schedule(tmp_path: Path) -> None:
    c = campaign(tmp_path)
    journal = journal_of_a_run(tmp_path, c, NOW)
    journal.record(RunEvent("st", 0, "started"))
    anchor = NOW + dt.timedelta(seconds=0.25)  # a fresh run starts a moment after `now`
    status = burst_status(c, NOW + 3 * S, tmp_path)
    assert status is not None and status.next_burst == anchor + 15 * S
    assert status.last_run is not None and status.last_run["sessions"][0]["started"] == [0]


def test_finished_run_keeps_its_lateness_figures_and_resume_reads_them_back(
    tmp_path: Path
) -> None:
    c = campaign(tmp_path)
    journal = journal_of_a_run(tmp_path, c, NOW)
    for burst in range(3):
        journal.record(RunEvent("st", burst, "started"))
    records = [TransitionRecord("st", i // 2, "Started" if i % 2 == 0 else "Standby", 0.0,
                                0.0001, 0.002 + i / 1000, 1) for i in range(6)]
    sid = session_id("st", "")
    journal.finish(RunResult((SessionResult("st", sid, "st", tuple(records), (), (0, 1, 2), (),
                                            False, "Standby", session_lateness(records)),),
                             False, "Standby"), NOW + 60 * S)

    state = load_run_state(run_state_path(tmp_path, "st"))
    assert state is not None and state["status"] == "completed"
    saved = saved_sessions(state)[sid]
    assert saved.started == {0, 1, 2} and saved.anchor == NOW + dt.timedelta(seconds=0.25)
    status = burst_status(c, NOW + 60 * S, tmp_path)
    assert status is not None and status.next_burst is None and not status.window_open
    summary = status.summary()
    assert "last run completed" in summary and "3/3 bursts" in summary
    assert "start ack p50 4.0 ms p99 6.0 ms max 6.0 ms" in summary
    json.dumps(status.as_dict())  # serialisable for `campaign status -o json`

    # A restart reads the same file: everything is done, nothing is started again.
    target = burst_targets([c], NOW + 61 * S)[0]
    rows = {sid: SessionRow(sid, "st", "Standby")}
    runs = session_runs([target], NOW + 61 * S, rows, saved_sessions(state),
                        dt.timedelta(seconds=1))
    assert runs[0].plan.steps == () and runs[0].plan.done == (0, 1, 2)


def test_unreadable_state_is_a_fresh_start_and_other_triggers_have_no_burst_status(
    tmp_path: Path
) -> None:
    path = run_state_path(tmp_path, "st")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_run_state(path) is None
    c = campaign(tmp_path)
    scheduled = Campaign(**{**c.__dict__, "trigger": c.trigger.__class__("scheduled")})
    assert burst_status(scheduled, NOW, tmp_path) is None


def test_session_runs_refuse_missing_or_non_standby_sessions(tmp_path: Path) -> None:
    c = campaign(tmp_path)
    target = burst_targets([c], NOW)[0]
    for rows, words in (({}, "does not exist"),
                        ({target.session_id: SessionRow(target.session_id, "st", "Stopped")},
                         "is Stopped")):
        with pytest.raises(CampaignError, match=words) as refused:
            session_runs([target], NOW, rows, {}, dt.timedelta(seconds=1))
        assert "campaign apply" in str(refused.value)


def test_recurring_campaign_drives_the_occurrence_open_now_else_the_next(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("""\
apiVersion: campaign/v1
kind: Campaign
metadata: {name: rec}
spec:
  cameras:
    - {model: REALSENSE_D435, serial: "844212070924", device: dev_vehicle_001,
       streams: [{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}]}
  window:
    every: {days: [mon, wed], from: "08:00", to: "10:00"}
    timezone: Europe/Oslo
    start: 2026-11-30
  trigger: standby
  bursts: {count: 2, record: 10s, pause: 5s, offset: 1m}
""")
    loaded = load_campaigns([str(path)])
    assert loaded.ok, loaded.diagnostics
    c = loaded.campaigns[0]
    monday_9 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Oslo: open
    target = burst_targets([c], monday_9)[0]
    assert (target.session_name, target.session_id) == ("rec#2026-11-30",
                                                         session_id("rec", "2026-11-30"))
    tuesday = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    target = burst_targets([c], tuesday)[0]
    assert target.session_name == "rec#2026-12-02"
    assert target.occurrence.start == dt.datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    status = burst_status(c, tuesday, tmp_path)
    assert status is not None and status.next_burst == dt.datetime(2026, 12, 2, 7, 1, tzinfo=UTC)
