"""The systemd unit: the keys the agent's contract needs, hardening, and `systemd-analyze`
(verify, and the offline security score) where systemd is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.kit import DEPLOY, SECRET_VARS, campaign_commands, check_invocation

UNIT = DEPLOY / "systemd" / "campaign-agent.service"
ENV_EXAMPLE = DEPLOY / "systemd" / "campaign-agent.env.example"


def unit() -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> values (systemd allows a key more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    text = UNIT.read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def service(key: str) -> str:
    (value,) = unit()["Service"][key]
    return value


def test_restart_stop_and_reload_follow_the_agent_contract() -> None:
    assert service("Restart") == "on-failure"
    assert service("KillSignal") == "SIGTERM"
    assert service("TimeoutStopSec") == "10s"  # the agent exits within 2 s; headroom
    assert service("SuccessExitStatus") == "143"  # SIGTERM's exit code is a clean stop
    assert service("ExecReload") == "/bin/kill -HUP $MAINPID"  # SIGHUP reloads the files
    assert unit()["Install"]["WantedBy"] == ["multi-user.target"]


def test_secrets_come_from_an_environment_file_with_placeholders_only() -> None:
    assert service("EnvironmentFile") == "/etc/campaign/agent.env"
    keys = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            keys[name] = value
    assert sorted(keys) == sorted(SECRET_VARS)
    assert all("replace-me" in v or "example.com" in v for v in keys.values())
    assert not any(name in service("ExecStart") for name in SECRET_VARS)


def test_the_service_is_hardened() -> None:
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "DynamicUser": "yes",
        "CapabilityBoundingSet": "",
        "RestrictNamespaces": "yes",
        "UMask": "0077",
        "ProtectKernelTunables": "yes",
        "ProtectControlGroups": "yes",
    }
    assert {key: service(key) for key in expected} == expected


def test_exec_start_parses_in_the_cli_and_listens_on_loopback() -> None:
    (argv,) = campaign_commands(service("ExecStart"), {"CAMPAIGN_SELECTOR": ""})
    assert argv[argv.index("--listen") + 1].startswith("127.0.0.1:")
    assert "--listen-any" not in argv
    check_invocation(argv)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_unit_and_rates_it_well(tmp_path: Path) -> None:
    # verify wants ExecStart's binary to exist: point it at this environment's `campaign`.
    campaign = Path(sys.executable).with_name("campaign")
    copy = tmp_path / "campaign-agent.service"
    copy.write_text(UNIT.read_text().replace("/usr/local/bin/campaign", str(campaign)))
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (verify.returncode, verify.stderr) == (0, "")
    # --threshold is the exposure level x 10: fail above 2.0 (systemd rates <= 2.0 "OK").
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=20", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert security.returncode == 0, security.stdout[-2000:] + security.stderr
    assert "Overall exposure level" in security.stdout
