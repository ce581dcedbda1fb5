"""`campaign sandbox serve`: refusals, the start line, secrets kept out of output, SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


def _campaign(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def test_refuses_to_start_without_secret_and_key(tmp_path: Path) -> None:
    env = {"CAMPAIGN_SANDBOX_ADMIN_SECRET": "", "CAMPAIGN_SANDBOX_API_KEY": ""}
    result = _campaign("sandbox", "serve", "--db", str(tmp_path / "x.db"), env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--insecure-no-auth" in result.stderr
    assert "Traceback" not in result.stderr


def test_refuses_a_non_loopback_host(tmp_path: Path) -> None:
    result = _campaign("sandbox", "serve", "--host", "0.0.0.0", "--db", str(tmp_path / "x.db"),
                       "--admin-secret", "s", "--api-key", "k")
    assert result.returncode == 2 and "--allow-remote" in result.stderr


def test_unusable_database_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("garbage " * 200)
    result = _campaign("sandbox", "serve", "--port", "0", "--db", str(bad),
                       env={"CAMPAIGN_SANDBOX_ADMIN_SECRET": "s", "CAMPAIGN_SANDBOX_API_KEY": "k"})
    assert result.returncode == 1
    assert "not a usable sandbox database" in result.stderr and "Traceback" not in result.stderr


def test_unresolvable_host_is_one_line_about_the_host(tmp_path: Path) -> None:
    result = _campaign("sandbox", "serve", "--host", "no-such-host.invalid", "--allow-remote",
                       "--port", "0", "--db", str(tmp_path / "x.db"), "--insecure-no-auth")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--host no-such-host.invalid" in result.stderr
    assert "--port" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_and_shuts_down_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    secret, key = "admin-secret-value-123", "api-key-value-456"
    env = {**os.environ, "CAMPAIGN_SANDBOX_ADMIN_SECRET": secret,
           "CAMPAIGN_SANDBOX_API_KEY": key}
    proc = subprocess.Popen([sys.executable, "-m", "runner", "sandbox", "serve", "--port", "0",
                             "--db", str(tmp_path / "served.db"), "--seed", "demo"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        body = httpx.post(f"{url}/v1/graphql", json={"query": "{ cameras { serial } }"},
                          headers={"x-hasura-admin-secret": secret}).json()
        assert len(body["data"]["cameras"]) == 6
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    everything = line + out + err
    assert secret not in everything and key not in everything
    assert "Traceback" not in everything


def test_help_documents_every_option() -> None:
    result = _campaign("sandbox", "serve", "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--db", "--admin-secret", "--api-key", "--seed",
                   "--insecure-no-auth", "--naming", "--strict", "--error-rate", "--latency-ms",
                   "--timeout-after-commit-rate", "--rate-limit"):
        assert option in result.stdout


def test_insecure_no_auth_and_fault_flags(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_SANDBOX_")}
    proc = subprocess.Popen([sys.executable, "-m", "runner", "sandbox", "serve", "--port", "0",
                             "--db", str(tmp_path / "open.db"), "--insecure-no-auth",
                             "--rate-limit", "5", "--latency-ms", "1", "--fault-seed", "3"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "no auth" in line
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        faults = httpx.get(f"{url}/sandbox/v1/faults").json()
        assert faults["rate_limit_per_s"] == 5 and faults["latency_ms"] == 1.0
        assert faults["seed"] == 3 and faults["error_rate"] == 0.0
        response = httpx.get(f"{url}/api/v1/fleet/recordings/")  # no key needed
        assert response.status_code == 200 and response.headers["X-RateLimit-Limit"] == "5"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _campaign("sandbox", "serve", "--port", str(port), "--db",
                           str(tmp_path / "x.db"), "--insecure-no-auth")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert result.stderr.count("\n") == 1


def test_naming_and_strict_flags(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_SANDBOX_")}
    proc = subprocess.Popen([sys.executable, "-m", "runner", "sandbox", "serve", "--port", "0",
                             "--db", str(tmp_path / "named.db"), "--insecure-no-auth",
                             "--seed", "demo", "--naming", "graphql-default", "--strict"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "naming graphql-default, strict" in line
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = f"{match.group(1)}/v1/graphql"
        query = "query($n: Int!) { camera(limit: $n, orderBy: {serial: ASC}) { serial } }"
        body = httpx.post(url, json={"query": query, "variables": {"n": 1}}).json()
        assert body == {"data": {"camera": [{"serial": "218622272031"}]}}
        body = httpx.post(url, json={"query": query, "variables": {"n": "1"}}).json()
        assert body["errors"][0]["extensions"]["code"] == "validation-failed"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def test_unknown_naming_is_a_usage_error(tmp_path: Path) -> None:
    result = _campaign("sandbox", "serve", "--naming", "kebab", "--db", str(tmp_path / "x.db"),
                       "--insecure-no-auth")
    assert result.returncode == 2 and "--naming" in result.stderr
