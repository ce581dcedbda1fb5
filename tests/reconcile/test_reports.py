"""Issue 14 (hardening): what plan/apply refuse and report, end to end against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .helpers import NOW
from .test_commands import CAMPAIGN, ROOT, run

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
