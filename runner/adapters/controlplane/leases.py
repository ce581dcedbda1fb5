"""Leases inside the vendor schema: one lease row per campaign (its wire form).

Like the version rows (`versions.py`), a lease is a `Stopped` RecordingSession, since the
control plane has no lock table:

    id        uuid5(NS, "<campaign>/lease")                      (`lease_id`)
    name      "<campaign>#lease <host>:<pid> <token>"            (the holder)
    startDate when the holder took it (UTC)
    endDate   when it expires (UTC), pushed forward by every renewal

The name carries the holder, so the ownership rule (`runner.compile.owner_of`) never takes
the row for a campaign's session (its id is not the uuid5 of that name): plan, apply, prune
and destroy never see it. Each step is one transaction:

(Spelled here in the vendor's names; sent in the server's dialect like every document.)

    acquire: deleteRecordingSessions(where: id = L AND (name = mine OR endDate < now
                                     OR name = a holder known dead))
             insertRecordingSessions(objects: [lease row])        # no on_conflict
             -> `constraint-violation` (RecordingSession_pkey): someone else holds it;
    renew:   updateRecordingSessions(where: id = L AND name = mine, _set: {endDate})
             -> the rows returned are the leases still ours;
    release: deleteRecordingSessions(where: id = L AND name = mine).

Retrying any of them after an answer was lost is safe: each matches our own row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from runner.adapters.controlplane.client import ControlPlane
from runner.adapters.controlplane.dialect import Dialect
from runner.adapters.controlplane.documents import Mutation
from runner.adapters.controlplane.wire import Wire, from_wire, to_wire
from runner.compile import NAMESPACE
from runner.errors import ControlPlaneError, WriteConflict
from runner.run.lease import Holder, Lease
from runner.states import SessionState

LEASE_KEY = "lease"

def lease_id(campaign: str) -> str:
    """The id of the campaign's lease row."""
    return str(uuid.uuid5(NAMESPACE, f"{campaign}/{LEASE_KEY}"))


def lease_name(campaign: str, holder: Holder) -> str:
    """The lease row's name: the campaign, then who holds it."""
    return f"{campaign}#{LEASE_KEY} {holder.host}:{holder.pid} {holder.token}"


def parse_holder(campaign: str, name: str) -> Holder | None:
    """The holder a lease row's name carries (None: not a lease row of `campaign`)."""
    prefix = f"{campaign}#{LEASE_KEY} "
    if not name.startswith(prefix):
        return None
    where, _, token = name[len(prefix):].rpartition(" ")
    host, _, pid = where.rpartition(":")
    if not host or not pid.isdigit():
        return None
    return Holder(host, int(pid), token)


def lease_row(d: Dialect, campaign: str, holder: Holder, now: dt.datetime,
              expires: dt.datetime) -> dict[str, Any]:
    """The insert object of a lease row (no storage row: kept as inert as a version row)."""
    return {
        "id": lease_id(campaign), "name": lease_name(campaign, holder),
        "startDate": to_wire(now), "endDate": to_wire(expires),
        "mode": d.enum_out("session_mode", "Storage"),
        "state": d.enum_out("session_state", SessionState.STOPPED.value),
        "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
    }


def free_where(d: Dialect, campaigns: Sequence[str], holder: Holder, now: dt.datetime,
               dead: Mapping[str, Holder] | None = None) -> dict[str, Any]:
    """Lease rows that may be replaced: ours, expired before `now`, or a dead holder's."""
    if not campaigns:
        return Wire(d).nothing()
    eq, or_, and_ = d.op("_eq"), d.op("_or"), d.op("_and")
    parts: list[dict[str, Any]] = []
    for c in campaigns:
        free: list[dict[str, Any]] = [{"name": {eq: lease_name(c, holder)}},
                                      {"endDate": {d.op("_lt"): to_wire(now)}}]
        if dead and c in dead:
            free.append({"name": {eq: lease_name(c, dead[c])}})
        parts.append({and_: [{"id": {eq: lease_id(c)}}, {or_: free}]})
    return {or_: parts}


