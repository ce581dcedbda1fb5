"""Scalars: how input values become stored values, with Postgres' and Hasura's rules.

Stored forms: `uuid` is lower-case 8-4-4-4-12 text; `timestamp` (without time zone) is
fixed-width ISO text with microseconds, so that text order is time order, plus the
Postgres specials `infinity` / `-infinity` (which sort after / before every digit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from graphql import GraphQLError

from runner.sandbox.errors import HasuraError, bounds_message

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
NUMERIC_STRING = re.compile(r"[+-]?\d+")

# --- timestamp -----------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(?P<year>\d+)-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:(?:[Tt]|\s+)(?P<hour>\d{1,2})(?::(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:\.(?P<fraction>\d*))?)?)?)?"
    r"\s*(?P<zone>[Zz]|UTC|GMT|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?")
# What clients send (what `timestamp_of` prints, without the fraction): one fast path.
_PLAIN_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
_SPECIAL_DAYS = {"today": 0, "tomorrow": 1, "yesterday": -1}
INFINITY, MINUS_INFINITY = "infinity", "-infinity"


def _invalid_timestamp(value: Any) -> HasuraError:
    return HasuraError(f'invalid input syntax for type timestamp: "{value}"', "data-exception")


def _stored(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def parse_timestamp(value: Any, now: datetime | None = None) -> str:
    """Stored form of a `timestamp` input, read as Postgres reads it: an offset is dropped
    (timestamp without time zone), a 1- or 2-digit year is near 2000 (`1-01-01` is
    2001-01-01), fractions are rounded to microseconds, `24:00:00` is the next midnight,
    `infinity`/`-infinity`/`epoch`/`now`/`today`/`tomorrow`/`yesterday` are understood
    (the relative ones against `now`, the sandbox clock as UTC wall time)."""
    if isinstance(value, str) and _PLAIN_TIMESTAMP.fullmatch(value):
        try:  # a valid date and time of day: stored as given, with its microseconds
            datetime.fromisoformat(value)
        except ValueError:
            pass  # 24:00:00, 23:59:60, Feb 30, year 0: the general rules say what
        else:
            return value + ".000000"
    return general_timestamp(value, now)


def general_timestamp(value: Any, now: datetime | None = None) -> str:
    """`parse_timestamp` without its fast path for what clients send (the tests compare)."""
    if not isinstance(value, str):
        raise _invalid_timestamp(value)
    text = value.strip()
    word = text.lower()
    if word in (INFINITY, "+infinity"):
        return INFINITY
    if word == MINUS_INFINITY:
        return MINUS_INFINITY
    if word == "epoch":
        return _stored(datetime(1970, 1, 1))
    if now is not None and word == "now":
        return timestamp_of(now)
    if now is not None and word in _SPECIAL_DAYS:
        day = now.astimezone(timezone.utc).date() + timedelta(days=_SPECIAL_DAYS[word])
        return _stored(datetime(day.year, day.month, day.day))
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        raise _invalid_timestamp(value)
    year_text = m["year"]
    year = int(year_text)
    if len(year_text) <= 2:  # Postgres: two-digit years are 1970-2069
        year += 2000 if year < 70 else 1900
    hour, minute, second = (int(m[k] or 0) for k in ("hour", "minute", "second"))
    fraction = m["fraction"] or ""
    micro = int(Decimal(f"0.{fraction or 0}").scaleb(6).quantize(Decimal(1), ROUND_HALF_EVEN))
    try:
        day = date(year, int(m["month"]), int(m["day"]))
    except ValueError:
        raise HasuraError(f'date/time field value out of range: "{value}"',
                          "data-exception") from None
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour, extra = 0, timedelta(days=1)
    elif hour > 23 or minute > 59 or second > 60:
        raise HasuraError(f'date/time field value out of range: "{value}"', "data-exception")
    else:
        extra = timedelta(seconds=second, microseconds=micro)  # 60 s and 1,000,000 µs carry
    try:
        moment = datetime(day.year, day.month, day.day, hour, minute) + extra
    except OverflowError:
        raise HasuraError(f'timestamp out of range: "{value}"', "data-exception") from None
    return _stored(moment)


def format_timestamp(stored: str | None) -> str | None:
    """Stored form -> what Postgres/Hasura print: no offset, fraction without trailing zeros."""
    if stored is None or stored in (INFINITY, MINUS_INFINITY):
        return stored
    base, _, frac = stored.partition(".")
    frac = frac.rstrip("0")
    return f"{base}.{frac}" if frac else base


def timestamp_of(moment: datetime) -> str:
    """Stored form of an aware datetime, as UTC wall time."""
    return _stored(moment.astimezone(timezone.utc).replace(tzinfo=None))


# --- uuid ----------------------------------------------------------------------------------

# Postgres' uuid_in: optional braces, hex digits of either case, an optional hyphen after
# any group of four digits (never at the end), nothing else (no spaces, no urn: prefix).
_UUID = re.compile(r"(\{)?([0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7})(?(1)\})")


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_uuid(value: Any) -> str:
    """Canonical stored form of a `uuid` input, accepted by Postgres' grammar."""
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value  # already canonical (what clients send): nothing to rewrite
    m = _UUID.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise HasuraError(f'invalid input syntax for type uuid: "{value}"', "data-exception")
    digits = m[2].replace("-", "").lower()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# --- text ----------------------------------------------------------------------------------

def check_text(value: str) -> str:
    """Postgres text cannot hold NUL; it refuses it as an invalid UTF-8 byte."""
    if "\x00" in value:
        raise HasuraError('invalid byte sequence for encoding "UTF8": 0x00', "data-exception")
    return value


def convert(col_type: str, value: Any) -> Any:
    """An already type-checked input value -> the value stored in SQLite."""
    if value is None:
        return None
    if col_type == "uuid":
        return parse_uuid(value)
    if col_type == "timestamp":
        return parse_timestamp(value)
    if col_type == "bigint":
        return int(value)
    if isinstance(value, str):
        return check_text(value)
    return value


# --- GraphQL scalar parsers ------------------------------------------------------------------

def describe(value: Any) -> str:
    """How Hasura names a JSON value's kind in type-mismatch messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def out_of_bounds(value: int | float) -> GraphQLError:
    """Hasura's error for a number that does not fit its integer type (code parse-failed)."""
    return GraphQLError(bounds_message(value))


def parse_bigint(value: Any) -> int:
    """Hasura's bigint: a JSON number, or a string of digits, within 64 bits."""
    if isinstance(value, str) and NUMERIC_STRING.fullmatch(value.strip()):
        number = int(value)
        if not BIGINT_MIN <= number <= BIGINT_MAX:
            raise GraphQLError(f'value "{value.strip()}" is out of range for type bigint')
        return number
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GraphQLError("expected a 32-bit integer, or a 64-bit integer represented as a "
                           f"string for type 'bigint', but found {describe(value)}")
    if (isinstance(value, float) and not value.is_integer()) or not (
            BIGINT_MIN <= value <= BIGINT_MAX):
        raise out_of_bounds(value)
    return int(value)


def string_scalar(name: str) -> Callable[[Any], str]:
    """A scalar Hasura sends to Postgres as text (uuid, timestamp): any JSON string."""
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise GraphQLError(f"expected a string for type '{name}', but found "
                               f"{describe(value)}")
        return value
    return parse

