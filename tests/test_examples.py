"""Every example in campaigns/ is valid, has the schema modeline and uses demo cameras."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from runner.spec import load_campaigns

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "campaigns").glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../schemas/campaign.schema.json"
# The sandbox's demo seed (model, serial, fleet device).
DEMO_CAMERAS = {
    ("REALSENSE_D435", "844212070924", "dev_vehicle_001"),
    ("REALSENSE_D435", "844212071131", "dev_vehicle_002"),
    ("REALSENSE_D435", "936322070512", "dev_lab_001"),
    ("REALSENSE", "218622272031", "dev_vehicle_001"),
    ("REALSENSE", "218622273574", "dev_lab_001"),
    ("V4L2CAMERA", "v4l2-lab-cam-01", "dev_lab_002"),
}
# Before every example window: the examples must not warn "in the past" when written.
NOW = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)


def test_there_are_at_least_three_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_is_valid_without_warnings(path: Path) -> None:
    result = load_campaigns([path], now=NOW)
    assert result.ok and not result.diagnostics, result.diagnostics
    assert result.campaigns
    for campaign in result.campaigns:
        for camera in campaign.cameras:
            assert (camera.model, camera.serial, camera.device) in DEMO_CAMERAS


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_documents_start_with_the_modeline(path: Path) -> None:
    for document in path.read_text().split("\n---\n"):
        assert document.lstrip("-\n").startswith(MODELINE)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_validates_against_the_schema_with_a_plain_yaml_reader(path: Path) -> None:
    # Editors and other tools use the schema alone; YAML 1.1 timestamps are why those tools
    # should quote them, so convert them back to text the way a YAML 1.2 reader would.
    schema = json.loads((REPO / "schemas" / "campaign.schema.json").read_text())
    for doc in yaml.safe_load_all(path.read_text()):
        jsonschema.validate(json.loads(json.dumps(doc, default=str)), schema)


def test_examples_cover_the_three_shapes() -> None:
    result = load_campaigns(EXAMPLES, now=NOW)
    triggers = {c.trigger.value for c in result.campaigns}
    assert {"scheduled", "standby"} <= triggers
    assert any(c.bursts for c in result.campaigns)
    assert any(
        type(c.window).__name__ == "RecurringWindow" and c.recordings for c in result.campaigns
    )
