"""How far ahead a campaign's sessions exist, and the occurrences that have none.

For those who run no agent: a recurring campaign gets sessions for `--horizon` ahead of each
apply and then silently stops recording. These say so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from runner.compile import session_id, session_name
from runner.spec.model import Campaign, RecurringWindow
from runner.spec.windows import occurrences

MISSED_LOOKBACK = dt.timedelta(days=7)  # how far back status looks for missed occurrences


def horizon_note(campaigns: Iterable[Campaign], ends: Iterable[tuple[str, dt.datetime]],
                 *, applied: bool) -> str | None:
    """'sessions exist through DATE; re-apply before then, or run `campaign agent`' for the
    recurring campaigns among `campaigns`, given (campaign, session end) pairs."""
    recurring = {c.name for c in campaigns if isinstance(c.window, RecurringWindow)}
    last: dict[str, dt.datetime] = {}
    for campaign, end in ends:
        if campaign in recurring and (campaign not in last or end > last[campaign]):
            last[campaign] = end
    if not last:
        return None
    through = min(last.values())
    which = min(last, key=last.__getitem__)
    verb = "exist" if applied else "will exist"
    more = f" (earliest: {which})" if len(last) > 1 else f" ({which})"
    return (f"note: recurring sessions {verb} through {through.date().isoformat()}{more}; "
            "re-apply before then, or run `campaign agent` to keep them coming")


def sessionless(campaigns: Sequence[Campaign], existing: set[str], now: dt.datetime
                ) -> tuple[list[str], list[str]]:
    """(open now, missed in the last MISSED_LOOKBACK): occurrences with no session."""
    open_now: list[str] = []
    missed: list[str] = []
    for campaign in campaigns:
        for occurrence in occurrences(campaign.window, now - MISSED_LOOKBACK, now):
            if session_id(campaign.name, occurrence.key) in existing:
                continue
            name = session_name(campaign.name, occurrence.key)
            (open_now if occurrence.end > now else missed).append(name)
    return open_now, missed
