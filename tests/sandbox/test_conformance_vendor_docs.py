"""The vendor docs' two scripts, run unchanged against the served sandbox.

The page ("Recordings Management (Programmatically)", `../shared/vendor-docs/001_*.txt`)
uses python_graphql_client; its set-up and functions are `vendor_docs/functions.py`, the
add/stop script `vendor_docs/add_stop.py`, the Standby/Started burst script
`vendor_docs/burst.py` (cut lines filled minimally, see `vendor_docs/README.md`). Each runs
as `__main__` over real HTTP on loopback against a sandbox in its default (lenient) mode:
the scripts send `"0"` / `"1280"` strings for `Int!` and the burst script's window is
`datetime.min` / `datetime.max` as strings. Only their surroundings are set here: argv, the
environment, and `time.sleep`, which advances the sandbox clock instead of waiting.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SandboxHandle, start_sandbox

SCRIPTS = Path(__file__).resolve().parent / "vendor_docs"
SERIAL = "844212070924"  # a demo REALSENSE_D435 on dev_vehicle_001


@pytest.fixture
def docs_sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """The sandbox as `campaign sandbox serve` starts it by default (not strict)."""
    handle = start_sandbox(tmp_path / "docs.db", strict=False)
    try:
        yield handle
    finally:
        handle.close()


def _run(script: str, argv: list[str], sandbox: SandboxHandle,
         monkeypatch: pytest.MonkeyPatch, catch_exit: bool = True) -> int:
    """Run functions.py + `script` as `__main__`; its exit status."""
    for name, value in sandbox.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", [script, *argv])
    source = (SCRIPTS / "functions.py").read_text() + "\n" + (SCRIPTS / script).read_text()
    try:
        exec(compile(source, str(SCRIPTS / script), "exec"), {"__name__": "__main__"})
    except SystemExit as done:
        if not catch_exit:
            raise
        return done.code if isinstance(done.code, int) else 1
    return 0


def _functions(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch,
               **env: str) -> dict[str, Any]:
    """The page's client and functions, as a script sees them (`env` overrides)."""
    for name, value in {**sandbox.env, **env}.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, Any] = {"__name__": "vendor_docs"}
    exec(compile((SCRIPTS / "functions.py").read_text(), "functions.py", "exec"), namespace)
    return namespace


def _recordings(sandbox: SandboxHandle, device: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{sandbox.fleet_url}/fleet/recordings/",
                     params={"device": device, "limit": 100},
                     headers={"X-Avala-Api-Key": sandbox.api_key}).json()
    results: list[dict[str, Any]] = page["results"]
    return [r for r in results if r["status"] != "archived" and r["created_at"] >= "2026-11-01"]


def _session(sandbox: SandboxHandle, name: str) -> dict[str, Any]:
    body = httpx.post(sandbox.graphql_url, headers={"x-hasura-admin-secret": sandbox.admin_secret},
                      json={"query": """query($n: String!) { recordingSessions(
                          where: {name: {_eq: $n}}) { id startDate endDate state mode
                          maxTimeSeconds storage { totalSize estimatedSize }
                          records { camera { serial } streams(order_by: {type: asc}) {
                            type alignTo encoder width height nearCut farCut bitrate frameRate
                          } } } }""", "variables": {"n": name}}).json()
    sessions: list[dict[str, Any]] = body["data"]["recordingSessions"]
    assert len(sessions) == 1, body
    return sessions[0]


