"""Spot first, enforced: the on-demand system nodes are tainted and only the system add-ons
tolerate the taint, the chat's pods can only run on spot nodes, and cluster-autoscaler grows the
spot group before the on-demand one (the priority expander). Where each pod may run is worked out
the scheduler's way, from the node groups' taints and labels and each pod's tolerations and node
selector, as the program registers them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from pulumi_harness import StackRun

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CAPACITY_LABEL = "eks.amazonaws.com/capacityType"
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@dataclass(frozen=True)
class Pool:
    name: str
    labels: dict[str, str]
    taints: list[dict[str, str]]


def pools(run: StackRun) -> dict[str, Pool]:
    """Each node group as the scheduler sees its nodes (EKS adds the capacity-type label)."""
    found = {}
    for group in run.of_type(NODE_GROUP):
        labels = {**group.inputs.get("labels", {}), CAPACITY_LABEL: group.inputs["capacityType"]}
        taints = [{**t, "effect": EFFECTS[t["effect"]]} for t in group.inputs.get("taints", [])]
        found[group.inputs["labels"]["chat-platform/pool"]] = Pool(group.name, labels, taints)
    return found


def tolerates(tolerations: list[dict[str, Any]], taint: dict[str, str]) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") not in (None, "", taint["effect"]):
            continue
        if toleration.get("operator") == "Exists" and toleration.get("key") in (None, "", taint["key"]):
            return True
        if toleration.get("key") == taint["key"] and toleration.get("value") == taint["value"]:
            return True
    return False


def runs_on(pool: Pool, tolerations: list[dict[str, Any]], node_selector: dict[str, str]) -> bool:
    hard_taints = [t for t in pool.taints if t["effect"] in ("NoSchedule", "NoExecute")]
    return all(tolerates(tolerations, t) for t in hard_taints) and all(
        pool.labels.get(k) == v for k, v in node_selector.items()
    )


def placement(run: StackRun, tolerations: list[dict[str, Any]], node_selector: dict[str, str]) -> set[str]:
    return {name for name, pool in pools(run).items() if runs_on(pool, tolerations, node_selector)}


def _values(run: StackRun, release: str) -> dict[str, Any]:
    return run.one(RELEASE, release).inputs["values"]  # type: ignore[no-any-return]


def _addon_config(run: StackRun, addon: str) -> dict[str, Any]:
    (found,) = [a for a in run.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == addon]
    return json.loads(found.inputs["configurationValues"])  # type: ignore[no-any-return]


def system_pods(run: StackRun) -> dict[str, tuple[list[dict[str, Any]], dict[str, str]]]:
    """(tolerations, node selector) of every Deployment and Job the platform adds."""
    traefik, autoscaler = _values(run, "traefik"), _values(run, "cluster-autoscaler")
    certs = _values(run, "cert-manager")
    pods = {
        "traefik": (traefik["tolerations"], traefik["nodeSelector"]),
        "cluster-autoscaler": (autoscaler["tolerations"], autoscaler["nodeSelector"]),
        "cert-manager": (certs["tolerations"], certs["nodeSelector"]),
    }
    for part in ("webhook", "cainjector", "startupapicheck"):
        pods[f"cert-manager-{part}"] = (certs[part]["tolerations"], certs[part]["nodeSelector"])
    for addon in ("coredns", "metrics-server"):
        config = _addon_config(run, addon)
        pods[addon] = (config["tolerations"], config["nodeSelector"])
    controller = _addon_config(run, "aws-ebs-csi-driver")["controller"]
    pods["ebs-csi-controller"] = (controller["tolerations"], controller["nodeSelector"])
    return pods


def test_both_node_groups_are_tainted(aws: StackRun) -> None:
    found = pools(aws)
    assert set(found) == {"system", "spot"}
    assert found["system"].taints == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]
    assert found["spot"].taints == [{"key": "chat-platform/spot", "value": "true", "effect": "NoSchedule"}]


@pytest.mark.parametrize("deployment", ["chat-backend", "chat-frontend"])
def test_the_chat_runs_on_spot_nodes_only(aws: StackRun, deployment: str) -> None:
    pod = aws.one("kubernetes:apps/v1:Deployment", deployment).inputs["spec"]["template"]["spec"]
    assert placement(aws, pod.get("tolerations", []), pod.get("nodeSelector", {})) == {"spot"}


def test_every_system_add_on_runs_on_the_system_nodes_only(aws: StackRun) -> None:
    pods = system_pods(aws)
    assert len(pods) == 9
    for name, (tolerations, node_selector) in pods.items():
        assert placement(aws, tolerations, node_selector) == {"system"}, name


def test_only_system_add_ons_tolerate_the_system_taint(aws: StackRun) -> None:
    """Nothing else may land on (or make the autoscaler grow) the on-demand group: the only
    tolerations of the system taint are the system add-ons'."""
    system_taint = pools(aws)["system"].taints[0]
    tolerating = {
        name for name, (tolerations, _) in system_pods(aws).items() if tolerates(tolerations, system_taint)
    }
    assert tolerating == set(system_pods(aws))
    for deployment in aws.of_type("kubernetes:apps/v1:Deployment"):
        tolerations = deployment.inputs["spec"]["template"]["spec"].get("tolerations", [])
        assert not tolerates(tolerations, system_taint), deployment.name


def test_the_spot_handler_stays_on_spot_nodes(run_stack: Callable[..., StackRun]) -> None:
    run = run_stack("aws", {"chat-platform:awsSpotTerminationHandler": "true"})
    values = _values(run, "aws-node-termination-handler")
    assert placement(run, values["tolerations"], values["nodeSelector"]) == {"spot"}


def test_cluster_autoscaler_grows_spot_first(aws: StackRun) -> None:
    chart = aws.one(RELEASE, "cluster-autoscaler")
    assert chart.inputs["values"]["extraArgs"]["expander"].split(",")[0] == "priority"
    configmap = aws.one("kubernetes:core/v1:ConfigMap", "cluster-autoscaler-priority-expander")
    assert configmap.inputs["metadata"] == {
        "name": "cluster-autoscaler-priority-expander",
        "namespace": "kube-system",
    }
    assert configmap.urn in chart.dependencies  # read when the autoscaler starts
    priorities = yaml.safe_load(configmap.inputs["data"]["priorities"])
    ranked = [priorities[p] for p in sorted(priorities, reverse=True)]
    # Managed node groups' Auto Scaling groups are named eks-<node group name>-<uuid>.
    uuid = "2cc8d3a1-0f4e-4b1a-9c1e-5d2f3b4a6c7d"
    asg = {
        pool: f"eks-{aws.one(NODE_GROUP, group.name).outputs['nodeGroupName']}-{uuid}"
        for pool, group in pools(aws).items()
    }

    def rank(name: str) -> int:
        return next(i for i, patterns in enumerate(ranked) if any(re.search(p, name) for p in patterns))

    assert rank(asg["spot"]) == 0
    assert rank(asg["system"]) > rank(asg["spot"])
    # Each pattern names one group: the spot group's does not also match the system group.
    assert not any(re.search(p, asg["system"]) for p in ranked[0])
