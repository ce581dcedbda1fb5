"""CMP501: keys that look like credentials (campaign files must never carry one)."""

from __future__ import annotations

from runner.spec.diagnostics import Diagnostic
from runner.spec.yamlsafe import Document, Path


def secret_key_diagnostics(doc: Document) -> tuple[list[Diagnostic], set[Path]]:
    """One error per secret-looking key (never echoing its value), and the keys' paths."""
    diags: list[Diagnostic] = []
    found: set[Path] = set()
    for path in doc.secret_keys:
        if any(path[:n] in found for n in range(1, len(path))):
            continue  # inside a key already reported
        diags.append(
            Diagnostic(
                doc.key_where(path),
                "error",
                "CMP501",
                f"key {path[-1]!r} looks like a secret; campaign files must not contain "
                "credentials",
                "remove it; pass secrets through the environment "
                "(HASURA_GRAPHQL_ADMIN_SECRET, AVALA_API_KEY)",
            )
        )
        found.add(path)
        doc.reported.add(path)
    return diags, found
