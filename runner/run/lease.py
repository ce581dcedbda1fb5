"""Leases: one driver per campaign across machines, kept in the control plane.

A lease names its holder (host, pid and a random token that tells apart two processes with
the same host:pid, e.g. containers sharing a hostname) and when it expires. The store (an
adapter: `runner.adapters.controlplane.leases`) does each step as one compare-and-set:

- `acquire`: all the campaigns' leases or none; a lease is free when nobody holds it, we
  hold it already, or its expiry has passed (a dead holder's lease is taken over);
- `renew`: pushes the expiry of the leases we still hold; one taken over is not ours any more;
- `release`: drops the leases we hold (never someone else's).

Expiry is wall time (machines compare it with their own clocks: keep them in sync, `campaign
doctor` reports the skew); whether *this* process may still act is decided on its monotonic
clock: a lease renewed by a request sent at monotonic `t` is trusted until `t + ttl * 5/6`.
A transition due after that (the process stalled: SIGSTOP, a frozen VM, a blocked loop) is
sent only once a renewal made right then confirms the lease is still ours; one taken over
meanwhile makes the transition fail with `LeaseLost`, and the driver stops driving that
session: the new holder owns it now.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from runner.errors import CampaignError, LeaseHeld, LeaseLost, TransitionError
from runner.run.driver import Clock, SessionRow, StateSwitch

DEFAULT_TTL = dt.timedelta(seconds=30)
TRUST = 5 / 6  # share of the TTL a renewal is trusted for locally (the rest: clock skew)
RETRY = 1.0  # seconds between renewal attempts after a failed one
ACQUIRE_ATTEMPTS = 3  # a conflict, then a read that finds the lease free: try again


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: host and process id (shown) plus a random token (unique)."""

    host: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


@dataclass(frozen=True)
class Lease:
    """A campaign's lease as the control plane holds it."""

    campaign: str
    holder: Holder
    acquired: dt.datetime  # aware, UTC
    expires: dt.datetime  # aware, UTC (whole seconds)


class LeaseStore(Protocol):
    """Where leases are kept (the control plane), each call one transaction."""

    async def acquire(self, campaigns: Sequence[str], holder: Holder, now: dt.datetime,
                      expires: dt.datetime, dead: Mapping[str, Holder] | None = None) -> bool:
        """Take every campaign's lease (free, ours, expired before `now`, or held by the
        known-dead holder `dead[campaign]`) or none: False when another holder's unexpired
        lease is in the way."""
        ...

    async def renew(self, campaigns: Sequence[str], holder: Holder,
                    expires: dt.datetime) -> frozenset[str]:
        """Set `expires` on the leases `holder` still holds; returns their campaigns."""
        ...

    async def release(self, campaigns: Sequence[str], holder: Holder) -> None:
        """Drop the leases `holder` holds among `campaigns` (others' are left alone)."""
        ...

    async def leases(self, campaigns: Sequence[str]) -> dict[str, Lease]:
        """The current lease of each campaign that has one."""
        ...


def expiry(now: dt.datetime, ttl: dt.timedelta) -> dt.datetime:
    """`now + ttl` rounded up to a whole second (the control plane stores seconds)."""
    moment = (now + ttl).astimezone(dt.timezone.utc)
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + dt.timedelta(seconds=1)


def renew_every(ttl: dt.timedelta) -> float:
    """Seconds between renewals: a third of the TTL (two may fail before it runs out)."""
    return ttl.total_seconds() / 3


def trusted_for(ttl: dt.timedelta) -> float:
    """Seconds after a renewal's request was sent during which this process may act."""
    return ttl.total_seconds() * TRUST


def utc_z(moment: dt.datetime) -> str:
    """A moment as lease messages show it: `2026-12-01T10:00:30Z`."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def held_message(held: Mapping[str, Lease]) -> str:
    """One line naming each campaign's holder and when its lease expires."""
    parts = [f"campaign {c!r} is driven by {lease.holder} (lease expires "
             f"{utc_z(lease.expires)})" for c, lease in sorted(held.items())]
    return "; ".join(parts) + "; stop that run first, or wait for the lease to expire"


