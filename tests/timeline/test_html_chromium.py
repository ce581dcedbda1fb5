"""The HTML timeline in a real browser: headless Chromium takes a screenshot, and the pixels
say the page is not blank and each bar, tick, conflict mark and the `now` line sits at the
x its time gives within the chart's plot area.

Chromium is the Debian package `chromium`, installed by `python3 dev.py test` and `.ci/run`
when they run as root. Without it the test fails; it skips (saying why) only when it could not
have been installed: not root and not in CI (as the libusb tests do).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from runner.timeline.svg import CONFLICT, DECLARED, NOW, PLOT, TICK

from .helpers import Image, decode_png, run_cli

CAMPAIGN = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: {name}}}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "111", device: dev_a,
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
  window: {{start: "{start}", end: "{end}", timezone: UTC}}
  trigger: {trigger}
"""
# The chart shows 06:00-16:00 UTC, so an hour is a tenth of the plot's width.
ALPHA = CAMPAIGN.format(name="alpha", start="2026-12-07T08:00:00", end="2026-12-07T12:00:00",
                        trigger="scheduled")
BRAVO = CAMPAIGN.format(name="bravo", start="2026-12-07T10:00:00", end="2026-12-07T14:00:00",
                        trigger="standby")
BRAVO += "  bursts: {count: 3, record: 10m, pause: 50m, offset: 30m}\n"
ARGS = ["--from", "2026-12-07T06:00:00Z", "--to", "10h", "--now", "2026-12-07T07:00:00Z"]
WINDOW = (1300, 900)
PIXELS = 2  # tolerance: anti-aliased edges and rounding


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is not None:
        return path
    if hasattr(os, "geteuid") and os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("headless Chromium is not installed (Debian package chromium; "
                    "`python3 dev.py test` installs it when run as root)")
    pytest.fail("headless Chromium is missing: `python3 dev.py test` (as root) and .ci/run "
                "install the Debian package chromium; install it with apt-get install chromium")


def rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def screenshot(chromium: str, page: Path, out: Path, profile: Path) -> Image:
    """Load `page` in headless Chromium (network closed: those flags matter) and decode the PNG."""
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--force-device-scale-factor=1",
         "--hide-scrollbars", f"--screenshot={out}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
         page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and out.exists(), result.stderr[-2000:]
    return decode_png(out.read_bytes())


def span(points: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the points, inclusive."""
    assert points, "colour not found in the screenshot"
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def test_html_renders_in_chromium_with_bars_where_the_windows_are(
    chromium: str, tmp_path: Path
) -> None:
    (tmp_path / "alpha.yaml").write_text(ALPHA)
    (tmp_path / "bravo.yaml").write_text(BRAVO)
    result = run_cli(["timeline", "alpha.yaml", "bravo.yaml", "-o", "html", *ARGS], tmp_path)
    assert result.returncode == 0, result.stderr
    page = tmp_path / "timeline.html"
    page.write_text(result.stdout, encoding="utf-8")
    image = screenshot(chromium, page, tmp_path / "shot.png", tmp_path / "profile")
    assert (image.width, image.height) == WINDOW

    # Not blank: plenty of non-white pixels in many colours.
    sample = [image.pixel(x, y) for y in range(0, image.height, 3)
              for x in range(0, image.width, 3)]
    inked = sum(1 for p in sample if p != (255, 255, 255))
    assert inked > len(sample) * 0.03, f"page looks blank: {inked} of {len(sample)} inked"
    assert len(set(sample)) > 12

    # The plot area: the rectangle in the plot colour.
    left, top, right, bottom = span(image.find(rgb(PLOT)))
    width = right - left + 1
    assert width > 600 and bottom - top > 60

    def x_at(hours_after_six: float) -> float:
        return left + hours_after_six / 10 * width

    def assert_spans(colour: str, start: float, end: float) -> tuple[int, int]:
        x1, y1, x2, y2 = span(image.find(rgb(colour), top=top, bottom=bottom + 1))
        assert abs(x1 - x_at(start)) <= PIXELS, (colour, x1, x_at(start))
        assert abs(x2 + 1 - x_at(end)) <= PIXELS, (colour, x2 + 1, x_at(end))
        return y1, y2

    alpha = assert_spans(DECLARED["Scheduled"], 2, 6)  # 08:00-12:00
    bravo = assert_spans(DECLARED["Standby"], 4, 8)  # 10:00-14:00
    assert alpha[1] < bravo[0], "alpha's row is above bravo's"
    # Bursts at 10:30, 11:30 and 12:30: one-pixel ticks on bravo's row.
    ticks = image.find(rgb(TICK), top=top, bottom=bottom + 1)
    columns = sorted({x for x, _ in ticks})
    groups: list[list[int]] = []
    for x in columns:  # runs of adjacent columns: one tick each
        if groups and x - groups[-1][-1] <= 1:
            groups[-1].append(x)
        else:
            groups.append([x])
    centres = [sum(g) / len(g) for g in groups]
    assert len(centres) == 3, columns
    for centre, hours in zip(centres, (4.5, 5.5, 6.5), strict=True):
        assert abs(centre - x_at(hours)) <= PIXELS, (centre, x_at(hours))
    assert all(bravo[0] - 4 <= y <= bravo[1] + 2 for _, y in ticks)
    # The camera is booked twice 10:00-12:00: red marks on both rows.
    conflict = image.find(rgb(CONFLICT), top=top, bottom=bottom + 1)
    x1, _, x2, _ = span(conflict)
    assert abs(x1 - x_at(4)) <= PIXELS and abs(x2 + 1 - x_at(6)) <= PIXELS
    assert len({y for _, y in conflict}) >= 6  # two strips of 4 px (3+ rows each, anti-aliased)
    # `now` (07:00) is the amber line.
    now_xs = [x for x, _ in image.find(rgb(NOW), top=top, bottom=bottom + 1)]
    assert now_xs and abs(sum(now_xs) / len(now_xs) - x_at(1)) <= PIXELS
