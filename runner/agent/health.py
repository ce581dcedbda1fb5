"""The agent's HTTP listener: `/healthz`, `/readyz` and `/metrics`, in a background thread.

A thread (stdlib `ThreadingHTTPServer`), not the agent's event loop: a scrape or a probe never
delays a burst deadline, and `/healthz` still answers while a pass is busy. `/healthz` goes
unhealthy only if the loop stops beating for `stale_after` seconds (a hung loop), so an
orchestrator restarts it. Loopback only unless the caller allows any address (`--listen-any`).
Bodies are fixed phrases and metric values: never an error text, URL or secret.
"""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from runner.errors import ConfigError, UsageError
from runner.urls import is_loopback

DEFAULT_LISTEN = "127.0.0.1:9100"
ALLOW_ANY_FLAG = "--listen-any"
_POLL_SECONDS = 0.05  # how often serve_forever checks for stop(): bounds the stop time
_REQUEST_TIMEOUT = 5.0  # a client that sends nothing is dropped after this


@dataclass(frozen=True)
class Probe:
    """One probe answer: `ok`, and a short fixed phrase saying why not."""

    ok: bool
    reason: str


class HealthState:
    """What the agent loop reports and the probes read; safe to share between threads.

    Ready once a pass has succeeded and every backend reported is reachable; not ready
    before the first pass, after a failed one, or while a backend is unreachable.
    """

    def __init__(
        self, *, stale_after: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._stale_after = stale_after
        self._beat = clock()
        self._last_pass_ok: bool | None = None  # None: no pass finished yet
        self._unreachable: set[str] = set()

    def heartbeat(self) -> None:
        """The loop is alive (call at least every `stale_after` seconds, e.g. per tick)."""
        with self._lock:
            self._beat = self._clock()

    def pass_finished(self, ok: bool) -> None:
        """A pass ended; `ok` False makes the agent not ready until a later pass succeeds."""
        with self._lock:
            self._last_pass_ok = ok
            self._beat = self._clock()

    def backend_reachable(self, backend: str, reachable: bool) -> None:
        """Reachability of one backend, named by a fixed word ("control plane", "fleet API")."""
        with self._lock:
            if reachable:
                self._unreachable.discard(backend)
            else:
                self._unreachable.add(backend)

    def liveness(self) -> Probe:
        """`/healthz`: alive unless the loop has not beaten for `stale_after` seconds."""
        with self._lock:
            silent = self._clock() - self._beat
        if self._stale_after is not None and silent > self._stale_after:
            return Probe(False, f"the agent loop has not run for {silent:.0f}s")
        return Probe(True, "ok")

    def readiness(self) -> Probe:
        """`/readyz`: the last pass succeeded and every backend is reachable."""
        with self._lock:
            last_ok, unreachable = self._last_pass_ok, sorted(self._unreachable)
        if unreachable:
            return Probe(False, f"{', '.join(unreachable)} unreachable")
        if last_ok is None:
            return Probe(False, "no pass has finished yet")
        if not last_ok:
            return Probe(False, "the last pass failed")
        return Probe(True, "ready")


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9100` for IPv6; port 0 picks a free one) -> (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise UsageError(
            f"--listen {text!r}: expected HOST:PORT with a port 0-65535 "
            f"(e.g. {DEFAULT_LISTEN}, [::1]:9100)"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise UsageError(f"--listen {text!r}: put an IPv6 address in brackets (e.g. [::1]:9100)")
    return host, int(port_text)


def check_listen_host(host: str, allow_any: bool) -> None:
    """Refuse a non-loopback address (the empty host is every interface) unless allowed."""
    if not allow_any and not is_loopback(host):
        shown = host or "every interface"
        raise UsageError(
            f"--listen {shown} is not a loopback address; pass {ALLOW_ANY_FLAG} "
            "to serve health and metrics on the network"
        )


class HealthServer:
    """Serves `/healthz`, `/readyz`, `/metrics` until `stop()` (or the `with` block ends).

    `liveness` and `readiness` are called per request from the server's threads; a
    `HealthState`'s methods fit. Binding happens in `start()`; port 0 picks a free port.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        readiness: Callable[[], Probe],
        liveness: Callable[[], Probe] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_any: bool = False,
    ) -> None:
        check_listen_host(host, allow_any)
        self._registry = registry
        self._readiness = readiness
        self._liveness = liveness or (lambda: Probe(True, "ok"))
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the real port when 0 was asked for."""
        if self._server is None:
            raise RuntimeError("HealthServer is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """Base URL of the listener, e.g. http://127.0.0.1:9100."""
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread; ConfigError if the address cannot be used."""
        if self._server is not None:
            raise RuntimeError("HealthServer is already started")
        shown = (
            f"[{self._host}]:{self._port}" if ":" in self._host else f"{self._host}:{self._port}"
        )
        try:
            infos = socket.getaddrinfo(
                self._host or None, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
            family = infos[0][0]
            server = _Server((self._host, self._port), _Handler, family=family)
        except socket.gaierror as exc:
            raise ConfigError(
                f"cannot resolve --listen host {self._host}: "
                f"{exc.strerror or exc}; pass an IP address"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {shown}: {exc.strerror or exc}; pick another "
                "--listen port (0 picks a free one)"
            ) from None
        server.app = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name="campaign-agent-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (returns within about 0.1 s plus any request
        still being answered, which is bounded by the request timeout)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()  # waits for serve_forever to notice: at most one poll interval
        server.server_close()
        thread.join(timeout=1.0)
        self._server = self._thread = None

    def __enter__(self) -> HealthServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Called from request threads.
    def _respond(self, path: str, accept: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of `path`."""
        route = path.split("?", 1)[0]
        if route == "/metrics":
            encoder, content_type = choose_encoder(accept)
            return 200, content_type, encoder(self._registry)
        if route in ("/healthz", "/readyz"):
            probe = self._liveness() if route == "/healthz" else self._readiness()
            status = 200 if probe.ok else 503
            return status, "text/plain; charset=utf-8", (probe.reason + "\n").encode()
        return 404, "text/plain; charset=utf-8", b"not found: try /healthz, /readyz, /metrics\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a slow client
    app: HealthServer

    def __init__(self, address: tuple[str, int], handler: Any, *, family: int) -> None:
        self.address_family = family
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(): a reverse DNS lookup, for nothing.
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up or times out mid-request is not worth a traceback on stderr.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "campaign-agent"
    sys_version = ""  # no Python version in the Server header
    timeout = _REQUEST_TIMEOUT

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        try:
            status, content_type, body = self.server.app._respond(
                self.path, self.headers.get("Accept", "")
            )
        except Exception:  # a probe callable that raises: say so, but not its text (secrets)
            status, content_type, body = 500, "text/plain; charset=utf-8", b"internal error\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _refuse(self) -> None:
        body = b"method not allowed: GET or HEAD\n"
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the agent logs its own lines (text or JSON); scrapes are not news."""
