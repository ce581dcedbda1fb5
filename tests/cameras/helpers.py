"""Shared helpers for the camera tests: software-only contexts and the emulated serials."""

from __future__ import annotations

from runner.cameras.emulation import software_only_context

D435_SERIAL = "844212070924"
D405_SERIAL = "218622272031"

__all__ = ["D405_SERIAL", "D435_SERIAL", "software_only_context"]
