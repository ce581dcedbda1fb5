"""`campaign agent` end to end: a real process against the served sandbox, real time."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.compile import session_id
from tests.run.helpers import burst_campaign, graphql, lease_row

pytestmark = pytest.mark.slow
WAIT = 60.0  # polling bound on a loaded machine (never asserted on)


def session_state(sandbox: Any, sid: str) -> str | None:
    row = graphql(sandbox, "query($id: uuid!) {recordingSessionByPk(id: $id) {state}}",
                  {"id": sid})["recordingSessionByPk"]
    return None if row is None else str(row["state"])


def poll(condition: Any, what: str) -> None:
    limit = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > limit:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_agent_serves_probes_reloads_on_sighup_and_exits_143_on_sigterm(
        sandbox: Any, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    path = burst_campaign(tmp_path / "bursts.yaml", "agent-e2e", count=3, record="30s",
                          pause="1s", now=now)
    env = {**os.environ, **sandbox.env}
    env.pop("CI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "agent", str(path), "--listen", "127.0.0.1:0",
         "--interval", "1h"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),
                              daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        poll(lambda: any("serving health" in line for line in lines), "the listener")
        url = re.search(r"http://127\.0\.0\.1:\d+", next(
            line for line in lines if "serving health" in line)).group(0)  # type: ignore[union-attr]
        assert httpx.get(f"{url}/healthz").status_code == 200
        sid = session_id("agent-e2e", "")
        poll(lambda: session_state(sandbox, sid) == "Started", "the first burst")
        poll(lambda: httpx.get(f"{url}/readyz").status_code == 200, "readiness")
        metrics = httpx.get(f"{url}/metrics").text
        assert "campaign_passes_total 1.0" in metrics
        assert 'campaign_sessions{state="Standby"}' in metrics
        assert sandbox.admin_secret not in metrics and sandbox.api_key not in metrics
        proc.send_signal(signal.SIGHUP)
        poll(lambda: any("SIGHUP" in line for line in lines), "the reload")
        poll(lambda: "campaign_passes_total 2.0" in httpx.get(f"{url}/metrics").text,
             "the second pass")
        assert session_state(sandbox, sid) == "Started"  # a reload never restarts a driver
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=WAIT)
        took = time.monotonic() - began
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=5)
    text = "".join(lines)
    assert code == 143, text
    assert took < 2.0, text
    assert session_state(sandbox, sid) == "Standby"
    assert sandbox.admin_secret not in text and sandbox.api_key not in text


class AgentProcess:
    """`campaign agent FILE -o json` in a directory of its own, its log lines collected."""

    def __init__(self, sandbox: Any, directory: Path, path: Path, *extra: str) -> None:
        directory.mkdir()
        env = {**os.environ, **sandbox.env}
        env.pop("CI", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "agent", str(path), "-o", "json",
             "--listen", "127.0.0.1:0", *extra], cwd=directory, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in iter(self.proc.stdout.readline, ""):  # type: ignore[union-attr]
            self.events.append(json.loads(line))

    def drove(self) -> bool:
        """Whether this agent has sent a burst transition."""
        return any(e["kind"] == "burst" for e in self.events)

    def refused(self) -> bool:
        """Whether this agent found the campaign's lease held by another driver."""
        return any(e["kind"] == "lease" and "driven by" in e["message"] for e in self.events)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(timeout=WAIT)
        self._reader.join(timeout=5)
        return code


def test_two_agents_exactly_one_drives_and_a_killed_holder_is_taken_over(
        sandbox: Any, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    name = "agent-pair"
    path = burst_campaign(tmp_path / "bursts.yaml", name, count=3, record="3s", pause="1s",
                          now=now)
    sid = session_id(name, "")
    flags = ("--interval", "1s", "--lease-ttl", "2s")
    agents = [AgentProcess(sandbox, tmp_path / "a", path, *flags),
              AgentProcess(sandbox, tmp_path / "b", path, *flags)]
    try:
        poll(lambda: session_state(sandbox, sid) == "Started", "the first burst")
        row = lease_row(sandbox, name)
        assert row is not None
        (holder,) = [a for a in agents if f":{a.proc.pid} " in row["name"]]
        (other,) = [a for a in agents if a is not holder]
        poll(other.refused, "the second agent to find the lease held")
        assert holder.drove() and not other.drove()

        holder.proc.send_signal(signal.SIGKILL)  # no release: the lease must expire
        assert holder.stop() == -signal.SIGKILL
        poll(other.drove, "the other agent to take the campaign over")
        took_over = lease_row(sandbox, name)
        assert took_over is not None and f":{other.proc.pid} " in took_over["name"]

        other.proc.send_signal(signal.SIGTERM)
        code = other.proc.wait(timeout=WAIT)
    finally:
        for agent in agents:
            agent.stop()
    assert code == 143
    assert session_state(sandbox, sid) == "Standby"
    assert lease_row(sandbox, name) is None
