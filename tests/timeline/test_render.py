"""The renderers: text cells where the windows are, a well-formed self-contained SVG with bars
at the right x, sane Mermaid (the timeline's and the plan's), a self-contained HTML page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import xml.etree.ElementTree as ET

from runner.compile import Desired, compile_campaigns, utc_text
from runner.plan import Actual, PlanOptions, plan_changes
from runner.plan.model import ActualCamera, ActualSession
from runner.plan.render import plan_gantt, render_markdown
from runner.timeline import Timeline, build_timeline
from runner.timeline.axis import fraction
from runner.timeline.html import render_html
from runner.timeline.mermaid import GanttTask, render_gantt, timeline_gantt
from runner.timeline.svg import Geometry, render_svg
from runner.timeline.text import render_text

from .helpers import NOW, OSLO, by_name, examples

SVG_NS = "{http://www.w3.org/2000/svg}"
WEEK_START = dt.datetime(2026, 12, 1, tzinfo=OSLO)
WEEK_END = dt.datetime(2026, 12, 8, tzinfo=OSLO)


def week(**kwargs: object) -> Timeline:
    return build_timeline(examples(), WEEK_START, WEEK_END, NOW, tz="Europe/Oslo",
                          **kwargs)  # type: ignore[arg-type]


# --- text -----------------------------------------------------------------------------------

def chart_rows(text: str, label_width: int) -> dict[str, str]:
    """{indented camera label: its chart cells} for the declared rows of a text timeline."""
    rows: dict[str, str] = {}
    campaign = ""
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            campaign = line.strip().split(" ")[0]
        elif line.startswith("    ") and not line.startswith("      "):
            rows[f"{campaign}/{line[:label_width].strip()}"] = line[label_width:]
    return rows


def test_text_cells_are_where_the_windows_are() -> None:
    text = render_text(week(), width=100)
    label_width, cells = 33, 66  # the longest label is "    REALSENSE_D435 844212070924"
    lines = text.splitlines()
    assert lines[0] == ("Timeline 2026-12-01 00:00 → 2026-12-08 00:00 (times in Europe/Oslo); "
                        "now 2026-12-01 22:00")
    rows = chart_rows(text, label_width)

    def cell(moment: dt.datetime) -> float:
        return fraction(WEEK_START, WEEK_END, moment) * cells

    def painted(row: str, glyph: str) -> list[int]:
        return [i for i, c in enumerate(rows[row]) if c == glyph]

    now_cell = int(cell(NOW))  # 22 h of 168 -> cell 8
    assert now_cell == 8 and all(r[now_cell] in "│!█" for r in rows.values() if len(r) > 8)
    assert lines[2][label_width + now_cell] == "▼"
    # The USB camera records every weekday 08:00-18:00: five bars.
    expected: list[int] = []
    for day in (1, 2, 3, 4, 7):
        start = dt.datetime(2026, 12, day, 8, tzinfo=OSLO)
        first = math.floor(cell(start))
        last = math.ceil(cell(start + dt.timedelta(hours=10)))
        expected.extend(i for i in range(first, last) if i != now_cell)
    assert painted("warehouse-weekdays/V4L2CAMERA v4l2-lab-cam-01", "█") == expected
    assert expected[:5] == [3, 4, 5, 6, 7]  # Tue 08:00-18:00 of 7 days in 66 cells
    # The survey day is all conflict (the daily campaign books the same cameras).
    assert painted("vehicle-survey-dec/REALSENSE_D435 844212070924", "!") == [3, 4, 5, 6, 7]
    # The lab window is shorter than a cell: one cell, showing its bursts.
    assert painted("lab-grasping-bursts/REALSENSE 218622273574", "┃") == [
        math.floor(cell(dt.datetime(2026, 12, 7, 9, 5, tzinfo=OSLO)))]
    assert "Camera conflicts in this range (3):" in text
    (line,) = [x for x in lines if x.startswith("  REALSENSE_D435 936322070512: ")]
    assert re.fullmatch(
        r"  REALSENSE_D435 936322070512: warehouse-weekdays#2026-12-07 \(\S*campaigns/"
        r"warehouse-weekdays.yaml:22:5\) and lab-grasping-bursts \(\S*campaigns/"
        r"lab-bursts.yaml:30:5\) overlap 2026-12-07 09:00–10:00", line), line
    assert "\x1b[" not in text


def test_text_colour_and_ascii() -> None:
    timeline = week()
    coloured = render_text(timeline, width=100, color=True)
    assert "\x1b[32m█\x1b[0m" in coloured and "\x1b[1;31m!\x1b[0m" in coloured
    plain = render_text(timeline, width=100, unicode=False)
    assert plain.isascii() and "#" in plain and " v now" in plain
    narrow = render_text(timeline, width=40)
    assert max(len(line) for line in narrow.splitlines()[3:-8]) <= 33 + 20


def test_text_live_lines() -> None:
    from runner.compile import session_id
    from runner.timeline import LiveSession

    day = dt.datetime(2026, 12, 7, tzinfo=OSLO)
    live = [LiveSession(session_id("lab-grasping-bursts", ""), "lab-grasping-bursts",
                        "lab-grasping-bursts", day + dt.timedelta(hours=9),
                        day + dt.timedelta(hours=10), "Standby",
                        (("REALSENSE", "218622273574", "dev_lab_001"),))]
    text = render_text(week(live=live), width=100)
    assert "      live" in text
    assert "Control-plane sessions in this range (1):" in text
    assert "  lab-grasping-bursts  Standby  2026-12-07 09:00–10:00" in text
    assert "declared, not in the control plane (run `campaign apply`): depot-night-shift#" in text


# --- SVG ------------------------------------------------------------------------------------

def test_svg_is_well_formed_self_contained_and_bars_sit_at_their_times() -> None:
    timeline = week()
    svg = render_svg(timeline)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg" and root.get("width") == "1200"
    for element in root.iter():
        assert element.tag.removeprefix(SVG_NS) not in ("script", "image", "foreignObject",
                                                        "use", "a")
        assert not any("href" in name for name in element.attrib)
    assert "url(" not in svg and "@import" not in svg and "http://" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")

    (plot,) = [e for e in root.iter(f"{SVG_NS}rect") if e.get("class") == "plot"]
    left, width = float(plot.get("x", 0)), float(plot.get("width", 0))
    geometry = Geometry()
    assert (left, left + width) == (geometry.plot_left, geometry.plot_right)

    def x(moment: dt.datetime) -> float:
        return left + min(1.0, max(0.0, fraction(WEEK_START, WEEK_END, moment))) * width

    declared = [e for e in root.iter(f"{SVG_NS}rect") if e.get("class") == "bar declared"]
    expected = [b for r in timeline.rows for b in r.bars]
    assert len(declared) == len(expected) == 31
    for element, bar in zip(declared, expected, strict=True):
        assert element.get("data-session") == bar.session
        assert abs(float(element.get("x", 0)) - x(bar.start)) < 0.01
        assert abs(float(element.get("width", 0)) - max(2.0, x(bar.end) - x(bar.start))) < 0.02
        (title,) = element.iter(f"{SVG_NS}title")
        assert bar.session in (title.text or "")
    survey = next(e for e in declared if e.get("data-session") == "vehicle-survey-dec")
    assert round(float(survey.get("x", 0))) == round(left + 8 / 168 * width)  # Tue 08:00
    assert survey.get("fill") == "#2e7d32"

    ticks = [e for e in root.iter(f"{SVG_NS}line") if e.get("class") == "tick"]
    bursts = [t for r in timeline.rows for t in r.ticks]
    assert len(ticks) == len(bursts) == 40  # 20 bursts on each of the lab's 2 cameras
    for element, tick in zip(ticks, bursts, strict=True):
        assert float(element.get("x1", 0)) == math.floor(x(tick.start)) + 0.5

    conflicts = [e for e in root.iter(f"{SVG_NS}rect") if e.get("class") == "conflict"]
    assert len(conflicts) == sum(len(r.conflicts) for r in timeline.rows) == 6
    (now,) = [e for e in root.iter(f"{SVG_NS}line") if e.get("class") == "now"]
    assert float(now.get("x1", 0)) == round(x(NOW))
    texts = " ".join(e.text or "" for e in root.iter(f"{SVG_NS}text"))
    assert "(times in Europe/Oslo)" in texts and "3 camera conflicts" in texts


def test_svg_without_now_in_range_and_with_odd_names() -> None:
    campaigns = by_name(examples(), "vehicle-survey-dec")
    start = dt.datetime(2026, 11, 1, tzinfo=OSLO)
    timeline = build_timeline(campaigns, start, start + dt.timedelta(days=1), NOW,
                              tz="Europe/Oslo", note="a <note> & more")
    root = ET.fromstring(render_svg(timeline))
    assert not [e for e in root.iter(f"{SVG_NS}line") if e.get("class") == "now"]
    assert any("a <note> & more" in (e.text or "") for e in root.iter(f"{SVG_NS}text"))


# --- HTML -----------------------------------------------------------------------------------

def test_html_is_one_self_contained_page() -> None:
    page = render_html(week())
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "default-src 'none'" in page  # nothing may load from anywhere
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert "Camera conflicts (3)" in page and "vehicle-fleet-daily#2026-12-01" in page
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    ET.fromstring(page[start:end])  # the inline chart is well-formed too


# --- Mermaid --------------------------------------------------------------------------------

TASK = re.compile(
    r"^    (?P<name>[^:#;]+?) :(?P<tags>(?:(?:active|done|crit|milestone), )*)"
    r"(?P<id>t\d+), (?P<start>\d{4}-\d\d-\d\d \d\d:\d\d), "
    r"(?P<end>\d{4}-\d\d-\d\d \d\d:\d\d|0m)$")


def check_gantt(text: str) -> list[dict[str, str]]:
    """Check Mermaid gantt syntax the way its grammar reads it; return the tasks."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "gantt"
    assert re.fullmatch(r"    title [^#;]+", lines[1]), lines[1]
    assert lines[2] == "    dateFormat YYYY-MM-DD HH:mm"
    assert re.fullmatch(r"    axisFormat [%a-zA-Z :]+", lines[3]), lines[3]
    assert lines[4] == "    todayMarker off"
    tasks: list[dict[str, str]] = []
    section = None
    for line in lines[5:]:
        if line.startswith("    section "):
            assert re.fullmatch(r"    section [^#:;]+", line), line
            section = line
            continue
        match = TASK.match(line)
        assert match, f"not a gantt task line: {line!r}"
        assert section is not None, "a task before any section"
        task = match.groupdict()
        if task["end"] != "0m":
            assert task["start"] < task["end"], line
        tasks.append(task)
    ids = [t["id"] for t in tasks]
    assert len(ids) == len(set(ids)), "task ids must be unique"
    return tasks


