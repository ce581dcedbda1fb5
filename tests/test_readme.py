"""The README's promises: its campaign example is valid and its two set-up commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from runner.spec import load_campaigns

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None and README.index("```sh") < README.index("\n## ")
    commands = [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_campaign_example_is_valid(tmp_path: Path) -> None:
    example = re.search(r"```yaml\n(# yaml-language-server.*?)```", README, re.S)
    assert example is not None
    path = tmp_path / "example.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    result = load_campaigns([path])
    assert result.ok, [d.message for d in result.diagnostics]
    assert [c.name for c in result.campaigns] == ["lab-grasping-bursts"]
