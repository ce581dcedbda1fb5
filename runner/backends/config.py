"""Where the control plane is and how to authenticate: from an env mapping and campaign.toml.

Nothing here reads `os.environ` itself: callers pass the mapping in. Secrets come from the
environment (or a file named there), never from campaign.toml, and never appear in `repr`.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from runner.errors import ConfigError

ENDPOINT_VAR = "HASURA_GRAPHQL_ENDPOINT"
SECRET_VAR = "HASURA_GRAPHQL_ADMIN_SECRET"
SECRET_FILE_VAR = "HASURA_GRAPHQL_ADMIN_SECRET_FILE"
CONFIG_FILE = "campaign.toml"
DEFAULT_TIMEOUT = 30.0
STATE_DIR = ".campaign"


@dataclass(frozen=True)
class ControlPlaneConfig:
    """A resolved control-plane target: a real endpoint, or the embedded sandbox."""

    endpoint: str  # the GraphQL URL (".../v1/graphql")
    admin_secret: str | None = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    embedded: bool = False  # True: run the sandbox in-process (no network)
    sandbox_db: Path | None = None


def load_settings(path: Path) -> dict[str, Any]:
    """The `[controlplane]` table of campaign.toml ({} if the file does not exist)."""
    if not path.exists():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise ConfigError(f"{path}: reading TOML on Python 3.10 needs `tomli`") from exc
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from exc
    table = data.get("controlplane", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [controlplane] must be a table")
    for key in table:
        if "secret" in key.lower() or "password" in key.lower() or "token" in key.lower():
            raise ConfigError(
                f"{path}: [controlplane].{key} looks like a secret; secrets belong in "
                f"${SECRET_VAR} (or ${SECRET_FILE_VAR}), not in a file kept in git"
            )
    unknown = set(table) - {"endpoint", "timeout", "insecure"}
    if unknown:
        raise ConfigError(f"{path}: unknown [controlplane] setting(s): {', '.join(sorted(unknown))}"
                          " (known: endpoint, timeout, insecure)")
    if "endpoint" in table and not isinstance(table["endpoint"], str):
        raise ConfigError(f'{path}: [controlplane].endpoint must be a string, e.g. '
                          '"https://hasura.example.com"')
    timeout = table.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or timeout <= 0):
        raise ConfigError(f"{path}: [controlplane].timeout must be a positive number of seconds, "
                          f"not {timeout!r}")
    if "insecure" in table and not isinstance(table["insecure"], bool):
        raise ConfigError(f"{path}: [controlplane].insecure must be true or false (unquoted), "
                          f"not {table['insecure']!r}")
    return table


def resolve_control_plane(
    env: Mapping[str, str],
    *,
    workdir: Path,
    settings_file: Path | None = None,
    sandbox: bool = False,
    insecure: bool = False,
    timeout: float | None = None,
) -> ControlPlaneConfig:
    """Resolve the control plane from env + campaign.toml + flags, refusing unsafe set-ups."""
    settings = load_settings(settings_file or workdir / CONFIG_FILE)
    insecure = insecure or bool(settings.get("insecure", False))
    chosen_timeout = float(timeout or settings.get("timeout") or DEFAULT_TIMEOUT)
    if sandbox:
        return _embedded(workdir, chosen_timeout)
    endpoint = env.get(ENDPOINT_VAR) or settings.get("endpoint")
    if not endpoint:
        if _truthy(env.get("CI")):
            raise ConfigError(
                f"no control plane configured and CI is set: set ${ENDPOINT_VAR} and "
                f"${SECRET_VAR}, or pass --sandbox to use the embedded sandbox on purpose"
            )
        return _embedded(workdir, chosen_timeout)
    return ControlPlaneConfig(
        endpoint=graphql_url(str(endpoint), insecure=insecure),
        admin_secret=_secret(env),
        timeout=chosen_timeout,
    )


def graphql_url(endpoint: str, *, insecure: bool = False) -> str:
    """Normalise an endpoint (Hasura's base URL or the full /v1/graphql URL) and check it."""
    try:
        parts = urlsplit(endpoint.strip())
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"${ENDPOINT_VAR}: {redact_url(endpoint)!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ConfigError(f"${ENDPOINT_VAR}: credentials in the URL are not accepted; "
                          f"put the admin secret in ${SECRET_VAR}")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not insecure:
        raise ConfigError(
            f"${ENDPOINT_VAR}: plain http:// to {parts.hostname} would send the admin secret "
            "unencrypted; use https:// or pass --insecure"
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/graphql"):
        path += "/v1/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def redact_url(url: str) -> str:
    """The URL without user info or query string (either may carry credentials)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme:
        return "<invalid URL>"
    host = parts.hostname or ""
    if port:
        host += f":{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _secret(env: Mapping[str, str]) -> str | None:
    if env.get(SECRET_VAR):
        return env[SECRET_VAR]
    path = env.get(SECRET_FILE_VAR)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"${SECRET_FILE_VAR}: cannot read {path}: {exc.strerror}") from exc
    return None


def _embedded(workdir: Path, timeout: float) -> ControlPlaneConfig:
    return ControlPlaneConfig(
        endpoint="http://sandbox.invalid/v1/graphql",
        admin_secret=None,
        timeout=timeout,
        embedded=True,
        sandbox_db=workdir / STATE_DIR / "sandbox.sqlite3",
    )


def is_loopback(host: str | None) -> bool:
    """True for localhost names and loopback addresses (plain HTTP is allowed only there)."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")
