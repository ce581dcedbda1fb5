"""The shared `sandbox` fixture serves both backends over real loopback HTTP."""

from __future__ import annotations

import httpx


def test_fixture_serves_graphql_and_fleet(sandbox):  # type: ignore[no-untyped-def]
    r = httpx.post(sandbox.graphql_url, json={"query": "{ cameras { serial deviceId } }"},
                   headers={"x-hasura-admin-secret": sandbox.admin_secret})
    serials = {c["serial"] for c in r.json()["data"]["cameras"]}
    assert "844212070924" in serials and len(serials) == 6
    r = httpx.get(f"{sandbox.fleet_url}/fleet/recordings/", params={"limit": 5},
                  headers={"X-Avala-Api-Key": sandbox.api_key})
    assert r.status_code == 200 and len(r.json()["results"]) == 5
    stats = sandbox.stats()
    assert stats["graphql"]["root_fields"] == {"cameras": 1}
    assert stats["fleet"]["by_method"]["GET"] == 1
    assert set(sandbox.env) == {"HASURA_GRAPHQL_ENDPOINT", "HASURA_GRAPHQL_ADMIN_SECRET",
                                "AVALA_BASE_URL", "AVALA_API_KEY"}
