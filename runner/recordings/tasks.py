"""Run a batch of coroutines concurrently, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any


async def run_all(jobs: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run jobs concurrently; on the first error cancel the others, wait for them, raise it.

    (`asyncio.gather` alone leaves the siblings running after an error: they would keep
    using a client the caller is about to close.)
    """
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
