"""SessionStates: transport failures are one actionable line naming the endpoint."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from runner.run.client import SessionStates, TransitionError

URL = "http://127.0.0.1:1/v1/graphql?token=secret"


def _fail(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def test_unreachable_control_plane_names_the_endpoint_without_query() -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_fail)) as http:
            await SessionStates(http, URL).read(["00000000-0000-0000-0000-000000000001"])

    with pytest.raises(TransitionError) as info:
        asyncio.run(go())
    message = str(info.value)
    assert "http://127.0.0.1:1/v1/graphql unreachable (ConnectError)" in message
    assert "check the endpoint" in message and "secret" not in message
    assert info.value.retryable
