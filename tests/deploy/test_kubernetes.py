"""The Kubernetes manifests: valid against the API schemas of a pinned Kubernetes version, and
consistent with the agent's contract (probes on --listen, secrets from the Secret, hardened)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from runner.agent import parse_listen
from tests.deploy.kit import DEPLOY, SECRET_VARS, check_invocation

# The oldest Kubernetes release still in upstream support when the kit was written; every
# field used exists there (CronJob timeZone is GA since 1.27).
KUBERNETES_VERSION = "1.31.0"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def resources(kind: str) -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in documents(path) if doc["kind"] == kind]


def pod_specs() -> list[dict[str, Any]]:
    specs = [d["spec"]["template"]["spec"] for d in resources("Deployment")]
    specs += [c["spec"]["jobTemplate"]["spec"]["template"]["spec"] for c in resources("CronJob")]
    return specs


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def campaign_container(spec: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in spec["containers"] if c["image"].startswith("campaign-runner:")]
    return container


def test_the_kit_has_the_expected_manifests() -> None:
    assert [p.name for p in MANIFESTS] == [
        "agent-configmap.yaml",
        "agent.yaml",
        "cronjob.yaml",
        "secret.example.yaml",
    ]
    assert len(resources("Deployment")) == 2
    assert len(resources("CronJob")) == 1


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifests_are_valid_kubernetes(path: Path) -> None:
    for doc in documents(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_catches_a_misspelt_field() -> None:
    (deployment,) = [
        d for d in documents(DEPLOY / "kubernetes" / "agent.yaml") if d["kind"] == "Deployment"
    ]
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_probes_hit_healthz_and_readyz_on_the_listen_port_with_listen_any() -> None:
    for deployment in resources("Deployment"):
        agent = campaign_container(deployment["spec"]["template"]["spec"])
        args = agent["args"]
        assert args[0] == "agent"
        host, port = parse_listen(args[args.index("--listen") + 1])
        assert host == "0.0.0.0" and "--listen-any" in args
        (named,) = [p for p in agent["ports"] if p["name"] == "metrics"]
        assert named["containerPort"] == port
        assert agent["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert agent["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}


def test_the_service_exposes_the_metrics_port() -> None:
    (service,) = resources("Service")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9100, "targetPort": "metrics"}]


def test_campaign_files_come_from_git_sync_or_a_configmap() -> None:
    by_source = {}
    for deployment in resources("Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        path = campaign_container(spec)["args"][1]
        mounts = {m["mountPath"]: m for m in campaign_container(spec)["volumeMounts"]}
        (mount,) = [m for p, m in mounts.items() if path.startswith(p)]
        assert mount["readOnly"] is True
        volume = {v["name"]: v for v in spec["volumes"]}[mount["name"]]
        images = {c["image"].split(":")[0] for c in containers(spec)}
        source = "configMap" if "configMap" in volume else "git-sync"
        if source == "git-sync":
            assert "registry.k8s.io/git-sync/git-sync" in images
            inits = [c["name"] for c in spec["initContainers"]]
            assert "git-sync-init" in inits  # files are there before the agent starts
        by_source[source] = path
    assert set(by_source) == {"configMap", "git-sync"}


def test_secrets_come_from_the_secret_and_match_the_example() -> None:
    (secret,) = resources("Secret")
    assert sorted(secret["stringData"]) == sorted(SECRET_VARS)
    for value in secret["stringData"].values():
        assert "replace-me" in value or "example.com" in value  # placeholders only
    for spec in pod_specs():
        env = {e["name"]: e for e in campaign_container(spec)["env"]}
        for name in SECRET_VARS:
            ref = env[name]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == (secret["metadata"]["name"], name)
            assert "value" not in env[name]


def test_every_container_is_non_root_read_only_and_bounded() -> None:
    for spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for container in containers(spec):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
            assert "memory" in container["resources"]["limits"], container["name"]
            assert container["resources"]["requests"], container["name"]


def test_the_agent_stops_well_within_the_grace_period() -> None:
    for deployment in resources("Deployment"):
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 5


def test_the_cronjob_applies_without_prompting_and_never_overlaps() -> None:
    (cronjob,) = resources("CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    args = campaign_container(spec)["args"]
    assert args[0] == "apply" and "--auto-approve" in args
    env = {e["name"]: e.get("value") for e in campaign_container(spec)["env"]}
    assert env["CI"] == "true"  # a missing endpoint refuses instead of using the sandbox


@pytest.mark.parametrize(
    "argv",
    [campaign_container(spec)["args"] for spec in pod_specs()],
    ids=lambda argv: argv[0],
)
def test_the_manifests_command_lines_parse_in_the_cli(argv: list[str]) -> None:
    check_invocation(argv)