async def acquire_leases(store: LeaseStore, campaigns: Sequence[str], holder: Holder,
                         clock: Clock, ttl: dt.timedelta,
                         dead: Mapping[str, Holder] | None = None) -> LeaseKeeper:
    """Take the campaigns' leases (all or none) and return their keeper (not yet renewing).
    `dead` names holders known to have died (a crashed run of this very state directory):
    their leases are taken over at once instead of after expiry. Raises LeaseHeld, in one
    line, when another live holder has any of them."""
    names = sorted(set(campaigns))
    for _ in range(ACQUIRE_ATTEMPTS):
        sent = clock.monotonic()
        now = clock.now()
        if await store.acquire(names, holder, now, expiry(now, ttl), dead):
            return LeaseKeeper(store, holder, names, clock, ttl, sent)
        current = await store.leases(names)
        held = {c: lease for c, lease in current.items()
                if lease.holder != holder and lease.expires >= now.replace(microsecond=0)
                and lease.holder != (dead or {}).get(c)}
        if held:
            raise LeaseHeld(held_message(held), {c: str(lease.holder) for c, lease in held.items()})
    raise LeaseHeld(f"could not take the lease of {', '.join(map(repr, names))} after "
                    f"{ACQUIRE_ATTEMPTS} attempts (other drivers keep taking it); retry")


