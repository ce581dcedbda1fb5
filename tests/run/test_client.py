"""SessionStates and `campaign trigger`: one-line transport errors, the configured timeout."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from runner.adapters.controlplane import SessionStates
from runner.errors import TransitionError

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


def test_trigger_sends_its_requests_with_the_configured_timeout(tmp_path: Path) -> None:
    import datetime as dt

    from runner.adapters.controlplane import ControlPlaneConfig
    from runner.compile import session_id
    from runner.ops.trigger import trigger_session
    from runner.spec import load_campaigns
    from runner.wiring import Backends
    from tests.reconcile.helpers import sdl_introspection
    from tests.run.helpers import burst_campaign

    now = dt.datetime.now(dt.timezone.utc)
    path = burst_campaign(tmp_path / "c.yaml", "timeouts", count=1, record="1s", pause="1s",
                          now=now)
    campaigns = load_campaigns([str(path)], now=now).campaigns
    sid = session_id("timeouts", "")
    seen: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        if b"AcquireLeases" in request.content or b"ReleaseLeases" in request.content:
            return httpx.Response(200, json={"data": {}})
        if b"mutation" in request.content:
            return httpx.Response(200, json={"data": {
                "updateRecordingSession": {"state": "Started"}}})
        return httpx.Response(200, json={"data": {"recordingSessions": [
            {"id": sid, "name": "s", "state": "Standby"}]}})

    control = ControlPlaneConfig("http://127.0.0.1:1/v1/graphql", None, timeout=42.0)
    backends = Backends(control, httpx.MockTransport(answer), "test", tmp_path)
    backends.schema_cache.save(control.endpoint, sdl_introspection())  # introspected before
    done = asyncio.run(trigger_session(backends, campaigns, "timeouts", "start", now))
    assert (done.before, done.after) == ("Standby", "Started")
    # Take the lease, read, switch, release the lease: each with the configured timeout.
    assert seen == [42.0, 42.0, 42.0, 42.0]


@pytest.mark.parametrize("errors", [{"message": "boom"}, [{"message": "boom", "extensions": "x"}],
                                    "boom"])
def test_odd_graphql_errors_are_a_transition_error_not_a_crash(errors: object) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"errors": errors})

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            await SessionStates(http, URL).set_state("00000000-0000-0000-0000-000000000003",
                                                     "Started")

    with pytest.raises(TransitionError, match="control plane error"):
        asyncio.run(go())
