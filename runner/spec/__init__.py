"""Campaign files: load YAML with positions, validate (schema + semantics), build the model.

The names below are imported on first use, so small modules such as `runner.spec.secrets`
(the secret-key rule the settings code shares) load without YAML and JSON Schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.spec.diagnostics import Diagnostic, Severity
    from runner.spec.loader import (
        STDIN,
        STDIN_NAME,
        LoadResult,
        Validation,
        expand_paths,
        load_campaigns,
        load_sources,
        validate_campaigns,
    )

_MODULES = {
    "Diagnostic": "runner.spec.diagnostics",
    "Severity": "runner.spec.diagnostics",
    "STDIN": "runner.spec.loader",
    "STDIN_NAME": "runner.spec.loader",
    "LoadResult": "runner.spec.loader",
    "expand_paths": "runner.spec.loader",
    "load_campaigns": "runner.spec.loader",
    "load_sources": "runner.spec.loader",
    "Validation": "runner.spec.loader",
    "validate_campaigns": "runner.spec.loader",
}

__all__ = [
    "STDIN",
    "STDIN_NAME",
    "Diagnostic",
    "LoadResult",
    "Severity",
    "Validation",
    "expand_paths",
    "load_campaigns",
    "load_sources",
    "validate_campaigns",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'runner.spec' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
