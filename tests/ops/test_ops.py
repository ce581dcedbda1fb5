"""The use cases called directly, as the agent will: no CliRunner, no process, no click.

Each test builds the backends the way the CLI does (`runner.wiring.resolve_backends` with an
env mapping pointing at the real sandbox server) and checks the result values the ops return.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from runner.compile import compile_campaigns, session_id
from runner.errors import ConfigError, PlanError, UsageError
from runner.ops.apply import ApplyHooks, apply_campaigns, apply_saved, destroy_campaigns
from runner.ops.cameras import known_cameras
from runner.ops.plan import NO_RECORDINGS_NOTE, plan_campaigns
from runner.ops.status import campaign_status
from runner.ops.trigger import trigger_session
from runner.plan.model import Plan, PlanOptions
from runner.plan.saved import load_plan, save_plan
from runner.spec.model import (
    Campaign,
    RecordingPolicy,
    RecordingRule,
    RecordingSelector,
    RuleCondition,
    Trigger,
)
from runner.states import SessionState
from runner.wiring import Backends, resolve_backends
from tests.reconcile.helpers import NOW, campaign
from tests.reconcile.support import rows


def backends_for(sandbox: Any, tmp_path: Path, *, fleet: bool = True) -> Backends:
    env = dict(sandbox.env)
    if not fleet:
        env.pop("AVALA_BASE_URL")
        env.pop("AVALA_API_KEY")
    return resolve_backends(env=env, workdir=tmp_path)


class Recorder:
    """ApplyHooks that remember what apply showed and asked, and approve."""

    def __init__(self, approve: bool = True) -> None:
        self.shown: list[Plan] = []
        self.asked: list[str] = []
        self.approve = approve

    def confirm(self, question: str) -> None:
        self.asked.append(question)
        if not self.approve:
            raise PlanError("refused by the test")

    def hooks(self) -> ApplyHooks:
        return ApplyHooks(show=self.shown.append, confirm=self.confirm)


def test_plan_then_apply_then_nothing_to_do(sandbox: Any, tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path)
    campaigns = (campaign(),)
    desired = compile_campaigns(campaigns, NOW)
    planned = asyncio.run(plan_campaigns(backends, campaigns, desired, NOW, PlanOptions()))
    assert planned.plan.counts() == (4, 0, 0) and planned.notes == ()

    ui = Recorder()
    done = asyncio.run(apply_campaigns(backends, campaigns, desired, NOW, PlanOptions(),
                                       ui.hooks()))
    assert ui.asked == ["Apply these changes?"] and len(ui.shown) == 1
    assert done.applied is not None and done.applied.plan.counts() == (4, 0, 0)
    assert [r["name"] for r in rows(sandbox)["recordingSessions"]] == ["lab"]

    again = Recorder()
    done = asyncio.run(apply_campaigns(backends, campaigns, desired, NOW, PlanOptions(),
                                       again.hooks()))
    assert done.applied is None and again.asked == []  # nothing to do: nothing asked
    assert not again.shown[0].has_changes()


def test_a_refusal_writes_nothing(sandbox: Any, tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path)
    campaigns = (campaign(),)
    desired = compile_campaigns(campaigns, NOW)
    with pytest.raises(PlanError, match="refused by the test"):
        asyncio.run(apply_campaigns(backends, campaigns, desired, NOW, PlanOptions(),
                                    Recorder(approve=False).hooks()))
    assert rows(sandbox)["recordingSessions"] == []


def test_saved_plan_is_refused_once_stale(sandbox: Any, tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path)
    campaigns = (campaign(),)
    desired = compile_campaigns(campaigns, NOW)
    planned = asyncio.run(plan_campaigns(backends, campaigns, desired, NOW, PlanOptions()))
    path = tmp_path / "plan.json"
    save_plan(planned.plan, path, endpoint=backends.label)
    # Someone else applies first: the saved plan no longer fits the control plane.
    asyncio.run(apply_campaigns(backends, campaigns, desired, NOW, PlanOptions(),
                                Recorder().hooks()))
    with pytest.raises(PlanError, match="is stale"):
        asyncio.run(apply_saved(backends, load_plan(path), path, Recorder().hooks()))


def test_saved_plan_from_another_control_plane_is_refused(sandbox: Any, tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path)
    campaigns = (campaign(),)
    desired = compile_campaigns(campaigns, NOW)
    planned = asyncio.run(plan_campaigns(backends, campaigns, desired, NOW, PlanOptions()))
    path = tmp_path / "plan.json"
    save_plan(planned.plan, path, endpoint="https://elsewhere.example/v1/graphql")
    with pytest.raises(PlanError, match=r"was made against https://elsewhere\.example"):
        asyncio.run(apply_saved(backends, load_plan(path), path, Recorder().hooks()))
    assert rows(sandbox)["recordingSessions"] == []


def _ruled() -> Campaign:
    ruled = campaign()
    rule = RecordingRule(name="tag", when=RuleCondition(), add_tags=("x",), remove_tags=(),
                         set_status=None, delete=False, location=ruled.location)
    policy = RecordingPolicy(selector=RecordingSelector(), rules=(rule,), location=ruled.location)
    return dataclasses.replace(ruled, recordings=policy)


def test_rules_without_a_fleet_api_are_refused_unless_skipped(sandbox: Any,
                                                              tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path, fleet=False)
    ruled = _ruled()
    desired = compile_campaigns((ruled,), NOW)
    with pytest.raises(ConfigError, match=r"AVALA_BASE_URL.*AVALA_API_KEY.*--no-recordings"):
        asyncio.run(plan_campaigns(backends, (ruled,), desired, NOW, PlanOptions()))
    with pytest.raises(ConfigError, match="AVALA_BASE_URL"):
        asyncio.run(apply_campaigns(backends, (ruled,), desired, NOW, PlanOptions(),
                                    Recorder().hooks()))
    assert rows(sandbox)["recordingSessions"] == []  # refused before anything was written
    planned = asyncio.run(plan_campaigns(backends, (ruled,), desired, NOW, PlanOptions(),
                                         recordings=False))
    assert planned.notes == (NO_RECORDINGS_NOTE,) and planned.plan.recordings == ()
    # Destroying touches no recording: no fleet API needed.
    asyncio.run(plan_campaigns(backends, (ruled,), desired, NOW, PlanOptions(destroy=True)))


def test_destroy_removes_what_the_campaign_owns(sandbox: Any, tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path)
    campaigns = (campaign(),)
    desired = compile_campaigns(campaigns, NOW)
    asyncio.run(apply_campaigns(backends, campaigns, desired, NOW, PlanOptions(),
                                Recorder().hooks()))
    ui = Recorder()
    done = asyncio.run(destroy_campaigns(backends, desired, NOW, ui.hooks()))
    assert ui.asked == ["Destroy these objects?"]
    assert done.applied is not None and done.applied.plan.counts() == (0, 0, 4)
    assert rows(sandbox)["recordingSessions"] == []


def test_status_lists_applied_and_missing_sessions(sandbox: Any, tmp_path: Path) -> None:
    backends = backends_for(sandbox, tmp_path)
    applied, missing = campaign("lab"), campaign("lab-2")
    asyncio.run(apply_campaigns(backends, (applied,), compile_campaigns((applied,), NOW), NOW,
                                PlanOptions(), Recorder().hooks()))
    both = (applied, missing)
    status = asyncio.run(campaign_status(backends, both, compile_campaigns(both, NOW), NOW))
    by_name = {entry["campaign"]: entry for entry in status}
    assert [s["state"] for s in by_name["lab"]["sessions"]] == ["Scheduled"]
    assert by_name["lab"]["sessions"][0]["next"].startswith("starts ")
    assert by_name["lab-2"]["sessions"] == [] and by_name["lab-2"]["not_applied"] == ["lab-2"]


def test_trigger_starts_then_is_idempotent(sandbox: Any, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    sandbox.set_clock(now)
    manual = campaign("by-hand", start=now - dt.timedelta(hours=1), hours=2,
                      trigger=Trigger.MANUAL)
    backends = backends_for(sandbox, tmp_path)
    asyncio.run(apply_campaigns(backends, (manual,), compile_campaigns((manual,), now), now,
                                PlanOptions(), Recorder().hooks()))
    first = asyncio.run(trigger_session(backends, (manual,), "by-hand", "start", now))
    assert (first.before, first.after, first.changed) == ("Stopped", "Started", True)
    assert first.session_id == session_id("by-hand", "")
    again = asyncio.run(trigger_session(backends, (manual,), "by-hand", "start", now))
    assert not again.changed and again.after == SessionState.STARTED
    stopped = asyncio.run(trigger_session(backends, (manual,), "by-hand", "stop", now))
    assert stopped.after == SessionState.STOPPED


def test_trigger_refuses_an_unknown_campaign(sandbox: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no campaign named 'nope'"):
        asyncio.run(trigger_session(backends_for(sandbox, tmp_path), (campaign(),), "nope",
                                    "start", NOW))


def test_known_cameras_filters_by_model(sandbox: Any, tmp_path: Path) -> None:
    cameras = asyncio.run(known_cameras(backends_for(sandbox, tmp_path), model="REALSENSE"))
    assert cameras and {c.model for c in cameras} == {"REALSENSE"}
    assert all(c.device_id.startswith("dev_") for c in cameras)
