"""Trigger: switch a manual or standby campaign's session Started / Stopped by hand.

The switch is made holding the campaign's lease (`runner.ops.leases`), so it is refused while
a `campaign run` or an agent drives the campaign, on this machine or any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from runner.compile import session_id, session_name
from runner.errors import CampaignError, UsageError
from runner.ops.backends import Backends
from runner.ops.leases import hold_leases, this_process
from runner.run.driver import Clock, SystemClock
from runner.run.lease import DEFAULT_TTL, Holder
from runner.spec.model import AbsoluteWindow, Campaign, Trigger
from runner.spec.windows import all_occurrences, occurrences
from runner.states import SessionState

# Where `stop` leaves a session: standby sessions stay ready for the next burst.
STOP_STATE = {Trigger.MANUAL: SessionState.STOPPED, Trigger.STANDBY: SessionState.STANDBY}
LOOKAROUND = dt.timedelta(days=366)  # how far from now a session can be named


@dataclass(frozen=True)
class TriggerResult:
    """The session switched and its state before and after."""

    campaign: str
    session: str
    session_id: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        """False when the session already was in the wanted state."""
        return self.before != self.after


async def trigger_session(
    backends: Backends, campaigns: Sequence[Campaign], campaign: str, action: str,
    now: dt.datetime, *, session: str | None = None, holder: Holder | None = None,
    clock: Clock | None = None, lease_ttl: dt.timedelta = DEFAULT_TTL,
) -> TriggerResult:
    """`action` "start" sets the session Started; "stop" sets it Stopped (manual) or back to
    Standby (standby). Idempotent: nothing is sent when it already is in that state.
    Raises LeaseHeld when another driver holds the campaign's lease."""
    chosen = choose_campaign(campaigns, campaign)
    name, sid = choose_session(chosen, session, now)
    wanted = SessionState.STARTED if action == "start" else STOP_STATE[chosen.trigger]
    async with (
        hold_leases(backends, [chosen.name], holder or this_process(), clock or SystemClock(),
                    ttl=lease_ttl) as keeper,
        backends.session_states() as switch,
    ):
        states = keeper.fence(switch, {sid: chosen.name})
        rows = await states.read([sid], timeout=backends.timeout)
        row = rows.get(sid)
        if row is None:
            raise CampaignError(f"session {name!r} does not exist on the control plane; run "
                                "`campaign apply` for its campaign first")
        after = row.state
        if row.state != wanted:
            after = await states.set_state(sid, wanted, timeout=backends.timeout)
    return TriggerResult(chosen.name, name, sid, row.state, after)


def choose_campaign(campaigns: Sequence[Campaign], name: str) -> Campaign:
    """The campaign named `name`, if it can be switched by hand."""
    found = next((c for c in campaigns if c.name == name), None)
    if found is None:
        known = ", ".join(sorted(c.name for c in campaigns)) or "none"
        raise UsageError(f"no campaign named {name!r} in the given files (found: {known})")
    if found.trigger not in STOP_STATE:
        raise CampaignError(
            f"{found.location}: campaign {name!r} has `trigger: {found.trigger.value}`; the "
            "platform starts and stops scheduled sessions itself. Use `trigger: manual` (or "
            "standby) to switch it by hand")
    return found


def choose_session(campaign: Campaign, wanted: str | None, now: dt.datetime) -> tuple[str, str]:
    """(name, id) of the session to switch, by the reconciler's naming and id rule."""
    if isinstance(campaign.window, AbsoluteWindow):
        nearby = all_occurrences(campaign.window)  # its one session, however far away
    else:
        nearby = occurrences(campaign.window, now - LOOKAROUND, now + LOOKAROUND)
    names = {session_name(campaign.name, o.key): o for o in nearby}
    if wanted is not None:
        if wanted == campaign.name:
            key = ""
        elif wanted.startswith(f"{campaign.name}#"):
            key = wanted[len(campaign.name) + 1:]
        else:
            key = wanted  # the occurrence key alone
        name = session_name(campaign.name, key)
        if name not in names:
            raise UsageError(f"--session {wanted!r} is not a session of campaign "
                             f"{campaign.name!r} (within a year of now); sessions are named "
                             f"{campaign.name} or {campaign.name}#<YYYY-MM-DD>")
        return name, session_id(campaign.name, key)
    open_now = [o for o in nearby if o.start <= now < o.end]
    if len(open_now) == 1 or len(nearby) == 1:
        occurrence = (open_now or nearby)[0]
        return (session_name(campaign.name, occurrence.key),
                session_id(campaign.name, occurrence.key))
    upcoming = [session_name(campaign.name, o.key) for o in nearby if o.end > now][:3]
    raise UsageError(f"campaign {campaign.name!r} has no window open now; name the session with "
                     f"--session (next: {', '.join(upcoming) or 'none'})")
