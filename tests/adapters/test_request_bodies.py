"""Request bodies are written by orjson where it writes them exactly as httpx's `json=` does;
everything else goes the way it always went (httpx writes it, or refuses it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import httpx
import pytest

from runner.adapters.controlplane import ControlPlane, ControlPlaneConfig
from runner.adapters.controlplane.transport import json_body
from runner.compile import compile_campaigns
from runner.plan.apply import apply_plan, make_plan
from runner.plan.model import PlanOptions
from tests.reconcile.helpers import NOW, campaign
from tests.reconcile.support import warm_schema_cache


def httpx_body(payload: Any) -> bytes:
    return httpx.Request("POST", "http://x/", json=payload).content


@pytest.mark.parametrize("payload", [
    {"query": "mutation { x }", "variables": {"name": "lab-ünï ☃ \u2028 \x01 \"q\" \\ /",
                                              "n": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
                                              "t": True, "f": False, "nested": {"a": ({},)}}},
    {"query": "{ __typename }"},
])
def test_body_is_byte_for_byte_what_httpx_writes(payload: dict[str, Any]) -> None:
    assert json_body(payload) == httpx_body(payload)


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("value", [
    2**64, -(2**63) - 1, float("nan"), float("inf"), "\ud800", {1: "non-str key"},
    dt.datetime(2026, 1, 1), Point(1), None,
])
def test_what_orjson_would_write_otherwise_is_left_to_httpx(value: Any) -> None:
    assert json_body({"variables": {"v": [value]}}) is None


class Recorder(httpx.AsyncBaseTransport):
    """The real HTTP transport, keeping each request's headers and body."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_apply_sends_what_httpx_would(sandbox: Any) -> None:
    sandbox.set_clock(NOW)
    recorder = Recorder()
    config = ControlPlaneConfig(endpoint=sandbox.graphql_url, admin_secret=sandbox.admin_secret)
    async with ControlPlane(config, transport=recorder,
                            schema_cache=warm_schema_cache(sandbox)) as cp:
        desired = compile_campaigns([campaign("läb-ü")], NOW)
        result = await apply_plan(cp, await make_plan(cp, desired, NOW, PlanOptions()))
    assert result.plan.counts() == (4, 0, 0)
    assert len(recorder.requests) >= 3  # read, write, verify
    for request in recorder.requests:
        assert request.headers["content-type"] == "application/json"
        assert int(request.headers["content-length"]) == len(request.content)
        assert request.content == httpx_body(json.loads(request.content))
