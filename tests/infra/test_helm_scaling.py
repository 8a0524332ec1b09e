"""The chart scales and survives disruption: HPAs (writers within the topic's partitions), disruption
budgets, non-root pods on a read-only root file system, resources and probes, on the rendered manifests."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.infra.test_helm_chart import CHART, ROOT, SECRETS, rendered

# helm is built from its Go module on first use (tests/infra/test_helm_chart.py)
pytestmark = pytest.mark.servers

WORKLOAD_KINDS = ("Deployment", "Job", "CronJob")
# One Deployment per service the values name, besides the gateway's and the writers'.
SERVICES = yaml.safe_load((CHART / "values.yaml").read_text())["services"]


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return rendered(*SECRETS)


def test_every_workload_runs_as_non_root_with_limits(docs: list[dict[str, Any]]) -> None:
    workloads = [d for d in docs if d["kind"] in WORKLOAD_KINDS]
    # the services, the gateway and the writers; the migration Job; the compaction CronJob
    assert len(workloads) == len(SERVICES) + 4
    for doc in workloads:
        name = doc["metadata"]["name"]
        pod = _pod_spec(doc)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name  # the image's user (helm/Dockerfile)
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}], name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"] == {"drop": ["ALL"]}, name
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env["SMARTMFG_DATA_DIR"] == "/tmp/smartmfg", "data must go where the pod may write"
            assert container["resources"] == {
                "requests": {"cpu": "250m", "memory": "512Mi"},
                "limits": {"memory": "2Gi"},
            }, name


def test_every_long_running_workload_is_probed(docs: list[dict[str, Any]]) -> None:
    deployments = _by_kind(docs, "Deployment")
    assert len(deployments) == len(SERVICES) + 2
    for name, doc in deployments.items():
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        port = "status" if name.endswith("-writer") else "http"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}, name
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}, name


def test_gateway_ingest_and_writers_autoscale_within_the_partitions(docs: list[dict[str, Any]]) -> None:
    hpas = _by_kind(docs, "HorizontalPodAutoscaler")
    assert {
        name: (h["spec"]["scaleTargetRef"]["name"], h["spec"]["minReplicas"], h["spec"]["maxReplicas"])
        for name, h in hpas.items()
    } == {
        "demo-smartmfg-gateway": ("demo-smartmfg-gateway", 2, 10),
        "demo-smartmfg-ingest": ("demo-smartmfg-ingest", 3, 12),
        "demo-smartmfg-writer": ("demo-smartmfg-writer", 2, 6),
    }
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        (metric,) = hpa["spec"]["metrics"]
        target = {"type": "Utilization", "averageUtilization": 70}
        assert metric["resource"] == {"name": "cpu", "target": target}
    deployments = _by_kind(docs, "Deployment")
    # An autoscaled Deployment names no replica count (an upgrade would reset the HPA's); the others do.
    for name, doc in deployments.items():
        assert ("replicas" in doc["spec"]) == (name not in hpas), name
    writer_env = deployments["demo-smartmfg-writer"]["spec"]["template"]["spec"]["containers"][0]["env"]
    partitions = next(e["value"] for e in writer_env if e["name"] == "SMARTMFG_BUS_PARTITIONS")
    assert partitions == "6"  # the topics are created with as many partitions as writers may scale to


def test_every_deployment_has_a_disruption_budget_that_selects_its_pods(docs: list[dict[str, Any]]) -> None:
    budgets = _by_kind(docs, "PodDisruptionBudget")
    deployments = _by_kind(docs, "Deployment")
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        assert budget["spec"]["maxUnavailable"] == 1
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        selector = budget["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items(), name


def _render_error(*sets: str) -> str:
    args = [arg for s in (*SECRETS, *sets) for arg in ("--set", s)]
    done = subprocess.run(
        ["bash", str(ROOT / "infra" / "helm.sh"), "template", "demo", str(CHART), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0, "the chart rendered"
    return done.stderr


def test_more_writers_than_partitions_are_refused() -> None:
    assert "autoscaling.writer.maxReplicas (8) exceeds kafka.partitions (6)" in _render_error(
        "autoscaling.writer.maxReplicas=8"
    )
    assert "writer.replicas (7) exceeds kafka.partitions (6)" in _render_error(
        "autoscaling.writer.enabled=false", "writer.replicas=7"
    )
    docs = rendered(*SECRETS, "kafka.partitions=12", "autoscaling.writer.maxReplicas=12")
    assert _by_kind(docs, "HorizontalPodAutoscaler")["demo-smartmfg-writer"]["spec"]["maxReplicas"] == 12


def test_autoscaling_off_gives_the_replica_count_back() -> None:
    docs = rendered(*SECRETS, "autoscaling.gateway.enabled=false", "gateway.replicas=4")
    assert "demo-smartmfg-gateway" not in _by_kind(docs, "HorizontalPodAutoscaler")
    assert _by_kind(docs, "Deployment")["demo-smartmfg-gateway"]["spec"]["replicas"] == 4
