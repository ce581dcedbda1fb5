"""FleetClient paging: recordings and devices share one loop with the same guards."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from runner.adapters.fleet import FleetClient
from runner.errors import FleetError

BASE = "https://fleet.example/api/v1"


def _devices(answer: Callable[[httpx.Request], httpx.Response]) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with FleetClient(BASE, "k-secret", transport=httpx.MockTransport(answer)) as fleet:
            return await fleet.list_devices()

    return asyncio.run(go())


def test_devices_follow_cursors_and_accept_an_unpaginated_array() -> None:
    def paged(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "c2":
            return httpx.Response(200, json={"results": [{"uid": "d2"}], "next": None})
        return httpx.Response(200, json={"results": [{"uid": "d1"}, "junk"],
                                         "next": f"{BASE}/fleet/devices/?cursor=c2"})

    assert _devices(paged) == [{"uid": "d1"}, {"uid": "d2"}]
    assert _devices(lambda r: httpx.Response(200, json=[{"uid": "d3"}, 4])) == [{"uid": "d3"}]


def test_devices_with_an_unexpected_body_are_a_fleet_error_not_a_crash() -> None:
    with pytest.raises(FleetError, match="unexpected body"):
        _devices(lambda r: httpx.Response(200, json="nope"))


def test_devices_repeating_a_cursor_stop_instead_of_looping_forever() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [{"uid": "d1"}],
                                         "next": f"{BASE}/fleet/devices/?cursor=same"})

    with pytest.raises(FleetError, match="returned cursor 'same' twice"):
        _devices(loop)
