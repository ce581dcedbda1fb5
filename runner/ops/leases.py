"""Leases: hold the campaigns' leases while driving them (`campaign run`, `trigger`, agent).

    async with hold_leases(backends, ["lab"], this_process(), SystemClock()) as keeper:
        states = keeper.fence(switch, {session_id: "lab"})   # transitions only while ours
        ...

Entering takes every lease or raises `LeaseHeld` (one line naming the holder and the
expiry); while inside, a task renews them every TTL/3 and reports a lost one through
`on_lost`; leaving (normally, on an error or a cancellation) releases them within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

from runner.ops.backends import Backends
from runner.run.driver import Clock
from runner.run.lease import DEFAULT_TTL, Holder, LeaseKeeper, acquire_leases

RELEASE_BUDGET = 1.0  # seconds: an unreleased lease runs out by itself at its expiry


def this_process() -> Holder:
    """This process as a lease holder: host name, pid and a fresh random token."""
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64] or "localhost"
    return Holder(host, os.getpid(), secrets.token_hex(4))


@contextlib.asynccontextmanager
async def hold_leases(
    backends: Backends, campaigns: Sequence[str], holder: Holder, clock: Clock, *,
    ttl: dt.timedelta = DEFAULT_TTL,
    on_lost: Callable[[str, str], None] = lambda _campaign, _why: None,
    dead: Mapping[str, Holder] | None = None,
) -> AsyncIterator[LeaseKeeper]:
    """Hold the campaigns' leases (all or none; LeaseHeld if another driver has one),
    renewed until the block ends, then released. `dead`: holders known to have died, whose
    leases are taken over without waiting for them to expire."""
    async with backends.leases() as store:
        keeper = await acquire_leases(store, campaigns, holder, clock, ttl, dead)
        renewing = asyncio.create_task(keeper.keep(on_lost))
        try:
            yield keeper
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            # Shielded: a second Ctrl-C must not leave the lease held until it expires.
            await asyncio.shield(keeper.release(RELEASE_BUDGET))
