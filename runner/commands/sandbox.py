"""`campaign sandbox serve`: run the local emulator of both backends."""

from __future__ import annotations

import ipaddress
import socket
import sqlite3
from pathlib import Path

import click

from runner.errors import ConfigError, UsageError

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def sandbox() -> None:
    """Local emulator of the recording control plane and the fleet API."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Loopback by default; anything else needs --allow-remote.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free port).")
@click.option("--db", "db_path", default=".campaign/sandbox.sqlite3", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file holding the sandbox state (created if missing; the same "
                   "file the CLI's embedded sandbox uses).")
@click.option("--admin-secret", envvar="CAMPAIGN_SANDBOX_ADMIN_SECRET", show_envvar=True,
              help="Secret clients send as x-hasura-admin-secret (prefer the env var: "
                   "flags show up in ps).")
@click.option("--api-key", envvar="CAMPAIGN_SANDBOX_API_KEY", show_envvar=True,
              help="Key clients send as X-Avala-Api-Key (prefer the env var).")
@click.option("--seed", type=click.Choice(["demo"]), default=None,
              help="Seed an empty database with demo cameras, devices and recordings.")
@click.option("--naming", type=click.Choice(["vendor", "hasura-default", "graphql-default"]),
              default="vendor", show_default=True,
              help="Hasura naming convention of the GraphQL schema: the vendor's root fields, "
                   "or Hasura's hasura-default / graphql-default names for the same tables.")
@click.option("--strict", is_flag=True,
              help="Refuse numeric strings for Int variables, as Hasura v2 does (by default "
                   "they are accepted, as the vendor's platform and Hasura v1 do).")
@click.option("--insecure-no-auth", is_flag=True,
              help="Accept requests without secret and key (local experiments only).")
@click.option("--allow-remote", is_flag=True,
              help="Allow binding a non-loopback address.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Fault: share of requests answered with a 5xx error.")
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Fault: delay added to every request.")
@click.option("--timeout-after-commit-rate", type=click.FloatRange(0, 1), default=0.0,
              show_default=True,
              help="Fault: share of writes whose response is lost after the commit.")
@click.option("--timeout-hang-ms", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Fault: how long a lost response hangs before the connection drops.")
@click.option("--rate-limit", "rate_limit_per_s", type=click.IntRange(0), default=0,
              show_default=True, help="Fleet API requests per second before 429 (0 = off).")
@click.option("--fault-seed", type=int, default=None, help="Seed for fault randomness.")
def serve(host: str, port: int, db_path: Path, admin_secret: str | None, api_key: str | None,
          seed: str | None, naming: str, strict: bool, insecure_no_auth: bool,
          allow_remote: bool, error_rate: float,
          latency_ms: float, timeout_after_commit_rate: float, timeout_hang_ms: float,
          rate_limit_per_s: int, fault_seed: int | None) -> None:
    """Serve the sandbox (GraphQL at /v1/graphql, fleet API at /api/v1/fleet/).

    Stops cleanly on Ctrl-C or SIGTERM; state persists in --db.
    """
    from runner.sandbox.app import create_app, parse_faults
    from runner.sandbox.server import bind, make_server
    from runner.sandbox.store import StoreError

    if not insecure_no_auth and not (admin_secret and api_key):
        raise ConfigError("sandbox serve needs --admin-secret and --api-key (or "
                          "CAMPAIGN_SANDBOX_ADMIN_SECRET / CAMPAIGN_SANDBOX_API_KEY); pass "
                          "--insecure-no-auth to run without them")
    if not _is_loopback(host) and not allow_remote:
        raise UsageError(f"--host {host} is not a loopback address; pass --allow-remote to "
                         "expose the sandbox on the network")
    try:
        app = create_app(db_path, None if insecure_no_auth else admin_secret,
                         None if insecure_no_auth else api_key, seed=seed, naming=naming,
                         strict=strict)
    except StoreError as exc:
        raise ConfigError(f"sandbox database: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cannot open the sandbox database {db_path}: "
                          f"{getattr(exc, 'strerror', None) or exc}; check --db") from None
    app.state.sandbox.faults = parse_faults({
        "error_rate": error_rate, "latency_ms": latency_ms,
        "timeout_after_commit_rate": timeout_after_commit_rate,
        "timeout_hang_ms": timeout_hang_ms, "rate_limit_per_s": rate_limit_per_s,
        "seed": fault_seed})
    try:
        sock = bind(host, port)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot resolve --host {host}: {exc.strerror or exc}; pass an IP "
                          "address or a resolvable name") from None
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick "
                          "another --port (0 picks a free one)") from None
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    auth = "no auth (--insecure-no-auth)" if insecure_no_auth else "auth required"
    mode = f"naming {naming}{', strict' if strict else ''}"
    click.echo(f"sandbox listening on http://{shown}:{bound_port} (graphql /v1/graphql, "
               f"fleet /api/v1/fleet/, db {db_path}, {mode}, {auth})", err=True)
    # SIGINT/SIGTERM make uvicorn shut down gracefully; run() then returns (exit 0).
    make_server(app).run(sockets=[sock])
