"""Plan and apply recording rules over real HTTP against the sandbox's fleet API.

Recordings are inserted straight into the sandbox's store; everything else goes through
`FleetClient` (httpx) to the sandbox server, and the results are checked through the
sandbox's own stats and, independently, with the official `avala` SDK.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from runner.adapters.fleet import FleetClient
from runner.errors import FleetError, PlanError
from runner.recordings import (
    apply_recordings,
    plan_recordings,
    recordings_to_json,
    render_recordings_markdown,
    render_recordings_text,
)
from runner.spec.model import RecordingSelector, RecurringWindow, RuleCondition

from .helpers import HERE, UTC, campaign, iso, rule, seed_recordings

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)

RULES = (
    rule("tag-campaign", add=("campaign:c1",)),
    rule("archive-after-90d", when=RuleCondition(status=("completed",),
                                                 older_than=dt.timedelta(days=90)),
         status="archived", add=("auto-archived",)),
    rule("tag-archived", when=RuleCondition(status=("archived",)), add=("cold",)),
)


def rec(uid: str, *, device: str = "dev_vehicle_001", status: str = "completed",
        ended_days_ago: float = 10, tags: tuple[str, ...] = (), started: dt.datetime | None = None,
        duration: float = 60.0) -> dict[str, Any]:
    ended = NOW - dt.timedelta(days=ended_days_ago)
    start = started or ended - dt.timedelta(seconds=duration)
    return {
        "uid": uid, "device": device, "status": status, "duration_seconds": duration,
        "size_bytes": 1_000_000, "topics": [{"name": "/color", "message_count": 10}],
        "tags": list(tags), "started_at": iso(start),
        "ended_at": None if status == "recording" else iso(ended), "created_at": iso(start),
    }


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
async def fleet(sandbox: Any) -> AsyncIterator[FleetClient]:
    async with FleetClient(sandbox.fleet_url, sandbox.api_key, sleep=no_wait,
                           backoff_base=0.001) as client:
        yield client


def patch_count(sandbox: Any) -> int:
    """PATCH requests the sandbox's fleet API received (any outcome)."""
    return int(sandbox.stats()["fleet"]["by_method"]["PATCH"])


