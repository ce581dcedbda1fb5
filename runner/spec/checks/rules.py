"""spec.recordings: the selector and the ordered post-recording rules.

Codes CMP401-CMP407 (see docs/campaign-files.md); durations CMP206.
"""

from __future__ import annotations

from typing import Any

from runner.spec.checks._context import Context
from runner.spec.durations import parse_duration, parse_size
from runner.spec.model import (
    RangeBound,
    RecordingPolicy,
    RecordingRule,
    RecordingSelector,
    RuleCondition,
)
from runner.spec.schema import dotted
from runner.spec.yamlsafe import Path


def check_recordings(ctx: Context, spec: dict[str, Any]) -> RecordingPolicy:
    """spec.recordings, built; every sound rule is checked."""
    raw = spec["recordings"]
    path: Path = ("spec", "recordings")
    selector = RecordingSelector()
    if ctx.sound((*path, "select")):
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
    rule_list = (raw.get("rules") or []) if ctx.intact((*path, "rules")) else []
    for i, rule in enumerate(rule_list):
        rpath: Path = (*path, "rules", i)
        if not ctx.intact(rpath) or not ctx.sound((*rpath, "name")):
            continue
        name = rule["name"]
        if name in names:
            ctx.report(
                (*rpath, "name"),
                "CMP401",
                f"rule name {name!r} is used twice",
                "give every rule a unique name",
            )
        names.setdefault(name, i)
        if final_delete is not None:
            ctx.report(
                rpath,
                "CMP407",
                f"rule {name!r} never runs: rule {final_delete!r} "
                "before it deletes every recording",
                "move it before the delete rule",
                "warning",
            )
        built = _rule(ctx, rule, rpath)
        if built is None:
            continue
        if built.delete and built.when == RuleCondition():
            final_delete = name
        rules.append(built)
    return RecordingPolicy(selector, tuple(rules), ctx.at(path))


def _rule(ctx: Context, rule: dict[str, Any], path: Path) -> RecordingRule | None:
    wpath: Path = (*path, "when")
    when: dict[str, Any] = (rule.get("when") or {}) if ctx.intact(wpath) else {}
    errors = ctx.errors

    def sound_key(key: str) -> bool:
        return key in when and ctx.sound((*wpath, key))

    older = (
        ctx.duration(when["older_than"], (*wpath, "older_than"))
        if sound_key("older_than")
        else None
    )
    newer = (
        ctx.duration(when["newer_than"], (*wpath, "newer_than"))
        if sound_key("newer_than")
        else None
    )
    if older is not None and newer is not None and older >= newer:
        ctx.report(
            wpath,
            "CMP404",
            "older_than is not less than newer_than: the rule never matches",
            "older_than means at least this old, newer_than at most this old",
            "warning",
        )
    duration = size = None
    if sound_key("duration"):
        duration = _range(ctx, when["duration"], (*wpath, "duration"), seconds=True)
    if sound_key("size"):
        size = _range(ctx, when["size"], (*wpath, "size"), seconds=False)
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    if ctx.sound((*path, "tags")):
        actions = rule.get("tags") or {}
        add, remove = tuple(actions.get("add", ())), tuple(actions.get("remove", ()))
        both = sorted(set(add) & set(remove))
        if both:
            ctx.report(
                (*path, "tags"),
                "CMP405",
                f"tags both added and removed: {', '.join(both)}",
                "keep each tag in only one of add/remove",
            )
    if not ctx.sound((*path, "tags"), (*path, "status"), (*path, "delete")):
        return None
    if not add and not remove and "status" not in rule and not rule.get("delete", False):
        ctx.report(
            path,
            "CMP402",
            f"rule {rule['name']!r} has no action",
            "add tags: {add/remove}, status: or delete: true",
            "warning",
        )
    if ctx.errors != errors or not ctx.sound(path):
        return None
    tags = when.get("tags") or {}
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
        ctx.at(path),
    )


def _range(ctx: Context, raw: dict[str, Any], path: Path, *, seconds: bool) -> RangeBound | None:
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
            ctx.report(
                (*path, key),
                code,
                str(exc),
                "write seconds or 10m" if seconds else "write bytes or 500MB / 2GiB",
            )
            return None
    lo, hi = bounds["min"], bounds["max"]
    if lo is not None and hi is not None and lo > hi:
        ctx.report(path, "CMP403", f"min is greater than max in {dotted(path)}", "swap them")
        return None
    return RangeBound(lo, hi)


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)
