"""`--now`: the one parser for the clock option every command takes (kept free of heavy imports,
so `validate` in a pre-commit hook does not pay for the HTTP stack)."""

from __future__ import annotations

import datetime as dt

from runner.errors import UsageError


def parse_now(text: str | None) -> dt.datetime:
    """--now as an aware datetime (default: the real clock, UTC, whole seconds)."""
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
    return value
