"""The pre-commit hooks a campaign repository uses: well-formed, and their command works."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_hooks_are_well_formed_and_validate_the_examples() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"campaign-validate", "campaign-validate-all"}
    examples = sorted(str(p.relative_to(REPO)) for p in (REPO / "campaigns").glob("*.yaml"))
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"
        assert all(re.search(hook["files"], path) for path in examples)
        assert not re.search(hook["files"], ".github/workflows/ci.yaml")
        entry = shlex.split(hook["entry"])
        assert entry[0] == "campaign"
        files = examples if hook.get("pass_filenames", True) else []
        proc = subprocess.run(
            [sys.executable, "-m", "runner", *entry[1:], *hook.get("args", []), *files],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "0 errors" in proc.stdout
