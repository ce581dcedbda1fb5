"""spec.bursts: the burst pattern of a standby campaign and whether it fits its window.

Codes CMP206-CMP208 and CMP218 (see docs/campaign-files.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from runner.spec.checks._context import Context
from runner.spec.durations import format_duration
from runner.spec.model import AbsoluteWindow, BurstPattern, RecurringWindow, Trigger, Window
from runner.spec.windows import dst_changed_occurrences, occurrence_length, zone
from runner.spec.yamlsafe import Path


def check_bursts(
    ctx: Context, spec: dict[str, Any], trigger: Trigger | None, window: Window | None
) -> BurstPattern | None:
    """spec.bursts, built (None when it has errors); `trigger`/`window` None when invalid."""
    raw = spec["bursts"]
    path: Path = ("spec", "bursts")
    if trigger is not None and trigger is not Trigger.STANDBY:
        ctx.report(
            path,
            "CMP208",
            f"bursts need trigger: standby (trigger is {trigger.value})",
            "set `trigger: standby`, or remove bursts",
        )
    record = pause = offset = None
    if ctx.sound((*path, "record")):
        record = ctx.duration(raw["record"], (*path, "record"), positive=True)
    if ctx.sound((*path, "pause")):
        pause = ctx.duration(raw["pause"], (*path, "pause"))
    if ctx.sound((*path, "offset")):
        offset = ctx.duration(raw.get("offset", "0s"), (*path, "offset"))
    if record is None or pause is None or offset is None or not ctx.sound((*path, "count")):
        return None
    pattern = BurstPattern(int(raw["count"]), record, pause, offset, ctx.at(path))
    try:
        total: dt.timedelta | None = offset + pattern.count * record + (pattern.count - 1) * pause
    except OverflowError:  # longer than datetime can count: longer than any window
        total = None
    if window is not None:
        length = (
            window.end - window.start
            if isinstance(window, AbsoluteWindow)
            else occurrence_length(window)
        )
        if total is None or total > length:
            taken = format_duration(total) if total is not None else "more than 999999999 days"
            ctx.report(
                path,
                "CMP207",
                f"bursts take {taken} but the window is {format_duration(length)} long",
                "lower count, record, pause or offset, or widen the window",
            )
        elif total is not None and not isinstance(window, AbsoluteWindow):
            _short_nights(ctx, path, window, total)
    return pattern


def _short_nights(ctx: Context, path: Path, window: RecurringWindow, total: dt.timedelta
                  ) -> None:
    """CMP218: bursts that fit the nominal occurrence but not one DST shortens (by date)."""
    first = ctx.now.astimezone(zone(window.timezone)).date() if ctx.now is not None else None
    short = [(day, length) for day, length in dst_changed_occurrences(window, first)
             if dt.timedelta(0) < length < total]
    if short:
        dates = ", ".join(f"{day.isoformat()} ({format_duration(length)})"
                          for day, length in short[:5])
        ctx.report(
            path,
            "CMP218",
            f"bursts take {format_duration(total)} but DST shortens the occurrence on {dates}"
            ": its last bursts are not recorded",
            "lower count, record, pause or offset, or move the window off the DST night",
            "warning",
        )
