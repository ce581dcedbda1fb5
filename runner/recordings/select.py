"""Which fleet recordings belong to a campaign (spec.recordings.select, else the defaults).

Default membership: recordings on the fleet devices of the campaign's cameras whose
`started_at` lies inside one of the campaign's windows. Devices and statuses become
server-side filters (one page stream per device and status); tags and windows are checked
on each page as it arrives.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from runner.recordings.model import KNOWN_STATUSES, Recording
from runner.spec.model import AbsoluteWindow, Campaign, RecordingSelector
from runner.spec.windows import occurrences


@dataclass(frozen=True)
class Membership:
    """A campaign's recording filter: server-side (`devices`, `statuses`) and per recording."""

    devices: tuple[str, ...]
    statuses: tuple[str | None, ...]  # server-side filters; (None,) = no status filter
    tags_all: frozenset[str]
    tags_any: frozenset[str]
    # Sorted, non-overlapping [start, end) intervals in UTC; None = any start time.
    intervals: tuple[tuple[dt.datetime, dt.datetime], ...] | None
    starts: tuple[dt.datetime, ...] = ()  # the intervals' starts, for bisection
    status_in: frozenset[str] | None = None  # checked here when the server cannot filter

    def contains(self, recording: Recording) -> bool:
        """Whether a recording read from the server belongs to the campaign."""
        if self.status_in is not None and recording.status not in self.status_in:
            return False
        tags = set(recording.tags)
        if self.tags_all and not tags.issuperset(self.tags_all):
            return False
        if self.tags_any and tags.isdisjoint(self.tags_any):
            return False
        if self.intervals is None:
            return True
        started = recording.started_at
        if started is None:
            return False
        index = bisect.bisect_right(self.starts, started) - 1
        return index >= 0 and started < self.intervals[index][1]


def membership_for(campaign: Campaign, now: dt.datetime) -> Membership:
    """The membership filter of one campaign; recurring windows are expanded up to `now`."""
    selector = campaign.recordings.selector if campaign.recordings else RecordingSelector()
    devices = selector.devices
    if devices is None:
        devices = tuple(dict.fromkeys(camera.device for camera in campaign.cameras))
    statuses: tuple[str | None, ...] = (None,)
    status_in = None
    if selector.status:
        wanted = tuple(dict.fromkeys(selector.status))
        if set(wanted) <= KNOWN_STATUSES:
            statuses = wanted  # one server-side filtered stream per status
        else:
            # A status outside the documented lifecycle may be refused as a filter value by
            # the API: read unfiltered and filter here.
            status_in = frozenset(wanted)
    intervals = _window_intervals(campaign, now) if selector.within_windows else None
    return Membership(
        devices=tuple(devices),
        statuses=statuses,
        tags_all=frozenset(selector.tags_all),
        tags_any=frozenset(selector.tags_any),
        intervals=intervals,
        starts=tuple(start for start, _ in intervals or ()),
        status_in=status_in,
    )


def _window_intervals(
    campaign: Campaign, now: dt.datetime
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    window = campaign.window
    if isinstance(window, AbsoluteWindow):
        raw = [(window.start, window.end)]
    else:
        # Expand from the first day up to `now` (recordings cannot start later; a day of slack
        # covers a skewed device clock): one interval per occurrence, a few thousand at most.
        first = dt.datetime.combine(window.start, dt.time(0), dt.timezone.utc)
        last = now + dt.timedelta(days=1)
        raw = [(o.start, o.end) for o in occurrences(window, first - dt.timedelta(days=1), last)]
    utc = sorted((_utc(start), _utc(end)) for start, end in raw)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in utc:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)
