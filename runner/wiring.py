"""The wiring: the one module that reads the environment and `campaign.toml`, builds the
adapters and, with no control plane configured, the embedded sandbox.

With no control plane configured the embedded sandbox runs in-process (httpx ASGITransport)
with its SQLite file under `.campaign/`; `Backends.notice` says so (the CLI prints it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from runner.adapters.controlplane import (
    ControlPlane,
    ControlPlaneConfig,
    ControlPlaneLeases,
    Endpoint,
    SessionStates,
)
from runner.adapters.controlplane.introspect import SchemaCache
from runner.adapters.fleet import FleetClient
from runner.findings import Diagnosis, Finding
from runner.settings import (
    CONFIG_FILE,
    STATE_DIR,
    fleet_settings,
    resolve_control_plane,
    sandbox_settings,
)
from runner.urls import redact_url

SANDBOX_FLEET_URL = "http://sandbox.invalid/api/v1"
# The transport's retry schedule (runner/adapters/controlplane/transport.py): at most 8
# attempts, waits of 0.05 s doubling up to `max_backoff`, each plus up to 0.2 s of jitter.
MAX_ATTEMPTS = 8
MAX_BACKOFF = 4.0
FIRST_WAIT, JITTER = 0.05, 0.2


def retry_budget(timeout: float) -> tuple[int, float]:
    """(attempts, max_backoff) whose waits add up to at most twice `timeout`: `--timeout 0.5`
    gives up on an unreachable control plane in about a second, the default 30 s keeps the
    full 8 attempts. Always one retry, so a single blip is survived."""
    max_backoff = min(MAX_BACKOFF, timeout)
    attempts, waited = 2, min(FIRST_WAIT, max_backoff) + JITTER
    while attempts < MAX_ATTEMPTS:
        wait = min(FIRST_WAIT * 2 ** (attempts - 1), max_backoff) + JITTER
        if waited + wait > 2 * timeout:
            break
        attempts, waited = attempts + 1, waited + wait
    return attempts, max_backoff


@dataclass
class Backends:
    """The resolved backends of one command run (the ops layer's `Backends`)."""

    control: ControlPlaneConfig
    transport: httpx.AsyncBaseTransport | None  # the in-process sandbox, else None (network)
    label: str  # where we talk to, safe to print
    state_dir: Path
    fleet_url: str | None = None
    fleet_key: str | None = field(default=None, repr=False)
    notice: str | None = None  # one line for stderr (the embedded sandbox is in use)

    @property
    def timeout(self) -> float:
        """Per-request timeout of the control plane (--timeout / campaign.toml)."""
        return self.control.timeout

    @property
    def fleet_label(self) -> str | None:
        """The fleet API's URL, safe to print and to save in a plan (None: not configured)."""
        return redact_url(self.fleet_url) if self.fleet_url and self.fleet_key else None

    @property
    def in_process(self) -> bool:
        """The embedded sandbox answers in this process, on the caller's event loop."""
        return self.transport is not None

    @property
    def schema_cache(self) -> SchemaCache:
        """Where introspected schemas are kept (one file per endpoint)."""
        return SchemaCache(self.state_dir / "schema")

    def control_plane(self) -> ControlPlane:
        """A control-plane client (use with `async with`)."""
        attempts, max_backoff = retry_budget(self.control.timeout)
        return ControlPlane(self.control, transport=self.transport, attempts=attempts,
                            max_backoff=max_backoff, schema_cache=self.schema_cache)

    def fleet(self) -> FleetClient | None:
        """A fleet API client (use with `async with`), or None when none is configured."""
        if not self.fleet_url or not self.fleet_key:
            return None
        return FleetClient(self.fleet_url, self.fleet_key, transport=self.transport)

    async def diagnose(self, now: dt.datetime) -> Diagnosis:
        """What `campaign doctor` checks (see `diagnose_backends`)."""
        return await diagnose_backends(self, now)

    @contextlib.asynccontextmanager
    async def leases(self) -> AsyncIterator[ControlPlaneLeases]:
        """The lease store, on a connection of its own (renewals never queue behind, or
        in front of, a burst's transition); few retries: a renewal has a deadline."""
        async with ControlPlane(self.control, transport=self.transport, attempts=3,
                                max_backoff=0.5, schema_cache=self.schema_cache
                                ) as control_plane:
            yield ControlPlaneLeases(control_plane)

    @contextlib.asynccontextmanager
    async def session_states(self) -> AsyncIterator[SessionStates]:
        """The burst hot path's client: one kept-alive connection for every transition."""
        headers = ({"x-hasura-admin-secret": self.control.admin_secret}
                   if self.control.admin_secret else {})
        endpoint = Endpoint(self.control.endpoint, headers, self.transport)
        async with self.control_plane() as cp:  # the dialect: from the cache, else introspected
            dialect = await cp.dialect()
        async with endpoint.client() as http:
            yield SessionStates(http, endpoint.url, dialect)


async def diagnose_backends(backends: Backends, now: dt.datetime) -> Diagnosis:
    """Everything `campaign doctor` checks on the configured backends."""
    from runner.adapters.controlplane.diagnose import diagnose
    from runner.adapters.fleet_diagnose import diagnose_fleet

    async with backends.control_plane() as cp:
        findings, enums = await diagnose(cp, backends.transport, now)
    if backends.fleet_url and backends.fleet_key:
        findings += await diagnose_fleet(backends.fleet_url, backends.fleet_key,
                                         transport=backends.transport,
                                         timeout=backends.timeout, now=now)
    else:
        findings.append(Finding("fleet API", "configured", "warn",
                                "no fleet API ($AVALA_BASE_URL, $AVALA_API_KEY): recording "
                                "rules cannot run"))
    return Diagnosis(tuple(findings), enums)


def resolve_backends(
    *, sandbox: bool = False, insecure: bool = False, config_file: Path | None = None,
    timeout: float | None = None, env: Mapping[str, str] | None = None,
    workdir: Path | None = None,
) -> Backends:
    """Build the backends from the environment, campaign.toml and flags."""
    env = dict(os.environ) if env is None else env
    workdir = workdir or Path.cwd()
    control = resolve_control_plane(env, workdir=workdir, settings_file=config_file,
                                    sandbox=sandbox, insecure=insecure, timeout=timeout)
    state_dir = workdir / STATE_DIR
    if not control.embedded:
        fleet = fleet_settings(env)
        return Backends(control, None, redact_url(control.endpoint), state_dir,
                        fleet.base_url if fleet else None, fleet.api_key if fleet else None)
    from runner.sandbox.app import create_app

    assert control.sandbox_db is not None
    served = sandbox_settings(env, config_file or workdir / CONFIG_FILE,
                              required=config_file is not None)
    control.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
    # In-process: nothing listens on a port, so a per-run random secret costs nothing.
    admin, key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    app = create_app(control.sandbox_db, admin_secret=admin, api_key=key, seed="demo",
                     naming=served.naming, strict=served.strict)
    transport = httpx.ASGITransport(app=app)
    control = ControlPlaneConfig(control.endpoint, admin, control.timeout, True,
                                 control.sandbox_db)
    where = _relative(control.sandbox_db, workdir) if control.sandbox_db else "memory"
    notice = ("note: no control plane configured ($HASURA_GRAPHQL_ENDPOINT); using the "
              f"embedded sandbox in {where}")
    return Backends(control, transport, f"embedded sandbox ({where})", state_dir,
                    SANDBOX_FLEET_URL, key, notice)


def local_state_dir(workdir: Path | None = None) -> Path:
    """The state directory of a command that talks to no backend (`run --dry-run`)."""
    return (workdir or Path.cwd()) / STATE_DIR


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)