def test_add_stop_script_schedules_records_and_stops(docs_sandbox: SandboxHandle,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = docs_sandbox
    later = (sandbox.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert _run("add_stop.py", ["start", SERIAL, later], sandbox, monkeypatch) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Started a Recording Session with start date: ")
    session_id = out[-1]

    session = _session(sandbox, "mysession")
    assert session["id"] == session_id
    assert session["endDate"] == later and session["mode"] == "Storage"
    assert session["maxTimeSeconds"] == 0  # the script's "0"
    assert session["storage"] == {"totalSize": 0, "estimatedSize": 0}
    streams = session["records"][0]["streams"]
    assert [(s["type"], s["alignTo"], s["encoder"], s["width"], s["bitrate"], s["frameRate"])
            for s in streams] == [("color", "color", "HEVC", 1280, 1000000, 15),
                                  ("depth", "color", "Classic", 1280, 5000000, 15)]
    # Scheduled with startDate = now: the platform starts it, the camera's device records.
    sandbox.advance(30)
    assert _session(sandbox, "mysession")["state"] == "Started"
    assert [r["status"] for r in _recordings(sandbox, "dev_vehicle_001")] == ["recording"]

    assert _run("add_stop.py", ["stop", session_id], sandbox, monkeypatch) == 0
    assert _session(sandbox, "mysession")["state"] == "Stopped"
    (recording,) = _recordings(sandbox, "dev_vehicle_001")
    assert recording["status"] == "completed" and recording["duration_seconds"] >= 30
    assert {t["name"] for t in recording["topics"]} == {f"/camera/{SERIAL}/color",
                                                       f"/camera/{SERIAL}/depth"}


def test_add_stop_script_argument_errors(docs_sandbox: SandboxHandle,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("add_stop.py", [], docs_sandbox, monkeypatch) == 1
    assert _run("add_stop.py", ["start", SERIAL], docs_sandbox, monkeypatch) == 1
    assert capsys.readouterr().out.splitlines() == ["Missing start/stop argument",
                                                    "Missing camera-serial or date argument"]
    assert docs_sandbox.stats()["graphql"]["requests"] == 0


def test_burst_script_records_five_bursts(docs_sandbox: SandboxHandle,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = docs_sandbox
    sandbox.set_clock(sandbox.now())  # bursts measured on a clock only the sleeps move
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the script's waits move the sandbox clock
        slept.append(seconds)
        sandbox.advance(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    argv = ["-m", "REALSENSE_D435", "-s", SERIAL, "-r", "burst-from-the-docs"]
    assert _run("burst.py", argv, sandbox, monkeypatch) == 0
    assert slept == [5, 10] * 5

    session = _session(sandbox, "burst-from-the-docs")
    # datetime.min/max as the script formats them; Postgres reads year 1 as 2001.
    assert session["startDate"] == "2001-01-01T00:00:00"
    assert session["endDate"] == "9999-12-31T23:59:59"
    assert session["state"] == "Stopped"
    assert [s["frameRate"] for s in session["records"][0]["streams"]] == [30, 30]
    bursts = _recordings(sandbox, "dev_vehicle_001")
    assert len(bursts) == 5
    assert all(r["status"] == "completed" and r["duration_seconds"] == 10 for r in bursts)
    roots = sandbox.stats()["graphql"]["root_fields"]
    assert roots["updateRecordingSession"] == 1 + 2 * 5 + 1
    assert roots["insertStream"] == 2 and roots["cameras"] == 1


def test_burst_script_without_arguments_exits_with_its_message(
        docs_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match=r"You are missing the model of the camera\."):
        _run("burst.py", [], docs_sandbox, monkeypatch, catch_exit=False)


def test_docs_query_with_wrong_secret_is_access_denied(docs_sandbox: SandboxHandle,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _functions(docs_sandbox, monkeypatch, HASURA_GRAPHQL_ADMIN_SECRET="not-the-secret")
    result = docs["client"].execute(docs["camera_with_model_and_serial_query"],
                                    {"model": "REALSENSE_D435", "serial": SERIAL})
    assert result["errors"][0]["extensions"]["code"] == "access-denied"
    assert "data" not in result


def test_docs_query_with_unknown_model_is_validation_failed(
        docs_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _functions(docs_sandbox, monkeypatch)
    result = docs["client"].execute(docs["camera_with_model_and_serial_query"],
                                    {"model": "KINECT", "serial": "1"})
    error = result["errors"][0]
    assert error["extensions"]["code"] == "validation-failed"
    assert error["message"] == ("expected one of the values ['REALSENSE_D435', 'REALSENSE', "
                                "'V4L2CAMERA'] for type 'camera_model_enum', but found 'KINECT'")


def test_docs_int_strings_are_refused_in_strict_mode(sandbox: SandboxHandle,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # The product's fixture is strict (Hasura v2's rule): the docs' "0" is refused there.
    docs = _functions(sandbox, monkeypatch)
    result = docs["client"].execute(docs["insert_recording_session_query"], {
        "name": "strict", "startDate": "2026-12-01T08:00:00", "endDate": "2026-12-01T09:00:00",
        "mode": "Storage", "state": "Stopped", "maxTimeSeconds": "0", "maxSizeMegabytes": 0})
    assert result["errors"][0]["message"] == (
        "expected a 32-bit integer for type 'Int', but found a string")
    assert result["errors"][0]["extensions"]["code"] == "validation-failed"
