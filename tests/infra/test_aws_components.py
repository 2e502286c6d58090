"""Pure pieces of the aws components, tested directly."""

from __future__ import annotations

import json

import pytest

from components.aws.eks import kubeconfig
from components.aws.irsa import trust_policy
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
