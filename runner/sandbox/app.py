"""The sandbox ASGI app: control plane, fleet API and test control in one Starlette app."""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.sandbox import devices
from runner.sandbox import seed as seeding
from runner.sandbox.errors import HasuraError
from runner.sandbox.execution import ControlPlane, paused_gc
from runner.sandbox.fleet import FleetApi, FleetError, RawJson
from runner.sandbox.naming import NAMINGS, Naming
from runner.sandbox.store import connect, get_meta, set_meta, transaction
from runner.sandbox.tables import TABLES

Clock = Callable[[], datetime]
Handler = Callable[[Request], Awaitable[Response]]
SEEDS = ("demo",)


class SandboxClock:
    """The sandbox's notion of now: a source clock, optionally frozen or shifted by tests."""

    def __init__(self, source: Clock | None = None) -> None:
        self._source = source or (lambda: datetime.now(timezone.utc))
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def __call__(self) -> datetime:
        base = self._frozen if self._frozen is not None else self._source()
        return (base + self._offset).astimezone(timezone.utc)

    def set(self, moment: datetime) -> None:
        """Freeze the clock at `moment` (advance() then moves it)."""
        self._frozen = moment.astimezone(timezone.utc)
        self._offset = timedelta()

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value)."""
        self._offset += timedelta(seconds=seconds)


@dataclass
class Faults:
    """Fault injection settings; rates are probabilities in [0, 1]."""

    error_rate: float = 0.0
    latency_ms: float = 0.0
    timeout_after_commit_rate: float = 0.0
    timeout_hang_ms: float = 0.0
    rate_limit_per_s: int | None = None
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON."""
        return {"error_rate": self.error_rate, "latency_ms": self.latency_ms,
                "timeout_after_commit_rate": self.timeout_after_commit_rate,
                "timeout_hang_ms": self.timeout_hang_ms,
                "rate_limit_per_s": self.rate_limit_per_s, "seed": self.seed}


FAULT_FIELDS = {"error_rate": float, "latency_ms": float, "timeout_after_commit_rate": float,
                "timeout_hang_ms": float, "rate_limit_per_s": int, "seed": int}


