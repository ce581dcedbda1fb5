"""The GraphQL transport of the control plane: gql over the httpx async transport.

One `GraphQLClient` per command run (the adapter in `client.py` wraps it). Every request is
retried by `runner.retry` (tenacity; exponential backoff with full jitter) on connection
errors, timeouts and HTTP 5xx only: GraphQL errors are answers, not transient failures. An
HTTP 429 (a gateway in front of Hasura) waits for its `Retry-After`, on a budget of its own.
Retrying writes is safe because every insert carries its own id with `on_conflict` (see
runner.plan.apply). Secrets never appear in errors.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson
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
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from tenacity import retry_if_exception

from runner.adapters.tls import tls_context
from runner.errors import ControlPlaneError, WriteConflict
from runner.retry import RateLimited, RetryPolicy, Sleep
from runner.urls import redact_url

DEFAULT_TIMEOUT = 30.0
JSON_CONTENT = {"Content-Type": "application/json"}  # what httpx sets for `json=`
# A null value in orjson's text may have been a NaN or an Infinity, which httpx refuses.
_NULL_VALUES = (b":null", b",null", b"[null")


@dataclass(frozen=True)
class ControlPlaneConfig:
    """A resolved control-plane target: a real endpoint, or the embedded sandbox."""

    endpoint: str  # the GraphQL URL (".../v1/graphql")
    admin_secret: str | None = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    embedded: bool = False  # True: run the sandbox in-process (no network)
    sandbox_db: Path | None = None


class SchemaMismatch(ControlPlaneError):
    """A document does not fit the server's schema (refused locally or `validation-failed`):
    the cached schema may be stale, or the server lacks a name the product uses."""


class GraphQLClient:
    """An open connection to the control plane; use as `async with GraphQLClient(cfg)`."""

    def __init__(
        self,
        config: ControlPlaneConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 8,
        max_backoff: float = 4.0,
        rate_limited: int = 30,
        retry_after_max: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        # Full jitter draws from [0, ceiling]: a base of 0.1 keeps the expected retry window
        # of the former 0.05 * 2**n (+ up to 0.2) waits.
        self._policy = RetryPolicy(attempts=attempts, rate_limited=rate_limited,
                                   backoff_base=0.1, backoff_max=max_backoff,
                                   retry_after_max=retry_after_max)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.round_trips = 0  # HTTP requests sent, retries included (benchmarks report it)
        headers = {}
        if config.admin_secret:
            headers["x-hasura-admin-secret"] = config.admin_secret
        kwargs: dict[str, Any] = {"headers": headers, "timeout": config.timeout,
                                  "verify": tls_context(),
                                  "event_hooks": {"response": [_raise_on_429_or_5xx]}}
        if transport is not None:
            kwargs["transport"] = transport
        self._transport = HTTPXAsyncTransport(url=config.endpoint, **kwargs)
        self._client = Client(transport=self._transport, execute_timeout=None)
        self._session: Any = None

    def use_schema(self, schema: GraphQLSchema | None) -> None:
        """Validate every document against `schema` (the introspected one) before sending."""
        self._client.schema = schema

    async def __aenter__(self) -> GraphQLClient:
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
        request = _Request(_parsed(document), variable_values=dict(variables))
        # The body, written once for every attempt (gql would have httpx write it each time).
        body = json_body(request.payload)
        post = {} if body is None else {"content": body, "json": None, "headers": JSON_CONTENT}

        async def attempt() -> Any:
            self.round_trips += 1
            try:
                return await self._session.execute(request, extra_args=post)
            except TransportConnectionFailed as exc:
                if isinstance(exc.__cause__, RateLimited):  # raised by the response hook
                    raise exc.__cause__ from None
                raise

        retrying = self._policy.retrying(retry_if_exception(_transient), sleep=self._sleep,
                                         rng=self._rng)
        try:
            result = await retrying(attempt)
        except TransportQueryError as exc:
            raise self._query_error(exc) from None
        except RateLimited:
            raise ControlPlaneError(self._redact(
                f"control plane {redact_url(self.config.endpoint)} still rate limited after "
                f"{retrying.rate_limited} HTTP 429 answers; try again later"
            )) from None
        except (TransportError, asyncio.TimeoutError, httpx.HTTPError) as exc:
            raise ControlPlaneError(self._redact(
                f"control plane {redact_url(self.config.endpoint)} unreachable or failing "
                f"after {retrying.tries} attempt(s): {_describe(exc)}; check the endpoint and "
                "retry"
            )) from None
        except GraphQLError as exc:  # does not parse, or fails the introspected schema
            raise SchemaMismatch(f"invalid GraphQL document: {exc.message}") from None
        assert isinstance(result, dict)
        return result

    def _query_error(self, exc: TransportQueryError) -> ControlPlaneError:
        errors = exc.errors if isinstance(exc.errors, list) else []
        first = errors[0] if errors else {}
        message = str(first.get("message", exc)) if isinstance(first, dict) else str(first)
        extensions = first.get("extensions") if isinstance(first, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        text = self._redact(f"control plane rejected the request ({code or 'error'}): {message}")
        if code == "constraint-violation":
            return WriteConflict(text)
        if code == "validation-failed":
            return SchemaMismatch(text)
        if code == "access-denied" or "admin secret" in message.lower():
            return ControlPlaneError(text + "; check $HASURA_GRAPHQL_ADMIN_SECRET")
        return ControlPlaneError(text)

    def _redact(self, text: str) -> str:
        secret = self.config.admin_secret
        if secret:
            text = text.replace(secret, "***")
        return text


async def _raise_on_429_or_5xx(response: httpx.Response) -> None:
    # A 429 carries the gateway's pacing, which gql would drop: raise it with its Retry-After.
    # A 5xx may still carry a GraphQL `errors` body, which gql would report as a final
    # query error; raising here makes it a transport failure, i.e. retried.
    if response.status_code == 429:
        raise RateLimited(response.headers.get("Retry-After"))
    if response.status_code >= 500:
        response.raise_for_status()


def json_body(payload: Any) -> bytes | None:
    """`payload` as httpx's `json=` writes it (compact UTF-8), by orjson: the apply of 10,000
    sessions is 30 MB of JSON, 0.35 s of CPU for the stdlib encoder, 0.03 s for orjson. None
    when orjson will not write it alike (ints past 64 bits, non-str keys, lone surrogates,
    dataclasses, datetimes; NaN and Infinity, which it writes as null): httpx writes it, or
    refuses it, as before. (Floats, which no document of ours sends, may be spelled another
    way for the same value: `1e-07` as `1e-7`.)"""
    try:
        body = orjson.dumps(payload, option=orjson.OPT_PASSTHROUGH_DATACLASS
                            | orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return None
    if any(null in body for null in _NULL_VALUES):
        return None
    return body


class _Request(GraphQLRequest):
    """A request whose payload (the document printed back to text) is built once."""

    @cached_property
    def payload(self) -> dict[str, Any]:
        return super().payload


@lru_cache(maxsize=64)
def _parsed(document: str) -> DocumentNode:
    return parse(document)


def _transient(exc: BaseException) -> bool:
    """Connection errors, timeouts, HTTP 5xx and 429: worth another try. The rest is final."""
    if isinstance(exc, RateLimited):
        return True
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

