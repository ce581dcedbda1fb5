"""Test set-up for the burst runner: campaign files and standby sessions on a real sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from runner.compile import session_id

UTC = dt.timezone.utc
# Two cameras of one fleet device (demo seed): each burst opens one fleet recording there.
CAMERAS = (("REALSENSE_D435", "844212070924"), ("REALSENSE", "218622272031"))
DEVICE = "dev_vehicle_001"
# Fleet device -> its (D435 serial, D405 serial) in the demo seed.
DEVICE_CAMERAS = {"dev_vehicle_001": ("844212070924", "218622272031"),
                  "dev_lab_001": ("936322070512", "218622273574")}


def burst_campaign(path: Path, name: str, *, count: int, record: str, pause: str,
                   now: dt.datetime, offset: str = "0s", device: str = DEVICE) -> Path:
    """Write a standby campaign whose window is open at `now` (one hour either side), with the
    two demo cameras of `device`."""
    d435, d405 = DEVICE_CAMERAS[device]
    start = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(f"""\
apiVersion: campaign/v1
kind: Campaign
metadata:
  name: {name}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "{d435}", device: {device},
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
    - {{model: REALSENSE, serial: "{d405}", device: {device},
       streams: [{{type: depth, encoder: RAW, width: 848, height: 480, frameRate: 30,
                  bitrate: 8000000}}]}}
  window: {{start: {start}, end: {end}}}
  trigger: standby
  bursts: {{count: {count}, record: {record}, pause: {pause}, offset: {offset}}}
""", encoding="utf-8")
    return path


def graphql(sandbox: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to the sandbox's control plane; fails the test on GraphQL errors."""
    answer = httpx.post(sandbox.graphql_url, json={"query": query, "variables": variables or {}},
                        headers={"x-hasura-admin-secret": sandbox.admin_secret}, timeout=10).json()
    assert not answer.get("errors"), answer
    return dict(answer["data"])


def insert_standby_session(sandbox: Any, campaign: str, now: dt.datetime) -> str:
    """Create the campaign's session (as apply would: uuid5 id, name = campaign) in Standby."""
    cameras = graphql(sandbox, "query($s: [String!]!) {cameras(where: {serial: {_in: $s}}) {id}}",
                      {"s": [serial for _, serial in CAMERAS]})["cameras"]
    sid = session_id(campaign, "")
    fmt = "%Y-%m-%dT%H:%M:%S"
    graphql(sandbox, "mutation($o: RecordingSession_insert_input!) "
                     "{insertRecordingSession(object: $o) {id}}",
            {"o": {"id": sid, "name": campaign,
                   "startDate": (now - dt.timedelta(hours=1)).strftime(fmt),
                   "endDate": (now + dt.timedelta(hours=1)).strftime(fmt), "mode": "Storage",
                   "state": "Standby", "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
                   "records": {"data": [{"cameraId": c["id"], "streams": {"data": [
                       {"type": "color", "alignTo": "color", "encoder": "HEVC", "width": 1280,
                        "height": 720, "nearCut": 300, "farCut": 1000, "bitrate": 1000000,
                        "frameRate": 15}]}} for c in cameras]}}})
    return sid


def session_state(sandbox: Any, sid: str) -> str:
    """The session's state as the control plane reports it."""
    return str(graphql(sandbox, "query($id: uuid!) {recordingSessionByPk(id: $id) {state}}",
                       {"id": sid})["recordingSessionByPk"]["state"])


def fleet_recordings(sandbox: Any, device: str = DEVICE) -> list[dict[str, Any]]:
    """Every fleet recording of `device` (one page is plenty in these tests)."""
    answer = httpx.get(f"{sandbox.fleet_url}/fleet/recordings/",
                       params={"device": device, "limit": 1000},
                       headers={"X-Avala-Api-Key": sandbox.api_key}, timeout=10)
    answer.raise_for_status()
    return list(answer.json()["results"])


def lease_row(sandbox: Any, campaign: str) -> dict[str, Any] | None:
    """The campaign's lease row in the control plane (name `<campaign>#lease host:pid token`,
    state, expiry as endDate), or None when no driver holds it."""
    from runner.adapters.controlplane.leases import lease_id

    row = graphql(sandbox, "query($id: uuid!) {recordingSessionByPk(id: $id) "
                           "{name state endDate}}", {"id": lease_id(campaign)})
    return dict(row["recordingSessionByPk"]) if row["recordingSessionByPk"] else None

