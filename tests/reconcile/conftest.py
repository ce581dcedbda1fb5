"""Reconciler tests plan `--now` = helpers.NOW: freeze the sandbox clock there too, so the
platform's own Scheduled -> Started -> Stopped transitions agree with the plans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import NOW
from .support import warm_schema_cache


@pytest.fixture
def sandbox(sandbox: Any) -> Iterator[Any]:
    sandbox.set_clock(NOW)
    warm_schema_cache(sandbox)
    yield sandbox