def test_timeline_gantt_is_sane_mermaid() -> None:
    timeline = week()
    text = timeline_gantt(timeline)
    tasks = check_gantt(text)
    assert "(times in Europe/Oslo)" in text.splitlines()[1]
    assert len(tasks) == 31 + 1  # one per camera and session, plus `now`
    assert tasks[-1]["tags"] == "milestone, " and tasks[-1]["start"] == "2026-12-01 22:00"
    crit = [t for t in tasks if "crit" in t["tags"]]
    assert len(crit) == 6  # both sides of the three conflicts
    survey = [t for t in tasks if t["start"] == "2026-12-01 08:00"]
    assert {t["end"] for t in survey} == {"2026-12-01 18:00"}
    assert any(t["name"] == "REALSENSE 218622273574 (20 bursts)" for t in tasks)


def test_gantt_names_drop_what_mermaid_cannot_take() -> None:
    start = dt.datetime(2026, 12, 7, 8, tzinfo=dt.timezone.utc)
    text = render_gantt([
        GanttTask("a: b; #c", "x#y:z;w", start, start + dt.timedelta(seconds=5), ("crit",)),
        GanttTask("", "", start, start + dt.timedelta(hours=1), ("bogus",)),
    ], title="t #1; zone: UTC", tz="UTC")
    tasks = check_gantt(text)
    assert [t["name"] for t in tasks] == ["x y z w", "session"]
    assert tasks[0]["end"] == "2026-12-07 08:01"  # at least one minute, so it is drawn
    assert "    section a b c" in text and "    section sessions" in text
    assert tasks[1]["tags"] == ""


