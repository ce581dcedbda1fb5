"""Shared helpers of the timeline tests: the example campaigns, a fixed clock, the CLI, and a
small PNG decoder (zlib only) for the Chromium screenshot."""

from __future__ import annotations

import datetime as dt
import os
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

from runner.spec import load_campaigns
from runner.spec.model import Campaign

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "timeline" / "campaigns"  # the examples as they were: 3 conflicts
UTC = dt.timezone.utc
OSLO = dt.timezone(dt.timedelta(hours=1))  # Europe/Oslo in December
NOW = dt.datetime(2026, 12, 1, 21, 0, tzinfo=UTC)  # Tuesday evening, the examples' first week


def examples(now: dt.datetime = NOW) -> tuple[Campaign, ...]:
    """The example campaigns in campaigns/ (they must load cleanly)."""
    result = load_campaigns([EXAMPLES], now=now)
    assert result.ok, [d.message for d in result.errors]
    return result.campaigns


def by_name(campaigns: tuple[Campaign, ...], *names: str) -> tuple[Campaign, ...]:
    """Those of `campaigns` with the given names, in that order."""
    index = {c.name: c for c in campaigns}
    return tuple(index[n] for n in names)


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """`campaign ARGS` in a real process (no backend settings leak in from the outer env)."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HASURA_", "AVALA_")) and k not in ("CI", "NO_COLOR")}
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=cwd, text=True,
                          capture_output=True, env={**base, **(env or {})}, timeout=120)


@dataclass(frozen=True)
class Image:
    """A decoded 8-bit RGB(A) PNG: `pixel(x, y)` is an (r, g, b) tuple."""

    width: int
    height: int
    channels: int
    rows: tuple[bytes, ...]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        row, i = self.rows[y], x * self.channels
        return row[i], row[i + 1], row[i + 2]

    def find(self, colour: tuple[int, int, int], *, top: int = 0, bottom: int | None = None
             ) -> list[tuple[int, int]]:
        """Every (x, y) with exactly this colour, in rows top..bottom (exclusive)."""
        want = bytes(colour)
        found: list[tuple[int, int]] = []
        for y in range(top, self.height if bottom is None else bottom):
            row = self.rows[y]
            for x in range(self.width):
                i = x * self.channels
                if row[i:i + 3] == want:
                    found.append((x, y))
        return found


def decode_png(data: bytes) -> Image:
    """Decode a non-interlaced 8-bit RGB or RGBA PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        rows.append(bytes(line))
        previous = line
    return Image(width, height, channels, tuple(rows))


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    n = len(line)
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + prev[i]) & 0xFF
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pred) & 0xFF
    else:
        raise AssertionError(f"unknown PNG filter type {kind}")
