"""`campaign run` / `campaign trigger` end to end: a real CLI process against the served sandbox.

Real time, short bursts. Nothing asserts how long anything took; recording durations are
checked against `record` with a tolerance, as the device simulation reports them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runner.compile import session_id
from runner.run import burst_status
from runner.spec.loader import load_campaigns
from tests.run.helpers import (
    UTC,
    burst_campaign,
    fleet_recordings,
    graphql,
    insert_standby_session,
    lease_row,
    session_state,
)

pytestmark = pytest.mark.slow
WAIT = 60.0  # generous bound for polling loops on a loaded CI machine (never asserted on)


def campaign_cli(sandbox: Any, cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **sandbox.env}
    env.pop("CI", None)
    return subprocess.Popen([sys.executable, "-m", "runner", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=WAIT)
    return proc.returncode, out, err


def poll(condition: Any, what: str) -> None:
    limit = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > limit:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


def started_bursts(cwd: Path, campaign: str) -> list[int]:
    try:
        state = json.loads((cwd / ".campaign" / "runs" / f"{campaign}.json").read_text())
    except (OSError, ValueError):
        return []
    return list(state["sessions"][0]["started"])


def new_recordings(sandbox: Any, before: set[str]) -> list[dict[str, Any]]:
    return sorted((r for r in fleet_recordings(sandbox) if r["uid"] not in before),
                  key=lambda r: r["started_at"])


def test_n_bursts_make_n_completed_recordings_per_device(sandbox: Any, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    path = burst_campaign(tmp_path / "bursts.yaml", "bursts-e2e", count=3, record="0.5s",
                          pause="0.3s", now=now)
    # A second campaign on another device, driven concurrently by the same process.
    lab = burst_campaign(tmp_path / "lab.yaml", "bursts-lab", count=2, record="0.4s",
                         pause="0.4s", now=now, device="dev_lab_001")
    before = {r["uid"] for r in fleet_recordings(sandbox)}
    before_lab = {r["uid"] for r in fleet_recordings(sandbox, "dev_lab_001")}

    # No session exists yet: `campaign run` applies the campaigns first.
    code, out, err = finish(campaign_cli(sandbox, tmp_path, "run", str(path), str(lab),
                                         "-o", "json"))

    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and len(report["sessions"]) == 2
    session, lab_session = sorted(report["sessions"], key=lambda s: s["campaign"])
    assert session["started"] == [0, 1, 2] and session["skipped"] == []
    assert lab_session["started"] == [0, 1]
    assert session["final_state"] == lab_session["final_state"] == "Standby"
    assert [t["state"] for t in session["transitions"]] == ["Started", "Standby"] * 3
    for key in ("sent", "ack", "start_ack"):
        assert set(session["lateness"][key]) == {"count", "p50_ms", "p99_ms", "max_ms"}
    assert session["lateness"]["start_ack"]["count"] == 3
    assert "applied" in err  # the run created the sessions through the reconciler's apply
    assert session_state(sandbox, session_id("bursts-e2e", "")) == "Standby"
    recordings = new_recordings(sandbox, before)
    assert [r["status"] for r in recordings] == ["completed"] * 3  # one device, three bursts
    for recording in recordings:
        assert recording["duration_seconds"] == pytest.approx(0.5, abs=0.2)
    lab_recordings = [r for r in fleet_recordings(sandbox, "dev_lab_001")
                      if r["uid"] not in before_lab]
    assert [r["status"] for r in lab_recordings] == ["completed"] * 2
    for recording in lab_recordings:
        assert recording["duration_seconds"] == pytest.approx(0.4, abs=0.2)
    # The run state keeps the figures `campaign status` shows.
    campaign = load_campaigns([str(path)]).campaigns[0]
    status = burst_status(campaign, dt.datetime.now(UTC), tmp_path / ".campaign")
    assert status is not None and status.last_run is not None
    assert status.last_run["status"] == "completed"
    assert status.next_burst is None  # all three are over
    assert "3/3 bursts" in status.summary() and "start ack p50" in status.summary()
    code, out, err = finish(campaign_cli(sandbox, tmp_path, "status", str(path)))
    assert code == 0, err
    assert "last run completed (bursts-e2e: 3/3 bursts, start ack p50" in out


def test_sigterm_mid_burst_leaves_standby_and_restart_never_double_starts(
    sandbox: Any, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    name = "bursts-sigterm"
    # 5 s of record time: the restart below (two Python start-ups) must land inside burst 2
    # even on a loaded machine.
    path = burst_campaign(tmp_path / "bursts.yaml", name, count=4, record="5s", pause="1s",
                          now=now)
    sid = session_id(name, "")  # `campaign run` applies the campaign, creating it
    before = {r["uid"] for r in fleet_recordings(sandbox)}

    first = campaign_cli(sandbox, tmp_path, "run", str(path), "-o", "json")
    # Burst 2 (index 1) acknowledged: we are inside its record time.
    poll(lambda: started_bursts(tmp_path, name) == [0, 1], "burst 2 to start")
    assert session_state(sandbox, sid) == "Started"
    first.send_signal(signal.SIGTERM)
    code, out, err = finish(first)

    assert code == 143, err
    assert "interrupted" in err
    assert json.loads(out)["interrupted"] is True
    assert session_state(sandbox, sid) == "Standby"
    assert [r["status"] for r in new_recordings(sandbox, before)] == ["completed"] * 2
    code, out, _ = finish(campaign_cli(sandbox, tmp_path, "run", str(path), "--dry-run",
                                       "-o", "json"))
    timeline = json.loads(out)["sessions"][0]
    assert timeline["resumes_earlier_run"] is True
    assert [b["started_earlier"] for b in timeline["bursts"]] == [True, True, False, False]

    code, out, err = finish(campaign_cli(sandbox, tmp_path, "run", str(path), "-o", "json"))

    session = json.loads(out)["sessions"][0]
    assert 1 not in session["started"]  # the interrupted burst is not recorded twice
    assert session["done_before"] == [0]
    skipped = {s["burst"]: s["reason"] for s in session["skipped"]}
    assert "not started twice" in skipped[1]
    assert set(session["started"]) | set(skipped) == {1, 2, 3}
    assert code == 1  # a burst was skipped: reported, not hidden
    recordings = new_recordings(sandbox, before)
    assert len(recordings) == 2 + len(session["started"])
    assert all(r["status"] == "completed" for r in recordings)
    assert session_state(sandbox, sid) == "Standby"


def held_by(pid: int, campaign: str) -> str:
    from runner.ops.leases import this_process

    return f"error: campaign {campaign!r} is driven by {this_process().host}:{pid} (lease expires "


def test_second_runner_is_refused_and_stop_on_exit_leaves_stopped(
    sandbox: Any, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    name = "bursts-single"
    path = burst_campaign(tmp_path / "bursts.yaml", name, count=1, record="60s", pause="1s",
                          now=now)
    sid = session_id(name, "")
    first = campaign_cli(sandbox, tmp_path, "run", str(path), "--stop-on-exit")
    poll(lambda: started_bursts(tmp_path, name) == [0], "the burst to start")
    elsewhere = tmp_path / "elsewhere"  # another directory: no shared local run state
    elsewhere.mkdir()

    code, _, err = finish(campaign_cli(sandbox, elsewhere, "run", str(path)))
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith(held_by(first.pid, name))
    assert err.rstrip().endswith("stop that run first, or wait for the lease to expire")
    assert session_state(sandbox, sid) == "Started"  # the refused runner touched nothing
    code, _, err = finish(campaign_cli(sandbox, elsewhere, "trigger", "stop", name, str(path)))
    assert code == 1 and err.startswith(held_by(first.pid, name)), err
    assert session_state(sandbox, sid) == "Started"  # nor did a hand switch

    first.send_signal(signal.SIGINT)
    code, _, err = finish(first)
    assert code == 130 and "interrupted: sessions set back to Stopped (" in err
    assert session_state(sandbox, sid) == "Stopped"
    assert lease_row(sandbox, name) is None  # released on the way out


def test_two_runners_from_two_directories_exactly_one_drives(
    sandbox: Any, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    name = "bursts-two"
    path = burst_campaign(tmp_path / "bursts.yaml", name, count=1, record="60s", pause="1s",
                          now=now)
    sid = session_id(name, "")
    dirs = [tmp_path / "a", tmp_path / "b"]
    for directory in dirs:
        directory.mkdir()
    procs = [campaign_cli(sandbox, d, "run", str(path), "--lease-ttl", "5s") for d in dirs]
    poll(lambda: any(p.poll() is not None for p in procs), "one runner to give up")
    loser = next(p for p in procs if p.poll() is not None)
    winner = next(p for p in procs if p is not loser)
    code, _, err = finish(loser)
    assert code == 1 and err.count("\n") == 1 and err.startswith(held_by(winner.pid, name)), err
    win_dir = dirs[procs.index(winner)]
    poll(lambda: started_bursts(win_dir, name) == [0], "the winner's burst to start")
    assert not (dirs[procs.index(loser)] / ".campaign" / "runs").exists()
    assert session_state(sandbox, sid) == "Started"
    row = lease_row(sandbox, name)
    assert row is not None and row["name"].startswith(f"{name}#lease ")
    assert f":{winner.pid} " in row["name"]
    # The lease row is nobody's change: `campaign plan` shows none.
    code, out, err = finish(campaign_cli(sandbox, tmp_path, "plan", str(path)))
    assert code == 0 and "lease" not in out and "No changes." in out, out + err

    winner.send_signal(signal.SIGTERM)
    code, _, err = finish(winner)
    assert code == 143, err
    assert session_state(sandbox, sid) == "Standby"
    assert lease_row(sandbox, name) is None  # released after the session went back


def test_a_killed_holders_lease_is_taken_over_after_it_expires(
    sandbox: Any, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    name = "bursts-takeover"
    path = burst_campaign(tmp_path / "bursts.yaml", name, count=2, record="3s", pause="0.5s",
                          now=now)
    sid = session_id(name, "")
    first = campaign_cli(sandbox, tmp_path, "run", str(path), "--lease-ttl", "2s")
    poll(lambda: started_bursts(tmp_path, name) == [0], "burst 1 to start")
    first.kill()  # SIGKILL: no release, the session stays Started
    first.communicate(timeout=WAIT)
    row = lease_row(sandbox, name)
    assert row is not None and f":{first.pid} " in row["name"]
    expires = dt.datetime.fromisoformat(row["endDate"]).replace(tzinfo=UTC)
    poll(lambda: dt.datetime.now(UTC) > expires + dt.timedelta(seconds=1), "the lease to expire")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    code, out, err = finish(campaign_cli(sandbox, elsewhere, "run", str(path), "-o", "json"))

    assert code == 0, err
    session = json.loads(out)["sessions"][0]
    assert session["final_state"] == "Standby" and session["started"]
    assert session_state(sandbox, sid) == "Standby"
    assert lease_row(sandbox, name) is None


def test_restart_after_a_crash_keeps_the_running_bursts_stop_deadline(
    sandbox: Any, tmp_path: Path
) -> None:
    now = dt.datetime.now(UTC)
    name = "bursts-crash"
    # Long enough for the restart (process start + apply) to land inside burst 1.
    path = burst_campaign(tmp_path / "bursts.yaml", name, count=2, record="5s", pause="0.5s",
                          now=now)
    sid = session_id(name, "")  # `campaign run` applies the campaign, creating it
    before = {r["uid"] for r in fleet_recordings(sandbox)}
    first = campaign_cli(sandbox, tmp_path, "run", str(path), "-o", "json")
    poll(lambda: started_bursts(tmp_path, name) == [0], "burst 1 to start")
    first.kill()  # no chance to clean up: the session stays Started
    first.communicate(timeout=WAIT)
    assert session_state(sandbox, sid) == "Started"

    code, out, err = finish(campaign_cli(sandbox, tmp_path, "run", str(path), "-o", "json"))

    assert code == 0, err
    session = json.loads(out)["sessions"][0]
    assert "in progress" in err
    # Burst 1 found Started: only its stop is sent (at its deadline), then burst 2 in full.
    assert [(t["burst"], t["state"]) for t in session["transitions"]] == [
        (0, "Standby"), (1, "Started"), (1, "Standby")]
    assert session["started"] == [1]
    recordings = new_recordings(sandbox, before)
    assert [r["status"] for r in recordings] == ["completed"] * 2
    # The first burst was stopped on schedule, not cut short or stretched by the restart.
    assert recordings[0]["duration_seconds"] == pytest.approx(5.0, abs=0.3)


def test_trigger_start_and_stop_are_idempotent(sandbox: Any, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    path = tmp_path / "manual.yaml"
    burst_campaign(path, "manual-trigger", count=1, record="1s", pause="1s", now=now)
    text = path.read_text().replace("trigger: standby", "trigger: manual")
    path.write_text("\n".join(line for line in text.splitlines() if "bursts:" not in line))
    sid = insert_standby_session(sandbox, "manual-trigger", now)
    graphql(sandbox, "mutation($id: uuid!) {updateRecordingSession(pk_columns: {id: $id}, "
                     "_set: {state: Stopped}) {state}}", {"id": sid})
    before = {r["uid"] for r in fleet_recordings(sandbox)}

    code, out, err = finish(campaign_cli(sandbox, tmp_path, "trigger", "start",
                                         "manual-trigger", str(path)))
    assert (code, out.strip()) == (0, "manual-trigger: Stopped -> Started"), err
    code, out, _ = finish(campaign_cli(sandbox, tmp_path, "trigger", "start", "manual-trigger",
                                       str(path), "-o", "json"))
    assert code == 0 and json.loads(out)["changed"] is False
    assert session_state(sandbox, sid) == "Started"
    code, out, _ = finish(campaign_cli(sandbox, tmp_path, "trigger", "stop", "manual-trigger",
                                       str(path)))
    assert (code, out.strip()) == (0, "manual-trigger: Started -> Stopped")
    code, out, _ = finish(campaign_cli(sandbox, tmp_path, "trigger", "stop", "manual-trigger",
                                       str(path)))
    assert (code, out.strip()) == (0, "manual-trigger: already Stopped; nothing to do")
    assert [r["status"] for r in new_recordings(sandbox, before)] == ["completed"]


def test_trigger_refuses_scheduled_campaigns_and_unknown_names(
    sandbox: Any, tmp_path: Path
) -> None:
    path = burst_campaign(tmp_path / "c.yaml", "sched", count=1, record="1s", pause="1s",
                          now=dt.datetime.now(UTC))
    text = path.read_text().replace("trigger: standby", "trigger: scheduled")
    path.write_text("\n".join(line for line in text.splitlines() if "bursts:" not in line))
    code, _, err = finish(campaign_cli(sandbox, tmp_path, "trigger", "start", "sched", str(path)))
    assert code == 1 and "trigger: scheduled" in err and "Traceback" not in err
    code, _, err = finish(campaign_cli(sandbox, tmp_path, "trigger", "start", "nope", str(path)))
    assert code == 2 and "no campaign named 'nope'" in err


def test_dry_run_prints_the_timeline_without_touching_the_backend(
    sandbox: Any, tmp_path: Path
) -> None:
    path = burst_campaign(tmp_path / "c.yaml", "dry", count=4, record="10s", pause="5s",
                          now=dt.datetime.now(UTC), offset="0s")
    requests_before = sandbox.stats()["graphql"]
    code, out, err = finish(campaign_cli(sandbox, tmp_path, "run", str(path), "--dry-run",
                                         "-o", "json"))
    assert code == 0, err
    timeline = json.loads(out)["sessions"][0]
    starts = [dt.datetime.fromisoformat(b["start"]) for b in timeline["bursts"]]
    assert [(b - starts[0]).total_seconds() for b in starts] == [0, 15, 30, 45]
    assert sandbox.stats()["graphql"] == requests_before
    assert not (tmp_path / ".campaign").exists()


def test_bad_input_is_one_line_and_non_zero(sandbox: Any, tmp_path: Path) -> None:
    path = burst_campaign(tmp_path / "c.yaml", "bad", count=1, record="1s", pause="1s",
                          now=dt.datetime.now(UTC))
    code, _, err = finish(campaign_cli(sandbox, tmp_path, "run", str(path), "--max-lateness",
                                       "soon"))
    assert code == 2 and err.count("\n") == 1 and "--max-lateness" in err
    manual = tmp_path / "m.yaml"
    manual.write_text("\n".join(line for line in path.read_text().splitlines()
                                if "bursts:" not in line).replace("standby", "manual"))
    code, _, err = finish(campaign_cli(sandbox, tmp_path, "run", str(manual)))
    assert code == 1 and "trigger: standby" in err and "Traceback" not in err