class LeaseKeeper:
    """The leases this process holds: renews them (`keep`), says whether a campaign may
    still be driven (`valid`), fences transitions (`fence`) and releases them (`release`)."""

    def __init__(self, store: LeaseStore, holder: Holder, campaigns: Sequence[str],
                 clock: Clock, ttl: dt.timedelta, sent: float) -> None:
        self.store = store
        self.holder = holder
        self.campaigns = tuple(campaigns)
        self.clock = clock
        self.ttl = ttl
        self.lost: dict[str, str] = {}  # campaign -> why it may not be driven any more
        self._trusted_until = dict.fromkeys(self.campaigns, sent + trusted_for(ttl))
        self._last_sent = sent
        self._on_lost: Callable[[str, str], None] = lambda _c, _why: None

    def valid(self, campaign: str) -> bool:
        """Whether this process may still switch the campaign's sessions."""
        if campaign in self.lost:
            return False
        return self.clock.monotonic() < self._trusted_until.get(campaign, -math.inf)

    def why_lost(self, campaign: str) -> str:
        """The reason `valid(campaign)` is False, as one line."""
        return self.lost.get(campaign) or (
            f"the lease of campaign {campaign!r} was not renewed in time (this process "
            "stalled or the control plane was unreachable); another driver may hold it now")

    def fence(self, states: StateSwitch, campaign_of: Mapping[str, str]) -> FencedStates:
        """`states`, refusing (LeaseLost) to switch a session whose campaign's lease is not
        known to be ours; `campaign_of` maps session ids to campaigns."""
        return FencedStates(states, self, campaign_of)

    async def reconfirm(self, campaign: str, timeout: float = 2.0) -> bool:
        """Renew one lease now (its local trust ran out); False if it is lost. Raises
        TransitionError (retryable) when the control plane cannot say."""
        if campaign in self.lost:
            return False
        sent = self.clock.monotonic()
        try:
            kept = await asyncio.wait_for(
                self.store.renew([campaign], self.holder, expiry(self.clock.now(), self.ttl)),
                timeout)
        except (CampaignError, asyncio.TimeoutError) as exc:
            raise TransitionError(f"could not confirm the lease of campaign {campaign!r} "
                                  f"({_describe(exc)})", retryable=True) from None
        if campaign in kept:
            self._trusted_until[campaign] = sent + trusted_for(self.ttl)
            return True
        self._lose(campaign, await self._taken_over(campaign), self._on_lost)
        return False

    async def keep(self, on_lost: Callable[[str, str], None] = lambda _c, _why: None) -> None:
        """Renew every `renew_every(ttl)` until cancelled or every lease is lost; calls
        `on_lost(campaign, why)` once per lease lost (taken over, or not renewable in time)."""
        self._on_lost = on_lost
        due = self._last_sent + renew_every(self.ttl)
        while True:
            live = [c for c in self.campaigns if c not in self.lost]
            if not live:
                return
            await self.clock.sleep(max(0.0, due - self.clock.monotonic()))
            sent = self.clock.monotonic()
            now = self.clock.now()
            # At least a second: after a stall the trust is gone, yet the lease may be ours.
            budget = max(1.0, min(self._trusted_until[c] for c in live) - sent)
            try:
                kept = await asyncio.wait_for(
                    self.store.renew(live, self.holder, expiry(now, self.ttl)), budget)
            except (CampaignError, asyncio.TimeoutError) as exc:
                for campaign in live:
                    if not self.valid(campaign):
                        self._lose(campaign, f"could not renew the lease of campaign "
                                   f"{campaign!r} in time ({_describe(exc)})", on_lost)
                due = self.clock.monotonic() + min(RETRY, renew_every(self.ttl))
                continue
            for campaign in live:
                if campaign in kept:
                    self._trusted_until[campaign] = sent + trusted_for(self.ttl)
                else:
                    self._lose(campaign, await self._taken_over(campaign), on_lost)
            self._last_sent = sent
            due = sent + renew_every(self.ttl)

    async def release(self, timeout: float = 1.0) -> bool:
        """Drop our leases (one request, within `timeout`); False if that failed (they then
        run out by themselves at their expiry)."""
        try:
            await asyncio.wait_for(self.store.release(self.campaigns, self.holder), timeout)
        except (CampaignError, asyncio.TimeoutError):
            return False
        for campaign in self.campaigns:
            self._trusted_until[campaign] = -math.inf
        return True

    def _lose(self, campaign: str, why: str, on_lost: Callable[[str, str], None]) -> None:
        if campaign not in self.lost:
            self.lost[campaign] = why
            on_lost(campaign, why)

    async def _taken_over(self, campaign: str) -> str:
        text = f"lost the lease of campaign {campaign!r}"
        with contextlib.suppress(CampaignError):
            lease = (await self.store.leases([campaign])).get(campaign)
            if lease is not None:
                return (f"{text}: it is now driven by {lease.holder} (lease expires "
                        f"{utc_z(lease.expires)})")
        return f"{text}: it was taken over or deleted"


class FencedStates:
    """A `StateSwitch` that sends a transition only while its campaign's lease is ours."""

    def __init__(self, states: StateSwitch, keeper: LeaseKeeper,
                 campaign_of: Mapping[str, str]) -> None:
        self._states = states
        self._keeper = keeper
        self._campaign_of = dict(campaign_of)

    async def read(self, session_ids: Sequence[str],
                   timeout: float = 10.0) -> dict[str, SessionRow]:
        """Reads are harmless: passed through."""
        return await self._states.read(session_ids, timeout=timeout)

    async def set_state(self, session_id: str, state: str, timeout: float = 2.0) -> str:
        """Set the state, or raise LeaseLost without sending anything (the lease went to
        another holder)."""
        campaign = self._campaign_of.get(session_id)
        if (campaign is not None and not self._keeper.valid(campaign)
                and not await self._keeper.reconfirm(campaign)):
            raise LeaseLost(self._keeper.why_lost(campaign))
        return await self._states.set_state(session_id, state, timeout=timeout)


def _describe(exc: BaseException) -> str:
    return "timed out" if isinstance(exc, asyncio.TimeoutError) else str(exc)
