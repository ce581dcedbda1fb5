"""Where the data files under `schemas/` live: in the repository, or inside an installed wheel.

`schemas/` stays at the top of the repository (editors and CI point at it); a wheel carries a
copy as `runner/schemas/` (see setup.py).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "schemas"
_REPOSITORY = Path(__file__).resolve().parent.parent / "schemas"

SCHEMAS_DIR = _PACKAGED if _PACKAGED.is_dir() else _REPOSITORY


def schema_file(name: str) -> Path:
    """The path of a file shipped in `schemas/` (campaign.schema.json, capabilities.yaml, ...)."""
    return SCHEMAS_DIR / name
