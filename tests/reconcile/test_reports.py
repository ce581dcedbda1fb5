"""Issue 14 (hardening): what plan/apply refuse and report, end to end against the sandbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from runner.compile import compile_campaigns
from runner.errors import ControlPlaneError, PlanError
from runner.plan.apply import apply_plan, make_plan
from runner.plan.model import PlanOptions
from runner.plan.render import render_markdown
from runner.wiring import resolve_backends, retry_budget
from tests.run.helpers import burst_campaign

from .helpers import D435_A, D435_LAB, NOW, UTC, camera, campaign, stream
from .support import control_plane, converge, plan_for
from .test_commands import CAMPAIGN, run

RULES = """\
  recordings:
    rules:
      - name: tag-campaign
        tags: {add: ["campaign:demo"]}
"""


def _no_fleet(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("AVALA_")}


def test_rules_without_a_fleet_api_fail_unless_skipped(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CAMPAIGN.format(name="demo", bitrate=1000000) + RULES)
    env, now = _no_fleet(sandbox.env), ["--now", NOW.isoformat()]
    for command in (["plan", "c.yaml"], ["apply", "c.yaml", "--auto-approve"]):
        refused = run([*command, *now], tmp_path, env)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "$AVALA_BASE_URL" in refused.stderr and "$AVALA_API_KEY" in refused.stderr
        assert "--no-recordings" in refused.stderr
    assert sandbox.stats()["graphql"]["mutations"] == 0
    skipped = run(["apply", "c.yaml", "--auto-approve", "--no-recordings", *now], tmp_path, env)
    assert skipped.returncode == 0, skipped.stderr
    assert "skipping the campaigns' recording rules (--no-recordings)" in skipped.stderr
    # The embedded sandbox serves its own fleet API: its rules run without the variables.
    embedded = run(["plan", "c.yaml", *now], tmp_path, {})
    assert embedded.returncode == 0, embedded.stderr
    assert "embedded sandbox" in embedded.stderr and "AVALA" not in embedded.stderr


async def test_markdown_details_name_every_session(sandbox: Any) -> None:
    start = dt.datetime(2026, 11, 23, 8, tzinfo=UTC)
    every_day = frozenset(range(7))
    old = campaign("md", recurring_days=every_day, start=start, hours=2,
                   cameras=(camera(streams=(stream("color"),)),))
    await converge(sandbox, [old], NOW)
    new = dataclasses.replace(old, cameras=(camera(streams=(stream("color", bitrate=2_000_000),)),))
    plan = await plan_for(sandbox, [new], NOW)
    sessions = sorted({c.session for c in plan.effective})
    assert len(sessions) == 11 and all(c.kind == "stream" for c in plan.effective)
    details = render_markdown(plan).split("```diff\n", 1)[1].split("```", 1)[0]
    headers = [line for line in details.splitlines() if line.startswith("# session ")]
    assert headers == [f"# session {name} will be updated in place" for name in sessions]


async def test_every_unregistered_camera_is_reported_with_did_you_mean(sandbox: Any) -> None:
    wrong_model = ("REALSENSE", D435_A[1], D435_A[2])  # registered as a D435
    unknown = ("REALSENSE_D435", "999999999999", "dev_vehicle_001")
    wanted = campaign("cams", cameras=(camera(wrong_model, line=11), camera(unknown, line=12),
                                       camera(D435_LAB, line=13)))
    with pytest.raises(PlanError) as caught:
        await plan_for(sandbox, [wanted], NOW)
    message = str(caught.value)
    assert message.startswith("2 cameras are not registered in the control plane")
    assert ("test.yaml:11:1: camera REALSENSE 844212070924 is not registered in the control "
            "plane (did you mean model REALSENSE_D435?") in message
    assert "test.yaml:12:1: camera REALSENSE_D435 999999999999 is not registered" in message
    assert "936322070512" not in message


def test_plan_json_on_invalid_files_prints_the_diagnostics_document(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(CAMPAIGN.format(name="bad", bitrate=1000000)
                                       .replace("trigger: scheduled", "trigger: sometimes"))
    planned = run(["plan", "bad.yaml", "-o", "json"], tmp_path)
    validated = run(["validate", "bad.yaml", "-o", "json"], tmp_path)
    assert planned.returncode == 1 and validated.returncode == 1
    document = json.loads(planned.stdout)
    assert document == json.loads(validated.stdout)
    assert document["valid"] is False and document["diagnostics"][0]["file"] == "bad.yaml"
    empty = run(["plan", "nothing-here", "-o", "json"], tmp_path)
    assert empty.returncode == 1
    assert json.loads(empty.stdout)["diagnostics"][-1]["code"] == "CMP120"


async def test_a_lost_response_reports_what_was_written(sandbox: Any) -> None:
    wanted = campaign("lost", cameras=(camera(), camera(D435_LAB, line=11)))
    expected = (await plan_for(sandbox, [wanted], NOW)).counts()
    # Every write commits, then its answer is lost; the transport's retry then loses the
    # compare-and-set to our own first attempt.
    sandbox.faults(timeout_after_commit_rate=1.0, timeout_hang_ms=10)
    result = await converge(sandbox, [wanted], NOW)
    assert sandbox.stats()["faults"].get("timeout_after_commit", 0) >= 1
    sandbox.faults()
    assert result.plan.counts() == expected == (7, 0, 0)
    assert result.conflicts == 0  # no other apply ran
    assert (await plan_for(sandbox, [wanted], NOW)).writes.empty()


async def test_another_applies_work_is_not_reported_as_ours(sandbox: Any) -> None:
    wanted = campaign("twice")
    async with control_plane(sandbox) as cp:
        stale = await make_plan(cp, compile_campaigns([wanted], NOW), NOW, PlanOptions())
    await converge(sandbox, [wanted], NOW)  # someone else applies the same campaign first
    async with control_plane(sandbox) as cp:
        result = await apply_plan(cp, stale)
    assert result.conflicts == 1 and result.plan.counts() == (0, 0, 0)


@pytest.mark.parametrize("timeout", [0.1, 0.5, 1.0, 2.0])
def test_retries_fit_the_timeout(timeout: float) -> None:
    attempts, max_backoff = retry_budget(timeout)
    longest = sum(min(0.05 * 2 ** n, max_backoff) + 0.2 for n in range(attempts - 1))
    assert attempts >= 2 and longest <= 2 * timeout + 0.25


async def test_an_unreachable_control_plane_gives_up_within_the_timeouts_budget(
    tmp_path: Path,
) -> None:
    with socket.socket() as free:  # a loopback port nobody listens on: connection refused
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = {"HASURA_GRAPHQL_ENDPOINT": f"http://127.0.0.1:{port}/v1/graphql",
           "HASURA_GRAPHQL_ADMIN_SECRET": "x"}
    default = resolve_backends(env=env, workdir=tmp_path).control_plane()
    assert default._graphql._policy.attempts == 8  # the default 30 s keeps the full retry schedule
    backends = resolve_backends(env=env, workdir=tmp_path, timeout=0.5)
    with pytest.raises(ControlPlaneError, match=r"unreachable or failing after 4 attempt\(s\)"):
        async with backends.control_plane() as cp:
            await cp.read_state(("x",), ())


async def test_a_removed_camera_counts_its_streams_as_a_pruned_session_does(sandbox: Any) -> None:
    both = campaign("del", cameras=(camera(), camera(D435_LAB, line=11)))
    await converge(sandbox, [both], NOW)
    removed = await plan_for(sandbox, [dataclasses.replace(both, cameras=(camera(),))], NOW)
    assert removed.counts() == (0, 0, 3)  # the record and its two streams
    assert [c.kind for c in removed.effective] == ["record", "stream", "stream"]
    gone = await plan_for(sandbox, [both], NOW, PlanOptions(destroy=True))
    assert gone.counts() == (0, 0, 7)  # the session, 2 records, 4 streams


def test_a_burst_cut_short_by_the_windows_end_is_reported(tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    path = burst_campaign(tmp_path / "c.yaml", "short", count=2, record="40m", pause="5m",
                          now=now)
    text = run(["run", str(path), "--dry-run"], tmp_path)
    assert text.returncode == 0, text.stderr
    lines = [line for line in text.stdout.splitlines() if line.lstrip().startswith("burst")]
    assert len(lines) == 2 and "cut short" not in lines[0]
    assert "(cut short at the window's end: " in lines[1] and "s of 2400s)" in lines[1]
    bursts = json.loads(run(["run", str(path), "--dry-run", "-o", "json"],
                            tmp_path).stdout)["sessions"][0]["bursts"]
    assert [b["cut_short"] for b in bursts] == [False, True]
    assert bursts[0]["record_seconds"] == 2400 and bursts[1]["record_seconds"] < 2400


def test_the_run_report_says_which_bursts_were_cut_short(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from runner.commands.run import _render_result
    from runner.run.driver import RunResult, SessionResult
    from runner.run.schedule import Burst, BurstSchedule
    from runner.run.stats import session_lateness
    from runner.spec.model import Occurrence

    start = dt.datetime(2026, 12, 1, 8, tzinfo=UTC)
    end = start + dt.timedelta(seconds=22)
    second = dt.timedelta(seconds=1)
    schedule = BurstSchedule(
        session="short", occurrence=Occurrence("", start, end), anchor=start,
        record=10 * second, pause=5 * second, cut=1,
        bursts=(Burst(0, start, start + 10 * second), Burst(1, start + 15 * second, end)))
    session = SessionResult(session="short", session_id="id", campaign="short",
                            transitions=(), skipped=(), started=(0, 1), done_before=(),
                            left_started=False, final_state="Standby",
                            lateness=session_lateness([]))
    result = RunResult(sessions=(session,), interrupted=False, exit_state="Standby")
    _render_result(result, "text", {"short": schedule})
    out = capsys.readouterr().out
    assert "burst 1 cut short" not in out
    assert "  burst 2 cut short by the window's end: 7s of 10s" in out
    assert "  1 burst(s) of the pattern cut: they do not fit before the window ends" in out
    _render_result(result, "json", {"short": schedule})
    report = json.loads(capsys.readouterr().out)["sessions"][0]
    assert report["cut"] == 1 and report["cut_short"] == [{"burst": 1, "seconds": 7.0}]
