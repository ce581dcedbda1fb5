"""What `campaign doctor` learns about the control plane: reachability, auth, version, clock
skew, and which field serves each operation the product needs (or that it is missing)."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx
from graphql import GraphQLObjectType

from runner.adapters.controlplane.client import ControlPlane
from runner.adapters.controlplane.dialect import REQUIRED, Dialect, norm
from runner.adapters.tls import tls_context
from runner.errors import ControlPlaneError
from runner.findings import Finding, Status
from runner.urls import redact_url

BACKEND = "control plane"
Add = Callable[[str, Status, str], None]
SKEW_WARN = dt.timedelta(seconds=5)
SKEW_FAIL = dt.timedelta(seconds=60)
# Columns and relationships the documents name as they are (not looked up by signature).
ASSUMED: dict[str, tuple[str, ...]] = {
    "session": ("id", "name", "startDate", "endDate", "mode", "state", "maxTimeSeconds",
                "maxSizeMegabytes", "storage", "records"),
    "record": ("id", "cameraId", "recordingId", "camera", "streams"),
    "stream": ("id", "recordId", "type", "alignTo", "encoder", "width", "height", "nearCut",
               "farCut", "bitrate", "frameRate"),
    "camera": ("id", "model", "serial", "deviceId"),
    "storage": ("id", "totalSize", "estimatedSize"),
}
# What each operation is used for, and the fallback when it is missing.
USES: dict[tuple[str, str], str] = {
    ("session", "select"): "plan's state read (one query)",
    ("camera", "select"): "plan's state read, `campaign cameras list`",
    ("session", "update_by_pk"): "`campaign run` / `trigger` state switches",
    ("session", "insert"): "apply's upserts (else one insertOne per session, same request)",
    ("session", "insert_one"): "apply's upserts when there is no bulk insert",
    ("session", "update"): "apply's state transitions (else one update by pk per session)",
    ("session", "delete"): "every apply's compare-and-set on the version rows (required)",
    ("session", "delete_by_pk"): "prune/destroy when there is no delete by filter",
    ("record", "delete"): "removing a camera from a session (else one delete by pk each)",
    ("record", "delete_by_pk"): "removing a camera when there is no delete by filter",
    ("stream", "delete"): "removing a stream (else one delete by pk each)",
    ("stream", "delete_by_pk"): "removing a stream when there is no delete by filter",
}


async def diagnose(cp: ControlPlane, transport: httpx.AsyncBaseTransport | None,
                   now: dt.datetime) -> tuple[list[Finding], dict[str, tuple[str, ...]]]:
    """Findings about the control plane, and the enum values it offers (campaign spelling)."""
    findings: list[Finding] = []
    where = redact_url(cp.config.endpoint)

    def add(check: str, status: Status, detail: str) -> None:
        findings.append(Finding(BACKEND, check, status, detail))

    headers = ({"x-hasura-admin-secret": cp.config.admin_secret}
               if cp.config.admin_secret else {})
    async with httpx.AsyncClient(transport=transport, headers=headers,
                                 timeout=cp.config.timeout, verify=tls_context()) as http:
        try:
            answer = await http.post(cp.config.endpoint, json={"query": "{__typename}"})
        except httpx.HTTPError as exc:
            add("reachable", "fail", f"{where}: {type(exc).__name__}; check "
                "$HASURA_GRAPHQL_ENDPOINT and the network")
            return findings, {}
        add("reachable", "ok", f"{where} answered HTTP {answer.status_code}")
        skew_finding(add, answer, now)
        body = _json(answer)
        errors = body.get("errors") if isinstance(body, dict) else None
        if answer.status_code in (401, 403) or (errors and _denied(errors)):
            add("auth", "fail", "the admin secret was refused; check "
                "$HASURA_GRAPHQL_ADMIN_SECRET (or _FILE)")
            return findings, {}
        if answer.status_code != 200 or not isinstance(body, dict) or "data" not in body:
            add("auth", "fail", f"unexpected answer (HTTP {answer.status_code}); is this a "
                "Hasura GraphQL endpoint?")
            return findings, {}
        add("auth", "ok", "admin secret accepted" if headers else "no admin secret needed")
        add("version", "ok", await _version(http, cp.config.endpoint))
    try:
        dialect = await cp.dialect(refresh=True)
    except ControlPlaneError as exc:
        add("introspection", "fail", str(exc))
        return findings, {}
    add("introspection", "ok", f"{len(dialect.schema.type_map) if dialect.schema else 0} types")
    _operations(add, dialect)
    _assumed(add, dialect)
    return findings, await cp.offered_enums()


def _operations(add: Add, dialect: Dialect) -> None:
    required = set(REQUIRED)
    for (table, operation), use in USES.items():
        known = dialect.tables.get(table)
        name = f"{operation.replace('_', ' ')} {table}s"
        if known is None:
            add(name, "fail", f"no {table} table found")
            continue
        field = known.fields.get(operation)
        if field is not None:
            add(name, "ok", f"as {field} ({use})")
            continue
        single = operation.endswith("_by_pk") or operation == "insert_one"
        twin = (operation.replace("_by_pk", "") if operation.endswith("_by_pk")
                else "insert" if operation == "insert_one" else
                "insert_one" if operation == "insert" else f"{operation}_by_pk")
        has_twin = known.has(twin)
        status: Status = ("fail" if (table, operation) in required or not has_twin
                          else "ok" if single else "warn")
        add(name, status, "missing" + (f"; {use}" if not single else "")
            + ("" if has_twin else " and no fallback either"))


def _assumed(add: Add, dialect: Dialect) -> None:
    schema = dialect.schema
    for table, columns in ASSUMED.items():
        known = dialect.tables.get(table)
        if known is None or schema is None:
            continue
        type_ = schema.type_map.get(known.type)
        if not isinstance(type_, GraphQLObjectType):
            continue
        fields = set(type_.fields)
        missing = [c for c in columns if c not in fields]
        if missing:
            near = {norm(f): f for f in fields}
            hints = ", ".join(f"{c} (server has {near[norm(c)]})" if norm(c) in near else c
                              for c in missing)
            add(f"columns of {known.type}", "fail", f"missing {hints}")
        else:
            add(f"columns of {known.type}", "ok", ", ".join(columns))


def skew_finding(add: Add, answer: httpx.Response, now: dt.datetime) -> None:
    """Clock skew from the answer's Date header (1 s resolution)."""
    stamp = answer.headers.get("date")
    if not stamp:
        add("clock skew", "warn", "the server sends no Date header; skew not measured")
        return
    try:
        server = email.utils.parsedate_to_datetime(stamp)
    except (TypeError, ValueError):
        add("clock skew", "warn", f"unreadable Date header {stamp!r}")
        return
    skew = server - now
    seconds = skew.total_seconds()
    status: Status = ("fail" if abs(skew) > SKEW_FAIL else "warn" if abs(skew) > SKEW_WARN
                      else "ok")
    add("clock skew", status, f"server clock {seconds:+.0f} s from this machine's"
        + ("; schedules and bursts run on the server's clock: fix NTP" if status != "ok"
           else ""))


async def _version(http: httpx.AsyncClient, endpoint: str) -> str:
    parts = urlsplit(endpoint)
    path = parts.path[: -len("/v1/graphql")] if parts.path.endswith("/v1/graphql") else ""
    url = urlunsplit((parts.scheme, parts.netloc, f"{path}/v1/version", "", ""))
    try:
        answer = await http.get(url)
        version = _json(answer).get("version") if answer.status_code == 200 else None
    except (httpx.HTTPError, AttributeError):
        version = None
    return f"Hasura {version}" if isinstance(version, str) else "not exposed (/v1/version)"


def _denied(errors: object) -> bool:
    if not isinstance(errors, list):
        return False
    for error in errors:
        if isinstance(error, dict):
            code = (error.get("extensions") or {}).get("code") if isinstance(
                error.get("extensions"), dict) else None
            if code == "access-denied" or "admin secret" in str(error.get("message", "")).lower():
                return True
    return False


def _json(answer: httpx.Response) -> dict[str, object]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
