"""Durations and sizes in campaign files: `10s`, `5m`, `1h30m`, `1.5h`, `90d`, `PT10S`."""

from __future__ import annotations

import datetime as dt
import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# One or more `<number><unit>` parts, largest unit first is not enforced (`90s` is fine).
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_COMPACT = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")

_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
MAX_SIZE_BYTES = 2**63 - 1
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")

# The longest `--horizon` (how far ahead recurring windows expand into sessions). A year
# ahead is plenty for a reconciler that runs at least daily, and it keeps `--now` plus the
# horizon far from datetime's year 9999.
MAX_HORIZON = dt.timedelta(days=366)


def parse_duration(text: str | int | float) -> dt.timedelta:
    """Parse `10s`, `5m`, `1h30m`, `1.5h`, `90d`, `2w`, `250ms` or ISO 8601 (`PT10S`, `P90D`).

    A bare number means seconds. Raises ValueError with a message naming the accepted forms.
    """
    if isinstance(text, bool):
        raise ValueError("a duration must be a string like 10s, 5m, 1h30m or PT10S, not a boolean")
    try:
        return _parse_duration(text)
    except OverflowError:
        raise ValueError(f"duration {_show(text)} is too long (at most 999999999 days)") from None


def _parse_duration(text: str | int | float) -> dt.timedelta:
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"duration {text!r} is negative")
        return dt.timedelta(seconds=text)
    raw = text.strip()
    if not raw:
        raise ValueError("empty duration; write e.g. 10s, 5m, 1h30m or PT10S")
    if raw[0] in "Pp":
        return _parse_iso(raw)
    if _COMPACT.fullmatch(raw):
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(raw))
        return dt.timedelta(seconds=seconds)
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return dt.timedelta(seconds=float(raw))
    raise ValueError(
        f"invalid duration {raw!r}; write a number with a unit (ms, s, m, h, d, w) such as "
        "10s, 5m, 1h30m, 1.5h, 90d, or ISO 8601 such as PT10S or P90D"
    )


def _parse_iso(raw: str) -> dt.timedelta:
    # isodate handles the full ISO 8601 duration grammar; years/months have no fixed
    # length, so they are refused rather than guessed.
    import isodate  # lazy: keeps `campaign --help` fast

    try:
        value = isodate.parse_duration(raw.upper())
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(
            f"invalid ISO 8601 duration {raw!r}; write e.g. PT10S, PT1H30M or P90D"
        ) from exc
    if isinstance(value, isodate.Duration):
        raise ValueError(
            f"duration {raw!r} uses years or months, which have no fixed length; use days (P90D)"
        )
    if not isinstance(value, dt.timedelta) or value < dt.timedelta(0):
        raise ValueError(f"duration {raw!r} is negative")
    return value


def parse_size(text: str | int | float) -> int:
    """Parse a size in bytes: a number, or `500MB`, `2GiB`, `10 kb` (decimal and binary units)."""
    if isinstance(text, bool):
        raise ValueError("a size must be a number of bytes or a string like 500MB, not a boolean")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"size {text!r} is negative")
        return _bounded_size(text, text)
    match = _SIZE.fullmatch(text.strip().lower())
    if not match or (match.group(2) not in _SIZE_UNITS and match.group(2) != ""):
        raise ValueError(f"invalid size {text!r}; write bytes or a unit such as 500MB, 2GiB")
    return _bounded_size(float(match.group(1)) * _SIZE_UNITS.get(match.group(2) or "b", 1), text)


def _bounded_size(value: float, text: object) -> int:
    # float("9" * 400) is inf; the fleet API counts bytes in a signed 64-bit integer.
    if not value <= MAX_SIZE_BYTES:
        raise ValueError(f"size {_show(text)} is too large (at most {MAX_SIZE_BYTES} bytes)")
    return int(value)


def parse_horizon(text: str) -> dt.timedelta:
    """`--horizon`: a duration greater than zero and at most MAX_HORIZON (366 days).

    Raises ValueError with a one-line message (without the option name) saying what to write.
    """
    try:
        value = _parse_duration(text)
    except OverflowError:
        value = dt.timedelta.max  # longer than any horizon: reported as such below
    if value <= dt.timedelta(0):
        raise ValueError(f"{_show(text)} must be greater than zero, e.g. 14d")
    if value > MAX_HORIZON:
        raise ValueError(
            f"{_show(text)} is longer than the maximum of {format_duration(MAX_HORIZON)}; "
            "plan again later to expand further windows"
        )
    return value


def format_duration(value: dt.timedelta) -> str:
    """Render a timedelta compactly (`1h30m`, `10s`); inverse of `parse_duration`."""
    total = int(value.total_seconds())
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _show(value: object) -> str:
    text = repr(value.strip() if isinstance(value, str) else value)
    return text if len(text) <= 40 else text[:37] + "..."
