"""The hot path: set a recording session's state with one small pre-serialised request.

Each (session, state) request body is built once, as bytes, before the run starts; a
transition is then one POST of those bytes on a kept-alive httpx connection and one
`json.loads` of a tiny answer. gql was measured against this (bench/bench_bursts.py, numbers
in docs/bursts.md): it doubles the client-side cost per request (about 0.09 -> 0.18 ms) and
widens the tail, for no gain on a path whose only job is to hit a deadline; the rest of the
tool keeps gql.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from runner.adapters.controlplane import documents
from runner.adapters.controlplane.dialect import Dialect, TableDialect
from runner.adapters.tls import tls_context
from runner.errors import TransitionError
from runner.run.driver import SessionRow
from runner.states import STATES, SessionState
from runner.urls import redact_url

# The vendor's documented names (docs: `updateRecordingSession(pk_columns:, _set:)`), for a
# SessionStates made without an introspected dialect.
DOCUMENTED = Dialect(tables={"session": TableDialect(
    type="RecordingSession",
    fields={"select": "recordingSessions", "update_by_pk": "updateRecordingSession"},
    args={"select": {"where": "where"}, "update_by_pk": {"pk_columns": "pk_columns",
                                                         "set": "_set"}},
)})


@dataclass(frozen=True)
class Endpoint:
    """Where the control plane is: URL, auth headers, and a transport for the in-process sandbox."""

    url: str
    headers: Mapping[str, str]
    transport: httpx.AsyncBaseTransport | None = None

    def client(self) -> httpx.AsyncClient:
        """A client that keeps its connections alive between transitions (httpx default pool)."""
        return httpx.AsyncClient(
            transport=self.transport, verify=tls_context(),
            headers={**self.headers, "content-type": "application/json"},
            timeout=httpx.Timeout(5.0),
            # One connection per concurrently switching session, kept open between bursts.
            limits=httpx.Limits(max_keepalive_connections=64, keepalive_expiry=60.0),
        )


class SessionStates:
    """Reads and sets recording session states through one httpx client (the driver's
    `StateSwitch`)."""

    def __init__(self, http: httpx.AsyncClient, url: str, dialect: Dialect = DOCUMENTED) -> None:
        self._http = http
        self._url = url
        self._dialect = dialect
        self._update = dialect.root("session", "update_by_pk")
        self._select = dialect.root("session", "select")
        self._read = documents.read_sessions(dialect)
        self._bodies: dict[tuple[str, str], bytes] = {}
        self.last_request: float = 0.0  # time.monotonic() of the last answer (idle detection)

    def prepare(self, session_id: str, state: str) -> bytes:
        """Build (once) the request body that sets `state` on the session; ids are uuids."""
        if state not in STATES:
            raise ValueError(f"unknown session state {state!r}")
        key = (session_id, state)
        body = self._bodies.get(key)
        if body is None:
            # Literal arguments, no variables: the smallest document the server can parse.
            query = documents.set_state(self._dialect, _uuid(session_id), SessionState(state))
            body = json.dumps({"query": query}, separators=(",", ":")).encode()
            self._bodies[key] = body
        return body

    async def set_state(self, session_id: str, state: str, timeout: float = 2.0) -> str:
        """Send the prepared transition; return the state the backend acknowledged."""
        body = self.prepare(session_id, state)
        data = await self._post(body, timeout)
        row = data.get(self._update)
        if not isinstance(row, dict):
            raise TransitionError(
                f"session {session_id} does not exist on the control plane "
                "(run `campaign apply` first)", retryable=False)
        return self._state(row.get("state"))

    async def read(
        self, session_ids: Sequence[str], timeout: float = 10.0
    ) -> dict[str, SessionRow]:
        """The current name and state of each existing session, by id."""
        body = json.dumps({"query": self._read, "variables": {"ids": list(session_ids)}}).encode()
        data = await self._post(body, timeout)
        rows = data.get(self._select) or []
        return {
            str(r["id"]): SessionRow(str(r["id"]), str(r["name"]), self._state(r["state"]))
            for r in rows
        }

    def _state(self, value: object) -> str:
        """A state as the server spells it, in the campaign's spelling (`STARTED` -> `Started`)."""
        return self._dialect.enum_in("session_state", str(value), STATES)

    async def _post(self, body: bytes, timeout: float) -> dict[str, Any]:
        try:
            response = await self._http.post(self._url, content=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise TransitionError(
                f"control plane {redact_url(self._url)} timed out ({type(exc).__name__}); "
                "check the endpoint and retry", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise TransitionError(
                f"control plane {redact_url(self._url)} unreachable ({type(exc).__name__}); "
                "check the endpoint and retry", retryable=True) from exc
        self.last_request = time.monotonic()
        if response.status_code != 200:
            raise TransitionError(
                f"control plane answered HTTP {response.status_code}",
                retryable=response.status_code in (408, 429) or response.status_code >= 500)
        try:
            payload = response.json()
        except ValueError as exc:
            raise TransitionError("control plane answered something that is not JSON",
                                  retryable=True) from exc
        if not isinstance(payload, dict):
            raise TransitionError("control plane answered JSON that is not an object",
                                  retryable=True)
        errors = payload.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and isinstance(errors[0], dict) else {}
            extensions = first.get("extensions")
            code = extensions.get("code", "") if isinstance(extensions, dict) else ""
            message = str(first.get("message", "unknown error"))
            raise TransitionError(f"control plane error: {message} ({code or 'no code'})",
                                  retryable=code in ("unexpected", ""))
        data = payload.get("data")
        if not isinstance(data, dict):
            raise TransitionError("control plane answered without data", retryable=True)
        return data


def _uuid(value: str) -> str:
    """Reject anything that is not a uuid before it goes into a literal GraphQL document."""
    return str(uuid.UUID(value))
