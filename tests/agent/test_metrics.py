"""AgentMetrics: every metric is `campaign_*`, on the registry passed in, with the values given."""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from runner.agent import AgentMetrics

# Family name -> type, as the text format's parser reports them (counters drop `_total`).
EXPECTED = {
    "campaign_passes": "counter",
    "campaign_pass_failures": "counter",
    "campaign_pass_duration_seconds": "histogram",
    "campaign_changes_applied": "counter",
    "campaign_drift_corrected": "counter",
    "campaign_sessions": "gauge",
    "campaign_burst_lateness_seconds": "histogram",
    "campaign_recordings_changed": "counter",
    "campaign_leases_held": "gauge",
    "campaign_last_pass_success_timestamp_seconds": "gauge",
}


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert isinstance(sample, Sample)
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_every_metric_is_exported_from_the_start_with_campaign_names() -> None:
    registry = CollectorRegistry()
    AgentMetrics(registry)
    text = generate_latest(registry).decode()
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    # prometheus_client adds a `<name>_created` timestamp per counter and histogram.
    created = {name for name in families if name.endswith("_created")}
    assert {name.removesuffix("_created") for name in created} <= set(EXPECTED)
    assert {n: t for n, t in families.items() if n not in created} == EXPECTED
    values = samples(registry)
    assert values[("campaign_passes_total", ())] == 0
    for action in ("create", "update", "replace", "delete"):
        assert values[("campaign_changes_applied_total", (("action", action),))] == 0
    assert values[("campaign_last_pass_success_timestamp_seconds", ())] == 0


def test_metrics_live_on_the_registry_passed_in_not_the_global_one() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    AgentMetrics(first).pass_failed(duration=0.1)
    AgentMetrics(second)  # a second agent in the same process: no "duplicated timeseries"
    assert samples(first)[("campaign_pass_failures_total", ())] == 1
    assert samples(second)[("campaign_pass_failures_total", ())] == 0
    assert b"campaign_" not in generate_latest(prometheus_client.REGISTRY)


def test_passes_failures_changes_drift_and_recordings_are_counted() -> None:
    registry = CollectorRegistry()
    metrics = AgentMetrics(registry)
    metrics.pass_succeeded(
        finished_at=1_780_000_000.5,
        duration=0.2,
        changes={"create": 3, "update": 1},
        drift_corrected=2,
        recordings_changed=7,
    )
    metrics.pass_failed(duration=1.5)
    metrics.pass_succeeded(finished_at=1_780_000_300.0, duration=0.1, changes={"delete": 1})
    values = samples(registry)
    assert values[("campaign_passes_total", ())] == 3
    assert values[("campaign_pass_failures_total", ())] == 1
    assert values[("campaign_changes_applied_total", (("action", "create"),))] == 3
    assert values[("campaign_changes_applied_total", (("action", "update"),))] == 1
    assert values[("campaign_changes_applied_total", (("action", "delete"),))] == 1
    assert values[("campaign_changes_applied_total", (("action", "replace"),))] == 0
    assert values[("campaign_drift_corrected_total", ())] == 2
    assert values[("campaign_recordings_changed_total", ())] == 7
    assert values[("campaign_last_pass_success_timestamp_seconds", ())] == 1_780_000_300.0
    assert values[("campaign_pass_duration_seconds_count", ())] == 3
    assert values[("campaign_pass_duration_seconds_sum", ())] == 1.8


def test_sessions_by_state_drop_to_zero_when_a_state_disappears() -> None:
    registry = CollectorRegistry()
    metrics = AgentMetrics(registry)
    metrics.set_sessions({"Standby": 3, "Started": 1})
    metrics.set_sessions({"Standby": 4, "Scheduled": 2})
    values = samples(registry)
    assert values[("campaign_sessions", (("state", "Standby"),))] == 4
    assert values[("campaign_sessions", (("state", "Scheduled"),))] == 2
    assert values[("campaign_sessions", (("state", "Started"),))] == 0


def test_lateness_histogram_is_in_seconds_and_early_counts_as_zero() -> None:
    registry = CollectorRegistry()
    metrics = AgentMetrics(registry)
    for seconds in (0.0004, 0.003, 0.2, -0.001):
        metrics.observe_lateness(seconds)
    values = samples(registry)
    bucket = "campaign_burst_lateness_seconds_bucket"
    assert values[(bucket, (("le", "0.001"),))] == 2  # 0.4 ms and the early one
    assert values[(bucket, (("le", "0.005"),))] == 3
    assert values[(bucket, (("le", "+Inf"),))] == 4
    assert values[("campaign_burst_lateness_seconds_count", ())] == 4


def test_leases_held_is_a_gauge_that_goes_down() -> None:
    registry = CollectorRegistry()
    metrics = AgentMetrics(registry)
    metrics.set_leases_held(3)
    metrics.set_leases_held(1)
    assert samples(registry)[("campaign_leases_held", ())] == 1
