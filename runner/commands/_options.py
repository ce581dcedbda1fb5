"""Shared options and helpers of the commands: flags, campaign loading, confirmation, colour.

This is the CLI layer: it may read the terminal; the backends come from `runner.wiring`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from runner.errors import PlanError, SpecError, UsageError
from runner.spec.model import Campaign
from runner.wiring import Backends, resolve_backends

F = TypeVar("F", bound=Callable[..., Any])


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


SELECTOR_KEY = "campaign.selector"


def _remember_selector(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Parse -l at once (a bad selector is a usage error) and keep it for `load`."""
    if not value or not value.strip():
        return
    from runner.spec.selectors import SelectorError, parse_selector

    try:
        ctx.meta[SELECTOR_KEY] = parse_selector(value)
    except SelectorError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=_param) from None


def selector_option(func: F) -> F:
    """-l/--selector: only campaigns whose metadata.labels match (kubectl syntax)."""
    option = click.option("-l", "--selector", metavar="SELECTOR", expose_value=False,
                          callback=_remember_selector,
                          help="Only campaigns whose labels match, kubectl syntax: "
                               "-l site=lab-1,team!=vision (sites shard campaigns this way).")
    return option(func)


def campaign_options(func: F) -> F:
    """--now and --horizon."""
    options = [
        click.option("--now", "now_text", metavar="TIMESTAMP",
                     help="Plan as of this ISO 8601 time with offset (default: the real "
                          "clock); makes plans reproducible in CI."),
        click.option("--horizon", default="14d", show_default=True, metavar="DURATION",
                     help="How far ahead recurring windows expand into sessions (at most 366d)."),
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


def recordings_option(func: F) -> F:
    """--no-recordings of `plan` and `apply`."""
    return click.option(
        "--no-recordings", is_flag=True,
        help="Skip the campaigns' recording rules (needed to plan or apply rules without "
             "$AVALA_BASE_URL and $AVALA_API_KEY).")(func)


def _stack(options: Sequence[Callable[[Any], Any]], func: F) -> F:
    """Apply click option decorators so that they list in the given order."""
    for option in reversed(options):
        func = option(func)
    return func


def backends_from(
    *, sandbox: bool, insecure: bool, config_file: Path | None, timeout: float | None,
) -> Backends:
    """The backends the flags, env and campaign.toml name (the sandbox notice to stderr)."""
    backends = resolve_backends(sandbox=sandbox, insecure=insecure, config_file=config_file,
                                timeout=timeout)
    if backends.notice:
        click.echo(backends.notice, err=True)
    return backends


def parse_horizon(text: str) -> dt.timedelta:
    """--horizon as a timedelta (`14d`, `36h`, ...; at most MAX_HORIZON)."""
    from runner.spec.durations import parse_horizon as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"--horizon: {exc}") from None


def load(paths: Sequence[str], now: dt.datetime, *, require: bool = True,
         output: str = "text") -> tuple[Campaign, ...]:
    """Load and validate campaign files; print their errors and raise SpecError if any
    (inputs holding no campaign at all are one, unless not `require`d). With `output`
    "json" the diagnostics also go to stdout as `validate -o json` prints them."""
    from runner.spec import load_campaigns

    result = load_campaigns(list(paths), now=now, require_campaigns=require)
    errors = result.errors
    for diag in errors[:20]:
        where = f"{diag.location}: " if diag.location else ""
        click.echo(f"{where}error {diag.code}: {diag.message}", err=True)
    if errors:
        if output == "json":
            from runner.commands.validate import diagnostics_json

            click.echo(diagnostics_json(result))
        raise SpecError(f"{len(errors)} error(s) in campaign files; fix them (`campaign "
                        "validate` shows every one with hints)", errors)
    campaigns = tuple(result.campaigns)
    context = click.get_current_context(silent=True)
    selector = context.meta.get(SELECTOR_KEY) if context is not None else None
    if selector is None:
        return campaigns
    from runner.spec.selectors import select_campaigns

    chosen = select_campaigns(campaigns, selector)
    if not chosen and require:
        raise SpecError(f"no campaign in {' '.join(paths)} matches -l {selector}")
    return chosen


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


def parse_duration_option(option: str, text: str) -> dt.timedelta:
    """A duration flag's value (`30s`, `250ms`, `5m`); a usage error naming the flag if not."""
    from runner.spec.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from exc


def lease_ttl_option(func: F) -> F:
    """--lease-ttl: how long a campaign's lease outlives a driver that died holding it."""
    return click.option(
        "--lease-ttl", default="30s", show_default=True, metavar="DURATION",
        help="How long the campaigns' leases outlive a driver that dies without releasing "
             "them (renewed every third of it while it drives).")(func)


def parse_lease_ttl(text: str) -> dt.timedelta:
    ttl = parse_duration_option("--lease-ttl", text)
    if ttl < dt.timedelta(seconds=1):
        raise UsageError("--lease-ttl must be at least 1s (e.g. 30s): leases are kept to the "
                         "second")
    return ttl
