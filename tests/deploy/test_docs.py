"""docs/agent.md shows the deploy kit verbatim and its examples are what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from runner.agent import AgentMetrics
from runner.spec.selectors import parse_selector
from tests.deploy.kit import DEPLOY

DOC = (DEPLOY.parent / "docs" / "agent.md").read_text(encoding="utf-8")
KIT = sorted(p for p in DEPLOY.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", KIT, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_kit_file_is_shown_verbatim(path: Path) -> None:
    relative = path.relative_to(DEPLOY.parent)
    block = re.search(rf"`{re.escape(str(relative))}`:\n\n```\w*\n(.*?)```\n", DOC, re.S)
    assert block is not None, f"{relative} is not shown in docs/agent.md"
    assert block.group(1) == path.read_text(encoding="utf-8"), (
        f"docs/agent.md shows an old {relative}; paste the file again"
    )


def test_every_metric_is_documented() -> None:
    registry = CollectorRegistry()
    AgentMetrics(registry)
    names = {f.name for f in text_string_to_metric_families(generate_latest(registry).decode())}
    documented = set(re.findall(r"^\| `(campaign_\w+?)(?:_total)?(?:\{\w+\})?` \|", DOC, re.M))
    assert documented == {n for n in names if not n.endswith("_created")}


def test_the_selector_error_shown_is_the_real_one() -> None:
    shown = re.search(r"^    (invalid label selector '(.*?)': .*)$", DOC, re.M)
    assert shown is not None
    with pytest.raises(ValueError) as info:
        parse_selector(shown.group(2))
    assert str(info.value) == shown.group(1)


def test_the_sharding_examples_parse() -> None:
    for selector in re.findall(r"campaign agent campaigns/ -l (\S+|'[^']+')", DOC):
        parse_selector(selector.strip("'"))
