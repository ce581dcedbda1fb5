"""Saved plans carry the fleet recording changes: `plan --out FILE` then `apply FILE`.

The real CLI in a subprocess against the real sandbox over loopback HTTP; what happened is
read back through the sandbox's fleet API (the official `avala` SDK) and its request stats.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.errors import PlanError
from runner.plan.saved import SAVED_FORMAT_VERSION, load_plan
from tests.recordings.helpers import iso, seed_recordings
from tests.recordings.test_recordings_sandbox import remote

from .helpers import NOW
from .test_commands import run

CAMPAIGN = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: harbour}}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "844212070924", device: dev_vehicle_001,
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
  session: {{mode: Storage, maxSizeMegabytes: 100000}}
  window: {{start: 2026-12-01T08:00:00Z, end: 2026-12-01T18:00:00Z}}
  trigger: scheduled
  recordings:
    select: {{withinWindows: false}}
    rules:
      - name: tag-campaign
        tags: {{add: ["campaign:harbour"]}}
{extra}"""
DROP_SHORT = """\
      - name: drop-short
        when: {duration: {max: 5s}}
        delete: true
"""
AT = ["--now", NOW.isoformat()]


def rec(uid: str, *, device: str = "dev_vehicle_001", duration: float = 600.0,
        tags: tuple[str, ...] = ()) -> dict[str, Any]:
    """A completed fleet recording that ended ten days before NOW."""
    ended = NOW - dt.timedelta(days=10)
    start = ended - dt.timedelta(seconds=duration)
    return {"uid": uid, "device": device, "status": "completed", "duration_seconds": duration,
            "size_bytes": 1_000_000, "topics": [{"name": "/color", "message_count": 10}],
            "tags": list(tags), "started_at": iso(start), "ended_at": iso(ended),
            "created_at": iso(start)}


def fleet_writes(sandbox: Any) -> dict[str, int]:
    """PATCH and DELETE requests the sandbox's fleet API received so far."""
    by_method = sandbox.stats()["fleet"]["by_method"]
    return {"PATCH": int(by_method["PATCH"]), "DELETE": int(by_method["DELETE"])}


def mutations(sandbox: Any) -> int:
    return int(sandbox.stats()["graphql"]["mutations"])


def exists(sandbox: Any, uid: str) -> bool:
    response = httpx.get(f"{sandbox.fleet_url}/fleet/recordings/{uid}/",
                         headers={"X-Avala-Api-Key": sandbox.api_key}, timeout=30)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def without_fleet(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("AVALA_")}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "c.yaml").write_text(CAMPAIGN.format(extra=DROP_SHORT))
    (tmp_path / "tag-only.yaml").write_text(CAMPAIGN.format(extra=""))
    return tmp_path