def parse_faults(body: Any, base: Faults | None = None) -> Faults:
    """Validated Faults from a JSON object (unknown keys and bad values raise ValueError)."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    unknown = sorted(set(body) - set(FAULT_FIELDS))
    if unknown:
        raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}; known: "
                         f"{', '.join(FAULT_FIELDS)}")
    current = (base or Faults()).as_dict()
    for key, kind in FAULT_FIELDS.items():
        if key not in body:
            continue
        value = body[key]
        if value is None and key in ("rate_limit_per_s", "seed"):
            current[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number")
        if kind is int and not float(value).is_integer():
            raise ValueError(f"{key} must be an integer")
        if key.endswith("_rate") and not 0 <= value <= 1:
            raise ValueError(f"{key} must be between 0 and 1")
        if value < 0:
            raise ValueError(f"{key} must not be negative")
        current[key] = kind(value)
    if current["rate_limit_per_s"] == 0:
        current["rate_limit_per_s"] = None
    faults = Faults(**current)
    faults.rng = random.Random(faults.seed)
    return faults


class InjectedDisconnect(Exception):
    """Raised after a committed write to drop the response (the 'timeout after commit' fault)."""


@dataclass
class Stats:
    """Request counters served at /sandbox/v1/stats."""

    graphql_requests: int = 0
    graphql_mutations: int = 0
    root_fields: Counter[str] = field(default_factory=Counter)
    fleet_requests: int = 0
    fleet_by_method: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """The stats as JSON."""
        return {"graphql": {"requests": self.graphql_requests,
                            "mutations": self.graphql_mutations,
                            "root_fields": dict(self.root_fields)},
                "fleet": {"requests": self.fleet_requests,
                          "by_method": {"GET": 0, "PATCH": 0, "DELETE": 0,
                                        **self.fleet_by_method}},
                "faults": dict(self.faults_injected)}


class _RateLimiter:
    """Fixed one-second windows on real time (rate limits are about real request rates)."""

    def __init__(self) -> None:
        self.window = 0
        self.count = 0

    def hit(self, limit: int) -> tuple[bool, dict[str, str]]:
        now = time.time()
        window = int(now)
        if window != self.window:
            self.window, self.count = window, 0
        self.count += 1
        allowed = self.count <= limit
        headers = {"X-RateLimit-Limit": str(limit),
                   "X-RateLimit-Remaining": str(max(limit - self.count, 0)),
                   "X-RateLimit-Reset": str(window + 1)}
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(window + 1 - now)))
        return allowed, headers


class Sandbox:
    """State shared by the handlers: store, engines, clock, faults and stats."""

    def __init__(self, db_path: str | Path, admin_secret: str | None, api_key: str | None,
                 seed: str | None, clock: Clock | None, naming: str = "vendor",
                 strict: bool = False) -> None:
        if seed is not None and seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; known: {', '.join(SEEDS)}")
        convention = Naming(naming)  # ValueError for an unknown one, before opening the db
        self.admin_secret = admin_secret
        self.api_key = api_key
        self.seed = seed
        self.clock = SandboxClock(clock)
        self.conn = connect(db_path)
        self.lock = threading.Lock()
        self.naming = naming
        self.strict = strict
        self.control_plane = ControlPlane(self.conn, self.clock, self._after_write,
                                          naming=convention, strict=strict)
        self.fleet = FleetApi(self.conn, self.clock)
        self.faults = Faults()
        self.stats = Stats()
        self.limiter = _RateLimiter()
        if seed is not None and get_meta(self.conn, "seed") is None and self._empty():
            self.reseed()  # only ever into an empty database: never wipe someone's data

    def _empty(self) -> bool:
        tables = [f'"{t}"' for t in TABLES] + ["fleet_recording", "fleet_device"]
        return not any(self.conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
                       for t in tables)

    def _after_write(self, conn: Any) -> None:
        devices.reconcile(conn, self.clock())

    def reseed(self) -> None:
        """Wipe every table and apply the seed (if any) again."""
        with transaction(self.conn):
            for name in ("sim_open", "sim_scheduled", "fleet_recording", "fleet_device"):
                self.conn.execute(f"DELETE FROM {name}")
            self.conn.execute("DELETE FROM sandbox_meta WHERE key = 'seed'")
            for table in reversed(list(TABLES.values())):
                self.conn.execute(f'DELETE FROM "{table.name}"')
            if self.seed == "demo":
                seeding.seed_demo(self.conn)
                set_meta(self.conn, "seed", "demo")

    def close(self) -> None:
        """Close the database connection (after the server has stopped)."""
        self.conn.close()

    def tick(self) -> None:
        """Run scheduled starts/stops that the clock has reached (cheap when none are due)."""
        now = self.clock()
        if devices.due(self.conn, now):
            with transaction(self.conn):
                devices.reconcile(self.conn, now)


def _secret_ok(expected: str | None, given: str | None) -> bool:
    if expected is None:
        return True  # --insecure-no-auth
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = (body if isinstance(body, RawJson | bytes)
            else json.dumps(body, separators=(",", ":")))
    return Response(text, status, headers, media_type="application/json")


def create_app(db_path: str | Path, admin_secret: str | None, api_key: str | None,
               seed: str | None = None, clock: Clock | None = None, *,
               naming: str = "vendor", strict: bool = False) -> Starlette:
    """The sandbox as an ASGI app (serve it with uvicorn or use it via httpx.ASGITransport).

    `admin_secret`/`api_key` None disables that check (only for --insecure-no-auth);
    `seed` ("demo") is applied once to an empty database; `clock` returns aware UTC now;
    `naming` is the Hasura naming convention served (`NAMINGS`: vendor, hasura-default,
    graphql-default); `strict` refuses numeric strings for `Int` (as Hasura v2 does).
    """
    sb = Sandbox(db_path, admin_secret, api_key, seed, clock, naming, strict)

    async def faulted(request: Request, kind: str) -> Response | None:
        """Latency and 5xx faults, applied before the request does anything."""
        f = sb.faults
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        if f.error_rate and f.rng.random() < f.error_rate:
            sb.stats.faults_injected["error"] += 1
            if kind == "graphql":
                return _json({"errors": [{"message": "injected fault: internal error",
                                          "extensions": {"path": "$", "code": "unexpected"}}]},
                             500)
            return _json({"detail": "Internal server error (injected fault)."}, 500)
        return None

    def drop_after_commit(request: Request) -> None:
        f = sb.faults
        if f.timeout_after_commit_rate and f.rng.random() < f.timeout_after_commit_rate:
            sb.stats.faults_injected["timeout_after_commit"] += 1
            request.scope.setdefault("state", {})["sandbox_drop"] = f.timeout_hang_ms

    async def graphql_endpoint(request: Request) -> Response:
        if not _secret_ok(sb.admin_secret, request.headers.get("x-hasura-admin-secret")):
            missing = request.headers.get("x-hasura-admin-secret") is None
            message = ("x-hasura-admin-secret/x-hasura-access-key required, but not found"
                       if missing else "invalid x-hasura-admin-secret/x-hasura-access-key")
            return _json(HasuraError(message, "access-denied").body())
        sb.stats.graphql_requests += 1
        fault = await faulted(request, "graphql")
        if fault is not None:
            return fault
        body = await request.body()
        # The collector paused from the JSON decoding on: a big insert's million objects
        # are freed by reference counting when `graphql_answer` returns, before it resumes.
        with paused_gc():
            return graphql_answer(request, body)

    def graphql_answer(request: Request, body: bytes) -> Response:
        try:
            payload = json.loads(body)
        except ValueError:
            return _json(HasuraError("Error in $: Failed reading: not a valid json value",
                                     "parse-failed").body())
        sb.tick()
        # Hasura also takes a JSON array of requests (a batch), each run on its own.
        batch = payload if isinstance(payload, list) else [payload]
        bodies = []
        for item in batch:
            outcome = sb.control_plane.execute(item)
            if outcome.is_mutation:
                sb.stats.graphql_mutations += 1
            for name in outcome.root_fields:
                sb.stats.root_fields[name] += 1
            if outcome.wrote and "errors" not in outcome.body:
                drop_after_commit(request)
            bodies.append(outcome.encoded())
        return _json(b"[" + b",".join(bodies) + b"]" if isinstance(payload, list)
                     else bodies[0])

    async def fleet_endpoint(request: Request) -> Response:
        if request.headers.get("x-avala-api-key") is None and sb.api_key is not None:
            return _json({"detail": "Authentication credentials were not provided."}, 401)
        if not _secret_ok(sb.api_key, request.headers.get("x-avala-api-key")):
            return _json({"detail": "Invalid API key."}, 401)
        sb.stats.fleet_requests += 1
        method = request.method
        sb.stats.fleet_by_method[method] += 1
        headers: dict[str, str] = {}
        if sb.faults.rate_limit_per_s:
            allowed, headers = sb.limiter.hit(sb.faults.rate_limit_per_s)
            if not allowed:
                sb.stats.faults_injected["rate_limited"] += 1
                return _json({"detail": "Request was throttled. Expected available in "
                                        f"{headers['Retry-After']} seconds."}, 429, headers)
        fault = await faulted(request, "fleet")
        if fault is not None:
            fault.headers.update(headers)  # X-RateLimit-* on every answer, errors too
            return fault
        body = await request.body() if method == "PATCH" else b""
        sb.tick()
        try:
            response = _fleet_dispatch(request, method, body)
        except FleetError as err:
            return _json({"detail": err.detail}, err.status, headers)
        if method in ("PATCH", "DELETE"):
            drop_after_commit(request)
        if response is None:
            return Response(status_code=204, headers=headers)
        return _json(response, 200, headers)

    def _fleet_dispatch(request: Request, method: str, body: bytes) -> Any:
        kind = request.path_params["kind"]
        uid = request.path_params.get("uid")
        params = dict(request.query_params)
        page_url = str(request.url.replace(query=""))
        if kind not in ("recordings", "devices"):
            raise FleetError(404, "Not found.")
        if kind == "devices":
            if method != "GET":
                raise FleetError(405, f'Method "{method}" not allowed.')
            return sb.fleet.get_device(uid) if uid else sb.fleet.list_devices(params, page_url)
        if uid is None:
            if method != "GET":
                raise FleetError(405, f'Method "{method}" not allowed.')
            return sb.fleet.list_recordings(params, page_url)
        if method == "GET":
            return sb.fleet.get_recording(uid)
        if method == "DELETE":
            sb.fleet.delete_recording(uid)
            return None
        try:
            patch = json.loads(body) if body else {}
        except ValueError:
            raise FleetError(400, "JSON parse error.") from None
        return sb.fleet.patch_recording(uid, patch)

    def admin_only(handler: Handler) -> Handler:
        """The /sandbox/v1 control endpoints answer only with the admin secret."""
        async def guarded(request: Request) -> Response:
            if not _secret_ok(sb.admin_secret, request.headers.get("x-hasura-admin-secret")):
                return _json({"detail": "admin secret required (x-hasura-admin-secret)"}, 401)
            return await handler(request)
        return guarded

    @admin_only
    async def stats(request: Request) -> Response:
        return _json(sb.stats.as_dict())

    @admin_only
    async def reset(request: Request) -> Response:
        sb.stats = Stats()
        sb.faults = Faults()
        if request.query_params.get("data") in ("1", "true"):
            sb.reseed()
        return _json({"ok": True})

    @admin_only
    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                sb.faults = parse_faults(json.loads(await request.body() or b"{}"))
            except ValueError as err:
                return _json({"detail": f"invalid faults: {err}"}, 400)
        return _json(sb.faults.as_dict())

    @admin_only
    async def clock_endpoint(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                unknown = sorted(set(body) - {"now", "advance_seconds"})
                if unknown:
                    raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: now, "
                                     "advance_seconds")
                if "now" in body:
                    moment = datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
                    if moment.tzinfo is None:
                        raise ValueError("now needs an offset, e.g. 2026-12-01T08:00:00Z")
                    sb.clock.set(moment)
                if "advance_seconds" in body:
                    sb.clock.advance(float(body["advance_seconds"]))
            except (ValueError, TypeError, AttributeError) as err:
                return _json({"detail": f"invalid clock request: {err}"}, 400)
            sb.tick()
        return _json({"now": sb.clock().isoformat().replace("+00:00", "Z")})

    async def healthz(request: Request) -> Response:
        return Response("OK", media_type="text/plain")

    fleet_methods = ["GET", "PATCH", "DELETE"]
    routes = [
        Route("/v1/graphql", graphql_endpoint, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/v1/fleet/{kind:str}/", fleet_endpoint, methods=fleet_methods),
        Route("/api/v1/fleet/{kind:str}", fleet_endpoint, methods=fleet_methods),
        Route("/api/v1/fleet/{kind:str}/{uid:str}/", fleet_endpoint, methods=fleet_methods),
        Route("/api/v1/fleet/{kind:str}/{uid:str}", fleet_endpoint, methods=fleet_methods),
        Route("/sandbox/v1/stats", stats, methods=["GET"]),
        Route("/sandbox/v1/reset", reset, methods=["POST"]),
        Route("/sandbox/v1/faults", faults, methods=["GET", "POST"]),
        Route("/sandbox/v1/clock", clock_endpoint, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sb
    app.add_middleware(_DropAfterCommit)
    app.router.redirect_slashes = False
    return app


class _DropAfterCommit:
    """Loses a response whose write has committed: waits `timeout_hang_ms` (a client with a
    shorter read timeout gives up), then sends the headers and aborts the body, so the
    client sees the connection close mid-response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def guarded(message: Message) -> None:
            hang = scope.get("state", {}).get("sandbox_drop")
            if hang is not None and message["type"] == "http.response.start":
                await asyncio.sleep(hang / 1000)
                await send(message)
                raise InjectedDisconnect("sandbox fault: response dropped after commit")
            await send(message)

        await self.app(scope, receive, guarded)


__all__ = ["NAMINGS", "InjectedDisconnect", "SandboxClock", "create_app", "parse_faults"]
