"""The plan/apply/destroy/status commands end to end: real processes, real sandbox server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema, parse, validate

from runner.adapters.controlplane.dialect import dialect_from_schema
from runner.adapters.controlplane.documents import read_state, write_document
from runner.commands._options import use_color
from runner.compile import compile_campaigns
from runner.plan.model import SessionUpsert, Writes
from runner.states import SessionState

from .helpers import NOW, campaign

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: {name}}}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "844212070924", device: dev_vehicle_001,
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: {bitrate}}}]}}
  session: {{mode: Storage, maxSizeMegabytes: 1000}}
  window:
    start: 2026-12-01T08:00:00
    end: 2026-12-01T18:00:00
    timezone: Europe/Oslo
  trigger: scheduled
"""


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HASURA_", "AVALA_")) and k != "CI"}
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=cwd, text=True,
                          capture_output=True, env={**base, **(env or {})}, input=stdin,
                          timeout=120)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "c.yaml").write_text(CAMPAIGN.format(name="demo", bitrate=1000000))
    return tmp_path


def test_plan_apply_cycle_exit_codes_and_formats(sandbox: Any, workdir: Path) -> None:
    env = sandbox.env
    now = ["--now", NOW.isoformat()]
    first = run(["plan", "c.yaml", "--detailed-exitcode", *now], workdir, env)
    assert first.returncode == 2, first.stderr
    assert "+ session demo" in first.stdout
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in first.stdout
    assert "estimated storage: 4,500 MB of max 1,000 MB  ! over the limit" in first.stdout
    assert "\x1b[" not in first.stdout  # not a TTY: no colour
    as_json = json.loads(run(["plan", "c.yaml", "-o", "json", *now], workdir, env).stdout)
    assert as_json["format_version"] == "1" and len(as_json["changes"]) == 3
    assert {"action", "object", "before", "after", "reason"} <= set(as_json["changes"][0])
    markdown = run(["plan", "c.yaml", "-o", "markdown", *now], workdir, env).stdout
    assert markdown.startswith("### campaign plan: demo") and "| `+` | `demo` |" in markdown

    refused = run(["apply", "c.yaml", *now], workdir, env, stdin="")
    assert refused.returncode == 1 and "--auto-approve" in refused.stderr
    assert sandbox.stats()["graphql"]["mutations"] == 0

    applied = run(["apply", "c.yaml", "--auto-approve", *now], workdir, env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! Objects: 3 added, 0 changed, 0 destroyed." in applied.stdout
    again = run(["apply", "c.yaml", "--auto-approve", *now], workdir, env)
    assert again.returncode == 0 and "\nNo changes." in again.stdout
    assert "Apply complete" not in again.stdout
    settled = run(["plan", "c.yaml", "--detailed-exitcode", *now], workdir, env)
    assert settled.returncode == 0 and "No changes." in settled.stdout

    status = run(["status", "c.yaml", *now], workdir, env)
    assert status.returncode == 0 and "demo  Scheduled" in status.stdout
    gone = run(["destroy", "c.yaml", "--auto-approve", *now], workdir, env)
    assert gone.returncode == 0 and "Destroy complete! Objects: 3 destroyed." in gone.stdout


def test_saved_plan_applies_once_and_is_rejected_when_stale(sandbox: Any, workdir: Path) -> None:
    env = sandbox.env
    now = ["--now", NOW.isoformat()]
    made = run(["plan", "c.yaml", "--out", "p.json", *now], workdir, env)
    assert made.returncode == 0, made.stderr
    saved = (workdir / "p.json").read_text()
    assert sandbox.admin_secret not in saved and json.loads(saved)["format_version"] == "1"
    # Someone else changes the campaign's objects meanwhile: the saved plan is stale.
    (workdir / "other.yaml").write_text(CAMPAIGN.format(name="demo", bitrate=2000000))
    assert run(["apply", "other.yaml", "--auto-approve", *now], workdir, env).returncode == 0
    stale = run(["apply", "p.json", "--auto-approve"], workdir, env)
    assert stale.returncode == 1 and "stale" in stale.stderr
    fresh = run(["plan", "c.yaml", "--out", "p2.json", *now], workdir, env)
    assert fresh.returncode == 0
    ok = run(["apply", "p2.json", "--auto-approve"], workdir, env)
    assert ok.returncode == 0, ok.stderr
    assert "Apply complete! Objects: 0 added, 1 changed, 0 destroyed." in ok.stdout


def test_backend_safety_rules(workdir: Path) -> None:
    in_ci = run(["plan", "c.yaml"], workdir, {"CI": "true"})
    assert in_ci.returncode == 1 and "--sandbox" in in_ci.stderr
    embedded = run(["plan", "c.yaml", "--sandbox"], workdir, {"CI": "true"})
    assert embedded.returncode == 0, embedded.stderr
    assert "embedded sandbox" in embedded.stderr and (workdir / ".campaign").is_dir()
    plain = run(["plan", "c.yaml"], workdir, {"HASURA_GRAPHQL_ENDPOINT": "http://example.com",
                                                "HASURA_GRAPHQL_ADMIN_SECRET": "s3cr3t-value"})
    assert plain.returncode == 1 and "--insecure" in plain.stderr
    assert "s3cr3t-value" not in plain.stderr + plain.stdout
    (workdir / "campaign.toml").write_text('[controlplane]\nadmin_secret = "x"\n')
    leaked = run(["plan", "c.yaml"], workdir)
    assert leaked.returncode == 1 and "looks like a secret" in leaked.stderr


def test_wrong_secret_is_reported_without_echoing_it(sandbox: Any, workdir: Path) -> None:
    env = {**sandbox.env, "HASURA_GRAPHQL_ADMIN_SECRET": "wrong-secret-123"}
    result = run(["plan", "c.yaml"], workdir, env)
    assert result.returncode == 1 and "access-denied" in result.stderr
    assert "wrong-secret-123" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_missing_camera_error_names_the_file_line(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(CAMPAIGN.format(name="bad", bitrate=1000000)
                                       .replace("844212070924", "999999999999"))
    result = run(["plan", "bad.yaml"], tmp_path, sandbox.env)
    assert result.returncode == 1
    assert "bad.yaml:6:" in result.stderr and "999999999999" in result.stderr


def test_color_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())


def test_documents_validate_against_the_sdl() -> None:
    schema = build_schema((ROOT / "schemas" / "controlplane.graphql").read_text())
    dialect = dialect_from_schema(schema)
    assert validate(schema, parse(read_state(dialect))) == []
    assert validate(schema, parse(read_state(dialect, 3))) == []
    session = compile_campaigns([campaign()], NOW).sessions[0]
    writes = Writes(
        stop=("00000000-0000-0000-0000-000000000001",),
        delete_sessions=("00000000-0000-0000-0000-000000000002",),
        delete_records=("00000000-0000-0000-0000-000000000003",),
        delete_streams=("00000000-0000-0000-0000-000000000004",),
        upsert_sessions=(SessionUpsert(session, SessionState.SCHEDULED,
                                       tuple("c" for _ in session.records)),),
        transitions=(("00000000-0000-0000-0000-000000000005", SessionState.SCHEDULED),
                     ("00000000-0000-0000-0000-000000000006", SessionState.STANDBY)),
    )
    document, _ = write_document(dialect, writes, {"demo": 7}, {"demo": 8}, NOW,
                                 drop_versions=True)
    assert validate(schema, parse(document)) == []


def test_every_example_campaign_applies_cleanly(sandbox: Any) -> None:
    env = sandbox.env
    now = ["--now", NOW.isoformat()]
    applied = run(["apply", "campaigns/", "--auto-approve", *now], ROOT, env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete!" in applied.stdout
    again = run(["plan", "campaigns/", "--detailed-exitcode", *now], ROOT, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_empty_desired_set_is_refused_without_allow_empty(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    refused = run(["apply", "empty", "--auto-approve"], tmp_path, sandbox.env)
    assert refused.returncode == 1 and "--allow-empty" in refused.stderr
    allowed = run(["apply", "empty", "--auto-approve", "--allow-empty"], tmp_path, sandbox.env)
    assert allowed.returncode == 0, allowed.stderr
    assert sandbox.stats()["graphql"]["mutations"] == 0


def test_apply_with_json_output_keeps_stdout_one_document(sandbox: Any, workdir: Path) -> None:
    result = run(["apply", "c.yaml", "--auto-approve", "-o", "json", "--now", NOW.isoformat()],
                 workdir, sandbox.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["add"] == 3
    assert "Apply complete!" in result.stderr


def test_status_json_shows_states_and_next_transitions(sandbox: Any, workdir: Path) -> None:
    now = ["--now", NOW.isoformat()]
    assert run(["apply", "c.yaml", "--auto-approve", *now], workdir, sandbox.env).returncode == 0
    result = run(["status", "c.yaml", "-o", "json", *now], workdir, sandbox.env)
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["campaigns"]
    (session,) = entry["sessions"]
    assert session["name"] == "demo" and session["state"] == "Scheduled"
    assert session["next"] == "starts 2026-12-01T07:00:00+00:00" and session["declared"]


@pytest.mark.parametrize("line, words", [
    ('timeout = "abc"', "timeout must be a positive number"),
    ("timeout = -5", "timeout must be a positive number"),
    ('insecure = "false"', "insecure must be true or false"),
    ("endpoint = 5", "endpoint must be a string"),
])
def test_mistyped_settings_are_one_line_errors(tmp_path: Path, line: str, words: str) -> None:
    from runner.errors import ConfigError
    from runner.settings import load_settings

    settings = tmp_path / "campaign.toml"
    settings.write_text(f"[controlplane]\n{line}\n")
    with pytest.raises(ConfigError, match=words):
        load_settings(settings)
