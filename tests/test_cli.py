"""The CLI shell: help, version, unknown commands and error mapping, as scripts see them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import types
from pathlib import Path

import pytest

from runner import __version__
from runner.cli import COMMANDS, main
from runner.errors import CampaignError, UsageError


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args], capture_output=True, text=True, check=False
    )


def test_version_prints_version_and_exits_zero() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_lists_every_available_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    import importlib.util

    for name, (module, _, _) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            assert name in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_does_not_import_heavy_modules() -> None:
    probe = (
        "import sys; from runner.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pyrealsense2', 'gql', 'httpx', 'jsonschema', 'starlette') "
        "if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


@pytest.mark.parametrize(
    ("error", "code"), [(CampaignError("boom at x.yaml:3:1"), 1), (UsageError("bad flag"), 2)]
)
def test_campaign_errors_map_to_one_line_and_exit_code(
    error: CampaignError,
    code: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import click

    @click.command()
    def failing() -> None:
        raise error

    module = types.ModuleType("campaign_test_failing")
    module.failing = failing  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(COMMANDS, "failing", (module.__name__, "failing", "test"))
    with pytest.raises(SystemExit) as exc:
        main(["failing"])
    assert exc.value.code == code
    err = capsys.readouterr().err
    assert err == f"error: {error}\n"


def test_ctrl_c_inside_a_command_says_interrupted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import click

    @click.command()
    def slow() -> None:
        raise KeyboardInterrupt  # what SIGINT raises midway through a command

    module = types.ModuleType("campaign_test_slow")
    module.slow = slow  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(COMMANDS, "slow", (module.__name__, "slow", "test"))
    with pytest.raises(SystemExit) as exc:
        main(["slow"])
    assert exc.value.code == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "error: interrupted"


def test_sigterm_midway_ends_in_one_line_and_exit_143(tmp_path: Path) -> None:
    # A control plane that accepts the connection and never answers: the command hangs in I/O.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HASURA_", "AVALA_", "CI"))}
    env |= {"HASURA_GRAPHQL_ENDPOINT": f"http://127.0.0.1:{port}/v1/graphql",
            "HASURA_GRAPHQL_ADMIN_SECRET": "s3cret-value"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "plan", str(root / "campaigns"), "--timeout", "60",
         "--no-recordings"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        conn, _ = listener.accept()  # the request is on its way: the command is mid-flight
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        listener.close()
    assert proc.returncode == 143
    assert err.strip().splitlines()[-1] == "error: terminated (SIGTERM)"
    assert "Traceback" not in err and "s3cret-value" not in err
    conn.close()
