"""The agent's passes in a child process of their own.

A pass over a thousand campaigns takes a few hundred milliseconds of CPU (parsing, compiling,
planning). In the agent's process that time would be taken from its burst drivers, whose
transitions are due to the millisecond: run on the same event loop a pass delays them for
its whole length, and in a thread of the same process the GIL still hands it the CPU in
slices of several milliseconds. So the passes run in a spawned child (`PassWorker`) that
keeps the `Reconciler`'s state between passes; the parent only sends `now` and receives the
report, the standby campaigns to drive and the pass's log events as they happen.

The child runs at a lower CPU priority (nice 10: on a busy machine the drivers come first),
ignores SIGINT and SIGHUP (the parent handles them) and exits when the parent closes the
pipe. Abandoning a pass (the agent stopping mid-pass) kills the child: every
write it may have been sending is one transaction, so nothing is left half-applied; the
next pass, if any, starts a new child, which reloads the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from runner.errors import CampaignError, ControlPlaneError, FleetError
from runner.futures import abandon
from runner.ops.agent_pass import AgentConfig, AgentEvent, PassReport, Reconciler
from runner.ops.backends import Backends
from runner.spec.model import Campaign

PASS_NICENESS = 10  # the child's CPU priority below the drivers' (when the CPU is contended)
_ERRORS: dict[str, type[CampaignError]] = {
    "control-plane": ControlPlaneError, "fleet": FleetError, "campaign": CampaignError}


class PassWorker:
    """`Reconciler.reconcile` in a child process (one pass at a time)."""

    def __init__(self, backends: Backends, config: AgentConfig, *,
                 log: Callable[[AgentEvent], None]) -> None:
        self._backends = backends
        self._config = config
        self._log = log
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._stop: weakref.finalize[Any, Any] | None = None  # also run when collected
        self._reload = False

    def force_reload(self) -> None:
        """Parse the files on the next pass even if none looks changed (SIGHUP)."""
        self._reload = True

    async def reconcile(self, now: dt.datetime) -> tuple[PassReport, tuple[Campaign, ...]]:
        """One pass in the child; its log events reach `log` on this loop as they happen."""
        loop = asyncio.get_running_loop()
        conn = self._connection()
        conn.send(("pass", now, self._reload))
        self._reload = False
        answer = loop.run_in_executor(None, self._receive, conn, loop)
        try:
            return await asyncio.shield(answer)
        except asyncio.CancelledError:
            self.close()  # abandon the pass: its writes are single transactions
            # The receiver then ends on the closed pipe: its error is expected, not news.
            abandon(answer)
            raise

    def close(self) -> None:
        """Stop the child (at once: nothing it does needs finishing)."""
        if self._stop is not None:
            self._stop()
        self._process, self._conn, self._stop = None, None, None

    def _connection(self) -> Connection:
        if self._process is not None and not self._process.is_alive():
            self.close()  # it died (reported by the pass that saw it); start a new one
        if self._conn is None:
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(theirs, self._backends, self._config),
                name="campaign-agent-passes", daemon=True)
            self._process.start()
            theirs.close()
            self._conn = ours
            self._stop = weakref.finalize(self, _stop_child, self._process, ours)
        return self._conn

    def _receive(self, conn: Connection, loop: asyncio.AbstractEventLoop
                 ) -> tuple[PassReport, tuple[Campaign, ...]]:
        """(In an executor thread.) The child's messages until the pass's outcome."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                code = self._process.exitcode if self._process is not None else None
                raise CampaignError(
                    f"the agent's pass process ended unexpectedly (exit code {code}); the "
                    "next pass starts a new one") from None
            kind = message[0]
            if kind == "log":
                loop.call_soon_threadsafe(self._log, message[1])
            elif kind == "done":
                return message[1], message[2]
            else:
                raise _ERRORS[message[1]](message[2])


def _stop_child(process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
    conn.close()
    if process.is_alive():
        process.kill()
    process.join(timeout=5)


def _serve(conn: Connection, backends: Backends, config: AgentConfig) -> None:
    """The child: run passes as the parent asks, until it closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(PASS_NICENESS)  # a pass can wait; a burst's transition cannot
    reconciler = Reconciler(backends, config, log=lambda event: conn.send(("log", event)))
    loop = asyncio.new_event_loop()  # one for every pass, as in the parent
    try:
        while True:
            try:
                _kind, now, reload = conn.recv()
            except (EOFError, OSError):
                return
            if reload:
                reconciler.force_reload()
            conn.send(_outcome(loop, reconciler, now))
    finally:
        loop.close()


def _outcome(loop: asyncio.AbstractEventLoop, reconciler: Reconciler, now: dt.datetime
             ) -> tuple[Any, ...]:
    try:
        report, drive = loop.run_until_complete(reconciler.reconcile(now))
    except ControlPlaneError as exc:
        return ("error", "control-plane", str(exc))
    except FleetError as exc:
        return ("error", "fleet", str(exc))
    except (CampaignError, OSError) as exc:
        return ("error", "campaign", str(exc))
    except Exception as exc:  # a defect: fail this pass, keep the agent (and its drivers) up
        return ("error", "campaign", f"pass failed on {type(exc).__name__}: {exc}")
    return ("done", report, drive)
