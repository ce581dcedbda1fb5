"""The agent's Prometheus metrics, all named `campaign_*`, on a registry the caller owns.

No global registry: `AgentMetrics(CollectorRegistry())` keeps two agents in one process (and
tests) apart, and `/metrics` serves exactly what the agent registered. Values are plain
counts and seconds handed in by the agent loop; nothing here knows campaign names, URLs or
secrets, so nothing exported can carry one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Burst lateness is milliseconds when healthy and seconds when something is wrong.
LATENESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PASS_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CHANGE_ACTIONS = ("create", "update", "replace", "delete")


class AgentMetrics:
    """Every metric the agent exports; the loop calls the methods below after each event."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.passes = Counter(
            "campaign_passes",
            "Reconciliation passes finished, successful or not.",
            registry=registry,
        )
        self.pass_failures = Counter(
            "campaign_pass_failures", "Reconciliation passes that failed.", registry=registry
        )
        self.pass_duration = Histogram(
            "campaign_pass_duration_seconds",
            "Wall time of one reconciliation pass.",
            buckets=PASS_DURATION_BUCKETS,
            registry=registry,
        )
        self.changes_applied = Counter(
            "campaign_changes_applied",
            "Control-plane changes applied (sessions, records, streams), by action.",
            ["action"],
            registry=registry,
        )
        self.drift_corrected = Counter(
            "campaign_drift_corrected",
            "Objects restored because the backend no longer matched what was applied "
            "(edited or deleted outside campaign).",
            registry=registry,
        )
        self.sessions = Gauge(
            "campaign_sessions",
            "Sessions the selected campaigns own, by state.",
            ["state"],
            registry=registry,
        )
        self.burst_lateness = Histogram(
            "campaign_burst_lateness_seconds",
            "How late each burst transition (Standby <-> Started) was acknowledged after its "
            "deadline; early ones count as 0.",
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.recordings_changed = Counter(
            "campaign_recordings_changed",
            "Fleet recordings changed by post-recording rules (tags, status or deleted).",
            registry=registry,
        )
        self.leases_held = Gauge(
            "campaign_leases_held",
            "Campaign driver leases this agent holds now.",
            registry=registry,
        )
        self.last_pass_success = Gauge(
            "campaign_last_pass_success_timestamp_seconds",
            "Unix time the last successful pass finished (0 before the first).",
            registry=registry,
        )
        for action in CHANGE_ACTIONS:  # export zeros from the start: rate() needs a baseline
            self.changes_applied.labels(action=action)
        self._lock = threading.Lock()
        self._states_seen: set[str] = set()

    def pass_succeeded(
        self,
        *,
        finished_at: float,
        duration: float,
        changes: Mapping[str, int],
        drift_corrected: int = 0,
        recordings_changed: int = 0,
    ) -> None:
        """Count one successful pass; `changes` maps action (create/update/...) to a count."""
        self.passes.inc()
        self.pass_duration.observe(duration)
        for action, count in changes.items():
            if count:
                self.changes_applied.labels(action=action).inc(count)
        if drift_corrected:
            self.drift_corrected.inc(drift_corrected)
        if recordings_changed:
            self.recordings_changed.inc(recordings_changed)
        self.last_pass_success.set(finished_at)

    def pass_failed(self, *, duration: float) -> None:
        """Count one failed pass (it counts in `campaign_passes_total` too)."""
        self.passes.inc()
        self.pass_failures.inc()
        self.pass_duration.observe(duration)

    def set_sessions(self, counts: Mapping[str, int]) -> None:
        """Sessions by state as of this pass; a state seen before and absent now drops to 0."""
        with self._lock:
            for state in self._states_seen - set(counts):
                self.sessions.labels(state=state).set(0)
            for state, count in counts.items():
                self.sessions.labels(state=state).set(count)
            self._states_seen |= set(counts)

    def observe_lateness(self, seconds: float) -> None:
        """One burst transition's lateness (ack time minus deadline), in seconds."""
        self.burst_lateness.observe(max(0.0, seconds))

    def set_leases_held(self, count: int) -> None:
        """How many campaign leases this agent holds right now."""
        self.leases_held.set(count)
