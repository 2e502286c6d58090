"""The pack's entry point as the Pulumi CLI runs it: `python -m pulumi.policy <engine> policy/`
in a child process (importing it here would block), with the stack's config in PULUMI_CONFIG as
the CLI passes it, then real gRPC calls on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from guardrails.catalog import GUARDRAILS
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

POLICY_DIR = Path(__file__).resolve().parents[1]
MANDATORY = proto.EnforcementLevel.Value("MANDATORY")
PREVIEW_ROLE = "arn:aws:iam::123456789012:role/chat-platform-preview"
STACK_CONFIG = {
    "chat-platform:awsPreviewRoleArns": json.dumps([PREVIEW_ROLE]),
    "chat-platform:awsAllowDataStoreReplacement": "false",
}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    pack = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(POLICY_DIR)],
        stdout=subprocess.PIPE,
        cwd=POLICY_DIR,
        env={**os.environ, "PULUMI_CONFIG": json.dumps(STACK_CONFIG)},
    )
    try:
        assert pack.stdout is not None
        port = int(pack.stdout.readline().decode().strip())  # the pack prints its port when it serves
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        pack.terminate()
        pack.wait(timeout=10)


def analyze(
    stub: Any, resource_type: str, props: dict[str, Any], protect: bool = False
) -> list[tuple[str, str, int]]:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = proto.AnalyzeRequest(
        type=resource_type,
        properties=properties,
        urn=f"urn:pulumi:test::chat-platform::{resource_type}::x",
        name="x",
        options=proto.AnalyzerResourceOptions(protect=protect),
    )
    response = stub.Analyze(request)
    return [(d.policyName, d.message, d.enforcementLevel) for d in response.diagnostics]


def test_pack_serves_every_guardrail_as_mandatory(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "chat-platform-guardrails"
    assert {p.name: p.enforcementLevel for p in info.policies} == {g.name: MANDATORY for g in GUARDRAILS}


def test_pack_reports_a_violation(analyzer: Any) -> None:
    service = {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    diagnostics = analyze(analyzer, "kubernetes:core/v1:Service", service)
    assert [(name, level) for name, _, level in diagnostics] == [("no-external-services", MANDATORY)]
    assert "Service 'web' is of type NodePort" in diagnostics[0][1]


def test_pack_passes_a_compliant_resource(analyzer: Any) -> None:
    repository = {"name": "chat", "imageScanningConfiguration": {"scanOnPush": True}}
    assert analyze(analyzer, "aws:ecr/repository:Repository", repository) == []


def test_pack_sees_the_protect_option(analyzer: Any) -> None:
    key = {"description": "secrets", "enableKeyRotation": True}
    assert analyze(analyzer, "aws:kms/key:Key", key, protect=True) == []
    diagnostics = analyze(analyzer, "aws:kms/key:Key", key, protect=False)
    assert [(name, level) for name, _, level in diagnostics] == [("data-stores-protected", MANDATORY)]


def test_pack_sees_the_stack_config(analyzer: Any) -> None:
    """Which roles pull requests assume comes from the stack's config (PULUMI_CONFIG)."""
    association = {
        "clusterName": "chat-aws",
        "principalArn": PREVIEW_ROLE,
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        "accessScope": {"type": "cluster"},
    }
    resource_type = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    diagnostics = analyze(analyzer, resource_type, association)
    assert [(name, level) for name, _, level in diagnostics] == [("pull-request-roles-read-only", MANDATORY)]
    deploy = {**association, "principalArn": "arn:aws:iam::123456789012:role/chat-platform-deploy"}
    assert analyze(analyzer, resource_type, deploy) == []
