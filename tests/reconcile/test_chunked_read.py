"""The state read past FILTER_CHUNK campaigns: one query per chunk, sent together, parsed as
they come in; the answer is the one a single query gives (real HTTP against the sandbox)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from runner.compile import compile_campaigns
from runner.errors import ControlPlaneError
from runner.plan.model import Actual

from .helpers import CAMERAS, D435_B, NOW, UTC, camera, campaign
from .support import control_plane, converge


def _campaigns() -> list[Any]:
    # Five campaigns one after the other (they share a camera); "lab-1" shares a prefix with
    # "lab-10", which is no campaign of ours here but whose session is in the control plane.
    return [campaign(f"lab-{i}", cameras=(camera(), camera(D435_B, line=12)),
                     start=dt.datetime(2026, 11, 21 + 2 * i, 8, tzinfo=UTC),
                     recurring_days=frozenset({1, 3, 5}) if i % 2 else None)
            for i in range(5)]


async def _read(sandbox: Any, monkeypatch: pytest.MonkeyPatch, chunk: int,
                queries: int, attempts: int = 12) -> Actual:
    desired = compile_campaigns(_campaigns(), NOW)
    with monkeypatch.context() as m:
        m.setattr("runner.adapters.controlplane.wire.FILTER_CHUNK", 2)  # aliases of 2 campaigns
        m.setattr("runner.adapters.controlplane.client.FILTER_CHUNK", chunk)
        async with control_plane(sandbox, attempts=attempts) as cp:
            await cp.dialect()
            before = cp.round_trips
            actual = await cp.read_state(desired.campaigns,
                                         (*desired.cameras, CAMERAS[3][:2]))
            assert cp.round_trips - before == queries
    return actual


async def test_chunked_read_answers_as_one_query(sandbox: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    await converge(sandbox, _campaigns(), NOW)
    await converge(sandbox, [campaign("lab-10")], NOW)
    whole = await _read(sandbox, monkeypatch, 1000, 1)  # one query, three aliases
    chunked = await _read(sandbox, monkeypatch, 2, 3)  # three queries, one alias each
    assert len(whole.sessions) > 8 and len(whole.versions) == 5 and len(whole.cameras) == 3
    assert "lab-10" not in {s.campaign for s in whole.sessions}
    assert chunked == whole
    assert chunked.fingerprint() == whole.fingerprint()


async def test_a_failing_query_fails_the_read(sandbox: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    await converge(sandbox, _campaigns(), NOW)
    sandbox.faults(error_rate=1.0)  # every request answered HTTP 500
    with pytest.raises(ControlPlaneError, match="unreachable or failing after 1 attempt"):
        await _read(sandbox, monkeypatch, 2, 3, attempts=1)
