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
from runner.adapters.controlplane.wire import NOTHING, from_wire, to_wire
from runner.compile import NAMESPACE
from runner.errors import ControlPlaneError, WriteConflict
from runner.run.lease import Holder, Lease
from runner.states import SessionState

LEASE_KEY = "lease"

ACQUIRE = """
mutation AcquireLeases($free: RecordingSession_bool_exp!,
                       $rows: [RecordingSession_insert_input!]!) {
  leaseFree: deleteRecordingSessions(where: $free) { affected_rows }
  leaseClaim: insertRecordingSessions(objects: $rows) { affected_rows }
}
"""

RENEW = """
mutation RenewLeases($mine: RecordingSession_bool_exp!, $expires: timestamp!) {
  leaseRenew: updateRecordingSessions(where: $mine, _set: {endDate: $expires}) {
    affected_rows
    returning { id }
  }
}
"""

RELEASE = """
mutation ReleaseLeases($mine: RecordingSession_bool_exp!) {
  leaseRelease: deleteRecordingSessions(where: $mine) { affected_rows }
}
"""

READ = """
query Leases($ids: [uuid!]!) {
  leases: recordingSessions(where: {id: {_in: $ids}}) { id name startDate endDate }
}
"""


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


def lease_row(campaign: str, holder: Holder, now: dt.datetime,
              expires: dt.datetime) -> dict[str, Any]:
    """The insert object of a lease row."""
    return {
        "id": lease_id(campaign), "name": lease_name(campaign, holder),
        "startDate": to_wire(now), "endDate": to_wire(expires), "mode": "Storage",
        "state": str(SessionState.STOPPED), "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
    }


def free_where(campaigns: Sequence[str], holder: Holder, now: dt.datetime,
               dead: Mapping[str, Holder] | None = None) -> dict[str, Any]:
    """Lease rows that may be replaced: ours, expired before `now`, or a dead holder's."""
    if not campaigns:
        return NOTHING
    parts: list[dict[str, Any]] = []
    for c in campaigns:
        free: list[dict[str, Any]] = [{"name": {"_eq": lease_name(c, holder)}},
                                      {"endDate": {"_lt": to_wire(now)}}]
        if dead and c in dead:
            free.append({"name": {"_eq": lease_name(c, dead[c])}})
        parts.append({"_and": [{"id": {"_eq": lease_id(c)}}, {"_or": free}]})
    return {"_or": parts}


def mine_where(campaigns: Sequence[str], holder: Holder) -> dict[str, Any]:
    """The lease rows `holder` holds among `campaigns`."""
    if not campaigns:
        return NOTHING
    return {"_or": [{"id": {"_eq": lease_id(c)}, "name": {"_eq": lease_name(c, holder)}}
                    for c in campaigns]}


class ControlPlaneLeases:
    """The core's `LeaseStore` over an open `ControlPlane`."""

    def __init__(self, control_plane: ControlPlane) -> None:
        self._cp = control_plane

    async def acquire(self, campaigns: Sequence[str], holder: Holder, now: dt.datetime,
                      expires: dt.datetime, dead: Mapping[str, Holder] | None = None) -> bool:
        """All the leases or none (False: another holder's unexpired lease is in the way)."""
        rows = [lease_row(c, holder, now, expires) for c in campaigns]
        try:
            await self._cp.execute(ACQUIRE, {"free": free_where(campaigns, holder, now, dead),
                                             "rows": rows})
        except WriteConflict:
            return False
        return True

    async def renew(self, campaigns: Sequence[str], holder: Holder,
                    expires: dt.datetime) -> frozenset[str]:
        """Push the expiry of the leases still ours; returns their campaigns."""
        data = await self._cp.execute(RENEW, {"mine": mine_where(campaigns, holder),
                                              "expires": to_wire(expires)})
        try:
            ids = {str(row["id"]) for row in data["leaseRenew"]["returning"]}
        except (KeyError, TypeError) as exc:
            raise ControlPlaneError(f"control plane answered a lease renewal without the "
                                    f"rows it updated ({exc})") from None
        return frozenset(c for c in campaigns if lease_id(c) in ids)

    async def release(self, campaigns: Sequence[str], holder: Holder) -> None:
        """Drop the leases `holder` holds (someone else's are left alone)."""
        await self._cp.execute(RELEASE, {"mine": mine_where(campaigns, holder)})

    async def leases(self, campaigns: Sequence[str]) -> dict[str, Lease]:
        """The current lease of each campaign that has one."""
        by_id = {lease_id(c): c for c in campaigns}
        data = await self._cp.execute(READ, {"ids": sorted(by_id)})
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
