"""The recording control plane client: gql over the httpx async transport.

One `ControlPlane` per command run. Every request is retried (exponential backoff with
jitter, via tenacity) on connection errors, timeouts and HTTP 5xx only: GraphQL errors are
answers, not transient failures. Retrying writes is safe because every insert carries its
own id with `on_conflict` (see runner.apply). Secrets never appear in errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import lru_cache
from types import TracebackType
from typing import Any

import httpx
from gql import Client
from gql.graphql_request import GraphQLRequest
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import DocumentNode, GraphQLError, parse
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from runner.backends.config import ControlPlaneConfig, redact_url
from runner.compile import VERSION_KEY, from_wire, owner_of
from runner.errors import ControlPlaneError
from runner.plan.model import (
    Actual,
    ActualCamera,
    ActualRecord,
    ActualSession,
    ActualStream,
)

STREAM_COLUMNS = ("type", "alignTo", "encoder", "width", "height", "nearCut", "farCut",
                  "bitrate", "frameRate")

# Everything the given campaigns own plus the cameras they name: ONE query.
READ_STATE = """
query CampaignState($sessions: RecordingSession_bool_exp!, $cameras: Camera_bool_exp!) {
  sessions: recordingSessions(where: $sessions, order_by: [{name: asc}]) {
    id name startDate endDate mode state maxTimeSeconds maxSizeMegabytes
    storage { totalSize }
    records(order_by: [{id: asc}]) {
      id cameraId
      camera { model serial }
      streams(order_by: [{type: asc}]) {
        id type alignTo encoder width height nearCut farCut bitrate frameRate
      }
    }
  }
  cameras(where: $cameras, order_by: [{model: asc}, {serial: asc}]) {
    id model serial deviceId
  }
}
"""

# A where clause no row matches (an empty `_or` is read differently by different servers).
NOTHING: dict[str, Any] = {"id": {"_is_null": True}}


class ConstraintViolation(ControlPlaneError):
    """The server rejected a write on a uniqueness/foreign-key constraint (rolled back)."""


class ControlPlane:
    """An open connection to the control plane; use as `async with ControlPlane(cfg) as cp`."""

    def __init__(
        self,
        config: ControlPlaneConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 8,
        max_backoff: float = 4.0,
    ) -> None:
        self.config = config
        self.attempts = attempts
        self.max_backoff = max_backoff
        self.round_trips = 0  # HTTP requests sent, retries included (benchmarks report it)
        headers = {}
        if config.admin_secret:
            headers["x-hasura-admin-secret"] = config.admin_secret
        kwargs: dict[str, Any] = {"headers": headers, "timeout": config.timeout,
                                  "event_hooks": {"response": [_raise_on_5xx]}}
        if transport is not None:
            kwargs["transport"] = transport
        self._transport = HTTPXAsyncTransport(url=config.endpoint, **kwargs)
        self._client = Client(transport=self._transport, execute_timeout=None)
        self._session: Any = None

    async def __aenter__(self) -> ControlPlane:
        try:
            self._session = await self._client.connect_async(reconnecting=False)  # type: ignore[no-untyped-call]
        except Exception as exc:  # connecting only builds the httpx client; be safe anyway
            raise ControlPlaneError(self._redact(f"cannot open the control plane: {exc}")) from exc
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.close_async()  # type: ignore[no-untyped-call]

    async def execute(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Send one operation (retrying transient failures) and return its `data`."""
        request = GraphQLRequest(_parsed(document), variable_values=dict(variables))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=0.05, max=self.max_backoff, jitter=0.2),
            retry=retry_if_exception(_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    self.round_trips += 1
                    result = await self._session.execute(request)
        except TransportQueryError as exc:
            raise self._query_error(exc) from None
        except (TransportError, asyncio.TimeoutError, httpx.HTTPError, RetryError) as exc:
            raise ControlPlaneError(self._redact(
                f"control plane {redact_url(self.config.endpoint)} unreachable or failing "
                f"after {self.attempts} attempts: {_describe(exc)}; check the endpoint and retry"
            )) from None
        except GraphQLError as exc:  # a document that does not parse: a bug of ours
            raise ControlPlaneError(f"invalid GraphQL document: {exc.message}") from None
        assert isinstance(result, dict)
        return result

    async def read_state(
        self, campaigns: tuple[str, ...], cameras: tuple[tuple[str, str], ...]
    ) -> Actual:
        """Everything `campaigns` own (sessions, records, streams, version rows) plus the
        named cameras, in one query."""
        data = await self.execute(READ_STATE, {
            "sessions": session_filter(campaigns), "cameras": camera_filter(cameras),
        })
        try:
            if not all(isinstance(data.get(key), list) for key in ("sessions", "cameras")):
                raise ValueError("no 'sessions' and 'cameras' lists")
            return parse_state(data, campaigns)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ControlPlaneError(
                f"control plane {redact_url(self.config.endpoint)} answered the state query in "
                f"an unexpected shape ({type(exc).__name__}: {exc}); check that "
                "$HASURA_GRAPHQL_ENDPOINT is the recording control plane") from None

    def _query_error(self, exc: TransportQueryError) -> ControlPlaneError:
        errors = exc.errors if isinstance(exc.errors, list) else []
        first = errors[0] if errors else {}
        message = str(first.get("message", exc)) if isinstance(first, dict) else str(first)
        extensions = first.get("extensions") if isinstance(first, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        text = self._redact(f"control plane rejected the request ({code or 'error'}): {message}")
        if code == "constraint-violation":
            return ConstraintViolation(text)
        if code == "access-denied" or "admin secret" in message.lower():
            return ControlPlaneError(text + "; check $HASURA_GRAPHQL_ADMIN_SECRET")
        return ControlPlaneError(text)

    def _redact(self, text: str) -> str:
        secret = self.config.admin_secret
        if secret:
            text = text.replace(secret, "***")
        return text


def session_filter(campaigns: tuple[str, ...]) -> dict[str, Any]:
    """Sessions named `<c>` or `<c>#...` for each campaign (ownership is re-checked by id)."""
    if not campaigns:
        return NOTHING
    parts: list[dict[str, Any]] = []
    for name in campaigns:
        parts.append({"name": {"_eq": name}})
        parts.append({"name": {"_like": f"{name}#%"}})
    return {"_or": parts}


def camera_filter(cameras: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The cameras named by (model, serial)."""
    if not cameras:
        return NOTHING
    return {"_or": [{"model": {"_eq": m}, "serial": {"_eq": s}} for m, s in cameras]}


def parse_state(data: Mapping[str, Any], campaigns: tuple[str, ...]) -> Actual:
    """Turn the READ_STATE answer into an Actual (version rows become `versions`)."""
    sessions: list[ActualSession] = []
    versions: dict[str, int] = {}
    wanted = set(campaigns)
    for row in data.get("sessions") or []:
        owner = owner_of(row["name"], row["id"])
        if owner is None or owner[0] not in wanted:
            continue  # a prefix match the tool did not create: never ours to touch
        campaign, key = owner
        if key == VERSION_KEY:
            versions[campaign] = int(row["maxSizeMegabytes"])
            continue
        records = tuple(
            ActualRecord(
                id=r["id"], camera_id=r["cameraId"],
                model=(r.get("camera") or {}).get("model", "?"),
                serial=(r.get("camera") or {}).get("serial", "?"),
                streams=tuple(sorted(
                    (ActualStream(id=s["id"], columns={c: s[c] for c in STREAM_COLUMNS})
                     for s in r.get("streams") or []),
                    key=lambda s: str(s.columns["type"]),
                )),
            )
            for r in row.get("records") or []
        )
        records = tuple(sorted(records, key=lambda r: (r.model, r.serial)))
        storage = row.get("storage") or {}
        sessions.append(ActualSession(
            id=row["id"], name=row["name"], campaign=campaign, key=key,
            start=from_wire(row["startDate"]), end=from_wire(row["endDate"]), mode=row["mode"],
            state=row["state"], max_time_seconds=row["maxTimeSeconds"],
            max_size_megabytes=row["maxSizeMegabytes"], records=records,
            storage_total=storage.get("totalSize"),
        ))
    cameras = {
        (c["model"], c["serial"]): ActualCamera(
            id=c["id"], model=c["model"], serial=c["serial"], device_id=c["deviceId"])
        for c in data.get("cameras") or []
    }
    return Actual(sessions=tuple(sessions), cameras=cameras,
                  versions=tuple(sorted(versions.items())))


async def _raise_on_5xx(response: httpx.Response) -> None:
    # A 5xx may still carry a GraphQL `errors` body, which gql would report as a final
    # query error; raising here makes it a transport failure, i.e. retried.
    if response.status_code >= 500:
        response.raise_for_status()


@lru_cache(maxsize=64)
def _parsed(document: str) -> DocumentNode:
    return parse(document)


def _transient(exc: BaseException) -> bool:
    """Connection errors, timeouts and HTTP 5xx: worth another try. Everything else is final."""
    if isinstance(exc, TransportServerError):
        return exc.code is None or exc.code >= 500
    if isinstance(exc, TransportProtocolError):
        return False
    return isinstance(exc, (TransportConnectionFailed, asyncio.TimeoutError, httpx.TransportError))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TransportServerError) and exc.code:
        return f"HTTP {exc.code}"
    cause = exc.__cause__
    if isinstance(cause, httpx.HTTPStatusError):
        return f"HTTP {cause.response.status_code}"
    if isinstance(cause, httpx.TimeoutException):
        return "timed out"
    if cause is not None:
        return type(cause).__name__
    return type(exc).__name__

