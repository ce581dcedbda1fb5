"""Semantic checks and model construction for one schema-valid `kind: Campaign` document.

Codes: CMP2xx time, CMP3xx cameras/streams, CMP4xx recording rules (see docs/campaign-files.md).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from runner.spec.capabilities import Capabilities
from runner.spec.diagnostics import Diagnostic, Severity
from runner.spec.durations import parse_duration, parse_size
from runner.spec.model import (
    AbsoluteWindow,
    BurstPattern,
    Camera,
    Campaign,
    Location,
    RangeBound,
    RecordingPolicy,
    RecordingRule,
    RecordingSelector,
    RecurringWindow,
    RuleCondition,
    SessionSettings,
    Stream,
    Trigger,
    Window,
)
from runner.spec.schema import dotted, suggest
from runner.spec.windows import fixed_offset, occurrence_length, wall_time_issue, zone
from runner.spec.yamlsafe import Document, Path

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_DAY_SETS = {"weekdays": {1, 2, 3, 4, 5}, "weekends": {6, 7}, "daily": {1, 2, 3, 4, 5, 6, 7}}
_STREAM_DEFAULTS = {"nearCut": 0, "farCut": 65535}
# A date with an offset but no time: Python parses it as naive midnight, dropping the offset.
_DATE_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}\s*(Z|[+-]\d{2}(:?\d{2})?)", re.IGNORECASE)


class _Checker:
    """Collects diagnostics for one document while building its model."""

    def __init__(self, doc: Document, capabilities: Capabilities, now: dt.datetime | None) -> None:
        self.doc = doc
        self.caps = capabilities
        self.now = now
        self.diags: list[Diagnostic] = []
        self.errors = 0

    def at(self, path: Path) -> Location:
        return self.doc.where(path)

    def report(
        self, path: Path, code: str, message: str, hint: str, severity: Severity = "error"
    ) -> None:
        if severity == "error":
            self.errors += 1
        self.diags.append(Diagnostic(self.at(path), severity, code, message, hint))

    # --- cameras and streams -------------------------------------------------------------

    def cameras(self, spec: dict[str, Any]) -> tuple[Camera, ...]:
        profiles: dict[str, dict[str, Any]] = spec.get("profiles") or {}
        used: set[str] = set()
        cameras: list[Camera] = []
        seen: dict[tuple[str, str], int] = {}
        for i, cam in enumerate(spec["cameras"]):
            path: Path = ("spec", "cameras", i)
            ident = (cam["model"], cam["serial"])
            if ident in seen:
                self.report(
                    (*path, "serial"),
                    "CMP309",
                    f"camera {cam['model']} {cam['serial']} is listed twice "
                    f"(also spec.cameras[{seen[ident]}])",
                    "list each camera once and give it all its streams",
                )
            seen.setdefault(ident, i)
            streams = self.streams(cam, path, profiles, used)
            cameras.append(
                Camera(cam["model"], cam["serial"], cam["device"], streams, self.at(path))
            )
        for name in profiles:
            if name not in used:
                self.report(
                    ("spec", "profiles", name),
                    "CMP311",
                    f"profile {name!r} is not used",
                    "remove it or list it in a camera's streams",
                    "warning",
                )
        return tuple(cameras)

    def streams(
        self, cam: dict[str, Any], path: Path, profiles: dict[str, dict[str, Any]], used: set[str]
    ) -> tuple[Stream, ...]:
        # int() below: JSON Schema counts 1280.0 as an integer, the control plane's Int does not.
        resolved: list[tuple[Path, dict[str, Any], str | None]] = []
        for j, entry in enumerate(cam["streams"]):
            spath: Path = (*path, "streams", j)
            name = entry if isinstance(entry, str) else entry.get("profile")
            fields: dict[str, Any] = {}
            if name is not None:
                if name not in profiles:
                    guess = suggest(name, profiles)
                    hint = (
                        f"did you mean {guess!r}?"
                        if guess
                        else "define it under spec.profiles or write the stream inline"
                    )
                    ppath = spath if isinstance(entry, str) else (*spath, "profile")
                    self.report(ppath, "CMP301", f"unknown stream profile {name!r}", hint)
                    continue
                used.add(name)
                fields.update(profiles[name])
            if isinstance(entry, dict):
                fields.update({k: v for k, v in entry.items() if k != "profile"})
            resolved.append((spath, {**_STREAM_DEFAULTS, **fields}, name))

        caps = self.caps.get(cam["model"])
        types = [f["type"] for _, f, _ in resolved]
        streams: list[Stream] = []
        by_type: dict[str, Path] = {}
        for spath, f, name in resolved:
            t = f["type"]
            if t in by_type:
                self.report(
                    spath,
                    "CMP306",
                    f"camera has two {t} streams (also {dotted(by_type[t])})",
                    "a camera records each stream type at most once",
                )
            by_type.setdefault(t, spath)
            align = f.get("alignTo", t)
            if align not in types:
                self.report(
                    spath,
                    "CMP302",
                    f"alignTo {align!r} names no stream of this camera (it has {', '.join(types)})",
                    f"align to one of: {', '.join(sorted(set(types)))}",
                )
            if f["nearCut"] >= f["farCut"]:
                self.report(
                    spath,
                    "CMP303",
                    f"nearCut {f['nearCut']} must be less than farCut {f['farCut']}",
                    "nearCut and farCut are millimetres; make farCut larger",
                )
            if caps is not None:
                reason = caps.check(t, f["width"], f["height"], f["frameRate"])
                if reason:
                    code = "CMP304" if t not in caps.streams else "CMP305"
                    self.report(spath, code, reason, "pick a mode from schemas/capabilities.yaml")
            streams.append(
                Stream(
                    t,
                    align,
                    f["encoder"],
                    int(f["width"]),
                    int(f["height"]),
                    int(f["frameRate"]),
                    int(f["bitrate"]),
                    int(f["nearCut"]),
                    int(f["farCut"]),
                    self.at(spath),
                    name,
                )
            )
        if caps is not None and caps.shared_sensor:
            shared = [
                (s.width, s.height, s.frame_rate) for s in streams if s.type in caps.shared_sensor
            ]
            if len(set(shared)) > 1:
                modes = ", ".join(f"{s.type} {s.width}x{s.height}@{s.frame_rate}" for s in streams)
                self.report(
                    (*path, "streams"),
                    "CMP307",
                    f"{caps.name} streams share one sensor and need one resolution and "
                    f"frame rate ({modes})",
                    "give all streams of this camera the same width, height and frameRate",
                )
        return tuple(streams)

    # --- time ------------------------------------------------------------------------------

    def timezone(self, name: str, path: Path) -> bool:
        try:
            zone(name)
        except Exception:  # ZoneInfoNotFoundError, ValueError for odd names
            self.report(
                path,
                "CMP203",
                f"unknown time zone {name!r}",
                "use an IANA name such as Europe/Oslo, America/New_York or UTC",
            )
            return False
        return True

    def timestamp(self, text: str, path: Path, tz: str | None) -> dt.datetime | None:
        raw = text.strip()
        try:
            value = dt.datetime.fromisoformat(
                raw.replace("z", "Z").replace("Z", "+00:00").replace(" ", "T", 1)
            )
        except ValueError:
            self.report(
                path,
                "CMP201",
                f"invalid timestamp {raw!r}",
                "write ISO 8601 such as 2026-12-01T08:00:00 (with timezone) or "
                "2026-12-01T08:00:00+01:00",
            )
            return None
        if value.tzinfo is None and _DATE_WITH_OFFSET.fullmatch(raw):
            self.report(
                path,
                "CMP201",
                f"invalid timestamp {raw!r}: a date with a UTC offset needs a time of day",
                f"write e.g. {raw[:10]}T00:00:00{raw[10:].strip()}",
            )
            return None
        if value.tzinfo is not None:
            if tz is not None:
                expected = value.astimezone(zone(tz)).utcoffset()
                if expected != value.utcoffset():
                    self.report(
                        path,
                        "CMP213",
                        f"{raw} has offset {_offset(value.utcoffset())} but {tz} is at "
                        f"{_offset(expected)} then; the written offset is used",
                        "drop the offset to use the time zone, or fix the offset",
                        "warning",
                    )
            return value
        if tz is None:
            self.report(
                path,
                "CMP202",
                f"timestamp {raw!r} has no UTC offset and the window has no timezone",
                "add `timezone: Europe/Oslo` (an IANA name) to the window, or an offset "
                "such as +01:00 or Z",
            )
            return None
        issue = wall_time_issue(value.date(), value.time(), tz)
        if issue == "gap":
            self.report(
                path,
                "CMP211",
                f"{raw} does not exist in {tz} (DST gap); it is moved forward by the gap",
                "pick a time outside the DST change",
                "warning",
            )
        elif issue == "ambiguous":
            self.report(
                path,
                "CMP212",
                f"{raw} happens twice in {tz} (DST overlap); the first one is used",
                "add an explicit offset to choose",
                "warning",
            )
        # fold=0 resolution, normalised: the documented DST rule (runner/spec/windows.py).
        return fixed_offset(value.replace(tzinfo=zone(tz)))

    def date(self, text: str, path: Path) -> dt.date | None:
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            self.report(
                path, "CMP201", f"invalid date {text!r}", "write YYYY-MM-DD, e.g. 2026-12-01"
            )
            return None

    def window(self, raw: dict[str, Any]) -> Window | None:
        path: Path = ("spec", "window")
        if "every" in raw:
            return self.recurring(raw, path)
        tz = raw.get("timezone")
        if tz is not None and not self.timezone(tz, (*path, "timezone")):
            return None
        start = self.timestamp(raw["start"], (*path, "start"), tz)
        end = self.timestamp(raw["end"], (*path, "end"), tz)
        if start is None or end is None:
            return None
        if end <= start:
            self.report(
                (*path, "end"),
                "CMP204",
                f"window end {raw['end']} is not after start {raw['start']}",
                "make end later than start",
            )
            return None
        if self.now is not None and end <= self.now:
            self.report(
                (*path, "end"),
                "CMP205",
                f"window ended in the past ({raw['end']})",
                "move the window into the future or delete the campaign",
                "warning",
            )
        return AbsoluteWindow(start, end, tz, self.at(path))

    def recurring(self, raw: dict[str, Any], path: Path) -> RecurringWindow | None:
        every = raw["every"]
        days_raw = every["days"]
        days = (
            set(_DAY_SETS[days_raw]) if isinstance(days_raw, str) else {_DAYS[d] for d in days_raw}
        )
        tz = raw["timezone"]
        ok = self.timezone(tz, (*path, "timezone"))
        start_time = dt.time.fromisoformat(every["from"])
        end_time = dt.time(0) if every["to"] == "24:00" else dt.time.fromisoformat(every["to"])
        if start_time == end_time and every["to"] != "24:00":
            self.report(
                (*path, "every", "to"),
                "CMP214",
                f"from and to are both {every['from']}: zero or 24 hours?",
                'for whole days write from: "00:00", to: "24:00"',
            )
            ok = False
        start = self.date(raw["start"], (*path, "start"))
        until = self.date(raw["until"], (*path, "until")) if raw.get("until") is not None else None
        if start is None or (raw.get("until") is not None and until is None) or not ok:
            return None
        if until is not None and until < start:
            self.report(
                (*path, "until"),
                "CMP209",
                f"until {until} is before start {start}",
                "make until the same as or later than start",
            )
            return None
        if until is not None and not any(
            (start + dt.timedelta(days=n)).isoweekday() in days
            for n in range(min(7, (until - start).days + 1))
        ):
            self.report(
                path,
                "CMP215",
                "the window has no occurrence between start and until",
                "widen start/until or change days",
                "warning",
            )
        if (
            self.now is not None
            and until is not None
            and until < self.now.astimezone(zone(tz)).date()
        ):
            self.report(
                (*path, "until"),
                "CMP205",
                f"window ended in the past (until {until})",
                "move the window into the future or delete the campaign",
                "warning",
            )
        return RecurringWindow(
            frozenset(days), start_time, end_time, tz, start, until, self.at(path)
        )

    def duration(self, value: Any, path: Path, *, positive: bool = False) -> dt.timedelta | None:
        try:
            result = parse_duration(value)
        except ValueError as exc:
            self.report(path, "CMP206", str(exc), "write e.g. 10s, 5m, 1h30m, 90d or PT10S")
            return None
        if positive and result <= dt.timedelta(0):
            self.report(
                path, "CMP206", f"duration {value!r} must be greater than zero", "write e.g. 10s"
            )
            return None
        return result

    def bursts(
        self, spec: dict[str, Any], trigger: Trigger, window: Window | None
    ) -> BurstPattern | None:
        raw = spec.get("bursts")
        if raw is None:
            return None
        path: Path = ("spec", "bursts")
        if trigger is not Trigger.STANDBY:
            self.report(
                path,
                "CMP208",
                f"bursts need trigger: standby (trigger is {trigger.value})",
                "set `trigger: standby`, or remove bursts",
            )
        record = self.duration(raw["record"], (*path, "record"), positive=True)
        pause = self.duration(raw["pause"], (*path, "pause"))
        offset = self.duration(raw.get("offset", "0s"), (*path, "offset"))
        if record is None or pause is None or offset is None:
            return None
        pattern = BurstPattern(int(raw["count"]), record, pause, offset, self.at(path))
        total = offset + pattern.count * record + (pattern.count - 1) * pause
        if window is not None:
            length = (
                window.end - window.start
                if isinstance(window, AbsoluteWindow)
                else occurrence_length(window)
            )
            if total > length:
                self.report(
                    path,
                    "CMP207",
                    f"bursts take {_fmt(total)} but the window is {_fmt(length)} long",
                    "lower count, record, pause or offset, or widen the window",
                )
        return pattern

    # --- recordings ------------------------------------------------------------------------

    def recordings(self, spec: dict[str, Any]) -> RecordingPolicy | None:
        raw = spec.get("recordings")
        if raw is None:
            return None
        path: Path = ("spec", "recordings")
        select = raw.get("select") or {}
        tags = select.get("tags") or []
        tags_all, tags_any = (
            (tags, []) if isinstance(tags, list) else (tags.get("all", []), tags.get("any", []))
        )
        selector = RecordingSelector(
            devices=tuple(select["devices"]) if "devices" in select else None,
            status=_strings(select["status"]) if "status" in select else None,
            tags_all=tuple(tags_all),
            tags_any=tuple(tags_any),
            within_windows=select.get("withinWindows", True),
        )
        rules: list[RecordingRule] = []
        names: dict[str, int] = {}
        final_delete: str | None = None
        for i, rule in enumerate(raw.get("rules") or []):
            rpath: Path = (*path, "rules", i)
            name = rule["name"]
            if name in names:
                self.report(
                    (*rpath, "name"),
                    "CMP401",
                    f"rule name {name!r} is used twice",
                    "give every rule a unique name",
                )
            names.setdefault(name, i)
            if final_delete is not None:
                self.report(
                    rpath,
                    "CMP407",
                    f"rule {name!r} never runs: rule {final_delete!r} "
                    "before it deletes every recording",
                    "move it before the delete rule",
                    "warning",
                )
            built = self.rule(rule, rpath)
            if built is None:
                continue
            if built.delete and built.when == RuleCondition():
                final_delete = name
            rules.append(built)
        return RecordingPolicy(selector, tuple(rules), self.at(path))

    def rule(self, rule: dict[str, Any], path: Path) -> RecordingRule | None:
        when = rule.get("when") or {}
        wpath: Path = (*path, "when")
        errors = self.errors
        older = (
            self.duration(when["older_than"], (*wpath, "older_than"))
            if "older_than" in when
            else None
        )
        newer = (
            self.duration(when["newer_than"], (*wpath, "newer_than"))
            if "newer_than" in when
            else None
        )
        if older is not None and newer is not None and older >= newer:
            self.report(
                wpath,
                "CMP404",
                "older_than is not less than newer_than: the rule never matches",
                "older_than means at least this old, newer_than at most this old",
                "warning",
            )
        duration = self.range(when.get("duration"), (*wpath, "duration"), seconds=True)
        size = self.range(when.get("size"), (*wpath, "size"), seconds=False)
        tags = when.get("tags") or {}
        actions = rule.get("tags") or {}
        add, remove = tuple(actions.get("add", ())), tuple(actions.get("remove", ()))
        both = sorted(set(add) & set(remove))
        if both:
            self.report(
                (*path, "tags"),
                "CMP405",
                f"tags both added and removed: {', '.join(both)}",
                "keep each tag in only one of add/remove",
            )
        if not add and not remove and "status" not in rule and not rule.get("delete", False):
            self.report(
                path,
                "CMP402",
                f"rule {rule['name']!r} has no action",
                "add tags: {add/remove}, status: or delete: true",
                "warning",
            )
        if self.errors != errors:
            return None
        condition = RuleCondition(
            status=_strings(when.get("status", [])),
            tags_all=tuple(tags.get("all", ())),
            tags_any=tuple(tags.get("any", ())),
            tags_none=tuple(tags.get("none", ())),
            older_than=older,
            newer_than=newer,
            duration_seconds=duration,
            size_bytes=size,
            topic=when.get("topic"),
        )
        return RecordingRule(
            rule["name"],
            condition,
            add,
            remove,
            rule.get("status"),
            bool(rule.get("delete", False)),
            self.at(path),
        )

    def range(self, raw: dict[str, Any] | None, path: Path, *, seconds: bool) -> RangeBound | None:
        if raw is None:
            return None
        bounds: dict[str, float | None] = {"min": None, "max": None}
        for key in ("min", "max"):
            if key not in raw:
                continue
            value = raw[key]
            try:
                bounds[key] = (
                    parse_duration(value).total_seconds() if seconds else float(parse_size(value))
                )
            except ValueError as exc:
                code = "CMP206" if seconds else "CMP406"
                self.report(
                    (*path, key),
                    code,
                    str(exc),
                    "write seconds or 10m" if seconds else "write bytes or 500MB / 2GiB",
                )
                return None
        lo, hi = bounds["min"], bounds["max"]
        if lo is not None and hi is not None and lo > hi:
            self.report(path, "CMP403", f"min is greater than max in {dotted(path)}", "swap them")
            return None
        return RangeBound(lo, hi)


def _offset(value: dt.timedelta | None) -> str:
    minutes = int((value or dt.timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _fmt(value: dt.timedelta) -> str:
    from runner.spec.durations import format_duration

    return format_duration(value)


def build_campaign(
    doc: Document,
    capabilities: Capabilities,
    now: dt.datetime | None,
    broken: set[Path] | None = None,
) -> tuple[Campaign | None, list[Diagnostic]]:
    """Check a document and build its Campaign (None when there are errors).

    `broken` holds paths already reported invalid (schema, YAML); sections touching them are
    not checked, the others are, so one run reports every problem.
    """
    bad = broken or set()

    def sound(*sections: Path) -> bool:
        return not any(b[: len(s)] == s or s[: len(b)] == b for b in bad for s in sections)

    check = _Checker(doc, capabilities, now)
    value = doc.value
    # `spec` itself usable (a mapping) even if something below it is broken.
    spec_ok = not any(("spec",)[: len(b)] == b for b in bad)
    spec: dict[str, Any] = value.get("spec") if spec_ok else {}
    cameras: tuple[Camera, ...] = ()
    window: Window | None = None
    bursts = recordings = None
    if sound(("spec", "cameras"), ("spec", "profiles")) and "cameras" in spec:
        cameras = check.cameras(spec)
    if sound(("spec", "window")) and "window" in spec:
        window = check.window(spec["window"])
    trigger = Trigger(spec.get("trigger", "scheduled")) if sound(("spec", "trigger")) else None
    if trigger is not None and sound(("spec", "bursts"), ("spec", "window")):
        bursts = check.bursts(spec, trigger, window)
    if sound(("spec", "recordings")):
        recordings = check.recordings(spec)
    if bad or check.errors or window is None or trigger is None:
        return None, check.diags
    meta = value["metadata"]
    session_raw = spec.get("session") or {}
    session = SessionSettings(
        mode=session_raw.get("mode", "Storage"),
        max_size_megabytes=int(session_raw.get("maxSizeMegabytes", 0)),
        max_time_seconds=int(session_raw.get("maxTimeSeconds", 0)),
    )
    campaign = Campaign(
        name=meta["name"],
        labels=tuple(sorted((meta.get("labels") or {}).items())),
        description=meta.get("description"),
        cameras=cameras,
        session=session,
        window=window,
        trigger=trigger,
        bursts=bursts,
        recordings=recordings,
        location=doc.start,
        locations={dotted(p): loc for p, loc in doc.values.items() if p},
    )
    return campaign, check.diags
