"""Introspection: one `__schema` query per endpoint, cached under the state directory.

The cache file (`<state dir>/schema/<sha256 of the endpoint>.json`) holds the answer and its
hash; a file that does not parse or whose hash does not match is ignored and refetched. The
adapter refetches too when a request fails validation (the server's schema changed).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from graphql import get_introspection_query

from runner.adapters.controlplane.dialect import Dialect, dialect_from_introspection
from runner.errors import ControlPlaneError

INTROSPECTION_QUERY = get_introspection_query(descriptions=False)
CACHE_VERSION = 1

Fetch = Callable[[str], Awaitable[dict[str, Any]]]  # document -> `data`


class SchemaCache:
    """Introspection answers by endpoint, in a directory (None: keep nothing on disk)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def path(self, endpoint: str) -> Path | None:
        """Where the endpoint's schema is kept."""
        if self.directory is None:
            return None
        return self.directory / f"{hashlib.sha256(endpoint.encode()).hexdigest()[:24]}.json"

    def load(self, endpoint: str) -> dict[str, Any] | None:
        """The cached introspection answer, or None (missing, damaged or another version)."""
        path = self.path(endpoint)
        if path is None:
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            data = entry["introspection"]
            if entry.get("version") != CACHE_VERSION or entry.get("sha256") != _digest(data):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return data if isinstance(data, dict) else None

    def save(self, endpoint: str, data: dict[str, Any]) -> None:
        """Keep the answer (atomically; a cache that cannot be written is only slower)."""
        path = self.path(endpoint)
        if path is None:
            return
        entry = {"version": CACHE_VERSION, "sha256": _digest(data), "introspection": data}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            pass


async def load_dialect(endpoint: str, cache: SchemaCache, fetch: Fetch, *,
                       refresh: bool = False) -> tuple[Dialect, bool]:
    """The endpoint's Dialect and whether it came from the cache (so may be stale)."""
    if not refresh:
        cached = cache.load(endpoint)
        if cached is not None:
            return dialect_from_introspection(cached), True
    data = await fetch(INTROSPECTION_QUERY)
    if not isinstance(data, dict) or not isinstance(data.get("__schema"), dict):
        raise ControlPlaneError("the control plane answered the introspection query without a "
                                "schema; is introspection disabled for this role? "
                                "(`campaign doctor` checks it)")
    dialect = dialect_from_introspection(data)
    cache.save(endpoint, data)
    return dialect, False


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
