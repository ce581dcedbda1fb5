"""Shared plumbing of plan/apply/destroy/status: options, campaign loading, the backends.

This is the CLI layer: it may read the environment and the terminal, the core may not.
With no control plane configured the embedded sandbox runs in-process (httpx ASGITransport)
with its SQLite file under `.campaign/`, announced by a one-line notice on stderr.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx

from runner.backends.config import (
    STATE_DIR,
    ControlPlaneConfig,
    redact_url,
    resolve_control_plane,
)
from runner.backends.controlplane import ControlPlane
from runner.errors import PlanError, SpecError, UsageError
from runner.spec.model import Campaign

F = TypeVar("F", bound=Callable[..., Any])
SANDBOX_FLEET_URL = "http://sandbox.invalid/api/v1"


@dataclass
class Backends:
    """The resolved backends of one command run."""

    control: ControlPlaneConfig
    transport: httpx.AsyncBaseTransport | None  # the in-process sandbox, else None (network)
    label: str  # where we talk to, safe to print
    state_dir: Path
    fleet_url: str | None = None
    fleet_key: str | None = field(default=None, repr=False)

    def control_plane(self) -> ControlPlane:
        """A control-plane client (use with `async with`)."""
        return ControlPlane(self.control, transport=self.transport)

    def fleet(self) -> Any:
        """A fleet API client, or None when no fleet API is configured."""
        if not self.fleet_url or not self.fleet_key:
            return None
        from runner.backends.fleet import FleetClient

        return FleetClient(self.fleet_url, self.fleet_key, transport=self.transport)


def backend_options(func: F) -> F:
    """--sandbox, --insecure, --config, --timeout."""
    options = [
        click.option("--sandbox", is_flag=True,
                     help="Use the embedded sandbox even if an endpoint is configured "
                          "(needed when CI is set and no endpoint is)."),
        click.option("--insecure", is_flag=True,
                     help="Allow plain http:// to a non-loopback control plane."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Settings file (default: ./campaign.toml if present)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
                     help="Per-request timeout for the control plane (default 30)."),
    ]
    return _stack(options, func)


def campaign_options(func: F) -> F:
    """--now and --horizon."""
    options = [
        click.option("--now", "now_text", metavar="TIMESTAMP",
                     help="Plan as of this ISO 8601 time with offset (default: the real "
                          "clock); makes plans reproducible in CI."),
        click.option("--horizon", default="14d", show_default=True, metavar="DURATION",
                     help="How far ahead recurring windows expand into sessions."),
    ]
    return _stack(options, func)


def write_options(verb: str) -> Callable[[F], F]:
    """--auto-approve, --lock-timeout and -o of a command that writes (`apply`, `destroy`)."""
    def decorate(func: F) -> F:
        return _stack([
            click.option("--auto-approve", is_flag=True,
                         help=f"{verb} without asking (needed when stdin is not a terminal)."),
            click.option("--lock-timeout", type=click.FloatRange(min=0), default=60.0,
                         show_default=True, metavar="SECONDS",
                         help="How long to keep retrying while other applies change the same "
                              "campaigns."),
            click.option("-o", "--output", type=click.Choice(["text", "json", "markdown"]),
                         default="text", show_default=True,
                         help=f"Format of the plan shown before {verb.lower()}ing."),
        ], func)
    return decorate


def _stack(options: Sequence[Callable[[Any], Any]], func: F) -> F:
    """Apply click option decorators so that they list in the given order."""
    for option in reversed(options):
        func = option(func)
    return func


def resolve_backends(
    *, sandbox: bool, insecure: bool, config_file: Path | None, timeout: float | None,
    env: dict[str, str] | None = None, workdir: Path | None = None,
) -> Backends:
    """Build the backends from the environment and flags (the notice goes to stderr)."""
    env = dict(os.environ) if env is None else env
    workdir = workdir or Path.cwd()
    control = resolve_control_plane(env, workdir=workdir, settings_file=config_file,
                                    sandbox=sandbox, insecure=insecure, timeout=timeout)
    state_dir = workdir / STATE_DIR
    if not control.embedded:
        from runner.backends.fleet import fleet_settings

        fleet = fleet_settings(env)
        return Backends(control, None, redact_url(control.endpoint), state_dir,
                        fleet.base_url if fleet else None, fleet.api_key if fleet else None)
    from runner.sandbox.app import create_app

    assert control.sandbox_db is not None
    control.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
    # In-process: nothing listens on a port, so a per-run random secret costs nothing.
    admin, key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    app = create_app(control.sandbox_db, admin_secret=admin, api_key=key, seed="demo")
    transport = httpx.ASGITransport(app=app)
    control = ControlPlaneConfig(control.endpoint, admin, control.timeout, True,
                                 control.sandbox_db)
    where = _relative(control.sandbox_db, workdir) if control.sandbox_db else "memory"
    click.echo("note: no control plane configured ($HASURA_GRAPHQL_ENDPOINT); using the "
               f"embedded sandbox in {where}", err=True)
    return Backends(control, transport, f"embedded sandbox ({where})", state_dir,
                    SANDBOX_FLEET_URL, key)


def parse_horizon(text: str) -> dt.timedelta:
    """--horizon as a timedelta (`14d`, `36h`, ...)."""
    from runner.spec.durations import parse_duration

    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--horizon: {exc}") from None
    if value <= dt.timedelta(0):
        raise UsageError("--horizon must be positive, e.g. 14d")
    return value


def load(paths: Sequence[str], now: dt.datetime) -> tuple[Campaign, ...]:
    """Load and validate campaign files; print their errors and raise SpecError if any."""
    from runner.spec import load_campaigns

    result = load_campaigns(list(paths), now=now)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    for diag in errors[:20]:
        where = f"{diag.location}: " if diag.location else ""
        click.echo(f"{where}error {diag.code}: {diag.message}", err=True)
    if errors:
        raise SpecError(f"{len(errors)} error(s) in campaign files; fix them (`campaign "
                        "validate` shows every one with hints)", errors)
    return tuple(result.campaigns)


def use_color(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def confirm(prompt: str, auto_approve: bool) -> None:
    """Ask on a TTY (type `yes`); refuse without one unless --auto-approve."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise PlanError("refusing to apply without confirmation: stdin is not a terminal; "
                         "review the plan and pass --auto-approve")
    answer = click.prompt(f"{prompt} Only 'yes' will be accepted", default="",
                          show_default=False)
    if answer.strip() != "yes":
        raise click.exceptions.Abort()


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


