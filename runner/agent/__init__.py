"""`campaign agent`: the long-running reconciler's building blocks that need no backend.

- `metrics.AgentMetrics`: every `campaign_*` Prometheus metric, on a registry passed in.
- `health.HealthState`, `health.HealthServer`: `/healthz`, `/readyz`, `/metrics` on a
  loopback listener (any address only when explicitly allowed).
"""

from runner.agent.health import (
    ALLOW_ANY_FLAG,
    DEFAULT_LISTEN,
    HealthServer,
    HealthState,
    Probe,
    check_listen_host,
    parse_listen,
)
from runner.agent.metrics import AgentMetrics

__all__ = [
    "ALLOW_ANY_FLAG",
    "DEFAULT_LISTEN",
    "AgentMetrics",
    "HealthServer",
    "HealthState",
    "Probe",
    "check_listen_host",
    "parse_listen",
]