def test_saved_plan_makes_the_recording_changes_once(sandbox: Any, workdir: Path) -> None:
    seed_recordings(sandbox.db_path, [
        rec("keep-me", tags=("raw",)),
        rec("too-short", duration=2),
        rec("other-device", device="dev_vehicle_002"),
    ])
    env = sandbox.env
    made = run(["plan", "c.yaml", "--out", "p.json", *AT], workdir, env)
    assert made.returncode == 0, made.stderr
    assert "Recordings of campaign harbour: 1 to update, 1 to delete" in made.stdout
    text = (workdir / "p.json").read_text()
    assert sandbox.api_key not in text and sandbox.admin_secret not in text
    data = json.loads(text)
    assert data["saved_format_version"] == SAVED_FORMAT_VERSION
    assert data["fleet_endpoint"] == sandbox.fleet_url
    (section,) = data["recordings"]
    assert {c["uid"]: c["action"] for c in section["changes"]} == {
        "keep-me": "update", "too-short": "delete"}
    assert fleet_writes(sandbox) == {"PATCH": 0, "DELETE": 0} and mutations(sandbox) == 0

    # The saved plan deletes a recording: without --allow-delete nothing at all is written,
    # not even the control-plane part.
    refused = run(["apply", "p.json", "--auto-approve"], workdir, env)
    assert refused.returncode == 1 and "--allow-delete" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert fleet_writes(sandbox) == {"PATCH": 0, "DELETE": 0} and mutations(sandbox) == 0

    applied = run(["apply", "p.json", "--auto-approve", "--allow-delete"], workdir, env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! Objects: 3 added, 0 changed, 0 destroyed." in applied.stdout
    assert "Recordings: 1 updated, 1 deleted, 0 unchanged, 0 failed" in applied.stdout
    assert fleet_writes(sandbox) == {"PATCH": 1, "DELETE": 1}
    assert remote(sandbox, "keep-me") == ("completed", ["raw", "campaign:harbour"])
    assert not exists(sandbox, "too-short")
    assert remote(sandbox, "other-device") == ("completed", [])

    # The same file again: its control-plane part is stale now, so it is refused whole and
    # the fleet sees no write.
    writes, before = fleet_writes(sandbox), mutations(sandbox)
    again = run(["apply", "p.json", "--auto-approve", "--allow-delete"], workdir, env)
    assert again.returncode == 1 and "stale" in again.stderr
    assert fleet_writes(sandbox) == writes and mutations(sandbox) == before

    settled = run(["plan", "c.yaml", "--detailed-exitcode", *AT], workdir, env)
    assert settled.returncode == 0, settled.stdout + settled.stderr
    assert "0 to update, 0 to delete, 1 unchanged of 1 scanned" in settled.stdout


def test_recordings_only_saved_plan_applied_twice_is_harmless(sandbox: Any,
                                                               workdir: Path) -> None:
    seed_recordings(sandbox.db_path, [rec("keep-me", tags=("raw",)), rec("second")])
    env = sandbox.env
    # The control plane already matches (applied while no fleet API was configured).
    refused = run(["apply", "tag-only.yaml", "--auto-approve", *AT], workdir, without_fleet(env))
    assert refused.returncode == 1 and "$AVALA_BASE_URL" in refused.stderr  # never silent
    first = run(["apply", "tag-only.yaml", "--auto-approve", "--no-recordings", *AT], workdir,
                without_fleet(env))
    assert first.returncode == 0, first.stderr
    assert "skipping the campaigns' recording rules (--no-recordings)" in first.stderr
    made = run(["plan", "tag-only.yaml", "--out", "p.json", *AT], workdir, env)
    assert made.returncode == 0, made.stderr
    assert "No control-plane changes" in made.stdout

    applied = run(["apply", "p.json", "--auto-approve"], workdir, env)
    assert applied.returncode == 0, applied.stderr
    assert "Recordings: 2 updated, 0 deleted, 0 unchanged, 0 failed" in applied.stdout
    assert remote(sandbox, "keep-me") == ("completed", ["raw", "campaign:harbour"])
    assert remote(sandbox, "second") == ("completed", ["campaign:harbour"])

    # Applied again: the control plane is unchanged (not stale, nothing to write) and every
    # recording already has its planned state: counted unchanged, zero PATCH, zero mutations.
    writes, before = fleet_writes(sandbox), mutations(sandbox)
    again = run(["apply", "p.json", "--auto-approve"], workdir, env)
    assert again.returncode == 0, again.stderr
    assert "Recordings: 0 updated, 0 deleted, 2 unchanged, 0 failed" in again.stdout
    assert fleet_writes(sandbox) == writes == {"PATCH": 2, "DELETE": 0}
    assert mutations(sandbox) == before


def test_recording_changed_since_the_saved_plan_is_not_overwritten(sandbox: Any,
                                                                  workdir: Path) -> None:
    seed_recordings(sandbox.db_path, [rec("keep-me", tags=("raw",)), rec("untouched")])
    env = sandbox.env
    made = run(["plan", "tag-only.yaml", "--out", "p.json", *AT], workdir, env)
    assert made.returncode == 0, made.stderr
    # Someone tags a planned recording through the fleet API after the plan was reviewed.
    response = httpx.patch(f"{sandbox.fleet_url}/fleet/recordings/keep-me/",
                           json={"tags": ["raw", "reviewed"]},
                           headers={"X-Avala-Api-Key": sandbox.api_key}, timeout=30)
    assert response.status_code == 200, response.text
    patched = fleet_writes(sandbox)["PATCH"]

    applied = run(["apply", "p.json", "--auto-approve"], workdir, env)
    assert applied.returncode == 1
    assert "1 recording change(s) failed" in applied.stderr
    assert "failed keep-me: changed on the fleet since the plan: tags are now [raw, reviewed]" \
        in applied.stdout
    assert "Recordings: 1 updated, 0 deleted, 0 unchanged, 1 failed" in applied.stdout
    assert remote(sandbox, "keep-me") == ("completed", ["raw", "reviewed"])
    assert remote(sandbox, "untouched") == ("completed", ["campaign:harbour"])
    assert fleet_writes(sandbox)["PATCH"] == patched + 1


def test_saved_recording_changes_need_their_fleet_api(sandbox: Any, workdir: Path) -> None:
    seed_recordings(sandbox.db_path, [rec("keep-me")])
    env = sandbox.env
    assert run(["plan", "tag-only.yaml", "--out", "p.json", *AT], workdir, env).returncode == 0

    missing = run(["apply", "p.json", "--auto-approve"], workdir, without_fleet(env))
    assert missing.returncode == 1, missing.stdout
    assert missing.stderr.strip() == (
        "error: p.json changes 1 fleet recording(s) but no fleet API is configured; set "
        "$AVALA_BASE_URL and $AVALA_API_KEY and apply it again"
    ), missing.stderr

    elsewhere = {**env, "AVALA_BASE_URL": "http://127.0.0.1:9/api/v1"}
    other = run(["apply", "p.json", "--auto-approve"], workdir, elsewhere)
    assert other.returncode == 1
    assert f"changes recordings on {sandbox.fleet_url}, not http://127.0.0.1:9/api/v1" \
        in other.stderr
    assert sandbox.api_key not in other.stderr + other.stdout
    assert mutations(sandbox) == 0 and fleet_writes(sandbox) == {"PATCH": 0, "DELETE": 0}


def test_saved_plan_versions_and_damage_are_one_line_errors(sandbox: Any,
                                                            workdir: Path) -> None:
    seed_recordings(sandbox.db_path, [rec("keep-me")])
    assert run(["plan", "tag-only.yaml", "--out", "p.json", *AT], workdir,
               sandbox.env).returncode == 0
    good = json.loads((workdir / "p.json").read_text())
    loaded = load_plan(workdir / "p.json")
    assert loaded.recording_changes == 1
    assert loaded.recordings[0].changes[0].after_tags == ("campaign:harbour",)

    def broken(**fields: Any) -> Path:
        data = {**good, **fields}
        for key in [k for k, v in fields.items() if v is None]:
            del data[key]
        path = workdir / f"broken-{len(list(workdir.glob('broken-*')))}.json"
        path.write_text(json.dumps(data))
        return path

    cases = {
        "not '2'; make the plan again": broken(saved_format_version="99"),
        "older campaign that did not save recording changes": broken(saved_format_version=None),
        "format_version '7' is not '1'": broken(format_version="7"),
        "recordings section is malformed": broken(recordings=[{"campaign": "harbour"}]),
    }
    for message, path in cases.items():
        with pytest.raises(PlanError, match=message.replace("(", r"\(")):
            load_plan(path)
    malformed = broken(recordings=[{"campaign": "harbour", "unchanged": 0, "scanned": 1,
                                    "changes": [["keep-me"]]}])
    with pytest.raises(PlanError, match="recordings section is malformed"):
        load_plan(malformed)

    cli = run(["apply", str(malformed), "--auto-approve"], workdir, sandbox.env)
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1 and "malformed" in cli.stderr
    cli = run(["apply", str(broken(saved_format_version="99")), "--auto-approve"], workdir,
              sandbox.env)
    assert cli.returncode == 1 and len(cli.stderr.strip().splitlines()) == 1
    assert "saved_format_version '99'" in cli.stderr
    assert mutations(sandbox) == 0 and fleet_writes(sandbox) == {"PATCH": 0, "DELETE": 0}
