"""Campaign files: load YAML with positions, validate (schema + semantics), build the model."""

from runner.spec.diagnostics import Diagnostic, Severity
from runner.spec.loader import (
    STDIN,
    STDIN_NAME,
    LoadResult,
    expand_paths,
    load_campaigns,
    load_sources,
)

__all__ = [
    "STDIN",
    "STDIN_NAME",
    "Diagnostic",
    "LoadResult",
    "Severity",
    "expand_paths",
    "load_campaigns",
    "load_sources",
]
