"""The camera capability table (schemas/capabilities.yaml): which streams each model can record."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from runner.resources import schema_file

CAPABILITIES_PATH = schema_file("capabilities.yaml")

# The control plane's enums as campaign files may use them: the one definition in the product
# (schemas/campaign.schema.json and schemas/capabilities.yaml agree with it; a test checks).
CAMERA_MODELS = ("REALSENSE_D435", "REALSENSE", "V4L2CAMERA")  # camera_model_enum
STREAM_TYPES = ("color", "depth", "infra")  # stream_type_enum
STREAM_ENCODERS = ("HEVC", "Classic", "H264", "RAW")  # stream_encoder_enum


@dataclass(frozen=True)
class ModelCapabilities:
    """What one camera model supports: per stream type, resolution -> frame rates (None = any)."""

    name: str
    streams: dict[str, dict[tuple[int, int], tuple[int, ...]] | None]
    shared_sensor: frozenset[str] = frozenset()
    usb_bytes_per_second: int | None = None  # what its USB link carries in practice (CMP612)

    def check(self, type_: str, width: int, height: int, fps: int) -> str | None:
        """None if supported, else a one-line reason with what is supported."""
        if type_ not in self.streams:
            return (
                f"{self.name} has no {type_} stream (it supports {', '.join(sorted(self.streams))})"
            )
        modes = self.streams[type_]
        if modes is None:
            return None
        rates = modes.get((width, height))
        if rates is None:
            sizes = ", ".join(f"{w}x{h}" for w, h in modes)
            return f"{self.name} {type_} does not support {width}x{height} (supported: {sizes})"
        if fps not in rates:
            listed = "/".join(map(str, rates))
            return (
                f"{self.name} {type_} at {width}x{height} does not support {fps} fps "
                f"(supported: {listed})"
            )
        return None


Capabilities = dict[str, ModelCapabilities]


def parse_capabilities(raw: Any) -> Capabilities:
    """Build the table from its YAML form (see schemas/capabilities.yaml for the layout)."""
    table: Capabilities = {}
    for model, entry in raw.items():
        streams: dict[str, dict[tuple[int, int], tuple[int, ...]] | None] = {}
        for type_, modes in entry["streams"].items():
            if modes == "any":
                streams[type_] = None
                continue
            parsed = {}
            for size, rates in modes.items():
                w, h = (int(x) for x in str(size).split("x"))
                parsed[(w, h)] = tuple(int(r) for r in rates)
            streams[type_] = parsed
        table[str(model)] = ModelCapabilities(
            name=str(entry.get("name", model)),
            streams=streams,
            shared_sensor=frozenset(entry.get("shared_sensor", ())),
            usb_bytes_per_second=(int(entry["usb_bytes_per_second"])
                                  if entry.get("usb_bytes_per_second") else None),
        )
    return table


@lru_cache(maxsize=1)
def default_capabilities() -> Capabilities:
    """The shipped table (read once per process)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(CAPABILITIES_PATH, encoding="utf-8") as fh:
        return parse_capabilities(yaml.load(fh, Loader=loader))
