"""Semantic checks, one module per section of a campaign document.

Each check runs after the JSON Schema, reads only values the schema found sound, reports
diagnostics through a shared `Context` and returns the section's model value.
"""

from runner.spec.checks._context import Context
from runner.spec.checks.bursts import check_bursts
from runner.spec.checks.cameras import check_cameras, unquoted_serials
from runner.spec.checks.rules import check_recordings
from runner.spec.checks.secrets import secret_key_diagnostics
from runner.spec.checks.windows import check_window

__all__ = [
    "Context",
    "check_bursts",
    "check_cameras",
    "check_recordings",
    "check_window",
    "secret_key_diagnostics",
    "unquoted_serials",
]
