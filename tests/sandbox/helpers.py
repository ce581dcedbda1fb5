"""Small HTTP helpers for the sandbox tests (plain httpx; no product client code)."""

from __future__ import annotations

from typing import Any

import httpx

STREAM = {"alignTo": "color", "encoder": "HEVC", "width": 1280, "height": 720, "nearCut": 300,
          "farCut": 1000, "bitrate": 1_000_000, "frameRate": 15}


def gql(sandbox: Any, query: str, variables: dict[str, Any] | None = None,
        secret: str | None = None) -> dict[str, Any]:
    """POST one GraphQL request; return the decoded body (HTTP status must be 200)."""
    response = httpx.post(sandbox.graphql_url, json={"query": query, "variables": variables},
                          headers={"x-hasura-admin-secret": secret or sandbox.admin_secret},
                          timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def data(sandbox: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `data` of a request that must succeed."""
    body = gql(sandbox, query, variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def error(sandbox: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The single error of a request that must fail."""
    body = gql(sandbox, query, variables)
    assert "data" not in body and len(body["errors"]) == 1, body
    result: dict[str, Any] = body["errors"][0]
    return result


def camera_ids(sandbox: Any) -> dict[str, str]:
    """serial -> camera id of the demo cameras."""
    cams = data(sandbox, "{ cameras { id serial } }")["cameras"]
    return {c["serial"]: c["id"] for c in cams}


def fleet(sandbox: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One fleet API call with the sandbox's key."""
    headers = {"X-Avala-Api-Key": sandbox.api_key, **kwargs.pop("headers", {})}
    return httpx.request(method, f"{sandbox.fleet_url}/fleet/{path}", headers=headers,
                         timeout=30, **kwargs)


def new_session(sandbox: Any, name: str, serials: list[str], state: str = "Stopped",
                start: str = "2026-12-01T08:00:00", end: str = "2026-12-01T18:00:00",
                types: tuple[str, ...] = ("color", "depth")) -> str:
    """Insert a session with one record per camera and the given stream types; its id."""
    cams = camera_ids(sandbox)
    obj = {"name": name, "startDate": start, "endDate": end, "mode": "Storage",
           "state": state, "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
           "records": {"data": [{"cameraId": cams[s], "streams": {"data": [
               {**STREAM, "type": t} for t in types]}} for s in serials]}}
    result = data(sandbox, "mutation($o: RecordingSession_insert_input!) { "
                           "insertRecordingSession(object: $o) { id } }", {"o": obj})
    session_id: str = result["insertRecordingSession"]["id"]
    return session_id
