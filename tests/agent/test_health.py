"""The agent's listener over real HTTP: probes, Prometheus exposition, loopback rule, clean stop."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from runner.agent import (
    AgentMetrics,
    HealthServer,
    HealthState,
    Probe,
    check_listen_host,
    parse_listen,
)
from runner.errors import ConfigError, UsageError


@pytest.fixture
def state() -> HealthState:
    return HealthState()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def server(registry: CollectorRegistry, state: HealthState) -> Iterator[HealthServer]:
    with HealthServer(registry, readiness=state.readiness, liveness=state.liveness) as running:
        yield running


@pytest.fixture
def http(server: HealthServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=5) as client:
        yield client


def test_healthz_is_ok_while_the_agent_is_alive(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.headers["content-type"].startswith("text/plain")


def test_readyz_follows_the_last_pass_and_the_backends(
    http: httpx.Client, state: HealthState
) -> None:
    assert (http.get("/readyz").status_code, http.get("/readyz").text) == (
        503,
        "no pass has finished yet\n",
    )
    state.pass_finished(ok=True)
    assert http.get("/readyz").status_code == 200
    state.backend_reachable("fleet API", False)
    state.backend_reachable("control plane", False)
    response = http.get("/readyz")
    assert (response.status_code, response.text) == (503, "control plane, fleet API unreachable\n")
    state.backend_reachable("control plane", True)
    state.backend_reachable("fleet API", True)
    assert http.get("/readyz").status_code == 200
    state.pass_finished(ok=False)
    assert (http.get("/readyz").status_code, http.get("/readyz").text) == (
        503,
        "the last pass failed\n",
    )
    state.pass_finished(ok=True)
    assert http.get("/readyz").text == "ready\n"


def test_metrics_serve_the_registry_in_prometheus_text_format(
    http: httpx.Client, registry: CollectorRegistry
) -> None:
    metrics = AgentMetrics(registry)
    metrics.pass_succeeded(finished_at=1_780_000_000.0, duration=0.3, changes={"create": 2})
    metrics.set_sessions({"Standby": 5})
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert all(name.startswith("campaign_") for name in families)
    values = {
        (s.name, tuple(s.labels.items())): s.value for f in families.values() for s in f.samples
    }
    assert values[("campaign_passes_total", ())] == 1
    assert values[("campaign_changes_applied_total", (("action", "create"),))] == 2
    assert values[("campaign_sessions", (("state", "Standby"),))] == 5


def test_metrics_negotiate_openmetrics(http: httpx.Client, registry: CollectorRegistry) -> None:
    AgentMetrics(registry).set_leases_held(2)
    response = http.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    families = {f.name: f for f in openmetrics_families(response.text)}
    assert families["campaign_leases_held"].samples[0].value == 2


def test_unknown_paths_404_writes_405_and_head_has_no_body(http: httpx.Client) -> None:
    assert http.get("/").status_code == 404
    assert http.get("/metrics/../admin").status_code == 404
    refused = http.post("/readyz", content=b"x")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"
    head = http.head("/healthz")
    assert (head.status_code, head.content) == (200, b"")
    assert http.get("/healthz?verbose=1").status_code == 200


def test_nothing_served_carries_a_secret_or_the_python_version(
    http: httpx.Client,
    registry: CollectorRegistry,
    state: HealthState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = {
        "HASURA_GRAPHQL_ADMIN_SECRET": "hasura-s3cret-value",
        "AVALA_API_KEY": "avala-k3y-value",
        "HASURA_GRAPHQL_ENDPOINT": "https://user:pw@cp.example/v1/graphql",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    AgentMetrics(registry).pass_failed(duration=1.0)
    state.pass_finished(ok=False)
    state.backend_reachable("control plane", False)
    seen = ""
    for path in ("/healthz", "/readyz", "/metrics", "/nope"):
        response = http.get(path)
        seen += response.text + "".join(f"{k}: {v}\n" for k, v in response.headers.items())
    for value in [*secrets.values(), "cp.example", "pw@"]:
        assert value not in seen
    assert "Python" not in http.get("/healthz").headers["server"]


def test_liveness_fails_when_the_loop_stops_beating() -> None:
    now = [100.0]
    state = HealthState(stale_after=30, clock=lambda: now[0])
    assert state.liveness() == Probe(True, "ok")
    now[0] += 31
    assert state.liveness() == Probe(False, "the agent loop has not run for 31s")
    state.heartbeat()
    assert state.liveness().ok
    now[0] += 29
    state.pass_finished(ok=False)  # a finished pass is a beat too
    now[0] += 29
    assert state.liveness().ok


def test_without_a_liveness_callable_healthz_is_always_ok(registry: CollectorRegistry) -> None:
    with HealthServer(registry, readiness=lambda: Probe(False, "x")) as server:
        response = httpx.get(f"{server.url}/healthz", trust_env=False)
    assert response.status_code == 200


# --- the listen address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        ("[::1]:0", ("::1", 0)),
        ("0.0.0.0:9100", ("0.0.0.0", 9100)),
        ("localhost:80", ("localhost", 80)),
        (":9100", ("", 9100)),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9100", "host:", "host:http", "host:65536", "::1:9100"])
def test_parse_listen_refuses_with_one_line_and_an_example(text: str) -> None:
    with pytest.raises(UsageError, match=r"--listen .*e\.g\. ") as info:
        parse_listen(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.5", "agent.example.com"])
def test_a_non_loopback_listener_needs_the_explicit_flag(
    host: str, registry: CollectorRegistry
) -> None:
    with pytest.raises(UsageError, match="is not a loopback address; pass --listen-any"):
        HealthServer(registry, readiness=lambda: Probe(True, "ready"), host=host)
    check_listen_host(host, allow_any=True)  # allowed when asked for


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    check_listen_host(host, allow_any=False)


def test_listen_any_binds_every_interface(registry: CollectorRegistry) -> None:
    with HealthServer(
        registry, readiness=lambda: Probe(True, "ready"), host="0.0.0.0", allow_any=True
    ) as server:
        host, port = server.address
        assert host == "0.0.0.0"
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", trust_env=False)
    assert response.status_code == 200


def test_ipv6_loopback(registry: CollectorRegistry) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = HealthServer(registry, readiness=lambda: Probe(True, "ready"), host="::1")
        server.start()
    except ConfigError as exc:
        pytest.skip(f"IPv6 loopback unavailable: {exc}")
    try:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(f"{server.url}/healthz", trust_env=False).status_code == 200
    finally:
        server.stop()


def test_a_port_in_use_is_a_one_line_config_error(
    server: HealthServer, registry: CollectorRegistry
) -> None:
    _, port = server.address
    with pytest.raises(ConfigError, match=rf"cannot listen on 127\.0\.0\.1:{port}: .*--listen"):
        HealthServer(registry, readiness=lambda: Probe(True, "ready"), port=port).start()


# --- start and stop ------------------------------------------------------------------------


def test_stop_is_prompt_even_with_an_idle_client_connected(registry: CollectorRegistry) -> None:
    server = HealthServer(registry, readiness=lambda: Probe(True, "ready"))
    server.start()
    host, port = server.address
    idle = socket.create_connection((host, port))  # connected, never sends a request
    idle.sendall(b"GET /healthz HTTP/1.1\r\n")  # and one that stops halfway
    try:
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
    finally:
        idle.close()
    assert took < 2.0, f"stop took {took:.2f}s"  # the contract: exit within 2 s
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=1).close()


def test_start_stop_repeatedly_leaves_no_thread_behind(registry: CollectorRegistry) -> None:
    before = {t.name for t in threading.enumerate()}
    for _ in range(5):
        with HealthServer(registry, readiness=lambda: Probe(True, "ready")) as server:
            assert httpx.get(f"{server.url}/healthz", trust_env=False).status_code == 200
    assert "campaign-agent-http" not in {t.name for t in threading.enumerate()} - before


def test_address_before_start_and_double_start_are_errors(registry: CollectorRegistry) -> None:
    server = HealthServer(registry, readiness=lambda: Probe(True, "ready"))
    with pytest.raises(RuntimeError):
        _ = server.address
    server.start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()
    server.stop()  # a second stop is harmless


def test_a_probe_that_raises_is_a_500_without_its_text(registry: CollectorRegistry) -> None:
    def broken() -> Probe:
        raise RuntimeError("token=abc123")

    with HealthServer(registry, readiness=broken) as server:
        response = httpx.get(f"{server.url}/readyz", trust_env=False)
        assert httpx.get(f"{server.url}/healthz", trust_env=False).status_code == 200
    assert (response.status_code, response.text) == (500, "internal error\n")
