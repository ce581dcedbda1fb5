"""The ops tests plan as of helpers.NOW: freeze the sandbox clock there too (as the
reconciler tests do), so the platform's own Scheduled transitions agree with the plans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reconcile.helpers import NOW


@pytest.fixture
def sandbox(sandbox: Any) -> Iterator[Any]:
    sandbox.set_clock(NOW)
    yield sandbox
