"""The GitHub Actions workflow: valid (SchemaStore's schema; actionlint where installed), the
three GitOps jobs on the right events, and `campaign` command lines the CLI accepts."""

from __future__ import annotations

import importlib.resources
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.kit import DEPLOY, SECRET_VARS, campaign_commands, check_invocation

WORKFLOW = DEPLOY / "github" / "campaigns.yml"


def workflow() -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean; GitHub reads it as "on"
        data["on"] = data.pop(True)
    return data


def job_commands(job: str) -> list[list[str]]:
    spec = workflow()
    env = {**spec.get("env", {}), **spec["jobs"][job].get("env", {})}
    steps = spec["jobs"][job]["steps"]
    return [cmd for step in steps if "run" in step for cmd in campaign_commands(step["run"], env)]


def test_workflow_matches_the_schemastore_schema() -> None:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendored / "github-workflows.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(workflow())
    ]
    assert errors == []


def test_schema_check_is_live() -> None:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendored / "github-workflows.json").read_text())
    broken = workflow()
    broken["jobs"]["apply"]["runs-on"] = None
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(broken)


def test_workflow_passes_actionlint() -> None:
    beside = Path(sys.executable).with_name("actionlint")  # the test extra installs it
    actionlint = str(beside) if beside.exists() else shutil.which("actionlint")
    assert actionlint is not None, "actionlint is missing: pip install -e '.[test]'"
    result = subprocess.run(
        [actionlint, "-no-color", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pull_requests_validate_with_annotations_and_get_a_markdown_plan_comment() -> None:
    spec = workflow()
    assert {"pull_request", "push", "schedule"} <= set(spec["on"])
    assert job_commands("validate") == [["validate", "-o", "github", "campaigns/"]]
    assert job_commands("plan") == [["plan", "-o", "markdown", "campaigns/"]]
    plan = spec["jobs"]["plan"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "head.repo.full_name == github.repository" in plan["if"]  # no secrets for forks
    (comment,) = [s for s in plan["steps"] if s.get("uses", "").startswith("actions/github-script")]
    assert "updateComment" in comment["with"]["script"]  # one comment, kept up to date


def test_merges_and_the_nightly_schedule_apply_with_auto_approve() -> None:
    spec = workflow()
    assert spec["on"]["push"]["branches"] == ["main"]
    assert len(spec["on"]["schedule"]) == 1
    apply = spec["jobs"]["apply"]
    assert "github.event_name != 'pull_request'" in apply["if"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert job_commands("apply") == [["apply", "--auto-approve", "campaigns/"]]


def test_secrets_reach_only_the_jobs_that_talk_to_the_backends() -> None:
    spec = workflow()
    assert spec["permissions"] == {"contents": "read"}
    assert "secrets." not in json.dumps(spec["jobs"]["validate"])
    for job in ("plan", "apply"):
        env = spec["jobs"][job]["env"]
        assert {name: env[name] for name in SECRET_VARS} == {
            name: f"${{{{ secrets.{name} }}}}" for name in SECRET_VARS
        }


@pytest.mark.parametrize("job", ["validate", "plan", "apply"])
def test_the_workflows_command_lines_parse_in_the_cli(job: str) -> None:
    commands = job_commands(job)
    assert commands
    for argv in commands:
        check_invocation(argv)
