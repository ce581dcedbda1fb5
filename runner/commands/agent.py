"""`campaign agent PATHS...`: keep the campaigns true over time (see docs/agent.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

import click
from prometheus_client import CollectorRegistry

from runner.agent import ALLOW_ANY_FLAG, DEFAULT_LISTEN, AgentMetrics, HealthServer, HealthState
from runner.agent.health import parse_listen
from runner.commands._exit import EXIT_ERROR, EXIT_OK, SIGNAL_EXIT
from runner.commands._options import (
    backend_options,
    backends_from,
    lease_ttl_option,
    parse_duration_option,
    parse_horizon,
    parse_lease_ttl,
)
from runner.errors import UsageError
from runner.ops.agent import Agent, AgentConfig, AgentEvent
from runner.run.driver import SystemClock
from runner.spec.selectors import SelectorError, parse_selector

_Log = Callable[[AgentEvent], None]


@click.command("agent")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--interval", default="5m", show_default=True, metavar="DURATION",
              help="Time between passes (SIGHUP starts one at once).")
@click.option("-l", "--selector", default="", metavar="SELECTOR",
              help="Only campaigns whose labels match (kubectl syntax, e.g. site=lab-1).")
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT",
              help="Where /healthz, /readyz and /metrics are served (port 0 picks one).")
@click.option(ALLOW_ANY_FLAG, "listen_any", is_flag=True,
              help="Allow a non-loopback --listen address.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines as text or one JSON object per line.")
@click.option("--max-lateness", default="1s", show_default=True, metavar="DURATION",
              help="A burst that would start later than this is skipped and reported.")
@click.option("--horizon", default="14d", show_default=True, metavar="DURATION",
              help="How far ahead recurring windows expand into sessions (each pass).")
@click.option("--allow-delete", is_flag=True,
              help="Let post-recording rules delete fleet recordings.")
@lease_ttl_option
@backend_options
def agent(paths: Sequence[str], interval: str, selector: str, listen: str, listen_any: bool,
          output: str, max_lateness: str, horizon: str, allow_delete: bool, lease_ttl: str,
          sandbox: bool,
          insecure: bool, config_file: Path | None, timeout: float | None) -> int:
    """Reconcile PATHS continuously and drive every standby occurrence's bursts.

    Each pass reloads the files (an invalid change keeps the last good set), applies the
    control plane and the recording rules (auto-approved, never pruning), and starts a burst
    driver per standby window as it opens. SIGHUP: reload now. SIGTERM/SIGINT: sessions back
    to Standby, exit 143/130 within 2 s.
    """
    try:
        chosen = parse_selector(selector) if selector.strip() else None
    except SelectorError as exc:
        raise UsageError(str(exc)) from None
    every = parse_duration_option("--interval", interval)
    lateness = parse_duration_option("--max-lateness", max_lateness)
    if every <= dt.timedelta(0) or lateness <= dt.timedelta(0):
        raise UsageError("--interval and --max-lateness must be positive (e.g. 5m, 1s)")
    host, port = parse_listen(listen)
    config = AgentConfig(paths=tuple(paths), selector=chosen, interval=every,
                         horizon=parse_horizon(horizon), max_lateness=lateness,
                         allow_delete=allow_delete, lease_ttl=parse_lease_ttl(lease_ttl))
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    registry = CollectorRegistry()
    health = HealthState(stale_after=max(60.0, 3 * every.total_seconds()))
    server = HealthServer(registry, readiness=health.readiness, liveness=health.liveness,
                          host=host, port=port, allow_any=listen_any)
    server.start()
    log = _logger(output)
    log(AgentEvent("info", "start", f"agent serving health and metrics on {server.url}",
                   {"listen": server.url, "interval_seconds": every.total_seconds(),
                    "selector": str(chosen or "")}))
    try:
        runner = Agent(backends, config, clock=SystemClock(), log=log,
                       metrics=AgentMetrics(registry), health=health)
        signum = asyncio.run(_serve(runner, log))
    finally:
        server.stop()
    if signum is not None:
        log(AgentEvent("info", "stop", "stopped: drivers ended, sessions back to Standby",
                       {"signal": signal.Signals(signum).name}))
        return SIGNAL_EXIT.get(signum, EXIT_ERROR)
    return EXIT_OK


async def _serve(runner: Agent, log: _Log) -> int | None:
    """The agent loop with SIGTERM/SIGINT wired to stop and SIGHUP to reload."""
    loop = asyncio.get_running_loop()
    stop, reload = asyncio.Event(), asyncio.Event()
    received: list[int] = []

    def on_stop(signum: int) -> None:
        received.append(signum)
        stop.set()

    def on_hup() -> None:
        log(AgentEvent("info", "reload", "SIGHUP: reloading now"))
        reload.set()

    handlers = {**{s: on_stop for s in SIGNAL_EXIT}, signal.SIGHUP: None}
    for signum in handlers:
        if signum == signal.SIGHUP:
            loop.add_signal_handler(signum, on_hup)
        else:
            loop.add_signal_handler(signum, on_stop, signum)
    try:
        await runner.run(stop, reload)
    finally:
        for signum in handlers:
            loop.remove_signal_handler(signum)
    return received[0] if received else None


def _logger(output: str) -> _Log:
    """Text lines on stderr, or one JSON object per line on stdout (-o json)."""
    def log(event: AgentEvent) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        if output == "json":
            line = {"time": stamp, "level": event.level, "kind": event.kind,
                    "message": event.message, **event.fields}
            click.echo(json.dumps(line, default=str))
        else:
            loud = "" if event.level == "info" else f"{event.level.upper()}: "
            click.echo(f"{stamp} {loud}{event.message}", err=True)
    return log