async def plan_fleet(
    campaigns: Sequence[Campaign], backends: Backends, now: dt.datetime
) -> tuple[Any, ...]:
    """Recording plans (runner.recordings) for campaigns that declare `spec.recordings`."""
    if not any(c.recordings is not None for c in campaigns):
        return ()
    from runner.recordings import plan_recordings

    fleet = backends.fleet()
    if fleet is None:
        click.echo("note: campaigns declare recording rules but no fleet API is configured "
                   "($AVALA_BASE_URL, $AVALA_API_KEY); skipping them", err=True)
        return ()
    async with fleet:
        return tuple(await plan_recordings(campaigns, fleet, now=now))


def recordings_text(plans: tuple[Any, ...], color: bool) -> str:
    """The recordings section of a text plan ('' when there is none)."""
    if not plans:
        return ""
    from runner.recordings import render_recordings_text

    return str(render_recordings_text(plans, color=color))


def recordings_markdown(plans: tuple[Any, ...]) -> str:
    """The recordings section of a Markdown plan."""
    if not plans:
        return ""
    from runner.recordings import render_recordings_markdown

    return str(render_recordings_markdown(plans))


def recordings_json(plans: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The recordings section of a JSON plan."""
    if not plans:
        return []
    from runner.recordings import recordings_to_json

    return list(recordings_to_json(plans))
