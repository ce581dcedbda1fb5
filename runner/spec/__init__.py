"""Campaign files: load YAML with positions, validate (schema + semantics), build the model."""

from runner.spec.diagnostics import Diagnostic, Severity
from runner.spec.loader import LoadResult, expand_paths, load_campaigns, load_sources

__all__ = ["Diagnostic", "LoadResult", "Severity", "expand_paths", "load_campaigns", "load_sources"]