def remote(sandbox: Any, uid: str) -> tuple[str, list[str]]:
    """Read a recording with the official SDK (not our client)."""
    import os

    from avala import Client

    os.environ.setdefault("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    with Client(api_key=sandbox.api_key, base_url=sandbox.fleet_url) as client:
        got = client.fleet.recordings.get(uid)
    return str(got.status), list(got.tags)


async def test_rules_plan_then_apply_then_nothing_left(sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [
        rec("r-old", ended_days_ago=120, tags=("keep", "campaign:c1")),
        rec("r-new", ended_days_ago=5, tags=("z", "a")),
        rec("r-done", status="archived", ended_days_ago=200,
            tags=("campaign:c1", "auto-archived", "cold")),
        rec("r-live", status="recording"),
        rec("r-other-device", device="dev_lab_002", ended_days_ago=120),
        rec("r-before-window", started=dt.datetime(2025, 6, 1, tzinfo=UTC), ended_days_ago=400),
    ])
    campaigns = [campaign("c1", RULES)]

    (plan,) = await plan_recordings(campaigns, fleet, now=NOW)

    by_uid = {c.uid: c for c in plan.changes}
    assert set(by_uid) == {"r-old", "r-new"}
    assert plan.scanned == 4 and plan.unchanged == 2 and plan.skipped_active == 1
    old = by_uid["r-old"]
    assert (old.after_status, old.after_tags) == ("archived", ("keep", "campaign:c1",
                                                                "auto-archived", "cold"))
    assert old.rules == ("archive-after-90d", "tag-archived")  # tag-campaign changed nothing
    assert by_uid["r-new"].after_tags == ("z", "a", "campaign:c1")
    assert by_uid["r-new"].after_status == "completed"
    summary = {r.rule: r.changed for r in plan.rules}
    assert summary == {"tag-campaign": 1, "archive-after-90d": 1, "tag-archived": 1}

    before = patch_count(sandbox)
    result = await apply_recordings([plan], fleet, allow_delete=False)
    assert (result.changed, result.deleted, result.failed) == (2, 0, ())
    assert patch_count(sandbox) - before == 2
    assert remote(sandbox, "r-old") == ("archived", ["keep", "campaign:c1", "auto-archived",
                                                     "cold"])
    assert remote(sandbox, "r-new") == ("completed", ["z", "a", "campaign:c1"])
    assert remote(sandbox, "r-live")[1] == []  # never touched

    (again,) = await plan_recordings(campaigns, fleet, now=NOW)
    assert again.changes == () and again.unchanged == again.scanned == 4
    before = patch_count(sandbox)
    result = await apply_recordings([again], fleet, allow_delete=False)
    assert result.changed == 0 and patch_count(sandbox) == before


async def test_age_boundary_with_injected_now(sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [
        rec("exactly-90d", ended_days_ago=90), rec("just-under", ended_days_ago=90 - 1 / 86400),
    ])
    campaigns = [campaign("c1", RULES[1:2])]
    (plan,) = await plan_recordings(campaigns, fleet, now=NOW)
    assert [c.uid for c in plan.changes] == ["exactly-90d"]
    # One second later the other one is 90 days old too.
    (later,) = await plan_recordings(campaigns, fleet, now=NOW + dt.timedelta(seconds=1))
    assert sorted(c.uid for c in later.changes) == ["exactly-90d", "just-under"]


async def test_deletions_need_allow_delete_and_nothing_is_sent_without(
    sandbox: Any, fleet: FleetClient
) -> None:
    seed_recordings(sandbox.db_path, [rec("short", duration=2), rec("long", duration=600)])
    rules = (rule("tag", add=("seen",)),
             rule("drop-short", when=RuleCondition(duration_seconds=_max(5)), delete=True))
    (plan,) = await plan_recordings([campaign("c1", rules)], fleet, now=NOW)
    assert [(c.uid, c.delete) for c in plan.changes] == [("long", False), ("short", True)]
    text = render_recordings_text([plan], color=False)
    assert "delete short" in text and "--allow-delete" not in text

    before = patch_count(sandbox)
    with pytest.raises(PlanError, match="--allow-delete"):
        await apply_recordings([plan], fleet, allow_delete=False)
    assert patch_count(sandbox) == before
    assert remote(sandbox, "long") == ("completed", [])  # not half-applied

    result = await apply_recordings([plan], fleet, allow_delete=True)
    assert (result.changed, result.deleted) == (1, 1)
    with pytest.raises(FleetError, match="HTTP 404"):
        await fleet.get_recording("short")


def _max(value: float) -> Any:
    from runner.spec.model import RangeBound

    return RangeBound(max=value)


async def test_selector_devices_status_tags_and_windows(sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [
        rec("lab-good", device="dev_lab_001", tags=("good",)),
        rec("lab-bad", device="dev_lab_001", tags=("bad",)),
        rec("lab-processing", device="dev_lab_001", status="processing", tags=("good",)),
        rec("lab-old", device="dev_lab_001", tags=("good",),
            started=dt.datetime(2020, 1, 1, tzinfo=UTC)),
        rec("vehicle-good", device="dev_vehicle_001", tags=("good",)),
    ])
    selector = RecordingSelector(devices=("dev_lab_001", "dev_nope"), status=("completed",),
                                 tags_all=("good",), within_windows=False)
    (plan,) = await plan_recordings(
        [campaign("c1", (rule("mark", add=("x",)),), selector=selector)], fleet, now=NOW)
    assert sorted(c.uid for c in plan.changes) == ["lab-good", "lab-old"]
    assert plan.warnings == ("campaign c1: fleet device 'dev_nope' is not known to the fleet "
                             "API; check the camera's `device` or spec.recordings.select.devices",)


async def test_recurring_windows_select_by_occurrence(sandbox: Any, fleet: FleetClient) -> None:
    # Weekdays 08:00-18:00 Oslo time (UTC+1 in November).
    window = RecurringWindow(days=frozenset({1, 2, 3, 4, 5}), start_time=dt.time(8),
                             end_time=dt.time(18), timezone="Europe/Oslo",
                             start=dt.date(2026, 11, 1), until=None, location=HERE)
    monday = dt.datetime(2026, 11, 23, tzinfo=UTC)
    seed_recordings(sandbox.db_path, [
        rec("mon-0730utc", started=monday.replace(hour=7, minute=30)),   # 08:30 Oslo: inside
        rec("mon-0630utc", started=monday.replace(hour=6, minute=30)),   # 07:30 Oslo: before
        rec("mon-1700utc", started=monday.replace(hour=17)),             # 18:00 Oslo: end, out
        rec("sun-1000utc", started=monday.replace(hour=10) - DAY),      # Sunday: out
    ])
    (plan,) = await plan_recordings(
        [campaign("c1", (rule("mark", add=("x",)),), window=window)], fleet, now=NOW)
    assert [c.uid for c in plan.changes] == ["mon-0730utc"]


async def test_many_pages_and_devices_read_completely(sandbox: Any, fleet: FleetClient) -> None:
    rows = [rec(f"v1-{i:05d}", tags=("done",) if i % 3 else ()) for i in range(2500)]
    rows += [rec(f"v2-{i:05d}", device="dev_vehicle_002") for i in range(1200)]
    seed_recordings(sandbox.db_path, rows)
    (plan,) = await plan_recordings(
        [campaign("c1", (rule("mark", add=("done",)),),
                  devices=("dev_vehicle_001", "dev_vehicle_002"))], fleet, now=NOW)
    assert plan.scanned == 3700
    assert len(plan.changes) == 2500 - 1666 + 1200
    data = recordings_to_json([plan])
    assert len(data[0]["changes"]) == len(plan.changes)
    assert "| `mark` |" in render_recordings_markdown([plan])


async def test_two_campaigns_changing_one_recording_is_refused(
    sandbox: Any, fleet: FleetClient
) -> None:
    seed_recordings(sandbox.db_path, [rec("shared")])
    campaigns = [campaign("a", (rule("a", add=("a",)),)), campaign("b", (rule("b", add=("b",)),))]
    with pytest.raises(PlanError, match="campaign a and campaign b"):
        await plan_recordings(campaigns, fleet, now=NOW)


async def test_bad_key_is_one_line_without_the_key(sandbox: Any) -> None:
    async with FleetClient(sandbox.fleet_url, "wrong-key-123456", sleep=no_wait) as bad:
        with pytest.raises(FleetError) as err:
            await plan_recordings([campaign("c1", RULES)], bad, now=NOW)
    message = str(err.value)
    assert "401" in message and "AVALA_API_KEY" in message
    assert "wrong-key-123456" not in message and sandbox.api_key not in message
    assert "\n" not in message


async def test_faults_every_intended_change_is_made_exactly_once(sandbox: Any) -> None:
    # 120 recordings: 100 to update, 20 too short (to delete).
    rows = [rec(f"f-{i:03d}", ended_days_ago=120 if i % 2 else 10, tags=("x",) if i % 5 else (),
                duration=2 if i % 6 == 0 else 60)
            for i in range(120)]
    seed_recordings(sandbox.db_path, rows)
    campaigns = [campaign("c1", (*RULES, rule("drop-short", when=RuleCondition(
        duration_seconds=_max(5)), delete=True)))]
    # 10% injected 5xx, 10% of writes dropped after commit, and a rate limit the writes
    # cannot fit in (120 writes, 40 a second): the client has to hold back (or get 429s);
    # backoff is shortened and Retry-After capped so the test stays quick.
    sandbox.faults(error_rate=0.1, timeout_after_commit_rate=0.1, rate_limit_per_s=40, seed=3)
    async with FleetClient(sandbox.fleet_url, sandbox.api_key, backoff_base=0.005,
                           retry_after_max=1.0, max_attempts=10) as fleet:
        (plan,) = await plan_recordings(campaigns, fleet, now=NOW)
        assert plan.scanned == 120 and (len(plan.updates), len(plan.deletions)) == (100, 20)
        seen: list[int] = []
        result = await apply_recordings([plan], fleet, allow_delete=True,
                                        progress=lambda done, total: seen.append(done))
        assert result.failed == () and (result.changed, result.deleted) == (100, 20)
        assert seen == list(range(1, 121))

        stats = sandbox.stats()
        injected = stats["faults"]
        assert injected.get("error", 0) > 0
        # The limit was reached: X-RateLimit-Remaining ran out (or a 429 came) and the
        # client paused until the window reset.
        assert fleet.window.pauses > 0
        assert injected.get("timeout_after_commit", 0) > 0
        # Injected 5xx and 429 answers come before the sandbox does anything, so the writes
        # that committed are the ones it received minus those the client saw refused (and,
        # for DELETE, minus 404s: a re-sent delete of an already deleted recording): one per
        # intended change, none repeated after a dropped (but committed) response.
        def refused(method: str, *statuses: str) -> int:
            return sum(n for (m, status), n in fleet.attempts.items()
                       if m == method and status in statuses)

        errors = ("429", "500", "502", "503", "504")
        assert stats["fleet"]["by_method"]["PATCH"] - refused("PATCH", *errors) == 100
        assert stats["fleet"]["by_method"]["DELETE"] - refused("DELETE", *errors, "404") == 20

    sandbox.reset()  # faults off
    async with FleetClient(sandbox.fleet_url, sandbox.api_key) as fleet:
        (again,) = await plan_recordings(campaigns, fleet, now=NOW)
    assert again.changes == () and again.scanned == again.unchanged == 100
    assert remote(sandbox, "f-001") == ("archived", ["x", "campaign:c1", "auto-archived", "cold"])
    assert remote(sandbox, "f-002") == ("completed", ["x", "campaign:c1"])


async def test_persistent_errors_are_reported_per_recording(sandbox: Any) -> None:
    seed_recordings(sandbox.db_path, [rec("a"), rec("b")])
    async with FleetClient(sandbox.fleet_url, sandbox.api_key, sleep=no_wait,
                           max_attempts=3) as fleet:
        (plan,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
        sandbox.faults(error_rate=1.0)
        # The re-read of their page before writing fails first: nothing is written, and
        # each recording is reported with the reason.
        result = await apply_recordings([plan], fleet, allow_delete=False)
        assert patch_count(sandbox) == 0 and result.changed == 0
        assert [f.uid for f in result.failed] == ["a", "b"]
        assert all(f.reason.startswith("not written: could not read it again before writing "
                                       "(fleet API: GET /fleet/recordings/ failed: HTTP 500")
                   for f in result.failed)
        # Without the re-read every PATCH fails on its own and is reported with its reason.
        result = await apply_recordings([plan], fleet, allow_delete=False, check_drift=False)
        assert result.changed == 0 and [f.uid for f in result.failed] == ["a", "b"]
        reason = result.failed[0].reason
        assert reason.startswith("fleet API: PATCH /fleet/recordings/a/ failed: HTTP 500")
        assert "after 3 attempts" in reason and sandbox.api_key not in reason
        with pytest.raises(FleetError, match="GET /fleet/recordings/ failed"):
            await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
    sandbox.reset()
    async with FleetClient(sandbox.fleet_url, sandbox.api_key) as fleet:  # a re-run converges
        (plan,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
        result = await apply_recordings([plan], fleet, allow_delete=False)
        assert result.changed == 2 and result.failed == ()


async def test_changed_since_plan_is_not_overwritten(sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [rec("a"), rec("b"), rec("c")])
    (plan,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
    assert len(plan.changes) == 3
    # Between plan and apply someone tags `a` by hand and `b` gets the planned state already.
    await fleet.update_recording("a", {"tags": ["manual"]})
    await fleet.update_recording("b", {"tags": ["campaign:c1"]})
    before = patch_count(sandbox)

    result = await apply_recordings([plan], fleet, allow_delete=False)

    assert result.changed == 1 and patch_count(sandbox) - before == 1  # only `c` is written
    assert [f.uid for f in result.failed] == ["a"]
    assert "changed on the fleet since the plan: tags are now [manual]" in result.failed[0].reason
    assert remote(sandbox, "a") == ("completed", ["manual"])  # the hand-made tag survives
    (again,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
    assert [(c.uid, c.after_tags) for c in again.changes] == [("a", ("manual", "campaign:c1"))]


async def test_429_waits_for_retry_after(sandbox: Any) -> None:
    seed_recordings(sandbox.db_path, [rec("a")])
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    sandbox.faults(rate_limit_per_s=1)
    async with FleetClient(sandbox.fleet_url, sandbox.api_key, sleep=recorded_sleep) as fleet:
        # Three at once, before any answer has said what the limit is: some get a 429.
        got = await asyncio.gather(*(fleet.get_recording("a") for _ in range(3)))
        assert [g["uid"] for g in got] == ["a"] * 3
        # Every 429 was followed by a wait of the server's Retry-After (whole seconds, >= 1),
        # and it held the whole client, not just the request that got it.
        assert fleet.attempts["GET", "429"] == len(waits) >= 1
        assert all(w >= 1 and float(w).is_integer() for w in waits)
        assert fleet.window.pauses >= 1 and fleet.window.limit == 1
        # Now that the client knows the limit it paces itself: no further 429.
        before = fleet.attempts["GET", "429"]
        for _ in range(2):
            await fleet.get_recording("a")
        assert fleet.attempts["GET", "429"] == before


async def test_429_has_its_own_budget_and_a_capped_wait(sandbox: Any) -> None:
    import time

    seed_recordings(sandbox.db_path, [rec("a")])
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:  # no real wait: the window stays full
        waits.append(seconds)

    sandbox.faults(rate_limit_per_s=1)
    time.sleep(1.02 - time.time() % 1)  # start early in a one-second window
    # One try against failures: the 429s must not use it up, only their own budget of 2.
    # (The client's own pause on an empty X-RateLimit-Remaining is capped alike: 10 ms.)
    async with FleetClient(sandbox.fleet_url, sandbox.api_key, sleep=recorded_sleep,
                           max_attempts=1, max_rate_limited=2, retry_after_max=0.01) as fleet:
        assert (await fleet.get_recording("a"))["uid"] == "a"  # the window's one request
        with pytest.raises(FleetError) as err:
            await fleet.get_recording("a")
    assert str(err.value) == ("fleet API: GET /fleet/recordings/a/ failed: still rate limited "
                              "after 3 HTTP 429 answers; try again later")
    assert waits == [0.01, 0.01]  # the server's Retry-After (>= 1 s), capped
    assert fleet.attempts == {("GET", "200"): 1, ("GET", "429"): 3}
    assert sandbox.stats()["faults"]["rate_limited"] == 3


async def test_rules_that_never_settle_are_a_plan_warning(sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [rec("flip"), rec("calm", tags=("a", "c"))])
    flip = (rule("r0", when=RuleCondition(tags_none=("b",)), add=("b",), remove=("a",)),
            rule("r1", when=RuleCondition(tags_all=("a",), tags_none=("c",)), remove=("b",)),
            rule("r2", when=RuleCondition(tags_all=("b",)), add=("a",)))
    (plan,) = await plan_recordings([campaign("c1", flip)], fleet, now=NOW)
    assert any("never settle for 1 recording(s) (e.g. flip)" in w for w in plan.warnings)


async def test_timeout_after_commit_is_verified_not_resent(sandbox: Any) -> None:
    seed_recordings(sandbox.db_path, [rec(f"t{i}") for i in range(5)])
    async with FleetClient(sandbox.fleet_url, sandbox.api_key, timeout=0.5,
                           sleep=no_wait) as fleet:
        (plan,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
        # Every write commits, then its response hangs past the client's timeout.
        sandbox.faults(timeout_after_commit_rate=1.0, timeout_hang_ms=1500)
        result = await apply_recordings([plan], fleet, allow_delete=False)
        assert result.changed == 5 and result.failed == ()
        assert patch_count(sandbox) == 5  # each sent once; the GET showed it had landed
        assert fleet.attempts["PATCH", "ReadTimeout"] == 5
    sandbox.reset()
    assert remote(sandbox, "t3") == ("completed", ["campaign:c1"])


async def test_recordings_deleted_since_the_plan(sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [rec("upd"), rec("del", duration=1), rec("ok")])
    rules = (rule("tag", add=("t",)),
             rule("drop", when=RuleCondition(duration_seconds=_max(5)), delete=True))
    (plan,) = await plan_recordings([campaign("c1", rules)], fleet, now=NOW)
    await fleet.delete_recording("upd")
    await fleet.delete_recording("del")
    result = await apply_recordings([plan], fleet, allow_delete=True)
    assert (result.changed, result.deleted) == (1, 0)
    assert [(f.uid, f.reason) for f in result.failed] == [
        ("upd", "deleted on the fleet since the plan; nothing left to update")]


def get_count(sandbox: Any) -> int:
    """GET requests the sandbox's fleet API received."""
    return int(sandbox.stats()["fleet"]["by_method"]["GET"])


async def test_apply_rereads_each_page_once_and_refuses_what_changed(
        sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [rec(f"p-{i:02d}") for i in range(30)])
    (plan,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
    assert len(plan.changes) == 30 and len({c.page for c in plan.changes}) == 1
    # Between plan and apply: a hand-made tag on one, a status change on another.
    await fleet.update_recording("p-07", {"tags": ["manual"]})
    await fleet.update_recording("p-08", {"status": "processing"})
    gets, patches = get_count(sandbox), patch_count(sandbox)

    result = await apply_recordings([plan], fleet, allow_delete=False)

    assert get_count(sandbox) - gets == 1  # the one page, re-read just before writing it
    assert result.changed == 28 and patch_count(sandbox) - patches == 28
    reasons = {f.uid: f.reason for f in result.failed}
    assert set(reasons) == {"p-07", "p-08"}
    assert "tags are now [manual]; not overwritten" in reasons["p-07"]
    assert "status is now processing (planned from completed)" in reasons["p-08"]
    assert remote(sandbox, "p-07") == ("completed", ["manual"])
    assert remote(sandbox, "p-08") == ("processing", [])


async def test_a_recording_gone_from_its_filtered_page_is_read_by_uid(
        sandbox: Any, fleet: FleetClient) -> None:
    seed_recordings(sandbox.db_path, [rec(f"s-{i}") for i in range(5)])
    only_completed = campaign("c1", RULES, selector=RecordingSelector(status=("completed",)))
    (plan,) = await plan_recordings([only_completed], fleet, now=NOW)
    assert {c.page.status for c in plan.changes if c.page} == {"completed"}
    # No longer `completed`: the page (status=completed) does not list it any more.
    await fleet.update_recording("s-3", {"status": "processing", "tags": ["x"]})
    gets = get_count(sandbox)

    result = await apply_recordings([plan], fleet, allow_delete=False)

    assert get_count(sandbox) - gets == 2  # the page, then s-3 by uid
    assert result.changed == 4
    assert [f.uid for f in result.failed] == ["s-3"]
    assert "status is now processing" in result.failed[0].reason
    assert remote(sandbox, "s-3") == ("processing", ["x"])


async def test_a_saved_plan_without_pages_is_reread_by_uid(
        sandbox: Any, fleet: FleetClient) -> None:
    from runner.recordings import recordings_from_json

    seed_recordings(sandbox.db_path, [rec(f"u-{i}") for i in range(4)])
    plans = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
    saved = recordings_to_json(plans)
    assert all("page" in c for c in saved[0]["changes"])
    assert recordings_from_json(saved)[0].changes[0].page == plans[0].changes[0].page
    for change in saved[0]["changes"]:  # as plans saved before pages were kept
        del change["page"]
    (old,) = recordings_from_json(saved)
    await fleet.update_recording("u-2", {"tags": ["manual"]})
    gets = get_count(sandbox)

    result = await apply_recordings([old], fleet, allow_delete=False)

    assert get_count(sandbox) - gets == 4  # one GET per recording: still checked
    assert result.changed == 3 and [f.uid for f in result.failed] == ["u-2"]
    assert remote(sandbox, "u-2") == ("completed", ["manual"])


async def test_apply_under_a_rate_limit_finishes_without_failures(sandbox: Any) -> None:
    seed_recordings(sandbox.db_path, [rec(f"r-{i:02d}") for i in range(60)])
    sandbox.faults(rate_limit_per_s=20)
    # Real waits: the client has to live within 20 requests a second for some 3 seconds.
    async with FleetClient(sandbox.fleet_url, sandbox.api_key) as fleet:
        (plan,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
        result = await apply_recordings([plan], fleet, allow_delete=False)
        assert result.failed == () and result.changed == 60
        assert fleet.window.limit == 20 and fleet.window.pauses >= 2
    # It paced itself by X-RateLimit-Remaining/Reset: a client sending its 60 PATCHes as
    # fast as it can would collect some 40 429s here.
    assert sandbox.stats()["faults"].get("rate_limited", 0) <= 5
    sandbox.reset()
    async with FleetClient(sandbox.fleet_url, sandbox.api_key) as fleet:
        (again,) = await plan_recordings([campaign("c1", RULES)], fleet, now=NOW)
    assert again.changes == ()


async def test_doctor_reads_the_rate_limit_headers(sandbox: Any) -> None:
    from runner.adapters.fleet_diagnose import diagnose_fleet

    async def rate_finding() -> str:
        findings = await diagnose_fleet(sandbox.fleet_url, sandbox.api_key, transport=None,
                                        timeout=5, now=dt.datetime.now(UTC))
        return next(f.detail for f in findings if f.check == "rate limit")

    assert (await rate_finding()).startswith("no X-RateLimit headers")
    sandbox.faults(rate_limit_per_s=50)
    detail = await rate_finding()
    assert detail.startswith("50 requests per window, 49 left, resets in ")
    assert sandbox.api_key not in detail
