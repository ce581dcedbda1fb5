"""The control-plane adapter: the core's `StateStore` (read, write) and the camera list,
over one GraphQL connection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from runner.adapters.controlplane.documents import KNOWN_CAMERAS, READ_STATE, write_document
from runner.adapters.controlplane.state import parse_cameras, parse_state
from runner.adapters.controlplane.transport import ControlPlaneConfig, GraphQLClient
from runner.adapters.controlplane.wire import camera_filter, camera_where, session_filter
from runner.errors import ControlPlaneError
from runner.plan.model import Actual, ActualCamera, Writes
from runner.urls import redact_url


class ControlPlane:
    """An open connection to the control plane; use as `async with ControlPlane(cfg) as cp`."""

    def __init__(
        self, config: ControlPlaneConfig, *, transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 8, max_backoff: float = 4.0,
    ) -> None:
        self.config = config
        self._graphql = GraphQLClient(config, transport=transport, attempts=attempts,
                                      max_backoff=max_backoff)

    @property
    def round_trips(self) -> int:
        """HTTP requests sent, retries included (benchmarks report it)."""
        return self._graphql.round_trips

    async def __aenter__(self) -> ControlPlane:
        await self._graphql.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._graphql.__aexit__(exc_type, exc, tb)

    async def execute(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Send one operation (retrying transient failures) and return its `data`."""
        return await self._graphql.execute(document, variables)

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
            raise self._odd_answer("the state query", exc) from None

    async def write(
        self, writes: Writes, *, expected: Mapping[str, int], tokens: Mapping[str, int],
        now: dt.datetime, drop_versions: bool = False,
    ) -> None:
        """Run `writes` as one mutation (one transaction), guarded by the version rows."""
        document, variables = write_document(writes, expected, tokens, now,
                                             drop_versions=drop_versions)
        await self.execute(document, variables)

    async def known_cameras(
        self, *, model: str | None = None, device: str | None = None
    ) -> list[ActualCamera]:
        """Every camera (optionally of one model / on one device), by model and serial."""
        data = await self.execute(KNOWN_CAMERAS, {"where": camera_where(model, device)})
        try:
            return parse_cameras(data["cameras"])
        except (KeyError, TypeError) as exc:
            raise ControlPlaneError(
                f"control plane answered `cameras` without the expected fields ({exc}); is the "
                "endpoint a campaign control plane?"
            ) from None

    def _odd_answer(self, what: str, exc: Exception) -> ControlPlaneError:
        return ControlPlaneError(
            f"control plane {redact_url(self.config.endpoint)} answered {what} in an unexpected "
            f"shape ({type(exc).__name__}: {exc}); check that $HASURA_GRAPHQL_ENDPOINT is the "
            "recording control plane")
