"""`--now`: the one parser for the clock option every command takes (kept free of heavy imports,
so `validate` in a pre-commit hook does not pay for the HTTP stack)."""

from __future__ import annotations

import datetime as dt

from runner.errors import UsageError

# The range `--now` accepts. The upper end leaves room for the longest `--horizon`
# (runner.spec.durations.MAX_HORIZON) and for any time zone before datetime's year 9999.
EARLIEST_NOW = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST_NOW = dt.datetime(9000, 1, 1, tzinfo=dt.timezone.utc)


def parse_now(text: str | None) -> dt.datetime:
    """--now as an aware datetime (default: the real clock, UTC, whole seconds).

    Raises UsageError (one line) for text that is not ISO 8601 with an offset, or a time
    outside [EARLIEST_NOW, LATEST_NOW).
    """
    if not text:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--now {text!r} is not an ISO 8601 time; write e.g. 2026-12-01T08:00:00+01:00"
        ) from None
    if value.tzinfo is None:
        # A date alone parses (offset and all) as naive midnight: suggest a full time, not
        # `{text}Z`, which for "2026-01-01Z" would read "2026-01-01ZZ".
        raise UsageError(
            f"--now {text!r} has no UTC offset (a date alone takes none); "
            f"write e.g. {value.isoformat()}Z"
        )
    if not EARLIEST_NOW <= value < LATEST_NOW:
        raise UsageError(
            f"--now {text!r} is out of range; write a time from {_utc(EARLIEST_NOW)} "
            f"up to (not including) {_utc(LATEST_NOW)}"
        )
    return value


def _utc(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
