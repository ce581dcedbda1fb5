"""The tool's settings, in one place: env variables and `campaign.toml`.

Where the control plane and the fleet API are and how to authenticate. Nothing here reads
`os.environ` itself: the wiring passes the mapping in. Secrets come from the environment (or
a file named there), never from campaign.toml, and never appear in `repr` or messages.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlunsplit

from runner.adapters.controlplane.transport import DEFAULT_TIMEOUT, ControlPlaneConfig
from runner.adapters.fleet import API_KEY_VAR, BASE_URL_VAR, check_base_url
from runner.errors import ConfigError, UsageError
from runner.urls import UrlProblem, check_http_url, redact_url

ENDPOINT_VAR = "HASURA_GRAPHQL_ENDPOINT"
SECRET_VAR = "HASURA_GRAPHQL_ADMIN_SECRET"
SECRET_FILE_VAR = "HASURA_GRAPHQL_ADMIN_SECRET_FILE"
CONFIG_FILE = "campaign.toml"
STATE_DIR = ".campaign"


SECTIONS = {"controlplane": ("endpoint", "timeout", "insecure"), "sandbox": ("naming", "strict")}
SANDBOX_NAMING_VAR = "CAMPAIGN_SANDBOX_NAMING"
SANDBOX_STRICT_VAR = "CAMPAIGN_SANDBOX_STRICT"
SANDBOX_NAMINGS = ("vendor", "hasura-default", "graphql-default")


def read_settings(path: Path, *, required: bool = False) -> dict[str, dict[str, Any]]:
    """Every section of campaign.toml, checked ({} when the file does not exist, unless
    `required`: a `--config FILE` that does not exist is a usage error)."""
    if not path.exists():
        if required:
            raise UsageError(f"--config: {path} does not exist; give an existing settings file "
                             f"or leave --config out (default ./{CONFIG_FILE})")
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
    _refuse_secrets(path, data, "")
    for section, table in data.items():
        if section not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{section}] (known: "
                              f"{', '.join(f'[{k}]' for k in SECTIONS)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        unknown = set(table) - set(SECTIONS[section])
        if unknown:
            raise ConfigError(f"{path}: unknown [{section}] setting(s): "
                              f"{', '.join(sorted(unknown))} (known: "
                              f"{', '.join(SECTIONS[section])})")
    return {str(section): dict(table) for section, table in data.items()}


def _refuse_secrets(path: Path, table: Mapping[str, Any], where: str) -> None:
    """A secret-looking key anywhere in the file is refused, naming the key, never the value."""
    from runner.spec.secrets import is_secret_key

    for key, value in table.items():
        dotted = f"{where}.{key}" if where else str(key)
        if is_secret_key(str(key)):
            raise ConfigError(
                f"{path}: {dotted} looks like a secret; secrets belong in the environment "
                f"(${SECRET_VAR} or ${SECRET_FILE_VAR}, $AVALA_API_KEY), not in a file kept in "
                "git")
        if isinstance(value, dict):
            _refuse_secrets(path, value, dotted)


def load_settings(path: Path, *, required: bool = False) -> dict[str, Any]:
    """The `[controlplane]` table of campaign.toml, type-checked ({} without the file)."""
    table = read_settings(path, required=required).get("controlplane", {})
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
    return dict(table)


@dataclass(frozen=True)
class SandboxSettings:
    """How the embedded sandbox serves: Hasura naming convention and strict mode."""

    naming: str = "vendor"
    strict: bool = False


def sandbox_settings(env: Mapping[str, str], path: Path, *, required: bool = False
                     ) -> SandboxSettings:
    """`[sandbox]` of campaign.toml, overridden by $CAMPAIGN_SANDBOX_NAMING / _STRICT."""
    table = read_settings(path, required=required).get("sandbox", {})
    naming = env.get(SANDBOX_NAMING_VAR) or table.get("naming", "vendor")
    if naming not in SANDBOX_NAMINGS:
        where = f"${SANDBOX_NAMING_VAR}" if env.get(SANDBOX_NAMING_VAR) else f"{path}: [sandbox]"
        raise ConfigError(f"{where} naming {naming!r} is not one of "
                          f"{', '.join(SANDBOX_NAMINGS)}")
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise ConfigError(f"{path}: [sandbox].strict must be true or false (unquoted)")
    if env.get(SANDBOX_STRICT_VAR) is not None:
        strict = _truthy(env.get(SANDBOX_STRICT_VAR))
    return SandboxSettings(str(naming), strict)


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
    settings = load_settings(settings_file or workdir / CONFIG_FILE,
                             required=settings_file is not None)
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
    parts = check_http_url(endpoint, allow_cleartext=insecure)
    if isinstance(parts, UrlProblem):
        if parts.kind == "credentials":
            raise ConfigError(f"${ENDPOINT_VAR}: credentials in the URL are not accepted; "
                              f"put the admin secret in ${SECRET_VAR}")
        if parts.kind == "cleartext":
            raise ConfigError(
                f"${ENDPOINT_VAR}: plain http:// to {parts.host} would send the admin secret "
                "unencrypted; use https:// or pass --insecure"
            )
        raise ConfigError(f"${ENDPOINT_VAR}: {redact_url(endpoint)!r} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if not path.endswith("/graphql"):
        path += "/v1/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@dataclass(frozen=True)
class FleetSettings:
    """Where the fleet API is and its key (never shown in `repr`)."""

    base_url: str
    api_key: str = field(repr=False)


def fleet_settings(env: Mapping[str, str]) -> FleetSettings | None:
    """Read `AVALA_BASE_URL` / `AVALA_API_KEY` from the mapping given (None if neither is set)."""
    base_url = env.get(BASE_URL_VAR, "").strip()
    api_key = env.get(API_KEY_VAR, "").strip()
    if not base_url and not api_key:
        return None
    if not base_url:
        raise ConfigError(f"${API_KEY_VAR} is set but ${BASE_URL_VAR} is not; set it to the "
                          "fleet API root, e.g. https://host/api/v1")
    if not api_key:
        raise ConfigError(f"${BASE_URL_VAR} is set but ${API_KEY_VAR} is not; export the fleet "
                          "API key")
    return FleetSettings(check_base_url(base_url), api_key)


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


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")
