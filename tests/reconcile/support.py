"""Helpers for reconciler tests against the real sandbox server (HTTP on loopback)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from runner.adapters.controlplane import ControlPlane, ControlPlaneConfig
from runner.adapters.controlplane.introspect import INTROSPECTION_QUERY, SchemaCache
from runner.compile import compile_campaigns
from runner.plan.apply import ApplyResult, apply_plan, make_plan
from runner.plan.model import Plan, PlanOptions
from runner.spec.model import Campaign


def control_plane(sandbox: Any, *, timeout: float = 10.0, attempts: int = 12) -> ControlPlane:
    """A client of the sandbox's control plane, as the commands build it, with its schema
    already introspected (as on every run after the first: the cache under the state dir)."""
    config = ControlPlaneConfig(endpoint=sandbox.graphql_url, admin_secret=sandbox.admin_secret,
                                timeout=timeout)
    return ControlPlane(config, attempts=attempts, schema_cache=warm_schema_cache(sandbox))


def warm_schema_cache(sandbox: Any) -> SchemaCache:
    """The sandbox's schema cache, introspected now if empty (fixtures call it first, so the
    tests' request counts are those of every run after the first)."""
    cache = SchemaCache(Path(sandbox.db_path).parent / "schema-cache")
    if cache.load(sandbox.graphql_url) is None:
        answer = httpx.post(sandbox.graphql_url, json={"query": INTROSPECTION_QUERY},
                            headers={"x-hasura-admin-secret": sandbox.admin_secret}, timeout=30)
        cache.save(sandbox.graphql_url, answer.json()["data"])
    return cache


async def plan_for(sandbox: Any, campaigns: list[Campaign], now: dt.datetime,
                   options: PlanOptions | None = None) -> Plan:
    """Read the sandbox and plan `campaigns` against it."""
    async with control_plane(sandbox) as cp:
        return await make_plan(cp, compile_campaigns(campaigns, now), now,
                               options or PlanOptions())


async def converge(sandbox: Any, campaigns: list[Campaign], now: dt.datetime,
                   options: PlanOptions | None = None, **kwargs: Any) -> ApplyResult:
    """Plan and apply (what `campaign apply --auto-approve` does)."""
    async with control_plane(sandbox, **{k: kwargs.pop(k) for k in ("timeout", "attempts")
                                         if k in kwargs}) as cp:
        plan = await make_plan(cp, compile_campaigns(campaigns, now), now,
                               options or PlanOptions())
        return await apply_plan(cp, plan, **kwargs)


def graphql(sandbox: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """A raw GraphQL call (test set-up and inspection), independent of the product client."""
    response = httpx.post(sandbox.graphql_url, json={"query": query, "variables": variables or {}},
                          headers={"x-hasura-admin-secret": sandbox.admin_secret}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def rows(sandbox: Any, *, versions: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Every session (version rows only if asked), record and stream in the sandbox."""
    data = graphql(sandbox, """{
      recordingSessions(order_by: [{name: asc}]) { id name state startDate endDate }
      records { id recordingId cameraId }
      streams { id recordId type bitrate }
    }""")
    if not versions:
        data["recordingSessions"] = [s for s in data["recordingSessions"]
                                     if not s["name"].endswith("#version")]
    return data


def assert_no_duplicates_or_orphans(sandbox: Any) -> None:
    """No two sessions share a name; every record/stream hangs off an existing parent."""
    data = rows(sandbox, versions=True)
    names = Counter(s["name"] for s in data["recordingSessions"])
    assert [n for n, c in names.items() if c > 1] == []
    session_ids = {s["id"] for s in data["recordingSessions"]}
    record_ids = {r["id"] for r in data["records"]}
    assert all(r["recordingId"] in session_ids for r in data["records"])
    assert all(s["recordId"] in record_ids for s in data["streams"])
    pairs = Counter((r["recordingId"], r["cameraId"]) for r in data["records"])
    assert max(pairs.values(), default=1) == 1


def mutation_count(sandbox: Any) -> int:
    """GraphQL mutations the sandbox has executed so far."""
    return int(sandbox.stats()["graphql"]["mutations"])