def registered(desired: Desired) -> dict[tuple[str, str], ActualCamera]:
    """Every camera the campaigns name, as registered in the control plane."""
    return {(m, s): ActualCamera(f"cam-{s}", m, s, "dev") for m, s in desired.cameras}


def test_plan_markdown_embeds_a_gantt_of_the_sessions_it_changes() -> None:
    campaigns = by_name(examples(), "vehicle-survey-dec", "vehicle-fleet-daily",
                        "lab-grasping-bursts")
    morning = dt.datetime(2026, 12, 1, 4, tzinfo=dt.timezone.utc)
    desired = compile_campaigns(campaigns, morning, dt.timedelta(hours=24))
    plan = plan_changes(desired, Actual((), registered(desired)), morning, PlanOptions())
    markdown = render_markdown(plan)
    assert "```mermaid\ngantt\n" in markdown
    block = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert markdown.index("```mermaid") < markdown.index("<details>")
    tasks = check_gantt(block)
    assert "    title Sessions this plan changes (UTC)" in block
    sections = [line for line in block.splitlines() if line.startswith("    section")]
    assert sections == ["    section lab-grasping-bursts", "    section vehicle-fleet-daily",
                        "    section vehicle-survey-dec"]
    # Three sessions are created, one per campaign, times in UTC.
    assert [(t["name"], t["start"], t["end"]) for t in tasks] == [
        ("lab-grasping-bursts created", "2026-12-07 08:00", "2026-12-07 09:00"),
        ("2026-12-01 created", "2026-12-01 05:00", "2026-12-01 21:00"),
        ("vehicle-survey-dec created", "2026-12-01 07:00", "2026-12-01 17:00"),
    ]
    # The survey and the daily occurrence book the same cameras that day: red.
    assert [t["tags"] for t in tasks] == ["active, ", "crit, ", "crit, "]


def test_plan_gantt_shows_where_a_moved_window_was_and_nothing_for_no_changes() -> None:
    campaigns = by_name(examples(), "vehicle-survey-dec")
    desired = compile_campaigns(campaigns, NOW, dt.timedelta(days=2))
    (want,) = desired.sessions
    plan = plan_changes(desired, Actual((), registered(desired)), NOW, PlanOptions())
    moved = ActualSession(want.id, want.name, want.campaign, want.key,
                          want.start - dt.timedelta(hours=2), want.end, want.mode, "Scheduled",
                          want.max_time_seconds, want.max_size_megabytes, ())
    plan = plan_changes(desired, Actual((moved,), registered(desired)), NOW, PlanOptions())
    tasks = check_gantt(plan_gantt(plan))
    assert [(t["name"], t["tags"], t["start"]) for t in tasks] == [
        ("vehicle-survey-dec updated", "", "2026-12-01 07:00"),
        ("vehicle-survey-dec was", "done, ", "2026-12-01 05:00"),
    ]
    assert utc_text(moved.start) == "2026-12-01T05:00:00"
    empty = dataclasses.replace(plan, changes=())
    assert plan_gantt(empty) == "" and "```mermaid" not in render_markdown(empty)
