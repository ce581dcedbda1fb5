"""The kit checker itself: it must fail on a flag the CLI does not have."""

from __future__ import annotations

import pytest

from runner.errors import UsageError
from tests.deploy.kit import campaign_commands, check_invocation


def test_campaign_commands_expand_variables_and_continuations() -> None:
    script = 'pip install x\ncampaign plan \\\n  -o markdown "$CAMPAIGNS"  # why\n'
    assert campaign_commands(script, {"CAMPAIGNS": "campaigns/"}) == [
        ["plan", "-o", "markdown", "campaigns/"]
    ]
    assert campaign_commands("/usr/bin/campaign agent -l ${S} x", {"S": ""}) == [
        ["agent", "-l", "", "x"]
    ]


def test_a_misspelt_flag_or_a_bad_choice_fails() -> None:
    check_invocation(["apply", "campaigns/", "--auto-approve"])
    with pytest.raises(pytest.fail.Exception, match="No such option '--auto-aprove'"):
        check_invocation(["apply", "campaigns/", "--auto-aprove"])
    with pytest.raises(pytest.fail.Exception, match="'yaml' is not one of"):
        check_invocation(["validate", "-o", "yaml", "campaigns/"])
    with pytest.raises(pytest.fail.Exception):
        check_invocation(["plan"])  # PATHS are required


def test_agent_lines_are_held_to_the_contract_before_the_command_exists() -> None:
    with pytest.raises(UsageError, match="--listen-any"):
        check_invocation(["agent", "campaigns/", "--listen", "0.0.0.0:9100"])
    with pytest.raises(ValueError, match="invalid label selector"):
        check_invocation(["agent", "campaigns/", "-l", "site in lab-1"])
