"""Test control (/sandbox/v1/...): stats, reset, fault injection, rate limits, clock."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import data, fleet, gql


def test_stats_count_requests_mutations_root_fields_and_methods(sandbox: Any) -> None:
    data(sandbox, "{ cameras { id } recordingSessions { id } }")
    data(sandbox, "{ cameras { id } }")
    data(sandbox, 'mutation { deleteStreams(where: {type: {_eq: infra}}) { affected_rows } }')
    uid = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]["uid"]
    fleet(sandbox, "PATCH", f"recordings/{uid}/", json={"tags": ["x"]})
    fleet(sandbox, "DELETE", f"recordings/{uid}/")
    stats = sandbox.stats()
    assert stats["graphql"] == {"requests": 3, "mutations": 1, "root_fields": {
        "cameras": 2, "recordingSessions": 1, "deleteStreams": 1}}
    assert stats["fleet"] == {"requests": 3, "by_method": {"GET": 1, "PATCH": 1, "DELETE": 1}}
    sandbox.reset()
    assert sandbox.stats()["graphql"]["requests"] == 0


def test_reset_with_data_reseeds(sandbox: Any) -> None:
    data(sandbox, 'mutation { insertCamera(object: {model: V4L2CAMERA, serial: "extra", '
                  'deviceId: "d"}) { id } }')
    sandbox.reset(data=True)
    cams = data(sandbox, "{ camerasAggregate { aggregate { count } } }")
    assert cams["camerasAggregate"]["aggregate"]["count"] == 6


def test_control_endpoints_need_the_admin_secret(sandbox: Any) -> None:
    for method, path in (("GET", "stats"), ("POST", "reset"), ("POST", "faults"),
                         ("GET", "clock")):
        response = httpx.request(method, f"{sandbox.url}/sandbox/v1/{path}")
        assert response.status_code == 401


def test_error_rate_one_fails_every_request_with_5xx(sandbox: Any) -> None:
    sandbox.faults(error_rate=1.0)
    response = httpx.post(sandbox.graphql_url, json={"query": "{ cameras { id } }"},
                          headers={"x-hasura-admin-secret": sandbox.admin_secret})
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "unexpected"
    assert fleet(sandbox, "GET", "recordings/").status_code == 500
    assert sandbox.stats()["faults"]["error"] == 2
    sandbox.reset()  # clears faults
    assert fleet(sandbox, "GET", "recordings/").status_code == 200


def test_error_rate_is_reproducible_with_a_seed(sandbox: Any) -> None:
    def outcomes() -> list[int]:
        sandbox.faults(error_rate=0.5, seed=7)
        return [fleet(sandbox, "GET", "recordings/", params={"limit": 1}).status_code
                for _ in range(20)]

    first = outcomes()
    assert first == outcomes()
    assert set(first) == {200, 500}


def test_latency_is_added(sandbox: Any) -> None:
    sandbox.faults(latency_ms=300)
    start = time.monotonic()
    assert fleet(sandbox, "GET", "recordings/", params={"limit": 1}).status_code == 200
    assert time.monotonic() - start >= 0.3  # a lower bound: sleep guarantees it


def test_timeout_after_commit_commits_then_drops_the_response(sandbox: Any) -> None:
    sandbox.faults(timeout_after_commit_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(sandbox.graphql_url, headers={"x-hasura-admin-secret": sandbox.admin_secret},
                   json={"query": 'mutation { insertCamera(object: {model: V4L2CAMERA, '
                                  'serial: "lost-response", deviceId: "d"}) { id } }'})
    sandbox.faults()  # off again
    found = data(sandbox, '{ cameras(where: {serial: {_eq: "lost-response"}}) { serial } }')
    assert found["cameras"] == [{"serial": "lost-response"}]  # the write happened
    assert sandbox.stats()["faults"]["timeout_after_commit"] == 1


def test_timeout_after_commit_with_hang_times_the_client_out(sandbox: Any) -> None:
    uid = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]["uid"]
    sandbox.faults(timeout_after_commit_rate=1.0, timeout_hang_ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        httpx.patch(f"{sandbox.fleet_url}/fleet/recordings/{uid}/", json={"tags": ["kept"]},
                    headers={"X-Avala-Api-Key": sandbox.api_key}, timeout=0.3)
    sandbox.faults()
    assert fleet(sandbox, "GET", f"recordings/{uid}/").json()["tags"] == ["kept"]


def test_reads_are_never_dropped_by_the_commit_fault(sandbox: Any) -> None:
    sandbox.faults(timeout_after_commit_rate=1.0)
    assert "errors" not in gql(sandbox, "{ cameras { id } }")
    assert fleet(sandbox, "GET", "recordings/").status_code == 200


def test_rate_limit_headers_and_429(sandbox: Any) -> None:
    assert "X-RateLimit-Limit" not in fleet(sandbox, "GET", "recordings/").headers  # off
    sandbox.faults(rate_limit_per_s=3)
    statuses = []
    headers = None
    for _ in range(30):
        response = fleet(sandbox, "GET", "recordings/", params={"limit": 1})
        statuses.append(response.status_code)
        if response.status_code == 429:
            headers = response.headers
            assert "throttled" in response.json()["detail"]
            break
    assert statuses[0] == 200 and statuses[-1] == 429
    assert headers is not None
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["Retry-After"]) >= 1
    assert int(headers["X-RateLimit-Reset"]) > time.time() - 1


def test_rate_limit_headers_are_on_every_fleet_answer(sandbox: Any) -> None:
    # As the official SDK reads them (`rate_limit_info`): limit, remaining, reset (epoch s).
    sandbox.faults(rate_limit_per_s=1000)
    uid = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]["uid"]
    answers = [fleet(sandbox, "GET", "recordings/nope/"),  # 404
               fleet(sandbox, "GET", "recordings/", params={"limit": 0}),  # 400
               fleet(sandbox, "PATCH", f"recordings/{uid}/", json={"tags": ["x"]}),
               fleet(sandbox, "DELETE", f"recordings/{uid}/")]  # 204
    sandbox.faults(rate_limit_per_s=1000, error_rate=1.0)
    answers.append(fleet(sandbox, "GET", "recordings/"))  # an injected 500
    assert [a.status_code for a in answers] == [404, 400, 200, 204, 500]
    for answer in answers:
        assert answer.headers["X-RateLimit-Limit"] == "1000"
        assert 0 <= int(answer.headers["X-RateLimit-Remaining"]) < 1000
        assert int(answer.headers["X-RateLimit-Reset"]) > time.time() - 1
        assert "Retry-After" not in answer.headers  # only with a 429


@pytest.mark.parametrize("body", [{"error_rate": 2}, {"latency_ms": -1}, {"bogus": 1},
                                  {"rate_limit_per_s": 1.5}, {"seed": "x"}])
def test_invalid_fault_settings_are_400(sandbox: Any, body: dict[str, Any]) -> None:
    response = httpx.post(f"{sandbox.url}/sandbox/v1/faults", json=body,
                          headers={"x-hasura-admin-secret": sandbox.admin_secret})
    assert response.status_code == 400 and "invalid faults" in response.json()["detail"]


def test_clock_set_advance_and_bad_input(sandbox: Any) -> None:
    moment = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)
    sandbox.set_clock(moment)
    assert sandbox.now() == moment
    sandbox.advance(90)
    assert (sandbox.now() - moment).total_seconds() == 90
    response = httpx.post(f"{sandbox.url}/sandbox/v1/clock", json={"now": "2027-03-01T12:00"},
                          headers={"x-hasura-admin-secret": sandbox.admin_secret})
    assert response.status_code == 400  # naive time: ambiguous
    # The clock stamps writes.
    result = data(sandbox, 'mutation { insertStorage(object: {totalSize: 1, estimatedSize: 1}) '
                           "{ id } }")
    assert result["insertStorage"]["id"]


@pytest.mark.parametrize("body", [[1], {"advnce_seconds": 5}])
def test_clock_refuses_non_objects_and_unknown_keys(sandbox: Any, body: Any) -> None:
    before = sandbox.now()
    response = httpx.post(f"{sandbox.url}/sandbox/v1/clock", json=body,
                          headers={"x-hasura-admin-secret": sandbox.admin_secret})
    assert response.status_code == 400 and "invalid clock request" in response.json()["detail"]
    assert (sandbox.now() - before).total_seconds() < 5
