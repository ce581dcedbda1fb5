"""Leaving an asyncio future behind without asyncio logging "exception was never retrieved"."""

from __future__ import annotations

import asyncio
from typing import Any


def abandon(future: asyncio.Future[Any]) -> None:
    """Nobody will wait for `future` any more: cancel it if it is still pending, or mark its
    error (if any) as seen. A future wrapping another thread's work (`run_in_executor`)
    drops the outcome that arrives after it was cancelled."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()
