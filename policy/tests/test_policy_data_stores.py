"""The guardrails that read more than a resource's inputs: data stores protected from
replacement (the `protect` option, unless the stack allows a replacement), and the roles pull
requests assume kept read-only in the cluster (the stack's awsPreviewRoleArns)."""

from __future__ import annotations

import json

import pytest
from guardrails import aws
from guardrails.props import Resource

ALLOW = {aws.ALLOW_DATA_STORE_REPLACEMENT: "true"}
PREVIEW_ROLE = "arn:aws:iam::123456789012:role/chat-platform-preview"
DEPLOY_ROLE = "arn:aws:iam::123456789012:role/chat-platform-deploy"
STACK = {aws.PULL_REQUEST_ROLES: json.dumps([PREVIEW_ROLE])}
POLICIES = "arn:aws:eks::aws:cluster-access-policy"


def association(principal: str, policy: str) -> Resource:
    props = {
        "clusterName": "chat-aws",
        "principalArn": principal,
        "policyArn": f"{POLICIES}/{policy}",
        "accessScope": {"type": "cluster"},
    }
    return Resource(aws.ACCESS_POLICY_ASSOCIATION, props, stack_config=STACK)


@pytest.mark.parametrize("data_store", aws.DATA_STORES)
def test_a_protected_data_store_passes(data_store: str) -> None:
    assert aws.data_stores_protected(Resource(data_store, {}, protect=True)) == []


@pytest.mark.parametrize("data_store", aws.DATA_STORES)
def test_an_unprotected_data_store_fails_the_preview(data_store: str) -> None:
    (message,) = aws.data_stores_protected(Resource(data_store, {}, protect=False))
    assert message.startswith(f"{data_store} holds data and must be protected")
    assert aws.ALLOW_DATA_STORE_REPLACEMENT in message  # says how to replace it on purpose


@pytest.mark.parametrize("data_store", aws.DATA_STORES)
def test_the_stack_setting_allows_a_deliberate_replacement(data_store: str) -> None:
    assert aws.data_stores_protected(Resource(data_store, {}, stack_config=ALLOW)) == []
    for value in ("false", "", "yes"):
        config = {aws.ALLOW_DATA_STORE_REPLACEMENT: value}
        assert aws.data_stores_protected(Resource(data_store, {}, stack_config=config)), value


def test_other_resources_need_no_protection() -> None:
    assert aws.data_stores_protected(Resource("aws:ecr/repository:Repository", {})) == []


def test_a_pull_request_role_may_view() -> None:
    assert aws.pull_request_roles_read_only(association(PREVIEW_ROLE, "AmazonEKSViewPolicy")) == []


@pytest.mark.parametrize(
    "policy",
    [
        "AmazonEKSClusterAdminPolicy",
        "AmazonEKSAdminPolicy",
        "AmazonEKSEditPolicy",
        "AmazonEKSAdminViewPolicy",
    ],
)
def test_a_pull_request_role_may_not_write_or_read_secrets(policy: str) -> None:
    (message,) = aws.pull_request_roles_read_only(association(PREVIEW_ROLE, policy))
    assert message.startswith(f"{PREVIEW_ROLE} is assumed by pull requests ({aws.PULL_REQUEST_ROLES})")
    assert message.endswith(f"may only read the cluster, not {policy}")


def test_other_roles_may_administer() -> None:
    assert aws.pull_request_roles_read_only(association(DEPLOY_ROLE, "AmazonEKSClusterAdminPolicy")) == []


def test_a_pull_request_role_gets_no_kubernetes_groups() -> None:
    entry = {"clusterName": "chat-aws", "principalArn": PREVIEW_ROLE, "type": "STANDARD"}
    assert aws.pull_request_roles_read_only(Resource(aws.ACCESS_ENTRY, entry, stack_config=STACK)) == []
    grouped = Resource(
        aws.ACCESS_ENTRY, {**entry, "kubernetesGroups": ["system:masters"]}, stack_config=STACK
    )
    (message,) = aws.pull_request_roles_read_only(grouped)
    assert "no Kubernetes groups" in message


def test_without_the_stack_setting_no_role_is_a_pull_request_role() -> None:
    unset = Resource(
        aws.ACCESS_POLICY_ASSOCIATION,
        {"principalArn": PREVIEW_ROLE, "policyArn": f"{POLICIES}/AmazonEKSClusterAdminPolicy"},
    )
    assert aws.pull_request_roles_read_only(unset) == []
    broken = Resource(unset.type, unset.props, stack_config={aws.PULL_REQUEST_ROLES: "not json"})
    assert aws.pull_request_roles_read_only(broken) == []