def mine_where(d: Dialect, campaigns: Sequence[str], holder: Holder) -> dict[str, Any]:
    """The lease rows `holder` holds among `campaigns`."""
    if not campaigns:
        return Wire(d).nothing()
    eq = d.op("_eq")
    return {d.op("_or"): [{"id": {eq: lease_id(c)}, "name": {eq: lease_name(c, holder)}}
                          for c in campaigns]}


def renew_document(d: Dialect) -> str:
    """Push the expiry of the rows still ours, returning their ids (update by filter)."""
    t = d.table("session")
    return (f"mutation RenewLeases($mine: {t.bool_exp}!, $expires: timestamp!) {{\n"
            f"  leaseRenew: {d.root('session', 'update')}({d.arg('session', 'update', 'where')}"
            f": $mine, {d.arg('session', 'update', 'set')}: {{endDate: $expires}}) "
            f"{{ {t.affected_rows} returning {{ id }} }}\n}}\n")


def read_document(d: Dialect) -> str:
    """The lease rows by id."""
    return (f"query Leases($ids: [uuid!]!) {{\n  leases: {d.root('session', 'select')}("
            f"{d.arg('session', 'select', 'where')}: {{id: {{{d.op('_in')}: $ids}}}}) "
            "{ id name startDate endDate }\n}\n")


class ControlPlaneLeases:
    """The core's `LeaseStore` over an open `ControlPlane`, in the server's dialect."""

    def __init__(self, control_plane: ControlPlane) -> None:
        self._cp = control_plane

    async def acquire(self, campaigns: Sequence[str], holder: Holder, now: dt.datetime,
                      expires: dt.datetime, dead: Mapping[str, Holder] | None = None) -> bool:
        """All the leases or none (False: another holder's unexpired lease is in the way)."""
        def build(d: Dialect) -> tuple[str, Mapping[str, Any]]:
            m = Mutation(d)
            m.where("leaseFree", "session", free_where(d, campaigns, holder, now, dead),
                    "delete")
            m.insert("leaseClaim", "session",
                     [lease_row(d, c, holder, now, expires) for c in campaigns])
            return m.document("AcquireLeases")

        try:
            await self._cp.send(build)
        except WriteConflict:
            return False
        return True

    async def renew(self, campaigns: Sequence[str], holder: Holder,
                    expires: dt.datetime) -> frozenset[str]:
        """Push the expiry of the leases still ours; returns their campaigns."""
        data = await self._cp.send(lambda d: (renew_document(d), {
            "mine": mine_where(d, campaigns, holder), "expires": to_wire(expires)}))
        try:
            ids = {str(row["id"]) for row in data["leaseRenew"]["returning"]}
        except (KeyError, TypeError) as exc:
            raise ControlPlaneError(f"control plane answered a lease renewal without the "
                                    f"rows it updated ({exc})") from None
        return frozenset(c for c in campaigns if lease_id(c) in ids)

    async def release(self, campaigns: Sequence[str], holder: Holder) -> None:
        """Drop the leases `holder` holds (someone else's are left alone)."""
        def build(d: Dialect) -> tuple[str, Mapping[str, Any]]:
            m = Mutation(d)
            m.where("leaseRelease", "session", mine_where(d, campaigns, holder), "delete")
            return m.document("ReleaseLeases")

        await self._cp.send(build)

    async def leases(self, campaigns: Sequence[str]) -> dict[str, Lease]:
        """The current lease of each campaign that has one."""
        by_id = {lease_id(c): c for c in campaigns}
        data = await self._cp.send(lambda d: (read_document(d), {"ids": sorted(by_id)}))
        found: dict[str, Lease] = {}
        try:
            for row in data["leases"]:
                campaign = by_id.get(str(row["id"]))
                holder = parse_holder(campaign, str(row["name"])) if campaign else None
                if campaign is None or holder is None:
                    continue  # not a row this tool wrote as a lease: ignore it
                found[campaign] = Lease(campaign, holder, from_wire(row["startDate"]),
                                        from_wire(row["endDate"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlPlaneError(f"control plane answered the lease query in an "
                                    f"unexpected shape ({exc})") from None
        return found
