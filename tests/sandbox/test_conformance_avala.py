"""The official `avala` SDK's fleet.recordings (list with filters and pagination, get, update,
delete) against the sandbox over loopback."""

from __future__ import annotations

from typing import Any

import pytest
from avala import Client
from avala.errors import NotFoundError, RateLimitError, ValidationError

from runner.sandbox.seed import DEMO_RECORDINGS


@pytest.fixture
def avala(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Client:
    # The SDK refuses plain http unless told this is local development.
    monkeypatch.setenv("AVALA_ALLOW_INSECURE_BASE_URL", "true")
    return Client(api_key=sandbox.api_key, base_url=sandbox.fleet_url, max_retries=0)


def test_list_pages_through_every_recording_once(avala: Client) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = avala.fleet.recordings.list(limit=97, cursor=cursor)
        seen += [r.uid for r in page]
        pages += 1
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == DEMO_RECORDINGS
    assert pages == -(-DEMO_RECORDINGS // 97)
    # Newest first: created_at never increases along the pages.
    first = avala.fleet.recordings.list(limit=1000)
    created = [r.created_at for r in first]
    assert created == sorted(created, reverse=True)


def test_previous_cursor_returns_the_previous_page(avala: Client) -> None:
    first = avala.fleet.recordings.list(limit=10)
    second = avala.fleet.recordings.list(limit=10, cursor=first.next_cursor)
    assert second.previous_cursor is not None
    back = avala.fleet.recordings.list(limit=10, cursor=second.previous_cursor)
    assert [r.uid for r in back] == [r.uid for r in first]


def test_list_filters_by_device_and_status(avala: Client) -> None:
    page = avala.fleet.recordings.list(device_id="dev_lab_001", status="archived", limit=1000)
    assert len(page) > 0
    assert {(r.device, r.status) for r in page} == {("dev_lab_001", "archived")}
    assert not page.has_more


def test_get_returns_typed_fields(avala: Client) -> None:
    uid = avala.fleet.recordings.list(limit=1).items[0].uid
    rec = avala.fleet.recordings.get(uid)
    assert rec.uid == uid
    assert rec.topic_count == len(rec.topics or [])
    assert isinstance(rec.size_bytes, int) and isinstance(rec.duration_seconds, float)
    assert rec.started_at is not None and rec.started_at.tzinfo is not None


def test_update_status_and_replace_tags(avala: Client) -> None:
    uid = avala.fleet.recordings.list(status="completed", limit=1).items[0].uid
    updated = avala.fleet.recordings.update(uid, status="archived", tags=["a", "b"])
    assert updated.status == "archived" and updated.tags == ["a", "b"]
    again = avala.fleet.recordings.update(uid, tags=["c"])  # tags replace the list
    assert again.tags == ["c"] and again.status == "archived"
    assert avala.fleet.recordings.get(uid).tags == ["c"]


def test_update_with_unknown_status_is_a_validation_error(avala: Client) -> None:
    uid = avala.fleet.recordings.list(limit=1).items[0].uid
    with pytest.raises(ValidationError) as err:
        avala.fleet.recordings.update(uid, status="shredded")
    assert "shredded" in str(err.value)


def test_delete_then_get_is_not_found(avala: Client) -> None:
    uid = avala.fleet.recordings.list(limit=1).items[0].uid
    avala.fleet.recordings.delete(uid)
    with pytest.raises(NotFoundError):
        avala.fleet.recordings.get(uid)
    with pytest.raises(NotFoundError):
        avala.fleet.recordings.delete(uid)


def test_rate_limit_raises_with_retry_after(avala: Client, sandbox: Any) -> None:
    sandbox.faults(rate_limit_per_s=2)
    with pytest.raises(RateLimitError) as err:
        for _ in range(50):  # far more than 2 within any one-second window
            avala.fleet.recordings.list(limit=1)
    assert err.value.retry_after is not None
    assert avala._transport.last_rate_limit["limit"] == "2"
