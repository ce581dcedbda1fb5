"""Invalid campaign files for the corpus test: each case names the code and line it must produce.

Every case is the valid BASE document with one change, so the expected line is easy to see.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = """\
apiVersion: campaign/v1
kind: Campaign
metadata:
  name: demo
spec:
  cameras:
    - model: REALSENSE_D435
      serial: "844212070924"
      device: dev_vehicle_001
      streams:
        - {type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15, bitrate: 1000000}
  window:
    start: 2026-12-01T08:00:00
    end: 2026-12-01T18:00:00
    timezone: Europe/Oslo
"""
# Lines of BASE (1-based) the cases refer to.
L_NAME, L_SPEC, L_CAMERA, L_SERIAL, L_STREAM, L_WINDOW, L_START, L_END, L_TZ = (
    4,
    5,
    7,
    8,
    11,
    12,
    13,
    14,
    15,
)
L_AFTER = 16  # first line appended after BASE

STREAM = "{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15, bitrate: 1000000}"

RECURRING = BASE.replace(
    """    start: 2026-12-01T08:00:00
    end: 2026-12-01T18:00:00
""",
    """    every: {days: weekdays, from: "08:00", to: "18:00"}
    start: 2026-12-01
""",
)  # every: line 13, start: line 14, timezone: line 15


@dataclass(frozen=True)
class Case:
    """One invalid file: the diagnostic `code` must be reported at `line`."""

    id: str
    text: str | bytes
    code: str
    line: int
    severity: str = "error"


def sub(old: str, new: str, base: str = BASE) -> str:
    """BASE with `old` replaced once (fails loudly if `old` is not there)."""
    assert old in base, old
    return base.replace(old, new, 1)


def stream(new: str) -> str:
    return sub(STREAM, new)


def rules(*lines: str) -> str:
    return BASE + "  recordings:\n    rules:\n" + "".join(f"      {ln}\n" for ln in lines)


def bursts(trigger: str, body: str) -> str:
    return BASE + f"  trigger: {trigger}\n  bursts: {body}\n"


ALIAS_BOMB = (
    BASE
    + "  profiles:\n"
    + '    a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    + "    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    + "    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    + "    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    + "    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    + "    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    + "    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)

D405 = '{model: REALSENSE, serial: "218622273574", device: dev_lab_001, streams: [%s, %s]}'

CASES: list[Case] = [
    # --- YAML level (CMP10x) -------------------------------------------------------------
    Case("syntax-error", BASE + "  trigger: [scheduled\n", "CMP100", L_AFTER + 1),
    Case("tab-indentation", sub("  name: demo", "\tname: demo"), "CMP100", L_NAME),
    Case("file-too-large", BASE + "#" * (2 * 1024 * 1024) + "\n", "CMP101", 1),
    Case("too-many-documents", BASE + "---\na: 1\n" * 200, "CMP102", L_AFTER + 399),
    Case("alias-bomb", ALIAS_BOMB, "CMP103", 1),
    Case("deep-nesting", BASE + "  x: " + "[" * 100 + "]" * 100 + "\n", "CMP103", 1),
    Case("duplicate-key", sub("kind: Campaign\n", "kind: Campaign\nkind: Campaign\n"), "CMP104", 3),
    Case("yes-boolean", rules("- {name: r, delete: yes}"), "CMP105", L_AFTER + 2),
    Case("on-as-tag", rules("- {name: r, tags: {add: [on]}}"), "CMP105", L_AFTER + 2),
    Case(
        "python-tag",
        sub("  name: demo", "  name: demo\n  description: !!python/object/apply:os.system [ls]"),
        "CMP106",
        L_NAME + 1,
    ),
    Case(
        "custom-tag",
        sub("  name: demo", "  name: demo\n  description: !include other.yaml"),
        "CMP106",
        L_NAME + 1,
    ),
    Case("complex-key", sub("metadata:\n", "metadata:\n  ? [a, b]\n  : 1\n"), "CMP107", L_NAME),
    Case("octal-number", stream(STREAM.replace("width: 1280", "width: 0755")), "CMP108", L_STREAM),
    Case("not-utf8", BASE.encode() + b"# \xff\xfe\n", "CMP109", L_AFTER),
    # --- structure (CMP11x) --------------------------------------------------------------
    Case("unknown-top-key", BASE + "metdata: {}\n", "CMP110", L_AFTER),
    Case("unknown-camera-key", sub("      device:", "      devise:"), "CMP110", L_SERIAL + 1),
    Case(
        "missing-window",
        sub(
            "  window:\n    start: 2026-12-01T08:00:00\n    end: "
            "2026-12-01T18:00:00\n    timezone: Europe/Oslo\n",
            "",
        ),
        "CMP111",
        L_SPEC + 1,
    ),
    Case(
        "missing-stream-field", stream(STREAM.replace(", bitrate: 1000000", "")), "CMP111", L_STREAM
    ),
    Case("string-width", stream(STREAM.replace("1280", '"1280"')), "CMP112", L_STREAM),
    Case(
        "streams-not-a-list",
        sub("      streams:\n        - " + STREAM, "      streams: color"),
        "CMP112",
        L_STREAM - 1,
    ),
    Case("unknown-model", sub("REALSENSE_D435", "REALSENSE_D455"), "CMP113", L_CAMERA),
    Case("negative-bitrate", stream(STREAM.replace("1000000", "-5")), "CMP113", L_STREAM),
    Case("api-version-v2", sub("campaign/v1", "campaign/v2"), "CMP114", 1),
    Case("kind-typo", sub("kind: Campaign", "kind: Campain"), "CMP115", 2),
    Case("document-is-a-list", "- apiVersion: campaign/v1\n", "CMP116", 1),
    Case("duplicate-name", BASE + "---\n" + BASE, "CMP118", L_AFTER + L_NAME),
    Case("uppercase-name", sub("name: demo", "name: Demo"), "CMP119", L_NAME),
    Case("hash-in-name", sub("name: demo", 'name: "demo#1"'), "CMP119", L_NAME),
    Case("long-name", sub("name: demo", "name: " + "a" * 64), "CMP119", L_NAME),
    # --- time (CMP2xx) -------------------------------------------------------------------
    Case("bad-timestamp", sub("2026-12-01T08:00:00", "2026-13-01T08:00:00"), "CMP201", L_START),
    Case(
        "bad-date", sub("start: 2026-12-01", "start: 2026-02-30", RECURRING), "CMP201", L_START + 1
    ),
    Case("no-timezone", sub("    timezone: Europe/Oslo\n", ""), "CMP202", L_START),
    Case("unknown-timezone", sub("Europe/Oslo", "Europe/Olso"), "CMP203", L_TZ),
    Case(
        "end-before-start",
        sub("end: 2026-12-01T18:00:00", "end: 2026-12-01T07:00:00"),
        "CMP204",
        L_END,
    ),
    Case(
        "window-in-past",
        sub("2026-12-01T18", "2026-12-01T18").replace("2026-12-01", "2020-12-01"),
        "CMP205",
        L_END,
        "warning",
    ),
    Case(
        "bad-duration",
        bursts("standby", "{count: 2, record: 10 sec, pause: 5s}"),
        "CMP206",
        L_AFTER + 1,
    ),
    Case(
        "iso-months", bursts("standby", "{count: 2, record: P1M, pause: 5s}"), "CMP206", L_AFTER + 1
    ),
    Case(
        "bursts-too-long",
        bursts("standby", "{count: 100, record: 10m, pause: 1m}"),
        "CMP207",
        L_AFTER + 1,
    ),
    Case(
        "bursts-not-standby",
        bursts("scheduled", "{count: 2, record: 10s, pause: 5s}"),
        "CMP208",
        L_AFTER + 1,
    ),
    Case("until-before-start", RECURRING + "    until: 2026-11-01\n", "CMP209", L_AFTER),
    Case("bad-time-of-day", sub('from: "08:00"', 'from: "25:00"', RECURRING), "CMP210", 13),
    Case("sexagesimal-time", sub('from: "08:00"', "from: 8:00", RECURRING), "CMP210", 13),
    Case(
        "dst-gap",
        sub("start: 2026-12-01T08:00:00", "start: 2026-03-29T02:30:00"),
        "CMP211",
        L_START,
        "warning",
    ),
    Case(
        "dst-overlap",
        sub("end: 2026-12-01T18:00:00", "end: 2027-10-31T02:30:00"),
        "CMP212",
        L_END,
        "warning",
    ),
    Case(
        "offset-disagrees-with-zone",
        sub("start: 2026-12-01T08:00:00", "start: 2026-12-01T08:00:00+02:00"),
        "CMP213",
        L_START,
        "warning",
    ),
    Case("zero-length-recurring", sub('to: "18:00"', 'to: "08:00"', RECURRING), "CMP214", 13),
    Case(
        "no-occurrence",
        sub("days: weekdays", "days: [sat]", RECURRING) + "    until: 2026-12-02\n",
        "CMP215",
        L_WINDOW + 1,
        "warning",
    ),
    # --- cameras and streams (CMP3xx) ----------------------------------------------------
    Case("unknown-profile", stream("color-720"), "CMP301", L_STREAM),
    Case(
        "align-to-missing",
        stream(STREAM.replace("type: color,", "type: color, alignTo: depth,")),
        "CMP302",
        L_STREAM,
    ),
    Case(
        "near-not-below-far",
        stream(STREAM.replace("}", ", nearCut: 500, farCut: 400}")),
        "CMP303",
        L_STREAM,
    ),
    Case(
        "v4l2-depth",
        sub("model: REALSENSE_D435", "model: V4L2CAMERA").replace("type: color", "type: depth"),
        "CMP304",
        L_STREAM,
    ),
    Case(
        "unsupported-resolution",
        stream(STREAM.replace("height: 720", "height: 800")),
        "CMP305",
        L_STREAM,
    ),
    Case(
        "unsupported-fps",
        stream(STREAM.replace("frameRate: 15", "frameRate: 60")),
        "CMP305",
        L_STREAM,
    ),
    Case("two-color-streams", stream(STREAM + "\n        - " + STREAM), "CMP306", L_STREAM + 1),
    Case(
        "d405-shared-sensor",
        sub(
            '    - model: REALSENSE_D435\n      serial: "844212070924"\n'
            "      device: dev_vehicle_001\n      streams:\n        - " + STREAM,
            "    - "
            + D405
            % (
                "{type: depth, encoder: RAW, width: 848, height: 480, frameRate: 30, bitrate: 1}",
                "{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 30, bitrate: 1}",
            ),
        ),
        "CMP307",
        L_CAMERA,
    ),
    Case(
        "unquoted-serial", sub('serial: "844212070924"', "serial: 844212070924"), "CMP308", L_SERIAL
    ),
    Case(
        "leading-zero-serial",
        sub('serial: "844212070924"', "serial: 0844212070924"),
        "CMP308",
        L_SERIAL,
    ),
    Case(
        "duplicate-camera",
        sub(
            "  window:",
            '    - {model: REALSENSE_D435, serial: "844212070924",'
            " device: dev_lab_001, streams: [" + STREAM + "]}\n  window:",
        ),
        "CMP309",
        L_STREAM + 1,
    ),
    Case(
        "unused-profile",
        BASE + "  profiles:\n    spare: " + STREAM + "\n",
        "CMP311",
        L_AFTER + 1,
        "warning",
    ),
    # --- recording rules (CMP4xx) --------------------------------------------------------
    Case(
        "duplicate-rule-name",
        rules("- {name: r, delete: true, when: {status: failed}}", "- {name: r, status: archived}"),
        "CMP401",
        L_AFTER + 3,
    ),
    Case(
        "rule-without-action",
        rules("- {name: r, when: {status: completed}}"),
        "CMP402",
        L_AFTER + 2,
        "warning",
    ),
    Case(
        "range-min-above-max",
        rules("- {name: r, delete: true, when: {duration: {min: 1h, max: 10m}}}"),
        "CMP403",
        L_AFTER + 2,
    ),
    Case(
        "older-newer-contradiction",
        rules("- {name: r, status: x, when: {older_than: 30d, newer_than: 7d}}"),
        "CMP404",
        L_AFTER + 2,
        "warning",
    ),
    Case(
        "add-and-remove-tag",
        rules("- {name: r, tags: {add: [a], remove: [a]}}"),
        "CMP405",
        L_AFTER + 2,
    ),
    Case(
        "bad-size",
        rules("- {name: r, delete: true, when: {size: {max: 5 bananas}}}"),
        "CMP406",
        L_AFTER + 2,
    ),
    Case(
        "rule-after-delete-all",
        rules("- {name: purge, delete: true}", "- {name: tag, status: x}"),
        "CMP407",
        L_AFTER + 3,
        "warning",
    ),
    Case(
        "bad-older-than",
        rules("- {name: r, status: x, when: {older_than: 90 days}}"),
        "CMP206",
        L_AFTER + 2,
    ),
    # --- security (CMP5xx) ---------------------------------------------------------------
    Case(
        "password-key",
        sub("  name: demo", "  name: demo\n  password: hunter2"),
        "CMP501",
        L_NAME + 1,
    ),
    Case("api-key-in-spec", BASE + "  api_key: abc\n", "CMP501", L_AFTER),
    Case(
        "admin-secret-label",
        sub("  name: demo", "  name: demo\n  labels: {adminSecret: x}"),
        "CMP501",
        L_NAME + 1,
    ),
]
