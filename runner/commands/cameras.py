"""`campaign cameras discover|list`: what is plugged in here, and what the control plane knows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from runner.cameras.discovery import DiscoveredCamera, StreamProfile
from runner.commands._options import backend_options, backends_from
from runner.spec.capabilities import CAMERA_MODELS

OUTPUT_CHOICES = click.Choice(["text", "json", "yaml"])
NO_CAMERA = (
    "No RealSense camera found. Check that it is plugged into a USB 3 port, that no other "
    "program holds it, and that librealsense's udev rules are installed (docs/cameras.md)."
)
# Not a valid device id on purpose: a block pasted unedited fails validation right there.
DEVICE_PLACEHOLDER = "<fleet-device-id>"
# Stream suggestions for `discover -o yaml`: bitrates are starting points, tune per encoder.
SUGGESTED_FPS = 30
SUGGESTED_ENCODERS = {"color": ("HEVC", 4_000_000), "depth": ("Classic", 20_000_000)}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cameras() -> None:
    """Discover connected RealSense cameras and list the cameras the control plane knows."""


@cameras.command()
@click.option("-o", "--output", type=OUTPUT_CHOICES, default="text", show_default=True,
              help="text: a table per camera; json: every profile; yaml: a `cameras:` block "
                   "to paste into a campaign file.")
@click.option("--emulate", "emulated", multiple=True, metavar="MODEL[:SERIAL[:USB]]",
              help="Add a software-emulated camera (librealsense software_device with the "
                   "datasheet profiles; MODEL is D435 or D405; repeatable). For trying the "
                   "command and for tests without hardware.")
@click.option("--no-hardware", is_flag=True,
              help="Do not look at USB devices; only the --emulate cameras are listed.")
def discover(output: str, emulated: Sequence[str], no_hardware: bool) -> None:
    """List connected RealSense cameras: model, serial, firmware, USB type and stream profiles.

    No camera connected is a normal result: a message (text) or an empty list (json/yaml),
    exit code 0.
    """
    from runner.ops.cameras import discover_cameras

    found = discover_cameras(emulated, no_hardware=no_hardware)
    if output == "json":
        click.echo(json.dumps([_camera_json(c) for c in found], indent=2))
    elif output == "yaml":
        click.echo(cameras_yaml(found), nl=False)
    else:
        click.echo(_cameras_text(found), nl=False)
    if not found and output != "text":
        click.echo(NO_CAMERA, err=True)


def _camera_json(camera: DiscoveredCamera) -> dict[str, Any]:
    return {
        "name": camera.name,
        "product": camera.product,
        "model": camera.model,
        "serial": camera.serial,
        "firmware": camera.firmware,
        "usbType": camera.usb_type,
        "error": camera.error,
        "profiles": [
            {"stream": p.stream, "index": p.index, "format": p.format, "width": p.width,
             "height": p.height, "fps": p.fps, "sensor": p.sensor}
            for p in camera.profiles
        ],
    }


def _cameras_text(found: Sequence[DiscoveredCamera]) -> str:
    if not found:
        return NO_CAMERA + "\n"
    blocks = []
    for camera in found:
        usb = f"USB {camera.usb_type}" if camera.usb_type else "USB ?"
        if camera.is_usb2:
            usb += " (USB 2: fewer modes and less bandwidth; use a USB 3 port)"
        model = camera.model or "(none: not a control-plane model)"
        lines = [
            f"{camera.name}  serial {camera.serial}  model {model}  "
            f"firmware {camera.firmware or '?'}  {usb}"
        ]
        if camera.error:
            lines.append(f"  profiles unavailable: {camera.error}")
        lines += _table(_profile_rows(camera.profiles), indent="  ")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _profile_rows(profiles: Sequence[StreamProfile]) -> list[tuple[str, ...]]:
    """One row per stream and resolution: frame rates and formats folded together."""
    grouped: dict[tuple[str, str, int, int], tuple[set[int], set[str]]] = {}
    for p in profiles:
        rates, formats = grouped.setdefault((p.sensor, p.stream, p.width, p.height), (set(), set()))
        rates.add(p.fps)
        formats.add(p.format)
    rows: list[tuple[str, ...]] = [("SENSOR", "STREAM", "RESOLUTION", "FPS", "FORMATS")]
    for (sensor, stream, width, height), (rates, formats) in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], kv[0][1], -kv[0][2] * kv[0][3])
    ):
        rows.append((sensor, stream, f"{width}x{height}", "/".join(map(str, sorted(rates))),
                     ",".join(sorted(formats))))
    return rows


def suggest_streams(camera: DiscoveredCamera) -> list[dict[str, Any]]:
    """Color + depth at the largest resolution both offer at 30 fps (one sensor mode on a D405).

    On USB 2 only modes whose estimated bandwidth fits the link are considered.
    """
    from runner.cameras.probe import USB2_PRACTICAL_BYTES_PER_SECOND, bytes_per_second

    def modes(stream: str) -> set[tuple[int, int]]:
        return {(p.width, p.height) for p in camera.profiles
                if p.stream == stream and p.fps == SUGGESTED_FPS}

    def fits(wh: tuple[int, int]) -> bool:
        need = sum(bytes_per_second(s, *wh, SUGGESTED_FPS) for s in ("color", "depth"))
        return not camera.is_usb2 or need <= USB2_PRACTICAL_BYTES_PER_SECOND

    common = {wh for wh in modes("color") & modes("depth") if fits(wh)}
    if not common:
        return []
    width, height = max(common, key=lambda wh: wh[0] * wh[1])
    streams = []
    for stream in ("color", "depth"):
        encoder, bitrate = SUGGESTED_ENCODERS[stream]
        entry: dict[str, Any] = {"type": stream}
        if stream == "depth":
            entry["alignTo"] = "color"
        entry.update(encoder=encoder, width=width, height=height, frameRate=SUGGESTED_FPS,
                     bitrate=bitrate)
        streams.append(entry)
    return streams


def cameras_yaml(found: Sequence[DiscoveredCamera]) -> str:
    """A `cameras:` block in the campaign format, ready to paste under `spec:`."""
    if not found:
        return "# no RealSense camera found\ncameras: []\n"
    # Only comments under `cameras:` would read as null: say [] when nothing is usable.
    lines = ["cameras:" if any(c.model for c in found) else "cameras: []"]
    for camera in found:
        usb = f", USB {camera.usb_type}" if camera.usb_type else ""
        lines.append(f"  # {camera.name}, firmware {camera.firmware or '?'}{usb}")
        entry = [
            f"- model: {camera.model}",
            f"  serial: {json.dumps(camera.serial)}",
            f"  device: {json.dumps(DEVICE_PLACEHOLDER)}  # replace with the fleet device id "
            "(campaign cameras list)",
        ]
        streams = suggest_streams(camera)
        if streams:
            entry.append("  streams:  # bitrates are starting points: tune them per encoder")
            entry += [f"    - {_flow(s)}" for s in streams]
        else:
            entry.append("  streams: []  # no color+depth mode in common at 30 fps: pick streams")
        if camera.model is None:
            # No control-plane enum for this product: keep it visible but out of the block.
            lines.append(f"  # {camera.product} has no control-plane camera model; not usable yet:")
            lines += [f"  # {line}" for line in entry]
        else:
            lines += [f"  {line}" for line in entry]
    return "\n".join(lines) + "\n"


def _flow(mapping: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in mapping.items()) + "}"


@cameras.command(name="list")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--model", type=click.Choice(CAMERA_MODELS),
              help="Only cameras of this control-plane model.")
@click.option("--device", metavar="DEVICE_ID", help="Only cameras on this fleet device.")
@backend_options
def list_cameras(output: str, model: str | None, device: str | None, sandbox: bool,
                 insecure: bool, config_file: Path | None, timeout: float | None) -> None:
    """List the cameras the control plane knows: model, serial and fleet device.

    The control plane comes from $HASURA_GRAPHQL_ENDPOINT and $HASURA_GRAPHQL_ADMIN_SECRET
    (or campaign.toml); without them, the embedded sandbox under .campaign/.
    """
    import asyncio

    from runner.ops.cameras import known_cameras

    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    found = asyncio.run(known_cameras(backends, model=model, device=device))
    if output == "json":
        click.echo(json.dumps(
            [{"model": c.model, "serial": c.serial, "device": c.device_id, "id": c.id}
             for c in found], indent=2))
        return
    if not found:
        click.echo("The control plane knows no cameras" + (" matching the filters." if model
                   or device else "."))
        return
    rows = [("MODEL", "SERIAL", "DEVICE")] + [(c.model, c.serial, c.device_id) for c in found]
    click.echo("\n".join(_table(rows)))


def _table(rows: Sequence[tuple[str, ...]], indent: str = "") -> list[str]:
    """Rows as lines of left-aligned columns two spaces apart (the first row is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]
