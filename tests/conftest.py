"""Shared fixtures: a real sandbox server on loopback for every test that needs a backend."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.sandbox.app import create_app
from runner.sandbox.server import BackgroundServer

# The embedded sandbox of every CLI run the tests start refuses numeric strings for Int, as
# Hasura v2 does: the product must never rely on the lenient default.
os.environ.setdefault("CAMPAIGN_SANDBOX_STRICT", "1")


@dataclass
class SandboxHandle:
    """A running sandbox: URLs, credentials and test-control helpers."""

    url: str
    admin_secret: str
    api_key: str
    db_path: Path
    server: BackgroundServer
    app: Any
    _client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.url, timeout=30,
                                    headers={"x-hasura-admin-secret": self.admin_secret})

    @property
    def graphql_url(self) -> str:
        """The control-plane endpoint (HASURA_GRAPHQL_ENDPOINT)."""
        return f"{self.url}/v1/graphql"

    @property
    def fleet_url(self) -> str:
        """The fleet API base (AVALA_BASE_URL form)."""
        return f"{self.url}/api/v1"

    @property
    def env(self) -> dict[str, str]:
        """Environment a client of both backends needs."""
        return {"HASURA_GRAPHQL_ENDPOINT": self.graphql_url,
                "HASURA_GRAPHQL_ADMIN_SECRET": self.admin_secret,
                "AVALA_BASE_URL": self.fleet_url, "AVALA_API_KEY": self.api_key}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._client.request(method, f"/sandbox/v1/{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """GET /sandbox/v1/stats."""
        result: dict[str, Any] = self._call("GET", "stats")
        return result

    def reset(self, data: bool = False) -> None:
        """Clear stats and faults (and re-seed the data with data=True)."""
        self._call("POST", "reset", params={"data": "1"} if data else None)

    def faults(self, **settings: Any) -> dict[str, Any]:
        """POST /sandbox/v1/faults (error_rate, latency_ms, timeout_after_commit_rate,
        timeout_hang_ms, rate_limit_per_s, seed)."""
        result: dict[str, Any] = self._call("POST", "faults", json=settings)
        return result

    def set_clock(self, moment: datetime) -> None:
        """Freeze the sandbox clock at an aware datetime."""
        self._call("POST", "clock", json={"now": moment.isoformat()})

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward."""
        self._call("POST", "clock", json={"advance_seconds": seconds})

    def now(self) -> datetime:
        """The sandbox clock's current time."""
        return datetime.fromisoformat(self._call("GET", "clock")["now"].replace("Z", "+00:00"))

    def close(self) -> None:
        """Stop the server and release the client."""
        self._client.close()
        self.server.stop()
        self.app.state.sandbox.close()


def start_sandbox(db_path: Path, seed: str | None = "demo", *, strict: bool = True,
                  naming: str = "vendor") -> SandboxHandle:
    """Start a sandbox on a free loopback port with fresh random credentials. Strict by
    default (numeric strings for `Int` refused), so the product never relies on leniency."""
    admin_secret = secrets.token_urlsafe(16)
    api_key = secrets.token_urlsafe(16)
    app = create_app(db_path, admin_secret, api_key, seed=seed, strict=strict, naming=naming)
    server = BackgroundServer(app).start()
    return SandboxHandle(server.url, admin_secret, api_key, db_path, server, app)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A real sandbox server (uvicorn, loopback, strict mode) with the demo seed, fresh per
    test."""
    handle = start_sandbox(tmp_path / "sandbox.db")
    try:
        yield handle
    finally:
        handle.close()
