"""Fleet API details the SDK does not exercise: validation, auth, devices, cursors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runner.sandbox.seed import DEMO_DEVICES
from tests.sandbox.helpers import fleet


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_limit_out_of_range_is_400(sandbox: Any, limit: str) -> None:
    response = fleet(sandbox, "GET", "recordings/", params={"limit": limit})
    assert response.status_code == 400 and "limit" in response.json()["detail"]


def test_limit_1000_is_allowed_and_default_page_is_50(sandbox: Any) -> None:
    assert len(fleet(sandbox, "GET", "recordings/", params={"limit": 1000}).json()[
        "results"]) == 600
    page = fleet(sandbox, "GET", "recordings/").json()
    assert len(page["results"]) == 50 and page["previous"] is None
    assert page["next"].startswith(f"{sandbox.fleet_url}/fleet/recordings/?")


def test_next_link_keeps_the_filters(sandbox: Any) -> None:
    page = fleet(sandbox, "GET", "recordings/",
                 params={"device": "dev_vehicle_001", "limit": 3}).json()
    following = httpx.get(page["next"], headers={"X-Avala-Api-Key": sandbox.api_key}).json()
    assert {r["device"] for r in following["results"]} == {"dev_vehicle_001"}
    assert len(following["results"]) == 3


def test_bad_cursor_and_status_filter_are_400(sandbox: Any) -> None:
    assert fleet(sandbox, "GET", "recordings/", params={"cursor": "%%%"}).status_code == 400
    response = fleet(sandbox, "GET", "recordings/", params={"status": "lost"})
    assert response.status_code == 400 and "lost" in response.json()["detail"]


def test_unknown_uid_is_404_with_detail(sandbox: Any) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = fleet(sandbox, method, "recordings/no-such-uid/", json={})
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("body", [{"tags": "one"}, {"tags": [1]}, {"tags": [""]},
                                  {"status": 3}, [1]])
def test_patch_validation_errors_are_400(sandbox: Any, body: Any) -> None:
    uid = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]["uid"]
    response = fleet(sandbox, "PATCH", f"recordings/{uid}/", json=body)
    assert response.status_code == 400 and response.json()["detail"]


def test_patch_with_invalid_json_is_400(sandbox: Any) -> None:
    uid = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]["uid"]
    response = fleet(sandbox, "PATCH", f"recordings/{uid}/", content=b"{",
                     headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_patch_without_changes_keeps_updated_at(sandbox: Any) -> None:
    rec = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]
    again = fleet(sandbox, "PATCH", f"recordings/{rec['uid']}/", json={}).json()
    assert again == rec


def test_paths_without_trailing_slash_work_too(sandbox: Any) -> None:
    assert fleet(sandbox, "GET", "recordings", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize("key", [None, "wrong"])
def test_api_key_required(sandbox: Any, key: str | None) -> None:
    headers = {} if key is None else {"X-Avala-Api-Key": key}
    response = httpx.get(f"{sandbox.fleet_url}/fleet/recordings/", headers=headers)
    assert response.status_code == 401 and response.json()["detail"]
    assert sandbox.stats()["fleet"]["requests"] == 0


def test_devices_list_and_get(sandbox: Any) -> None:
    page = fleet(sandbox, "GET", "devices/").json()
    assert [d["uid"] for d in page["results"]] == sorted(d[0] for d in DEMO_DEVICES)
    first = fleet(sandbox, "GET", "devices/", params={"limit": 2}).json()
    uids = [d["uid"] for d in first["results"]]
    link = first["next"]
    while link:
        following = httpx.get(link, headers={"X-Avala-Api-Key": sandbox.api_key}).json()
        assert len(following["results"]) <= 2
        uids += [d["uid"] for d in following["results"]]
        link = following["next"]
    assert uids == [d["uid"] for d in page["results"]]
    device = fleet(sandbox, "GET", "devices/dev_lab_002/").json()
    assert device["status"] == "offline" and device["name"] == "Lab rig 2"
    assert fleet(sandbox, "GET", "devices/nope/").status_code == 404
    assert fleet(sandbox, "GET", "widgets/").status_code == 404


def test_patch_with_malformed_json_is_400(sandbox: Any) -> None:
    uid = fleet(sandbox, "GET", "recordings/", params={"limit": 1}).json()["results"][0]["uid"]
    response = fleet(sandbox, "PATCH", f"recordings/{uid}/", content=b"{not json",
                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["detail"] == "JSON parse error."
