"""Pure pieces of the aws components, tested directly, and the shape of their arguments."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import textwrap
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

import components.aws
from components.aws.eks import EksCluster, kubeconfig
from components.aws.irsa import irsa_role, trust_policy
from components.aws.network import subnet_cidrs
from components.k8s.helm import Chart


def test_subnets_do_not_overlap_and_fit_the_vpc() -> None:
    import ipaddress

    private, public = subnet_cidrs("10.40.0.0/16", 3)
    networks = [ipaddress.ip_network(c) for c in private + public]
    assert len(networks) == 6
    for i, a in enumerate(networks):
        assert a.subnet_of(ipaddress.ip_network("10.40.0.0/16"))
        for b in networks[i + 1 :]:
            assert not a.overlaps(b)


def test_trust_policy_is_scoped_to_one_service_account() -> None:
    policy = json.loads(trust_policy("arn:oidc", "https://oidc.example/id/X", "kube-system", "sa"))
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Federated": "arn:oidc"}
    assert statement["Condition"]["StringEquals"] == {
        "oidc.example/id/X:sub": "system:serviceaccount:kube-system:sa",
        "oidc.example/id/X:aud": "sts.amazonaws.com",
    }


def test_kubeconfig_uses_short_lived_tokens() -> None:
    config = json.loads(kubeconfig("c", "https://endpoint", "Q0E=", "eu-west-1"))
    assert config["clusters"][0]["cluster"]["server"] == "https://endpoint"
    assert config["users"][0]["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "c",
        "--region",
        "eu-west-1",
    ]
    assert "token" not in config["users"][0]["user"]


@pytest.mark.parametrize("version", ["1.2", "^1.2.3", "~1.2.3", ">=1.0.0", "latest", "1.2.x"])
def test_charts_refuse_version_ranges(version: str) -> None:
    with pytest.raises(ValueError, match="exact version"):
        Chart("x", version, "https://charts.example")


def _aws_components() -> list[type[pulumi.ComponentResource]]:
    found = []
    for module in pkgutil.iter_modules(components.aws.__path__, "components.aws."):
        for value in vars(importlib.import_module(module.name)).values():
            if (
                inspect.isclass(value)
                and issubclass(value, pulumi.ComponentResource)
                and value.__module__ == module.name
            ):
                found.append(value)
    return found


TAKERS: list[Callable[..., Any]] = [*(c.__init__ for c in _aws_components()), irsa_role]
# Facts of the EKS cluster, which travel together as one ClusterRef (`cluster`).
LOOSE_CLUSTER_FACTS = {
    "oidc_provider_arn",
    "oidc_provider_url",
    "oidc_arn",
    "oidc_url",
    "cluster_security_group_id",
    "client_security_group_id",
    "k8s_provider",
    "kubernetes_version",
    "region",
}


def test_every_aws_component_is_found() -> None:
    assert len(TAKERS) >= 13


@pytest.mark.parametrize("taker", TAKERS, ids=lambda t: t.__qualname__)
def test_aws_component_args_are_keyword_only_and_each_documented(taker: Callable[..., Any]) -> None:
    """After `name`, every argument is passed by keyword, and its line says what it is."""
    (function,) = ast.parse(textwrap.dedent(inspect.getsource(taker))).body
    assert isinstance(function, ast.FunctionDef)
    positional = [a.arg for a in function.args.args]
    assert positional in (["self", "name"], ["name"]), positional
    lines = textwrap.dedent(inspect.getsource(taker)).splitlines()
    undocumented = [
        a.arg for a in function.args.kwonlyargs if a.arg != "opts" and "  # " not in lines[a.lineno - 1]
    ]
    assert not undocumented, f"say what each is, in a comment on its line: {undocumented}"


@pytest.mark.parametrize(
    "taker",
    [t for t in TAKERS if t is not EksCluster.__init__],  # which makes the reference from them
    ids=lambda t: t.__qualname__,
)
def test_the_cluster_is_passed_as_one_reference(taker: Callable[..., Any]) -> None:
    parameters = inspect.signature(taker).parameters
    assert not LOOSE_CLUSTER_FACTS & set(parameters)
    if "cluster" in parameters:
        assert parameters["cluster"].annotation == "ClusterRef"
